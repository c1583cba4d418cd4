"""This process's part in the quota budget shared through the store with other pollers."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Literal

from tempmail_tui.core.schedule import PollScheduler

# SQLite loads with the store, when a wait starts, not with the command line.
if TYPE_CHECKING:
    from tempmail_tui.core.mail import MailService
    from tempmail_tui.core.store import PollerBeat

#: Seconds between two heartbeats of a poller.
BEAT_EVERY: Final = 1.0
#: Seconds between the reader's heartbeats while its last one found no other poller: an
#: idle reader alone on the machine writes a third as often. A newcomer sees its row at
#: once (the row says this interval, so it is not taken for stale), and the reader beats
#: every ``BEAT_EVERY`` again from the beat that finds it.
ALONE_BEAT_EVERY: Final = 3.0

PollerKind = Literal["reader", "wait", "api"]


@dataclass(frozen=True)
class BudgetShare:
    """One poller's place in the shared budget: its id, kind and heartbeat."""

    kind: PollerKind
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    every: float = BEAT_EVERY
    #: The interval while the last beat found no other poller (None: always ``every``).
    alone_every: float | None = None

    def interval(self, *, alone: bool) -> float:
        """Seconds until the next beat, given whether the last one found no other poller."""
        return self.alone_every if alone and self.alone_every is not None else self.every

    def beat(self, scheduler: PollScheduler, *, alone: bool = False) -> PollerBeat:
        """The heartbeat that tells the others what this poller's schedule projects.

        It says when the next one comes (``interval``), so the others judge it stale only
        after missing several of those.
        """
        from tempmail_tui.core.store import PollerBeat

        every = self.interval(alone=alone)
        return PollerBeat(self.id, self.kind, every, scheduler.wanted(), scheduler.requests_made)


async def keep_sharing(service: MailService, scheduler: PollScheduler, share: BudgetShare) -> None:
    """Beat until cancelled, giving the scheduler the others' projection after each beat.

    For a poller that runs on the service's loop (``wait``, the Python API); the reader
    beats from its tick instead. Leaves the budget when cancelled.
    """
    try:
        while True:
            scheduler.share(await service.share_budget(share.beat(scheduler)))
            await asyncio.sleep(share.every)
    finally:
        await asyncio.shield(service.leave_budget(share.id))
