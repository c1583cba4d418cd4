"""The polling scheduler: the state of every box's checks, and which are due when."""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Final

from tempmail_tui.api.errors import RateLimitError
from tempmail_tui.api.models import Quota
from tempmail_tui.core.schedule.burst import Bursts, choose_burst
from tempmail_tui.core.schedule.clock import aware, utc_now
from tempmail_tui.core.schedule.outcome import Outcome, outcome_for
from tempmail_tui.core.schedule.plan import (
    Horizons,
    Plan,
    SharedUse,
    horizon_end,
    horizons_of,
    live_quota,
    plan_for,
    reset_of,
)
from tempmail_tui.core.schedule.policy import (
    DEFAULT_RATE_LIMIT_PAUSE,
    MAX_RATE_LIMIT_PAUSE,
    PollPolicy,
    backoff_delay,
)
from tempmail_tui.core.schedule.status import (
    BoxInfo,
    Mode,
    ScheduleStatus,
    format_interval,
    format_moment,
)

# Named for the package, so log lines read the same whichever part of it writes them.
log = logging.getLogger("tempmail_tui.core.schedule")

#: How long a computed plan is reused while nothing else changes (horizons move with time).
_PLAN_TTL: Final = 1.0


class PollScheduler:
    """Decides which mailboxes are due, keeping the projected spend within the quota.

    The caller drives it: ``due()`` on a timer, ``started()`` when a request goes out,
    ``finished()`` when it ends, ``update_quota()`` whenever new figures arrive. It
    starts nothing itself and is not thread-safe: call it from one thread (the UI's).
    """

    def __init__(
        self,
        policy: PollPolicy | None = None,
        *,
        clock: Callable[[], datetime] = utc_now,
        rng: random.Random | None = None,
        display_tz: tzinfo | None = None,
    ) -> None:
        self.policy = policy or PollPolicy()
        self._clock = clock
        self._rng = rng or random.Random()
        # None shows times in the local zone.
        self._display_tz = display_tz
        self._boxes: dict[str, BoxInfo] = {}
        self._selected: str | None = None
        self._quota: Quota | None = None
        # Requests that may have been charged but are not yet in the quota figures.
        self._unaccounted = 0
        self._in_flight: set[str] = set()
        self._started_at: dict[str, datetime] = {}
        self._last_done: dict[str, datetime] = {}
        self._manual: set[str] = set()
        self._gone: set[str] = set()
        self._failures: dict[str, int] = {}
        self._retry_at: dict[str, datetime] = {}
        self._paused_until: datetime | None = None
        # Whether the pause is the monthly stop (quota spent) rather than a short rate limit.
        self._pause_is_monthly = False
        self._offline = False
        self._net_failures = 0
        self._net_retry_at: datetime | None = None
        self._net_failed_at: datetime | None = None
        self._plan_cache: tuple[datetime, Plan] | None = None
        self._logged_plan: tuple[str, int, int] | None = None
        self._bursts = Bursts()
        # What the other pollers on this machine project (None: this one plans alone).
        self._shared: SharedUse | None = None
        #: Requests this scheduler has seen go out, for the shared budget's ledger.
        self.requests_made = 0

    # -- inputs -------------------------------------------------------------------------

    def set_boxes(self, boxes: Sequence[BoxInfo]) -> None:
        """Replace the set of mailboxes to poll; state of boxes no longer listed is dropped."""
        fresh = {b.key: b for b in boxes}
        if fresh == self._boxes:
            return
        for key in self._boxes.keys() - fresh.keys():
            self._last_done.pop(key, None)
            self._failures.pop(key, None)
            self._retry_at.pop(key, None)
            self._gone.discard(key)
            self._bursts.running.pop(key, None)
        self._boxes = fresh
        self._plan_cache = None
        for key, paid in self._bursts.due_pending(fresh.keys(), self._clock()):
            self.expect_mail(key, paid=paid)

    def select(self, key: str | None) -> None:
        """Make ``key`` the box polled at the fast rate (None: no box is selected)."""
        if key != self._selected:
            self._selected = key
            self._plan_cache = None

    def update_quota(self, quota: Quota | None) -> None:
        """Take new quota figures; older figures than those held are ignored."""
        if quota is None:
            if self._quota is not None:
                self._quota = None
                self._plan_cache = None
            return
        current = self._quota
        if current is not None and aware(quota.seen_at) <= aware(current.seen_at):
            return  # the same figures again, or a late answer overtaken by a newer one
        self._quota = quota
        # Requests still running may be charged after these figures were taken.
        self._unaccounted = len(self._in_flight)
        self._plan_cache = None
        if current is None:
            # An unpaid burst chosen with no figures had no bound: fit it to them now.
            now = self._clock()
            for key, burst in list(self._bursts.running.items()):
                if not burst.paid and burst.fast_at(now):
                    self.expect_mail(key, paid=False)

    def share(self, shared: SharedUse | None) -> None:
        """Take what the other live pollers on this machine project (None: plan alone)."""
        if shared != self._shared:
            self._shared = shared
            self._plan_cache = None

    def expect_mail(self, key: str, *, paid: bool = True) -> str:
        """Check ``key`` fast for a while (mail is likely soon); what was decided, in words.

        The burst fits the quota plan (see ``burst.py``): ``paid`` bursts are repaid by the
        box's later checks, unpaid ones (a wait, which ends with the mail) use what the
        plan leaves spare. It shrinks when the plan is stretched and is skipped at the
        reserve. A box not given yet gets its burst when ``set_boxes`` brings it.
        """
        now = self._clock()
        box = self._boxes.get(key)
        if box is None:
            self._bursts.pending[key] = (now, paid)
            return "watching for new mail once the mailbox is listed"
        old = self._bursts.running.pop(key, None)
        # Asked again before the last one is paid back: the new one inherits what is owed.
        left = old.left() if old is not None and old.paid and now < old.horizon_end else None
        self._plan_cache = None
        plan = self._plan(now)
        end = horizon_end(self.policy, box, now, reset_of(live_quota(self._quota, now)))
        spare = None if plan.budget is None else plan.budget - plan.projected
        # The box the user acts on is the one they look at: its allowance is the fast pace's.
        choice = choose_burst(
            self.policy,
            now,
            end,
            plan.fast,
            reserve=plan.mode == "reserve",
            spare=spare,
            paid=paid,
            left=left if paid else None,
        )
        log.info("%s (%s)", choice.reason, key)
        self._bursts.chosen(key, choice, now)
        if choice.burst is None and left is not None and old is not None:
            # No new burst: the old one's fast checks end, its payback goes on.
            old.ends = min(old.ends, now)
            self._bursts.running[key] = old
        self._plan_cache = None
        return choice.reason

    def mail_arrived(self, key: str) -> None:
        """New mail came in for ``key``: its burst's fast phase ends (the payback goes on)."""
        burst = self._bursts.running.get(key)
        now = self._clock()
        if burst is not None and burst.fast_at(now):
            burst.ends = now
            self._plan_cache = None
            log.info("new mail in %s: the burst ends", key)

    def wanted(self) -> int:
        """Requests this schedule projects until the reset at its normal intervals."""
        now = self._clock()
        return self._horizons(now).cost(self.policy.fast_interval, self.policy.slow_interval)

    def request_manual(self, key: str) -> bool:
        """Make ``key`` due now whatever the mode; False if a request for it is running."""
        if key in self._in_flight:
            return False
        self._manual.add(key)
        return True

    def started(self, key: str) -> None:
        """Record that a request for ``key`` went out."""
        now = self._clock()
        self._in_flight.add(key)
        self._started_at[key] = now
        self._manual.discard(key)
        self._unaccounted += 1
        self.requests_made += 1
        burst = self._bursts.running.get(key)
        if burst is not None:
            burst.spent += 1
        self._plan_cache = None

    def checked_within(self, key: str, seconds: float) -> bool:
        """Whether a check of ``key`` is running or ended successfully in the last ``seconds``."""
        if key in self._in_flight:
            return True
        done = self._last_done.get(key)
        if done is None or key in self._failures:
            return False
        return (self._clock() - done).total_seconds() <= seconds

    def abandon(self, key: str) -> None:
        """Forget a request for ``key`` that was cancelled before it ended (no outcome)."""
        self._in_flight.discard(key)
        self._started_at.pop(key, None)
        self._plan_cache = None

    def finished_after(self, key: str, error: BaseException | None) -> None:
        """Record how a poll of ``key`` ended from its error (None: it succeeded)."""
        if isinstance(error, RateLimitError):
            if error.quota_spent:
                # The monthly stop: until the reset the server named (or the last known one).
                self.finished(key, Outcome.RATE_LIMITED, retry_at=error.retry_at)
            else:
                self.finished(key, Outcome.RATE_LIMITED, retry_after=error.retry_after)
            return
        self.finished(key, outcome_for(error))

    def finished(
        self,
        key: str,
        outcome: Outcome,
        *,
        retry_at: datetime | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Record how a request for ``key`` ended.

        With a 429, ``retry_after`` (seconds) marks a short rate limit; otherwise it is the
        monthly stop, paused until ``retry_at`` or the quota's reset.
        """
        now = self._clock()
        self._in_flight.discard(key)
        started_at = self._started_at.pop(key, now)
        self._last_done[key] = now
        self._plan_cache = None
        log.debug("check of %s ended: %s", key, outcome.name.lower())
        if outcome is Outcome.NETWORK_ERROR:
            self._network_failed(started_at, now)
            return
        # Any answer from the server proves the network works.
        self._offline = False
        self._net_failures = 0
        self._net_retry_at = None
        if outcome is Outcome.OK:
            self._failures.pop(key, None)
            self._retry_at.pop(key, None)
        elif outcome is Outcome.RATE_LIMITED:
            if retry_after is not None or (retry_at is None and not self._quota_spent()):
                self._short_pause(now, retry_after)
            else:
                self._pause(now, retry_at)
        elif outcome is Outcome.LOCAL_ERROR:
            # The server answered; what failed is here, and polling slower would not mend it.
            self._failures.pop(key, None)
            self._retry_at.pop(key, None)
        elif outcome is Outcome.GONE:
            self._gone.add(key)
            self._failures.pop(key, None)
            self._retry_at.pop(key, None)
        else:
            failures = self._failures.get(key, 0) + 1
            self._failures[key] = failures
            delay = backoff_delay(
                self.policy, failures, self._interval_of(key, self._plan(now)), self._rng
            )
            self._retry_at[key] = now + timedelta(seconds=delay)
            log.info("%s failed %d times in a row: next try in %.1f s", key, failures, delay)

    def _network_failed(self, started_at: datetime, now: datetime) -> None:
        # Requests that were already running when the network failed are the same
        # outage, not further evidence: only a request sent after it counts again.
        if self._net_failed_at is not None and started_at <= self._net_failed_at:
            return
        self._offline = True
        self._net_failures += 1
        self._net_failed_at = now
        # The outage stops every box's checks: the first retry comes at the pace of the box
        # checked most often (a burst's 1 s), not of whichever box happened to fail (1 min).
        delay = backoff_delay(
            self.policy, self._net_failures, self._pace(now, self._plan(now)), self._rng
        )
        self._net_retry_at = now + timedelta(seconds=delay)
        log.info("offline (%d failures in a row): next try in %.1f s", self._net_failures, delay)

    def _quota_spent(self) -> bool:
        """Whether the last quota figures say the month's requests are all used."""
        return self._quota is not None and self._quota.remaining == 0

    def _short_pause(self, now: datetime, retry_after: float | None) -> None:
        """A short rate limit: pause as long as the server asked (bounded, jittered), then go on."""
        wait = DEFAULT_RATE_LIMIT_PAUSE if retry_after is None else retry_after
        wait = min(max(wait, 1.0), MAX_RATE_LIMIT_PAUSE)
        # Later, never sooner, than asked; the spread keeps clients from coming back at once.
        until = now + timedelta(seconds=wait * self._rng.uniform(1.0, 1.2))
        if self._paused_until is None or until > self._paused_until:
            self._paused_until = until
            self._pause_is_monthly = False
            log.info("rate limited: automatic checks resume at %s", until.isoformat())

    def _pause(self, now: datetime, retry_at: datetime | None) -> None:
        until: datetime | None = None
        if retry_at is not None and aware(retry_at) > now:
            until = aware(retry_at)
        elif (reset := reset_of(self._quota)) is not None and reset > now:
            until = reset
        if until is None:
            until = now + timedelta(seconds=DEFAULT_RATE_LIMIT_PAUSE)
        if self._paused_until is None or until > self._paused_until:
            self._paused_until = until
            self._pause_is_monthly = True
            log.info("quota spent: automatic checks paused until %s", until.isoformat())

    # -- outputs ------------------------------------------------------------------------

    def due(self) -> list[str]:
        """Boxes to poll now, selected first; none is in flight or (unless asked for) expired."""
        now = self._clock()
        plan = self._plan(now)
        manual = [k for k in self._manual if k not in self._in_flight]
        manual.sort(key=lambda k: (k != self._selected, k))
        result = list(manual)
        if not self._auto_allowed(now, plan):
            return result
        candidates: list[tuple[bool, datetime, str]] = []
        for key in self._boxes:
            if key in manual:
                continue
            at = self._due_at(key, now, plan)
            if at is not None and at <= now:
                candidates.append((key != self._selected, at, key))
        candidates.sort()
        auto = [key for _, _, key in candidates]
        if self._offline:
            # While offline, one probe at a time tells whether the network is back.
            auto = auto[:1] if not self._in_flight and not manual else []
        if plan.budget is not None:
            # Manual requests are spent first; automatic ones never dig into the reserve.
            auto = auto[: max(0, plan.budget - len(manual))]
        return result + auto

    def seconds_until_next(self) -> float | None:
        """Seconds until something is due (0: now), or None while nothing will be due."""
        now = self._clock()
        if any(k not in self._in_flight for k in self._manual):
            return 0.0
        plan = self._plan(now)
        gate = now
        if self._paused_until is not None and self._paused_until > now:
            gate = self._paused_until
        if plan.mode == "reserve":
            reset = reset_of(self._quota)
            if reset is None:
                return None
            # After the reset the figures are stale and the defaults apply again.
            gate = max(gate, reset)
        if self._offline:
            if self._in_flight:
                return None  # a probe is running; its end decides
            if self._net_retry_at is not None:
                gate = max(gate, self._net_retry_at)
        earliest: datetime | None = None
        for key in self._boxes:
            at = self._due_at(key, now, plan)
            if at is not None and (earliest is None or at < earliest):
                earliest = at
        if earliest is None:
            return None
        return max(0.0, (max(earliest, gate) - now).total_seconds())

    def status(self) -> ScheduleStatus:
        """The current mode, intervals and a human reason."""
        now = self._clock()
        plan = self._plan(now)
        mode: Mode
        paused = self._paused_until if self._paused_until and self._paused_until > now else None
        if paused is not None and self._pause_is_monthly:
            mode = "paused"
            reason = (
                f"the monthly request quota is used up: automatic checks paused until "
                f"{format_moment(paused, now, self._display_tz)}; a manual refresh still works"
            )
        elif paused is not None:
            mode = "paused"
            pause_left = format_interval(math.ceil((paused - now).total_seconds()))
            reason = f"rate limited, retrying in {pause_left}"
        elif plan.mode == "reserve":
            mode, reason = "reserve", plan.reason
        elif self._offline:
            mode = "offline"
            if self._net_retry_at is not None and self._net_retry_at > now:
                wait = (self._net_retry_at - now).total_seconds()
                reason = f"offline: trying again in {format_interval(wait)}"
            else:
                reason = "offline: trying again now"
        elif not self._live_keys(now):
            mode, reason = "idle", "no live mailbox to check"
        else:
            mode, reason = plan.mode, plan.reason
        return ScheduleStatus(
            mode=mode,
            fast_interval=plan.fast,
            slow_interval=plan.slow,
            reason=reason,
            paused_until=paused,
            offline=self._offline,
            projected_requests=plan.projected,
            burst=self._bursts.status(self._live_keys(now), self._selected, now),
        )

    @property
    def in_flight(self) -> frozenset[str]:
        """Boxes with a request running."""
        return frozenset(self._in_flight)

    # -- internals ----------------------------------------------------------------------

    def _auto_allowed(self, now: datetime, plan: Plan) -> bool:
        if self._paused_until is not None:
            if now < self._paused_until:
                return False
            self._paused_until = None
        if plan.mode == "reserve":
            return False
        return not (self._offline and self._net_retry_at is not None and now < self._net_retry_at)

    def _live_keys(self, now: datetime) -> list[str]:
        return [
            key
            for key, box in self._boxes.items()
            if key not in self._gone and not box.is_expired(now)
        ]

    def _interval_of(self, key: str, plan: Plan) -> float | None:
        if key not in self._boxes:
            return None
        return plan.fast if key == self._selected else plan.slow

    def _pace(self, now: datetime, plan: Plan) -> float | None:
        """The shortest interval a live box is checked at now (a burst's fast phase counts)."""
        keys = self._live_keys(now)
        paces = [plan.fast if key == self._selected else plan.slow for key in keys]
        paces.extend(self._bursts.fast_intervals(keys, now))
        return min(paces, default=None)

    def _due_at(self, key: str, now: datetime, plan: Plan) -> datetime | None:
        """When ``key`` is next due automatically, or None if it is not polled."""
        box = self._boxes.get(key)
        if box is None or key in self._in_flight or key in self._gone or box.is_expired(now):
            return None
        retry = self._retry_at.get(key)
        if retry is not None:
            return retry
        last = self._last_done.get(key)
        if last is None:
            return now
        interval = plan.fast if key == self._selected else plan.slow
        return self._bursts.next_check(key, last, now, interval)

    def _plan(self, now: datetime) -> Plan:
        cached = self._plan_cache
        if cached is not None and 0 <= (now - cached[0]).total_seconds() < _PLAN_TTL:
            return cached[1]
        plan = self._compute_plan(now)
        self._plan_cache = (now, plan)
        shape = (plan.mode, round(plan.fast), round(plan.slow))
        if shape != self._logged_plan:
            # Logged when the intervals change, not on every recomputation.
            self._logged_plan = shape
            log.info(
                "poll plan %s: selected every %s, others every %s, %d requests projected%s",
                plan.mode,
                format_interval(plan.fast),
                format_interval(plan.slow),
                plan.projected,
                f" ({plan.reason})" if plan.reason else "",
            )
        return plan

    def _horizons(self, now: datetime) -> Horizons:
        """The live boxes' horizons; a box in a burst counts what its allowance has left."""
        reset = reset_of(live_quota(self._quota, now))
        keys = self._live_keys(now)
        bursting = self._bursts.live(keys, now)
        live = [self._boxes[key] for key in keys if key not in bursting]
        horizons = horizons_of(self.policy, live, self._selected, now, reset)
        fixed = sum(self._bursts.running[key].left() for key in bursting)
        return Horizons(horizons.selected, horizons.others, fixed)

    def _compute_plan(self, now: datetime) -> Plan:
        quota = live_quota(self._quota, now)
        return plan_for(
            self.policy,
            self._horizons(now),
            quota,
            self._unaccounted,
            now,
            self._display_tz,
            self._shared,
        )
