"""Data: each kind as a virtual table over its whole frame, and charts of what it shows.

The tables render only the rows on screen (:class:`~auditor.tui.table.FrameTable`), so
three million location fixes scroll as fast as forty. The charts' aggregates are
computed in a thread worker (:mod:`auditor.tui.charts`) and drawn with plotext.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, Vertical
from textual.widgets import Label, Select, Static, TabbedContent, TabPane
from textual_plotext import PlotextPlot

from auditor.tui import charts
from auditor.tui.present import LEAD_COLUMNS, PROVENANCE, derived_table, short_files
from auditor.tui.table import FrameTable

HIDDEN = "hidden while redaction is on (charts would show amounts, places or times of day)"


class DataPane(Vertical):
    """A kind picker and its table; a Charts tab beside it."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.result = None
        self.redacted = False
        self.kind: str | None = None
        self.charts_drawn = False

    def compose(self) -> ComposeResult:
        with TabbedContent(id="data-tabs"):
            with TabPane("Tables", id="data-tables"):
                with Horizontal(id="data-bar"):
                    yield Select([], prompt="table", id="data-kind")
                    yield Label("", id="data-count")
                yield FrameTable(id="data-table")
            with TabPane("Charts", id="data-charts"), Grid(id="chart-grid"):
                yield PlotextPlot(id="chart-spending")
                yield PlotextPlot(id="chart-hours")
                yield PlotextPlot(id="chart-weekdays")
                yield PlotextPlot(id="chart-places")
                yield PlotextPlot(id="chart-homes")
                yield Static("", id="chart-notes")

    def show(self, result, redacted: bool) -> None:
        self.result, self.redacted = result, redacted
        kinds = [name for name, frame in result.data.frames.items() if len(frame)]
        select = self.query_one("#data-kind", Select)
        with self.prevent(Select.Changed):
            select.set_options([(f"{name} ({len(result.data.frames[name]):,})", name) for name in kinds])
            if kinds:
                select.value = self.kind if self.kind in kinds else kinds[0]
        if kinds:
            self.show_kind(select.value, keep_cursor=True)
        self.charts_drawn = False
        if self.query_one("#data-tabs", TabbedContent).active == "data-charts":
            self.draw_charts()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "data-kind" and event.value is not Select.NULL:
            event.stop()
            self.show_kind(str(event.value))

    def show_kind(self, kind: str, keep_cursor: bool = False) -> None:
        """Show the whole frame of ``kind``, where-from columns first."""
        frame = self.result.data.frames[kind]
        keep_cursor = keep_cursor and kind == self.kind
        self.kind = kind
        lead = [c for c in (*PROVENANCE, *LEAD_COLUMNS.get(kind, ())) if c in frame.columns]
        columns = lead + [c for c in frame.columns if c not in lead and c != "importer"]
        self.query_one("#data-table", FrameTable).show(short_files(frame), columns, keep_cursor=keep_cursor)
        self.query_one("#data-count", Label).update(f"{len(frame):,} rows · Enter opens a row · s sorts")

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.tabbed_content.id == "data-tabs":
            event.stop()
            if event.pane.id == "data-charts" and not self.charts_drawn:
                self.draw_charts()

    def draw_charts(self) -> None:
        """Compute the aggregates off the UI thread, then draw."""
        if self.result is None:
            return
        self.charts_drawn = True
        result, redacted = self.result, self.redacted
        self.run_worker(lambda: self._aggregate(result, redacted), thread=True, exclusive=True, group="charts")

    def _aggregate(self, result, redacted: bool) -> None:
        frames, zone = result.data.frames, result.timezone
        figures: dict = {}
        if not redacted:
            figures["hours"] = charts.activity_by_hour(frames["points"], "time", zone)
            figures["spending"] = charts.spending_by_month(frames["transactions"], zone)
            places, problem = derived_table(result, "places")
            nights, nights_problem = derived_table(result, "nights")
            figures["places"] = charts.place_cells(frames["visits"], places)
            figures["homes"] = charts.home_timeline(places, nights, frames["visits"])
            figures["problems"] = [p for p in (problem, nights_problem) if p]
        self.app.call_from_thread(self._draw, figures, redacted)

    def _draw(self, figures: dict, redacted: bool) -> None:
        notes = []
        if redacted:
            for name in ("#chart-spending", "#chart-hours", "#chart-weekdays", "#chart-places", "#chart-homes"):
                self._message(name, "hidden while redaction is on")
            self.query_one("#chart-notes", Static).update(f"Every chart is {HIDDEN}.")
            return
        hours, days = figures["hours"]
        self._bars("#chart-hours", [str(h) for h in hours.index], hours.tolist(), "Location fixes by local hour")
        self._bars("#chart-weekdays", list(days.index), days.tolist(), "Location fixes by weekday")
        spending = figures["spending"]
        plot = self.query_one("#chart-spending", PlotextPlot)
        plot.plt.clear_data()
        plot.plt.clear_figure()
        if len(spending):
            plot.plt.stacked_bar(list(spending.index), [spending[c].round(2).tolist() for c in spending.columns],
                                 labels=[str(c) for c in spending.columns])  # fmt: skip
            plot.plt.title("Money out by month and category")
        else:
            plot.plt.title("Money out by month: no transactions")
        plot.refresh()
        cells, labelled = figures["places"]
        plot = self.query_one("#chart-places", PlotextPlot)
        plot.plt.clear_data()
        plot.plt.clear_figure()
        if len(cells):
            plot.plt.scatter(cells["lon"].tolist(), cells["lat"].tolist(), marker="dot", label="visited")
            for label, spot in labelled.groupby("label"):
                plot.plt.scatter(spot["lon"].tolist(), spot["lat"].tolist(), marker=label[0].upper(), label=str(label))
            plot.plt.title("Places visited (H home, W work)")
        else:
            plot.plt.title("Places: no visits")
        plot.refresh()
        homes, away = figures["homes"]
        plot = self.query_one("#chart-homes", PlotextPlot)
        plot.plt.clear_data()
        plot.plt.clear_figure()
        if len(away):
            plot.plt.bar(list(away.index), away.tolist())
            plot.plt.title(f"Nights away per month; {len(homes)} home period(s)")
        elif len(homes):
            starts = [f"{t:%Y-%m-%d}" for t in homes["first"]]
            days_lived = ((homes["last"] - homes["first"]).dt.days).tolist()
            plot.plt.bar(starts, days_lived)
            plot.plt.title(f"Homes by move-in date: days lived there ({len(homes)} homes)")
        else:
            plot.plt.title("Home moves and nights away")
            notes.append("Home moves and nights away come from the derived 'places' and 'nights' tables: "
                         + ("; ".join(figures["problems"]) or "no home or night away found"))  # fmt: skip
        plot.refresh()
        if len(homes):
            moves = "; ".join(f"{r.first:%Y-%m-%d} to {r.last:%Y-%m-%d}" for r in homes.itertuples())
            notes.append(f"Homes: {moves}")
        self.query_one("#chart-notes", Static).update("\n".join(notes))

    def _bars(self, selector: str, labels: list, values: list, title: str) -> None:
        plot = self.query_one(selector, PlotextPlot)
        plot.plt.clear_data()
        plot.plt.clear_figure()
        plot.plt.bar(labels, values)
        plot.plt.title(title)
        plot.refresh()

    def _message(self, selector: str, text: str) -> None:
        plot = self.query_one(selector, PlotextPlot)
        plot.plt.clear_data()
        plot.plt.clear_figure()
        plot.plt.title(text[:60])
        plot.refresh()
