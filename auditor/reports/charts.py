"""The report's charts: what the data shows, computed from the (possibly redacted) result.

Each chart is computed in two steps: :func:`chart_data` turns the audit into small tables
(pure pandas, vectorised; the JSON report carries them for other tools), and
:func:`render_svg` draws them with matplotlib's SVG backend into inline SVG for the HTML
report. matplotlib because it is the well-kept, pure-wheel plotting library: it runs
offline with no browser or JavaScript engine, its SVG has no external references, and with
a fixed hash salt and no date its output is byte-for-byte deterministic.

Charts read the canonical kinds, and the derived tables when they exist (``places`` for home
and work, ``nights`` for nights away, ``payments`` for categories); each degrades to what the
data has, and says why when it cannot be drawn (no rows of that kind, or hidden by the
redaction level).
"""

from __future__ import annotations

import atexit
import io
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from auditor import model
from auditor.dataset import local_times
from auditor.pipeline import AuditResult

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
TOP_CATEGORIES = 10
MAX_PLACES = 400
HOME, WORK = "home", "work"


@dataclass
class Chart:
    """One chart: its data (records), a note for the reader, and the SVG once rendered."""

    id: str
    title: str
    note: str
    data: list[dict[str, Any]] = field(default_factory=list)
    svg: str | None = None

    @property
    def drawn(self) -> bool:
        return bool(self.data)


def _redaction(result: AuditResult) -> str:
    return getattr(result, "redaction", "none")


def _frame(result: AuditResult, name: str) -> pd.DataFrame | None:
    try:
        frame = result.frame(name)
    except (KeyError, ModuleNotFoundError, ImportError):
        # a derived table declared but whose builder is not installed: the chart degrades
        return None
    return frame if frame is not None and len(frame) else None


def _hidden(result: AuditResult, what: str) -> str:
    level = _redaction(result)
    text = f"{what} hidden at redaction level {level}." if level != "none" else f"no {what} in these exports."
    return text[0].upper() + text[1:]


def _month_numbers(series: pd.Series) -> np.ndarray:
    """Months since January 1970 (UTC) of a time column, straight from its int64 nanoseconds:
    millions of points in milliseconds, where ``to_period`` takes seconds."""
    naive = series.dt.tz_convert("UTC").dt.tz_localize(None) if isinstance(series.dtype, pd.DatetimeTZDtype) else series
    return naive.to_numpy(dtype="datetime64[ns]").astype("datetime64[M]").astype(np.int64)


def _month_label(number: int) -> str:
    year, month = divmod(int(number), 12)
    return f"{1970 + year:04d}-{month + 1:02d}"


def _month(series: pd.Series) -> pd.Series:
    """YYYY-MM labels of a time column without missing values."""
    numbers = _month_numbers(series)
    uniques, codes = np.unique(numbers, return_inverse=True)
    labels = np.array([_month_label(u) for u in uniques], dtype=object)
    return pd.Series(labels[codes], index=series.index, dtype="string")


# --- data ---------------------------------------------------------------------------------------------


def spending_by_month(result: AuditResult) -> Chart:
    chart = Chart("spending-by-month", "Money in and out by month", "")
    tx = _frame(result, "transactions")
    if tx is None or tx["time"].isna().all():
        chart.note = _hidden(result, "transaction dates") if tx is not None else "No bank or card transactions."
        return chart
    tx = tx[tx["time"].notna()]
    month = _month(tx["time"])
    if pd.api.types.is_numeric_dtype(tx["amount"]):
        currency = tx["currency"].astype("string").mode()
        main = currency.iloc[0] if len(currency) else ""
        if main:
            keep = tx["currency"].astype("string").eq(main).fillna(False).to_numpy(dtype=bool)
            tx, month = tx[keep], month[keep]
        amount = tx["amount"].to_numpy(dtype="float64", na_value=np.nan)
        table = pd.DataFrame({"month": month.to_numpy(), "out": np.where(amount < 0, -amount, 0.0),
                              "in": np.where(amount > 0, amount, 0.0)})  # fmt: skip
        grouped = table.groupby("month", sort=True)[["out", "in"]].sum().round(2)
        chart.note = f"Sums in {main}, the main currency of the statements." if main else "Sums per month."
        chart.data = [{"month": m, "out": float(r.out), "in": float(r["in"])} for m, r in grouped.iterrows()]
    else:
        # amounts are bands: count the payments instead of summing them
        out = tx["amount"].astype("string").str.startswith("-").fillna(False).to_numpy(dtype=bool)
        table = pd.DataFrame({"month": month.to_numpy(), "out": out.astype(int), "in": (~out).astype(int)})
        grouped = table.groupby("month", sort=True)[["out", "in"]].sum()
        chart.title = "Payments in and out by month (counts)"
        chart.note = f"Amounts are hidden at redaction level {_redaction(result)}: the bars count payments."
        chart.data = [{"month": m, "out": int(r.out), "in": int(r["in"])} for m, r in grouped.iterrows()]
    return chart


