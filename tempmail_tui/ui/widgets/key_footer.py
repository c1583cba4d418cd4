"""The footer: Textual's look, with the keys drawn by one widget instead of one widget each.

Textual's ``Footer`` makes a ``FooterKey`` widget per key: 17 on the main screen, half the
screen's widgets. Every focus change rebuilds them (the bindings change), and everything that
visits each widget (a test's wait for the screen to be idle, style updates) visits them all.
``KeyFooter`` is that ``Footer`` (same CSS, compact mode, command palette key docked on the
right as Textual's own ``FooterKey``) with the other keys in one ``KeyRow``, which draws each
key as ``FooterKey`` does, from the same component styles, and finds a click, a hover and a
tooltip by the x position. Grouped bindings (none here) are left to Textual's own compose.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.geometry import Size
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


@dataclass(frozen=True)
class KeyItem:
    """One key as the footer shows it."""

    key: str
    display: str
    description: str
    enabled: bool
    tooltip: str


class KeyRow(Widget):
    """The footer's keys (all but the palette's) in one widget, each drawn as FooterKey draws it."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"footer-key--key", "footer-key--description", "footer-key--hover"}

    compact = reactive(True, layout=True)
    """Display compact style (bound to the footer's); the gaps change the row's width."""
    hovered: reactive[int | None] = reactive(None)
    """The index of the key under the mouse."""

    def __init__(self, items: Sequence[KeyItem]) -> None:
        super().__init__()
        self.items = tuple(items)
        # As FooterKey: the row keeps its width when the keys do not fit.
        self.set_reactive(Widget.shrink, False)

    def _item_texts(self) -> list[Text]:
        """Each key's text, styled as FooterKey's render styles it (margins not included)."""
        key_style = self.get_component_rich_style("footer-key--key")
        description_style = self.get_component_rich_style("footer-key--description")
        key_padding = self.get_component_styles("footer-key--key").padding
        description_padding = self.get_component_styles("footer-key--description").padding
        base = self.rich_style
        texts: list[Text] = []
        for index, item in enumerate(self.items):
            key = " " * key_padding.left + item.display + " " * key_padding.right
            if item.description:
                description = (
                    " " * description_padding.left
                    + item.description
                    + " " * description_padding.right
                )
                text = Text.assemble((key, key_style), (description, description_style))
            else:
                text = Text.assemble((item.display, key_style))
            style = base
            if not item.enabled:
                style += Style(dim=True)
            text.stylize_before(style)
            if index == self.hovered:
                # FooterKey:hover's background shows through the keys' transparent ones.
                hover = self.get_component_rich_style("footer-key--hover")
                text.stylize(Style(bgcolor=hover.bgcolor))
                text.stylize_before(hover)
            texts.append(text)
        return texts

    def _gap(self) -> int:
        """The space after each key: FooterKey's right margin in a compact footer."""
        return 1 if self.compact else 0

    def _spans(self) -> list[tuple[int, int]]:
        """Where each key starts and ends, in cells."""
        spans: list[tuple[int, int]] = []
        x = 0
        for text in self._item_texts():
            spans.append((x, x + text.cell_len))
            x += text.cell_len + self._gap()
        return spans

    def render_line(self, y: int) -> Strip:
        """The keys side by side; a compact footer's gaps show only the footer's background.

        Drawn as segments, not as one Text: a Text would give the gaps the row's colour too,
        where Textual's margins between FooterKey widgets have a background only.
        """
        if y != 0:
            return Strip.blank(self.size.width, self.rich_style)
        gap = " " * self._gap()
        parent = self.parent
        gap_style = Style(bgcolor=parent.rich_style.bgcolor) if isinstance(parent, Widget) else None
        console = self.app.console
        segments: list[Segment] = []
        for text in self._item_texts():
            segments.extend(text.render(console, end=""))
            if gap:
                segments.append(Segment(gap, gap_style))
        return Strip(segments).crop_extend(0, self.size.width, self.rich_style)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        """As wide as the keys (the footer shows what fits, as with one widget a key)."""
        return sum(text.cell_len + self._gap() for text in self._item_texts())

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """One line."""
        return 1

    def _item_at(self, x: int) -> int | None:
        """The index of the key drawn at column ``x``, if any."""
        for index, (start, end) in enumerate(self._spans()):
            if start <= x < end:
                return index
        return None

    def on_mouse_move(self, event: events.MouseMove) -> None:
        """Highlight the key under the mouse and show its tooltip, as FooterKey's hover does."""
        index = self._item_at(event.x)
        if index != self.hovered:
            self.hovered = index
            self.tooltip = self.items[index].tooltip or None if index is not None else None

    def on_leave(self) -> None:
        """No key is under the mouse any more."""
        self.hovered = None
        self.tooltip = None

    def on_mouse_down(self, event: events.MouseDown) -> None:
        """Press the clicked key, as clicking a FooterKey does (a disabled one rings the bell)."""
        index = self._item_at(event.x)
        if index is None:
            return
        item = self.items[index]
        if item.enabled:
            self.app.simulate_key(item.key)
        else:
            self.app.bell()

    def _watch_compact(self, compact: bool) -> None:
        self.set_class(compact, "-compact")


class KeyFooter(Footer):
    """Textual's Footer with its keys in one ``KeyRow`` (see the module's docstring)."""

    def compose(self) -> ComposeResult:
        """The keys in force (as Footer lists them), then the command palette's key."""
        if not self._bindings_ready:
            return
        active = self.screen.active_bindings
        shown = [
            (binding, enabled, tooltip)
            for (_, binding, enabled, tooltip) in active.values()
            if binding.show
        ]
        by_action: defaultdict[str, list[tuple[Binding, bool, str]]] = defaultdict(list)
        for binding, enabled, tooltip in shown:
            by_action[binding.action].append((binding, enabled, tooltip))
        if _grouped(by_action.values()):
            yield from super().compose()
            return
        self.styles.grid_size_columns = len(by_action)
        items = [
            KeyItem(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                enabled,
                tooltip,
            )
            for binding, enabled, tooltip in (bindings[0] for bindings in by_action.values())
        ]
        yield KeyRow(items).data_bind(compact=Footer.compact)
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            try:
                _node, binding, enabled, _tooltip = active[self.app.COMMAND_PALETTE_BINDING]
            except KeyError:
                return
            yield FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                classes="-command-palette",
                disabled=not enabled,
                tooltip=binding.tooltip or binding.description,
            )


def _grouped(bindings: Iterable[list[tuple[Binding, bool, str]]]) -> bool:
    """Whether Footer would show some of these keys as a group (two or more in a row)."""
    for group, run in groupby(bindings, lambda multi: multi[0][0].group):
        if group is not None and len(list(run)) > 1:
            return True
    return False
