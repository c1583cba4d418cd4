"""The screen's compositor, drawing for a partial update only the widgets and lines it touches."""

from __future__ import annotations

from collections.abc import Iterable

from textual._compositor import Compositor
from textual.geometry import Region
from textual.strip import Strip


class CroppedCompositor(Compositor):
    """Textual's compositor, but an update asks each widget only for the lines it repaints.

    Textual asks every widget whose container overlaps the updated area for all its visible
    lines, then keeps the few it needs: a cursor key in the message list drew the sidebar,
    the reader, the footer and the screen whole (170 lines through the style cache and the
    colour filter for the list's 11). Here a widget outside the area is not asked, and one
    inside it is asked for the area's lines only. Columns are left whole: the compositor
    cuts lines at widget edges, so a widget's strips must start at its own left edge.
    """

    def _get_renders(
        self, crop: Region | None = None
    ) -> Iterable[tuple[Region, Region, list[Strip]]]:
        """The widgets' lines for ``crop`` (see the class): their region, clip and strips."""
        if crop is None:
            yield from super()._get_renders(crop)
            return
        top, bottom = crop.y, crop.bottom
        for widget, (region, clip) in self.visible_widgets.items():
            shown = region.intersection(clip)
            if not shown.overlaps(crop):
                continue  # none of its cells is repainted
            # Only the crop's lines: the clip passed back makes the compositor place these
            # strips from the first of them.
            first, last = max(shown.y, top), min(shown.bottom, bottom)
            lines = Region(shown.x, first, shown.width, last - first)
            yield (
                region,
                lines,
                widget.render_lines(
                    Region(shown.x - region.x, first - region.y, shown.width, last - first)
                ),
            )