def spending_by_category(result: AuditResult) -> Chart:
    chart = Chart("spending-by-category", "Money out by category", "")
    tx = _frame(result, "transactions")
    if tx is None:
        chart.note = "No bank or card transactions."
        return chart
    category = tx["category"].astype("string")
    payments = _frame(result, "payments")
    derived_column = next((c for c in ("merchant_category", "category") if payments is not None and c in payments), None)
    if derived_column is not None and len(payments) == len(tx):  # type: ignore[arg-type]
        # payments is one row per transaction, in order: its merchant categories (from
        # rules/lists/merchants.yaml) fill the rows the bank left uncategorised (Chase, OFX)
        category = category.fillna(payments[derived_column].astype("string").set_axis(category.index))  # type: ignore[index]
    if category.isna().all():
        chart.note = "The statements carry no categories."
        return chart
    numeric = pd.api.types.is_numeric_dtype(tx["amount"])
    if numeric:
        amount = tx["amount"].to_numpy(dtype="float64", na_value=np.nan)
        out = pd.Series(np.where(amount < 0, -amount, 0.0), index=tx.index)
        chart.note = "Sums over every currency, top categories: the bank's own category, else the merchant category auditor assigns."
    else:
        out = tx["amount"].astype("string").str.startswith("-").fillna(False).astype(int)
        chart.title = "Payments out by category (counts)"
        chart.note = f"Amounts are hidden at redaction level {_redaction(result)}: the bars count payments."
    table = pd.DataFrame({"category": category.fillna("uncategorised").to_numpy(), "out": out.to_numpy()})
    grouped = table.groupby("category")["out"].sum()
    grouped = grouped[grouped > 0].sort_values(ascending=False, kind="stable").head(TOP_CATEGORIES)
    chart.data = [{"category": c, "out": round(float(v), 2) if numeric else int(v)} for c, v in grouped.items()]
    return chart


def activity_by_hour(result: AuditResult) -> Chart:
    """When things happen: timed payments, rides, arrivals and movements per hour of each weekday.

    Raw location fixes are left out: a phone logs them around the clock, so they would
    paint every hour the same; the events around them say when a life is active.
    """
    chart = Chart("activity-by-hour", "Activity by hour and weekday", "")
    if _redaction(result) != "none":
        # redacted times are months: every row would fall at midnight on the 1st
        chart.note = _hidden(result, "times of day")
        return chart
    grid = np.zeros((7, 24), dtype=np.int64)
    used = []
    for kind, column, what in (("transactions", "time", "payments"), ("trips", "requested", "rides and orders"),
                               ("visits", "start", "arrivals"), ("activities", "start", "journeys")):  # fmt: skip
        frame = _frame(result, kind)
        if frame is None or column not in frame:
            continue
        known = frame[column].notna().to_numpy().copy()
        if "has_time" in frame:
            known &= frame["has_time"].to_numpy(dtype=bool)
        if not known.any():
            continue
        hours = local_times(frame[known], column, result.timezone).to_numpy().astype("datetime64[h]").astype(np.int64)
        weekday = (np.floor_divide(hours, 24) + 3) % 7  # 1970-01-01 was a Thursday
        np.add.at(grid, (weekday, hours % 24), 1)
        used.append(what)
    if not used:
        chart.note = "No payments, rides, visits or journeys with a time of day."
        return chart
    chart.note = f"Counts of {', '.join(used)} per hour of each weekday, local time."
    chart.data = [{"weekday": WEEKDAYS[w], "hour": h, "rows": int(grid[w, h])} for w in range(7) for h in range(24)]
    return chart


