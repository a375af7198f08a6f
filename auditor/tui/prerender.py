"""Rich renderables drawn once per width, and drawn ahead for tabs not yet on screen.

A ``Static`` holding a Rich renderable renders it twice whenever its content or width
changes: once to measure its height for the layout, once more for its lines. For the
"So far off?" tab (dozens of tables) that was 0.25 s each, so the first switch to it
took about 0.6 s. :class:`Prerendered` wraps a renderable and keeps the lines it
rendered per width: the second pass, and every later layout at that width, replays
them. :func:`prerender` renders them in a thread worker while the tab is still hidden,
at the width the tab will have (:func:`expected_width`), so that the first switch finds
them ready, and :class:`LinesView` shows them making strips of the lines on screen only.
The lines are exactly those the renderable gives; only the work moves.
"""

from __future__ import annotations

from threading import Lock

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from textual.app import App
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
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
    """The width ``widget`` will draw its content at once shown, read off its nearest visible ancestor.

    The widget and each hidden container between them take their margin, border and
    padding, and the width of a vertical scrollbar where they keep one
    (``scrollbar-gutter: stable`` or ``overflow-y: scroll``). None when that cannot be
    told: no ancestor laid out yet, a hidden container that lays its children side by
    side (they share its width), a width of its own, or a scrollbar that comes and goes
    with the content.
    """
    if widget.size.width:
        return widget.scrollable_content_region.width
    scrollbar = _kept_scrollbar(widget)
    if scrollbar is None:
        return None
    taken = widget.styles.gutter.width + scrollbar
    child: Widget = widget
    node = widget.parent
    while isinstance(node, Widget):
        if not _full_width(child):
            return None
        taken += child.styles.margin.width
        if node.size.width:
            return node.scrollable_content_region.width - taken
        if node.styles.layout is not None and node.styles.layout.name != "vertical":
            return None
        scrollbar = _kept_scrollbar(node)
        if scrollbar is None:
            return None
        taken += node.styles.gutter.width + scrollbar
        child, node = node, node.parent
    return None


def _kept_scrollbar(widget: Widget) -> int | None:
    """The width of the vertical scrollbar ``widget`` always keeps (0: none); None: it depends on the content."""
    styles = widget.styles
    if styles.overflow_y == "scroll" or (styles.overflow_y == "auto" and styles.scrollbar_gutter == "stable"):
        return styles.scrollbar_size_vertical
    if styles.overflow_y == "auto" and (widget.is_scrollable or isinstance(widget, ScrollView)):
        return None
    return 0


def _full_width(widget: Widget) -> bool:
    width = widget.styles.width
    return width is None or (width.is_fraction and widget.styles.max_width is None)


class LinesView(ScrollView, can_focus=True):
    """A scrolling view of a :class:`Prerendered` renderable that makes strips of the visible lines only.

    A ``Static`` turns every line of its content into a strip (with its caches) when it is
    first drawn: for the hundreds of lines of "So far off?" that alone was most of the
    first switch to it. Here a line becomes a strip when it scrolls into view. The lines
    are drawn at the view's width less its scrollbar, which it always keeps, so the width
    is known before the view is first shown (:func:`prerender`).
    """

    DEFAULT_CSS = """
    LinesView { height: 1fr; scrollbar-gutter: stable; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.view: Prerendered | None = None
        self._lines: list[list[Segment]] = []

    def show_view(self, view: Prerendered) -> None:
        """Show ``view`` from its top; drawn ahead in a worker while this view is hidden."""
        self.view = view
        self._lines = []
        self.scroll_to(0, 0, animate=False)
        if self.size.width:
            self._take_lines()
        else:
            prerender(self, view)
        self.refresh()

    def on_resize(self) -> None:
        self._take_lines()

    def _take_lines(self) -> None:
        width = self.scrollable_content_region.width
        if self.view is None or width <= 0:
            return
        self._lines = self.view.lines(self.app.console, _options(self.app, width))
        self.virtual_size = Size(width, len(self._lines))

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        base = self.rich_style
        row = scroll_y + y
        if row >= len(self._lines):
            return Strip.blank(width, base)
        return Strip(self._lines[row]).apply_style(base).crop_extend(scroll_x, scroll_x + width, base)

    def visible_text(self) -> str:
        """The lines on screen as plain text."""
        return "\n".join(self.render_line(y).text for y in range(self.scrollable_content_region.height))


def prerender(widget: Widget, view: Prerendered) -> None:
    """Render ``view`` in a thread at the width ``widget`` will have, unless it is on screen.

    On screen, the layout renders it at once anyway. The worker only fills the view's
    own cache; if the screen needs the lines first, it renders them itself and the
    worker finds them kept (the lock makes one wait for the other, never both render).
    """
    if widget.size.width:
        return
    width = expected_width(widget)
    if width is None or width <= 0:
        return
    console, options = widget.app.console, _options(widget.app, width)
    widget.run_worker(lambda: view.lines(console, options), thread=True, exclusive=True,
                      group=f"prerender-{widget.id}", name="prerender")  # fmt: skip


def _options(app: App, width: int) -> ConsoleOptions:
    """The options lines are drawn with at ``width``: the same ahead and on screen, so the kept lines match."""
    return app.console_options.update_width(width).update(highlight=False)
