"""A month of a reader's requests for a user who creates boxes every day, on a fake clock.

Shared by the schedule's tests and the benchmark: the real ``PollScheduler``, driven as
the reader drives it (a due check every 0.25 s at most, answers with fresh quota figures).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tempmail_tui.api.models import Quota
from tempmail_tui.core.schedule import BoxInfo, Outcome, PollPolicy, PollScheduler

START = datetime(2026, 6, 1, tzinfo=UTC)
#: Boxes live ten minutes (the API's default).
BOX_LIFE = 600.0
#: The reader looks for due checks this often.
TICK = 0.25


@dataclass
class FakeClock:
    """A clock that moves only when told to."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += timedelta(seconds=seconds)


def month_requests(
    *,
    boxes_a_day: int = 20,
    days: int = 30,
    burst: bool,
    mail_after: float | None,
    limit: int = 500_000,
) -> int:
    """Requests over ``days`` for a user creating ``boxes_a_day`` boxes, each selected at once.

    With ``burst`` each new box is watched for mail (as the reader does on creation);
    ``mail_after`` is when its mail comes (None: never). The creation request counts too.
    """
    clock = FakeClock()
    scheduler = PollScheduler(PollPolicy(), clock=clock, rng=random.Random(5))
    reset = START + timedelta(days=31)
    used = 0
    spacing = 86_400 / boxes_a_day
    live: list[BoxInfo] = []
    for index in range(boxes_a_day * days):
        clock.now = START + timedelta(seconds=index * spacing)
        key = f"box{index}@month.test"
        used += 1  # the POST that created it
        live = [b for b in live if b.expire_at is not None and b.expire_at > clock.now]
        live.append(BoxInfo(key, clock.now + timedelta(seconds=BOX_LIFE)))
        scheduler.set_boxes(live)
        scheduler.select(key)
        if burst:
            scheduler.expect_mail(key)
        mail_at = None if mail_after is None else clock.now + timedelta(seconds=mail_after)
        told = False
        until = START + timedelta(seconds=(index + 1) * spacing)
        while clock.now < until:
            for due in scheduler.due():
                scheduler.started(due)
                used += 1
                scheduler.update_quota(Quota(limit, used, limit - used, reset, clock.now))
                scheduler.finished(due, Outcome.OK)
                if due == key and not told and mail_at is not None and clock.now >= mail_at:
                    told = True
                    scheduler.mail_arrived(key)
            delay = scheduler.seconds_until_next()
            if delay is None:
                break
            clock.advance(min(max(delay, TICK), max(TICK, (until - clock.now).total_seconds())))
    return used