def places(result: AuditResult) -> Chart:
    chart = Chart("places", "Places, with home and work", "")
    derived = _frame(result, "places")
    if derived is not None and {"lat", "lon", "label"} <= set(derived.columns) and derived["lat"].notna().any():
        table = derived[derived["lat"].notna()]
        weight = table["hours"] if "hours" in table else pd.Series(1.0, index=table.index)
        records = pd.DataFrame({"lat": table["lat"], "lon": table["lon"], "label": table["label"].astype("string"),
                                "weight": weight.astype("float64")})  # fmt: skip
        chart.note = "Places found in the location history (derived table places); size: hours spent."
    else:
        visits = _frame(result, "visits")
        if visits is None or visits["lat"].isna().all():
            chart.note = _hidden(result, "positions") if visits is not None else "No visits in the location history."
            return chart
        visits = visits[visits["lat"].notna()]
        semantic = visits["semantic_type"].astype("string").str.lower().fillna("")
        label = np.where(semantic.str.contains("home"), HOME, np.where(semantic.str.contains("work"), WORK, "other"))
        key = pd.DataFrame({"lat": visits["lat"].round(3).to_numpy(), "lon": visits["lon"].round(3).to_numpy(),
                            "label": label})  # fmt: skip
        records = key.groupby(["lat", "lon", "label"], sort=True).size().rename("weight").reset_index()
        chart.note = "Visits in the location history, with the home and work the export itself labels; size: visits."
    records = records.sort_values(["weight", "lat", "lon"], ascending=[False, True, True], kind="stable").head(MAX_PLACES)
    # 4 decimals (about 10 m) and a tenth of an hour: more digits would only be noise
    chart.data = [{"lat": round(float(r.lat), 4), "lon": round(float(r.lon), 4), "label": str(r.label),
                   "weight": round(float(r.weight), 1)}
                  for r in records.itertuples(index=False)]  # fmt: skip  # at most MAX_PLACES rows
    return chart


def timeline(result: AuditResult) -> Chart:
    """Rows per month and source, with home moves and nights away where derived tables have them."""
    chart = Chart("timeline", "Timeline: what each source recorded, month by month", "")
    counts: dict[tuple[int, str], int] = {}
    for kind, frame in result.dataset.frames.items():
        if not len(frame) or "source" not in frame:
            continue
        column = model.time_columns(kind)[0] if kind in model.KINDS else None
        if column is None or frame[column].isna().all():
            continue
        valid = frame[column].notna().to_numpy()
        every = bool(valid.all())  # the usual case: no copy of 3.3M points to drop nothing
        months = _month_numbers(frame[column] if every else frame.loc[valid, column])
        if not len(months):
            continue
        sources = (frame["source"] if every else frame.loc[valid, "source"]).astype("category")
        categories = sources.cat.categories
        # one integer key per (month, source), counted with bincount (months span decades at
        # most, so the keys are few): no sort of millions of keys. Rows without a source take
        # the last code of each month, which is not counted.
        width = len(categories) + 1
        codes = sources.cat.codes.to_numpy().astype(np.int64)
        codes[codes < 0] = width - 1
        first = int(months.min())
        tally = np.bincount((months - first) * width + codes)
        for key in np.flatnonzero(tally):
            month, code = divmod(int(key), width)
            if code < len(categories):
                label = (month + first, str(categories[code]))
                counts[label] = counts.get(label, 0) + int(tally[key])
    if not counts:
        chart.note = _hidden(result, "dates")
        return chart
    data: list[dict[str, Any]] = [{"month": _month_label(m), "source": s, "rows": n} for (m, s), n in sorted(counts.items())]
    notes = ["Rows per month and source."]
    home = _frame(result, "places")
    if home is not None and {"label", "first"} <= set(home.columns):
        homes = home[(home["label"].astype("string") == HOME) & home["first"].notna()].sort_values("first")
        for _, row in homes.iloc[1:].iterrows():
            data.append({"month": _month(pd.Series([row["first"]])).iloc[0], "event": "moved home"})
        if len(homes) > 1:
            notes.append("Lines mark home moves (derived table places).")
    nights = _frame(result, "nights")
    if nights is not None and {"night", "status"} <= set(nights.columns) and nights["night"].notna().any():
        away = nights[(nights["status"].astype("string") == "away") & nights["night"].notna()]
        for month, n in _month(away["night"]).value_counts().sort_index().items():
            data.append({"month": month, "event": "nights away", "nights": int(n)})
        notes.append("Dots count nights away from home (derived table nights).")
    chart.note = " ".join(notes)
    chart.data = data
    return chart


