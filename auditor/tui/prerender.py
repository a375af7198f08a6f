"""Rich renderables drawn once per width, and drawn ahead for tabs not yet on screen.

A ``Static`` holding a Rich renderable renders it twice whenever its content or width
changes: once to measure its height for the layout, once more for its lines. For the
"So far off?" tab (dozens of tables) that was 0.25 s each, so the first switch to it
took about 0.6 s. :class:`Prerendered` wraps a renderable and keeps the lines it
rendered per width: the second pass, and every later layout at that width, replays
them. :func:`prerender` renders them in a thread worker while the tab is still hidden,
at the width the tab will have (:func:`expected_width`), so that the first switch finds
them ready. The lines are exactly those the renderable gives; only the work moves.
"""

from __future__ import annotations

from threading import Lock

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from textual.widget import Widget


class Prerendered:
    """A Rich renderable that renders ``renderable`` once per width and replays the lines."""

    def __init__(self, renderable: RenderableType) -> None:
        self.renderable = renderable
        self._lines: dict[tuple, list[list[Segment]]] = {}
        self._lock = Lock()  # a worker may be drawing ahead while the screen asks for the same width
        self.renders = 0  # how often the renderable itself was rendered (the tests read it)

    @staticmethod
    def _key(options: ConsoleOptions) -> tuple:
        # everything in the options that changes what a renderable draws (not the height: the
        # lines are kept whole, and Textual cuts them to the widget's height itself)
        return (options.max_width, options.min_width, options.justify, options.overflow, options.no_wrap,
                options.highlight, options.markup, options.encoding, options.legacy_windows)  # fmt: skip

    def lines(self, console: Console, options: ConsoleOptions) -> list[list[Segment]]:
        """The rendered lines at ``options``' width (rendered now unless kept)."""
        key = self._key(options)
        with self._lock:
            lines = self._lines.get(key)
            if lines is None:
                lines = console.render_lines(self.renderable, options.update(height=None), pad=False)
                self._lines[key] = lines
                self.renders += 1
            return lines

    def has_width(self, width: int) -> bool:
        """Whether lines of this width are kept."""
        return any(key[0] == width for key in self._lines)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        newline = Segment.line()
        for line in self.lines(console, options):
            yield from line
            yield newline

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.renderable)


def expected_width(widget: Widget) -> int | None:
    """The content width ``widget`` will have once shown, read off its nearest visible ancestor.

    Each hidden container between them takes its margin, border and padding, and the
    width of a vertical scrollbar where it keeps one (``scrollbar-gutter: stable`` or
    ``overflow-y: scroll``). None when that cannot be told: no ancestor laid out yet, a
    hidden container that lays its children side by side (they share its width), a
    width of its own, or a scrollbar that comes and goes with the content.
    """
    if widget.size.width:
        return widget.content_size.width
    taken = widget.styles.gutter.width
    child: Widget = widget
    node = widget.parent
    while isinstance(node, Widget):
        if not _full_width(child):
            return None
        taken += child.styles.margin.width
        if node.size.width:
            return node.scrollable_content_region.width - taken
        styles = node.styles
        if styles.layout is not None and styles.layout.name != "vertical":
            return None
        taken += styles.gutter.width
        if styles.overflow_y == "scroll" or (
            styles.overflow_y == "auto" and styles.scrollbar_gutter == "stable"
        ):
            taken += styles.scrollbar_size_vertical
        elif styles.overflow_y == "auto" and node.is_scrollable:
            return None
        child, node = node, node.parent
    return None


def _full_width(widget: Widget) -> bool:
    width = widget.styles.width
    return width is None or (width.is_fraction and widget.styles.max_width is None)


def prerender(widget: Widget, view: Prerendered) -> None:
    """Render ``view`` in a thread at the width ``widget`` will have, unless it is on screen.

    On screen, the layout renders it at once anyway. The worker only fills the view's
    own cache; if the screen needs the lines first, it renders them itself and the
    worker finds them kept (the lock makes one wait for the other, never both render).
    """
    width = expected_width(widget)
    if widget.size.width or width is None or width <= 0:
        return
    app = widget.app
    options = app.console_options.update_width(width).update(highlight=False)
    console = app.console
    widget.run_worker(lambda: view.lines(console, options), thread=True, exclusive=True,
                      group=f"prerender-{widget.id}", name="prerender")  # fmt: skip
