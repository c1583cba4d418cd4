"""The quota bar: requests used of the limit, what is left, the reset and the poll rate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from rich.text import Text
from textual.widgets import Static

from tempmail_tui.api.models import Quota
from tempmail_tui.core.format import age, count, human_duration, local_time
from tempmail_tui.core.sanitize import clean_line
from tempmail_tui.core.schedule import ScheduleStatus

BAR_WIDTH = 16
LOW_FRACTION = 0.10  # below this share of the limit left, the bar turns to a warning


@dataclass(frozen=True, slots=True)
class QuotaView:
    """Everything the bar shows, gathered by the app."""

    quota: Quota | None
    status: ScheduleStatus | None
    problem: str | None = None


def is_low(quota: Quota | None) -> bool:
    """Whether the quota left is low enough to warn about."""
    return quota is not None and quota.limit > 0 and quota.remaining <= quota.limit * LOW_FRACTION


def quota_text(view: QuotaView, now: datetime | None = None) -> Text:
    """The quota and schedule figures, then a line for each warning or failure."""
    now = now or datetime.now(UTC)
    text = Text(no_wrap=True, overflow="ellipsis")
    quota = view.quota
    if quota is None:
        text.append("Quota: not known yet", style="dim")
    else:
        filled = round(quota.fraction_used * BAR_WIDTH)
        style = "bold red" if is_low(quota) else "green"
        text.append("Quota ")
        text.append("█" * filled, style=style)
        text.append("░" * (BAR_WIDTH - filled), style="dim")
        text.append(f" {count(quota.used)}/{count(quota.limit)} used · ")
        text.append(f"{count(quota.remaining)} left", style=style)
        if quota.reset_at is not None:
            text.append(f" · resets {local_time(quota.reset_at, now=now)}")
        text.append(f" · {age(quota.age(now))}", style="dim")
    status = view.status
    # Figures on the first line; anything the user must act on gets a line of its own.
    notes: list[tuple[str, str]] = []
    if status is not None:
        text.append("  │ ", style="dim")
        text.append(
            f"poll {human_duration(status.fast_interval)}/{human_duration(status.slow_interval)}",
            style="dim",
        )
        if status.burst:
            # On the figures' line: a burst comes and goes without moving the layout.
            skipped = status.burst.startswith("burst skipped")
            text.append(" · ", style="dim")
            text.append(
                clean_line(status.burst, max_chars=120), style="yellow" if skipped else "cyan"
            )
        if status.offline:
            text.append("  ⚠ offline", style="bold red")
        if status.mode not in ("normal", "idle"):
            warn = "bold yellow" if status.mode == "stretched" else "bold red"
            notes.append((clean_line(status.reason, max_chars=200), warn))
    if view.problem:
        notes.append((clean_line(view.problem, max_chars=200), "red"))
    for note, style in notes:
        text.append("\n")
        text.append(note, style=style)
    return text


class QuotaBar(Static):
    """The bar at the bottom of the main screen: one line, more when something is wrong."""

    def __init__(self, *, id: str | None = None) -> None:
        text = Text("Quota: not known yet", style="dim")
        super().__init__(text, id=id)
        self.view = QuotaView(None, None)
        self._shown = text
        # The height the shown text needs at the width it was shown at, once known.
        self._height: tuple[int, int] | None = None

    def show(self, view: QuotaView, *, now: datetime | None = None) -> None:
        """Redraw from these figures; nothing is redrawn while the bar reads the same."""
        self.view = view
        self.set_class(is_low(view.quota), "-low")
        text = quota_text(view, now)
        if text == self._shown:
            return
        self._shown = text
        self.update(text, layout=False)
        # This runs every second: lay the screen out again only when the bar needs another
        # height (a warning line, or a narrow terminal wrapping it), else repaint the bar.
        width = self.content_region.width
        height = (width, self.visual.get_height(self.styles.get_rules(), width) if width > 0 else 0)
        if height != self._height:
            self._height = height
            self.refresh(layout=True)