BUILDERS = (spending_by_month, spending_by_category, activity_by_hour, places, timeline)


def chart_data(result: AuditResult) -> list[Chart]:
    """Every chart's data, in report order."""
    return [build(result) for build in BUILDERS]


# --- drawing ----------------------------------------------------------------------------------------------

_XML_HEADER = re.compile(r"^<\?xml[^>]*>\s*(<!DOCTYPE[^>]*>\s*)?", re.DOTALL)
_NAMESPACES = re.compile(r'\s+xmlns(:\w+)?="[^"]*"')
INK, OUT, IN, HOME_COLOUR, WORK_COLOUR, OTHER_COLOUR = "#222222", "#c0392b", "#2e86c1", "#c0392b", "#1f618d", "#7f8c8d"


def _private_matplotlib_cache() -> None:
    """Keep matplotlib from writing its font cache into the person's home folder.

    matplotlib caches its font list in ``~/.cache/matplotlib`` (or ``MPLCONFIGDIR``) on first
    use; auditor writes nothing but the report the person asked for (DESIGN.md invariant 2).
    Unless the person set ``MPLCONFIGDIR`` themselves, the cache goes to a private temporary
    folder (mode 0700) removed when the program ends; rebuilding it costs about a second
    per run that draws charts.
    """
    if "matplotlib" in sys.modules or os.environ.get("MPLCONFIGDIR"):
        return
    folder = tempfile.mkdtemp(prefix="auditor-matplotlib-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    os.environ["MPLCONFIGDIR"] = folder


def render_svg(charts: list[Chart]) -> list[Chart]:
    """Draw every chart that has data into inline SVG (``chart.svg``)."""
    _private_matplotlib_cache()
    import matplotlib

    matplotlib.use("svg", force=False)  # no GUI backend is ever needed
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    draw = {"spending-by-month": _draw_months, "spending-by-category": _draw_categories,
            "activity-by-hour": _draw_hours, "places": _draw_places, "timeline": _draw_timeline}  # fmt: skip
    style = {"svg.hashsalt": "auditor-report", "svg.fonttype": "none", "font.size": 9, "axes.spines.top": False,
             "axes.spines.right": False, "axes.edgecolor": INK, "axes.labelcolor": INK, "xtick.color": INK,
             "ytick.color": INK, "font.family": "sans-serif"}  # fmt: skip
    with rc_context(style):
        for chart in charts:
            if not chart.drawn:
                continue
            figure = Figure(figsize=(7.2, 3.0), layout="constrained")
            draw[chart.id](figure, chart)
            buffer = io.StringIO()
            figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
            svg = _XML_HEADER.sub("", buffer.getvalue())
            chart.svg = _NAMESPACES.sub("", svg, count=0).replace("xlink:href", "href")
    return charts


def _draw_months(figure, chart: Chart) -> None:
    axes = figure.subplots()
    months = [d["month"] for d in chart.data]
    x = np.arange(len(months))
    axes.bar(x - 0.2, [d["out"] for d in chart.data], width=0.4, color=OUT, label="out")
    axes.bar(x + 0.2, [d["in"] for d in chart.data], width=0.4, color=IN, label="in")
    axes.set_xticks(x, months, rotation=60, ha="right")
    axes.legend(frameon=False)
    axes.set_title(chart.title, loc="left")


def _draw_categories(figure, chart: Chart) -> None:
    axes = figure.subplots()
    names = [d["category"] for d in chart.data][::-1]
    axes.barh(np.arange(len(names)), [d["out"] for d in chart.data][::-1], color=OUT)
    axes.set_yticks(np.arange(len(names)), names)
    axes.set_title(chart.title, loc="left")


def _draw_hours(figure, chart: Chart) -> None:
    axes = figure.subplots()
    grid = np.array([d["rows"] for d in chart.data]).reshape(7, 24)
    # pcolormesh, not imshow: vector cells, where imshow would embed a bitmap
    image = axes.pcolormesh(np.arange(25) - 0.5, np.arange(8) - 0.5, grid, cmap="Reds", edgecolors="white",
                            linewidth=0.3)  # fmt: skip
    axes.invert_yaxis()
    axes.set_yticks(range(7), WEEKDAYS)
    axes.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)])
    axes.set_xlabel("hour of the day (local time)")
    bar = figure.colorbar(image, ax=axes, label="rows")
    if bar.solids is not None:
        bar.solids.set_rasterized(False)  # matplotlib rasterises long colour bars into an embedded PNG
    axes.set_title(chart.title, loc="left")


