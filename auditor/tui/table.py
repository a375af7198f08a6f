"""A virtual table: a DataFrame of any length shown without copying it into widgets.

Textual's stock ``DataTable`` keeps every row as Python objects, which takes minutes
and gigabytes for three million location fixes. :class:`FrameTable` keeps the frame
and renders only the lines on screen (the Line API): each visible block of rows is
taken with ``iloc`` and formatted column by column, vectorised, then cached. Scrolling
to the last of millions of rows costs one block. While the table is hidden (its tab not
on screen), the block it will show first is formatted in a thread worker, so that the
first switch to its tab finds it ready.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import pandas as pd
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.events import Click
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.worker import Worker, WorkerState

BLOCK = 128  # rows formatted at a time; a screen shows ~50
CACHED_BLOCKS = 16
MAX_WIDTH = 42
SAMPLE = 200  # rows at each end that set a column's width
GAP = 2
WARM_WORKER = "format the first block ahead"


def format_rows(frame: pd.DataFrame, order: np.ndarray | None, columns: Sequence[str], start: int) -> list[list[str]]:
    """The cell texts of the ``BLOCK`` rows shown from line ``start`` (``order``: the sorted positions)."""
    stop = min(start + BLOCK, len(frame))
    piece = frame.iloc[order[start:stop]] if order is not None else frame.iloc[start:stop]
    cells = [format_column(piece[c]) for c in columns]
    return [list(texts) for texts in zip(*cells)] if cells else [[] for _ in range(stop - start)]


def format_column(values: pd.Series) -> np.ndarray:
    """Cell texts of one column slice, vectorised: times to the minute, missing values blank."""
    if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(values.dtype):
        text = values.dt.strftime("%Y-%m-%d %H:%M")
    elif pd.api.types.is_float_dtype(values.dtype):
        text = values.map("{:.6g}".format, na_action="ignore")
    elif pd.api.types.is_bool_dtype(values.dtype) and not isinstance(values.dtype, pd.CategoricalDtype):
        text = values.map({True: "yes", False: "no"})
    else:
        text = values.astype("string")
    return text.astype(object).where(values.notna().to_numpy(), "").to_numpy()


class FrameTable(ScrollView, can_focus=True):
    """A scrolling, keyboard-driven view of a DataFrame that renders only the visible rows.

    Rows are addressed by their position in the frame (``iloc``); a sort keeps an order
    array and never copies the frame. Enter posts :class:`RowChosen` with the position.
    """

    DEFAULT_CSS = """
    FrameTable { height: 1fr; }
    FrameTable > .frame-table--header { text-style: bold; background: $panel; }
    FrameTable > .frame-table--cursor { background: $accent 40%; }
    FrameTable:focus > .frame-table--cursor { background: $accent; color: $text; }
    FrameTable > .frame-table--odd { background: $boost; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"frame-table--header", "frame-table--cursor", "frame-table--odd"}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First row", show=False),
        Binding("end", "jump(-1)", "Last row", show=False),
        Binding("left", "scroll_left", "Left", show=False),
        Binding("right", "scroll_right", "Right", show=False),
        Binding("enter", "choose", "Open row", id="table.open-row"),
        Binding("s", "sort_next", "Sort", id="table.sort"),
    ]

    cursor_row = reactive(0, always_update=True)

    class RowHighlighted(Message):
        """The cursor moved to the row at ``position`` in the frame."""

        def __init__(self, table: FrameTable, position: int) -> None:
            super().__init__()
            self.table = table
            self.position = position

        @property
        def control(self) -> FrameTable:
            return self.table

    class RowChosen(Message):
        """Enter (or a double click) on the row at ``position`` in the frame."""

        def __init__(self, table: FrameTable, position: int) -> None:
            super().__init__()
            self.table = table
            self.position = position

        @property
        def control(self) -> FrameTable:
            return self.table

    def __init__(self, frame: pd.DataFrame | None = None, columns: Sequence[str] | None = None, *,
                 sortable: bool = True, empty: str = "no rows", name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:  # fmt: skip
        super().__init__(name=name, id=id, classes=classes)
        self.sortable = sortable
        self.empty = empty
        self.frame = pd.DataFrame()
        self.columns: list[str] = []
        self.widths: list[int] = []
        self.order: np.ndarray | None = None
        self.sort_column: str | None = None
        self.descending = False
        self._blocks: OrderedDict[int, list[list[str]]] = OrderedDict()
        self._warming = False
        if frame is not None:
            self.show(frame, columns)

    # --- data ---------------------------------------------------------------------------------

    def show(self, frame: pd.DataFrame, columns: Sequence[str] | None = None, *, keep_cursor: bool = False) -> None:
        """Show ``frame`` (its ``columns``, all by default); the frame is kept, not copied."""
        self.frame = frame
        self.columns = [c for c in (columns or list(frame.columns)) if c in frame.columns]
        self.order = None
        self.sort_column = None
        self._blocks.clear()
        self.widths = [self._width(c) for c in self.columns]
        self.virtual_size = Size(self._line_width, len(frame) + 1)
        if not keep_cursor or self.cursor_row >= len(frame):
            self.cursor_row = 0
            self.scroll_to(0, 0, animate=False)
        self.refresh()
        self._warm_later()

    @property
    def row_count(self) -> int:
        return len(self.frame)

    def position(self, row: int) -> int:
        """The frame position shown on line ``row`` (after sorting)."""
        return int(self.order[row]) if self.order is not None else row

    @property
    def cursor_position(self) -> int | None:
        return self.position(self.cursor_row) if self.row_count else None

    def row_texts(self, row: int) -> list[str]:
        """The formatted cells of the row shown on line ``row``."""
        start = row - row % BLOCK
        block = self._blocks.get(start)
        if block is None:
            block = format_rows(self.frame, self.order, self.columns, start)
            self._keep_block(start, block)
        else:
            self._blocks.move_to_end(start)
        return block[row - start]  # type: ignore[return-value]

    def _keep_block(self, start: int, block: list[list[str]]) -> None:
        """Cache a formatted block, dropping the least recently used beyond ``CACHED_BLOCKS``."""
        self._blocks[start] = block
        if len(self._blocks) > CACHED_BLOCKS:
            self._blocks.popitem(last=False)

    def _warm_later(self) -> None:
        """Format the block to be shown first in a worker, once this round of changes is over."""
        if not self._warming:
            self._warming = True
            self.call_after_refresh(self._warm)

    def _warm(self) -> None:
        self._warming = False
        if self.size.height or not self.row_count:  # on screen: drawing formats it anyway
            return
        top = round(self.scroll_y)
        start = top - top % BLOCK
        if start in self._blocks:
            return
        frame, order, columns = self.frame, self.order, list(self.columns)

        def work() -> tuple:
            return frame, order, columns, start, format_rows(frame, order, columns, start)

        self.run_worker(work, thread=True, exclusive=True, group=f"warm-{id(self)}", name=WARM_WORKER)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A block formatted ahead is kept if the table still shows what it was formatted from."""
        if event.worker.name != WARM_WORKER or event.state != WorkerState.SUCCESS:
            return
        event.stop()
        frame, order, columns, start, block = event.worker.result
        if frame is self.frame and order is self.order and columns == self.columns and start not in self._blocks:
            self._keep_block(start, block)

    def _width(self, column: str) -> int:
        values = self.frame[column]
        sample = values if len(values) <= 2 * SAMPLE else pd.concat([values.iloc[:SAMPLE], values.iloc[-SAMPLE:]])
        texts = format_column(sample)
        longest = max((len(t) for t in texts), default=0)
        return max(len(column), min(longest, MAX_WIDTH), 3)

    @property
    def _line_width(self) -> int:
        return sum(self.widths) + GAP * len(self.widths)

    # --- sorting ----------------------------------------------------------------------------------

    def sort_by(self, column: str, descending: bool = False) -> None:
        """Order rows by ``column`` (missing values last); the frame itself is not touched."""
        if column not in self.columns:
            return
        values = self.frame[column]
        keys = values.cat.codes if isinstance(values.dtype, pd.CategoricalDtype) and values.cat.ordered else values
        order = pd.Series(keys).reset_index(drop=True).sort_values(ascending=not descending, kind="stable",
                                                                  na_position="last").index.to_numpy()  # fmt: skip
        self.order = order
        self.sort_column, self.descending = column, descending
        self._blocks.clear()
        self.cursor_row = 0
        self.scroll_to(y=0, animate=False)
        self.refresh()
        self._warm_later()

    def action_sort_next(self) -> None:
        """Sort by the next column (each column ascending, then descending)."""
        if not self.sortable or not self.columns:
            return
        if self.sort_column is None:
            self.sort_by(self.columns[0])
        elif not self.descending:
            self.sort_by(self.sort_column, descending=True)
        else:
            following = (self.columns.index(self.sort_column) + 1) % len(self.columns)
            self.sort_by(self.columns[following])

    # --- rendering --------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base = self.rich_style
        if y == 0:
            style = base + self.get_component_rich_style("frame-table--header")
            return self._strip([self._header(c) for c in self.columns], style).crop_extend(scroll_x, scroll_x + width, style)
        row = scroll_y + y - 1
        if row >= self.row_count:
            if row == 0 and not self.row_count:
                return Strip([Segment(self.empty, base + Style(dim=True))]).crop_extend(0, width, base)
            return Strip.blank(width, base)
        style = base
        if row % 2:
            style += self.get_component_rich_style("frame-table--odd")
        if row == self.cursor_row:
            style += self.get_component_rich_style("frame-table--cursor")
        return self._strip(self.row_texts(row), style).crop_extend(scroll_x, scroll_x + width, style)

    def _header(self, column: str) -> str:
        if column == self.sort_column:
            return column + (" v" if self.descending else " ^")
        return column

    def _strip(self, texts: Sequence[str], style: Style) -> Strip:
        parts = []
        for text, width in zip(texts, self.widths):
            text = str(text).replace("\n", " ")
            if len(text) > width:
                # a file path says most at its end (the file inside the archive)
                text = "…" + text[-(width - 1):] if text.startswith(("/", "File")) or "!" in text else text[: width - 1] + "…"
            parts.append(text.ljust(width + GAP))
        return Strip([Segment("".join(parts), style)])

    # --- cursor -----------------------------------------------------------------------------------

    def watch_cursor_row(self, row: int) -> None:
        if not self.row_count:
            return
        self._keep_cursor_visible(row)
        self.refresh()
        self.post_message(self.RowHighlighted(self, self.position(row)))

    def _keep_cursor_visible(self, row: int) -> None:
        visible = max(self.scrollable_content_region.height - 1, 1)
        top = round(self.scroll_y)
        if row < top:
            self.scroll_to(y=row, animate=False)
        elif row >= top + visible:
            self.scroll_to(y=row - visible + 1, animate=False)

    def action_cursor(self, step: int) -> None:
        if self.row_count:
            self.cursor_row = min(max(self.cursor_row + step, 0), self.row_count - 1)

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * max(self.scrollable_content_region.height - 2, 1))

    def action_jump(self, row: int) -> None:
        if self.row_count:
            self.cursor_row = row if row >= 0 else self.row_count + row

    def action_choose(self) -> None:
        if self.row_count:
            self.post_message(self.RowChosen(self, self.position(self.cursor_row)))

    def on_click(self, event: Click) -> None:
        line = event.y
        if line == 0:
            column = self._column_at(event.x + round(self.scroll_x))
            if column is not None and self.sortable:
                self.sort_by(column, descending=column == self.sort_column and not self.descending)
            return
        row = round(self.scroll_y) + line - 1
        if 0 <= row < self.row_count:
            self.cursor_row = row
            if event.chain >= 2:
                self.action_choose()

    def _column_at(self, x: int) -> str | None:
        edge = 0
        for column, width in zip(self.columns, self.widths):
            edge += width + GAP
            if x < edge:
                return column
        return None

    def visible_text(self) -> str:
        """The lines on screen as plain text (what a reader of the screen sees)."""
        height = self.scrollable_content_region.height
        return "\n".join(self.render_line(y).text for y in range(height))