def _draw_places(figure, chart: Chart) -> None:
    figure.set_size_inches(7.2, 4.2)
    axes = figure.subplots()
    lat = np.array([d["lat"] for d in chart.data])
    lon = np.array([d["lon"] for d in chart.data])
    weight = np.array([d["weight"] for d in chart.data])
    label = np.array([d["label"] for d in chart.data])
    size = 12 + 300 * np.sqrt(weight / weight.max())
    for name, colour, marker in (("other", OTHER_COLOUR, "o"), (WORK, WORK_COLOUR, "s"), (HOME, HOME_COLOUR, "^")):
        picked = label == name if name != "other" else ~np.isin(label, (HOME, WORK))
        if picked.any():
            axes.scatter(lon[picked], lat[picked], s=size[picked], c=colour, marker=marker, alpha=0.6,
                         edgecolors="white", linewidths=0.5, label=name)  # fmt: skip
    axes.set_aspect(1 / max(np.cos(np.radians(np.nanmean(lat))), 0.1))  # degrees of longitude shrink north
    axes.set_xlabel("longitude")
    axes.set_ylabel("latitude")
    axes.legend(frameon=False, loc="best", markerscale=0.5)
    axes.set_title(chart.title, loc="left")


def _draw_timeline(figure, chart: Chart) -> None:
    axes = figure.subplots()
    rows = pd.DataFrame([d for d in chart.data if "source" in d])
    months = sorted({d["month"] for d in chart.data})
    position = {m: i for i, m in enumerate(months)}
    table = rows.pivot_table(index="month", columns="source", values="rows", aggfunc="sum").reindex(months).fillna(0)
    for source in table.columns:
        axes.plot([position[m] for m in table.index], table[source].to_numpy(), marker=".", label=str(source))
    axes.set_yscale("symlog")
    for event in (d for d in chart.data if d.get("event") == "moved home"):
        axes.axvline(position[event["month"]], color=HOME_COLOUR, linestyle="--", linewidth=1)
        axes.annotate("moved home", (position[event["month"]], 1), rotation=90, fontsize=7, color=HOME_COLOUR)
    away = [d for d in chart.data if d.get("event") == "nights away"]
    if away:
        twin = axes.twinx()
        twin.scatter([position[d["month"]] for d in away], [d["nights"] for d in away], color=INK, s=10,
                     label="nights away")  # fmt: skip
        twin.set_ylabel("nights away")
    step = max(1, len(months) // 12)
    axes.set_xticks(range(0, len(months), step), months[::step], rotation=60, ha="right")
    axes.set_ylabel("rows (log)")
    axes.legend(frameon=False, fontsize=7, loc="upper left")
    axes.set_title(chart.title, loc="left")
