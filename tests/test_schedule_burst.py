"""Expect-mail bursts and the budget shared between pollers, on the schedule's fake clock."""

from __future__ import annotations

import itertools
import random
from datetime import timedelta

import pytest

from tempmail_tui.core.schedule import BoxInfo, Outcome, PollPolicy, PollScheduler, SharedUse
from tests.schedule_month import month_requests
from tests.test_schedule import HOUR, T0, FakeClock, quota

LIFE = timedelta(minutes=10)


def scheduler(clock: FakeClock, *, expire: timedelta = LIFE) -> PollScheduler:
    sched = PollScheduler(PollPolicy(), clock=clock, rng=random.Random(3))
    sched.set_boxes([BoxInfo("new@x.test", T0 + expire)])
    sched.select("new@x.test")
    return sched


def check_times(
    sched: PollScheduler, clock: FakeClock, seconds: float, *, mail_at: float | None = None
) -> list[float]:
    """Seconds from the start at which checks went out, the clock moved as the reader does."""
    times: list[float] = []
    used = 0
    while (elapsed := (clock.now - T0).total_seconds()) < seconds:
        for key in sched.due():
            sched.started(key)
            used += 1
            sched.update_quota(
                quota(50_000 - used, reset_at=T0 + timedelta(days=20), seen_at=clock.now)
            )
            sched.finished(key, Outcome.OK)
            times.append(elapsed)
            if mail_at is not None and elapsed >= mail_at:
                sched.mail_arrived(key)
                mail_at = None
        delay = sched.seconds_until_next()
        if delay is None:
            break
        clock.advance(max(delay, 0.25))
    return times


def test_a_burst_checks_every_second_and_the_box_pays_it_back_before_it_expires() -> None:
    clock = FakeClock()
    sched = scheduler(clock)
    said = sched.expect_mail("new@x.test")
    assert said == "watching for new mail: every 1 s for 1 min 25 s"
    assert sched.status().burst == said
    times = check_times(sched, clock, 700)
    fast = [t for t in times if t < 85]
    assert len(fast) == 85  # every second
    # Never more than the normal schedule spends on the box over its life.
    plain = check_times(scheduler(clock := FakeClock()), clock, 700)
    assert len(times) <= len(plain) == 120
    gaps = [b - a for a, b in itertools.pairwise(times) if a >= 85]
    assert max(gaps) <= 5 * 3 + 0.25  # the payback is at most three times slower


def test_mail_ends_the_burst_and_the_payback_is_short() -> None:
    clock = FakeClock()
    sched = scheduler(clock)
    sched.expect_mail("new@x.test")
    times = check_times(sched, clock, 700, mail_at=10)
    after = [b - a for a, b in itertools.pairwise(times) if a >= 10]
    assert after[0] > 5  # the fast checks stopped with the mail
    assert max(after) < 6.5  # ten extra checks are paid back over nine minutes
    assert sched.status().burst is None


def test_a_burst_for_a_box_not_listed_yet_starts_when_it_is() -> None:
    clock = FakeClock()
    sched = PollScheduler(PollPolicy(), clock=clock, rng=random.Random(3))
    assert "once the mailbox is listed" in sched.expect_mail("new@x.test")
    assert sched.status().burst is None
    sched.set_boxes([BoxInfo("new@x.test", T0 + LIFE)])
    sched.select("new@x.test")
    assert sched.status().burst == "watching for new mail: every 1 s for 1 min 25 s"


def test_a_stretched_plan_stretches_the_burst_and_a_tight_one_skips_it() -> None:
    clock = FakeClock()
    sched = scheduler(clock, expire=timedelta(hours=4))
    # 4 h at 5 s is 2,880 checks; 1,400 left over the reserve stretches the box to 11 s.
    sched.update_quota(quota(1_900, limit=50_000, reset_at=T0 + timedelta(days=3), seen_at=T0))
    assert sched.status().mode == "stretched"
    said = sched.expect_mail("new@x.test")
    assert said == "watching for new mail: every 2 s for 3 min"
    # Then so little is left that the box is checked every half hour: no burst.
    sched.update_quota(quota(560, limit=50_000, reset_at=T0 + timedelta(days=3), seen_at=T0 + HOUR))
    said = sched.expect_mail("new@x.test")
    assert said == "burst skipped: quota low"
    assert sched.status().burst == said
    clock.advance(11)
    assert sched.status().burst is None  # the note goes after a while


def test_no_burst_at_the_reserve() -> None:
    clock = FakeClock()
    sched = scheduler(clock)
    sched.update_quota(quota(400, limit=50_000, reset_at=T0 + timedelta(days=3), seen_at=T0))
    assert sched.status().mode == "reserve"
    assert sched.expect_mail("new@x.test") == "burst skipped: the quota is down to its reserve"
    assert sched.due() == []


@pytest.mark.parametrize("mail_after", [None, 20.0])
def test_bursts_leave_the_monthly_projection_within_one_percent(mail_after: float | None) -> None:
    """20 boxes a day, each watched on creation: a day's requests, with and without bursts."""
    plain = month_requests(days=1, burst=False, mail_after=mail_after)
    bursting = month_requests(days=1, burst=True, mail_after=mail_after)
    assert abs(bursting - plain) <= 0.01 * plain, (plain, bursting)


# -- the budget shared between pollers ---------------------------------------------------


def test_other_pollers_projection_is_set_aside_and_all_stretch_together() -> None:
    clock = FakeClock()
    sched = scheduler(clock)
    # 120 checks wanted over the box's life; 200 left over the reserve.
    sched.update_quota(quota(700, limit=50_000, reset_at=T0 + timedelta(days=3), seen_at=T0))
    assert sched.wanted() == 120
    assert sched.status().mode == "normal"
    sched.share(SharedUse(pollers=1, projected=60))  # both fit: set aside whole
    assert sched.status().mode == "normal"
    assert "shared with 1 other process" in sched.status().reason
    sched.share(SharedUse(pollers=3, projected=360))  # they do not: a quarter each
    status = sched.status()
    assert status.mode == "stretched"
    assert status.projected_requests <= 200 * 120 // 480
    assert status.fast_interval >= 10
    sched.share(None)
    assert sched.status().mode == "normal"


def test_equal_pollers_sharing_never_plan_beyond_the_budget_together() -> None:
    clock = FakeClock()
    pollers = [scheduler(clock) for _ in range(10)]
    for sched in pollers:
        sched.update_quota(quota(700, limit=50_000, reset_at=T0 + timedelta(days=3), seen_at=T0))
    alone = pollers[0].status().projected_requests
    wanted = [s.wanted() for s in pollers]
    for index, sched in enumerate(pollers):
        others = sum(wanted) - wanted[index]
        sched.share(SharedUse(len(pollers) - 1, others))
    together = sum(s.status().projected_requests for s in pollers)
    assert together <= 200 < alone * len(pollers)


# -- a wait's burst: unpaid, within what the plan spares ---------------------------------


def waiting(clock: FakeClock) -> PollScheduler:
    """A scheduler as a five-minute wait sets it up."""
    return scheduler(clock, expire=timedelta(minutes=5))


def test_a_wait_bursts_for_three_minutes_when_the_quota_spares_it() -> None:
    clock = FakeClock()
    sched = waiting(clock)
    sched.update_quota(quota(40_000, reset_at=T0 + timedelta(days=20), seen_at=T0))
    assert sched.expect_mail("new@x.test", paid=False) == (
        "watching for new mail: every 1 s for 3 min"
    )
    times = check_times(sched, clock, 400)
    assert len([t for t in times if t < 180]) == 180
    gaps = [b - a for a, b in itertools.pairwise(times) if a >= 181]
    assert gaps and max(gaps) <= 5.25  # then the normal pace again, not a payback


def test_a_wait_burst_shrinks_to_what_the_plan_spares_and_is_skipped_without_it() -> None:
    clock = FakeClock()
    sched = waiting(clock)
    # 60 checks at 5 s over the wait; 100 over the reserve leaves 40 to spare.
    sched.update_quota(quota(600, reset_at=T0 + timedelta(days=20), seen_at=T0))
    said = sched.expect_mail("new@x.test", paid=False)
    assert said == "watching for new mail: every 1 s for 50 s"
    assert sched.status().projected_requests <= 100
    sched.update_quota(quota(561, reset_at=T0 + timedelta(days=20), seen_at=T0 + HOUR))
    assert sched.expect_mail("new@x.test", paid=False) == "burst skipped: quota low"


def test_a_wait_burst_chosen_before_any_figures_is_fitted_to_the_first() -> None:
    clock = FakeClock()
    sched = waiting(clock)
    assert sched.expect_mail("new@x.test", paid=False).endswith("every 1 s for 3 min")
    sched.update_quota(quota(600, reset_at=T0 + timedelta(days=20), seen_at=T0))
    assert sched.status().burst == "watching for new mail: every 1 s for 50 s"


def test_asking_again_does_not_wipe_out_what_the_last_burst_owes() -> None:
    clock = FakeClock()
    sched = scheduler(clock)
    plain = check_times(scheduler(plain_clock := FakeClock()), plain_clock, 700)
    # Copying the address every minute: each burst inherits the last one's ledger.
    times: list[float] = []
    said = []
    for minute in range(11):
        said.append(sched.expect_mail("new@x.test"))
        times += check_times(sched, clock, (minute + 1) * 60)
    assert len(times) <= len(plain)
    assert len([t for t in times if t < 60]) == 60  # the first burst ran whole
    assert "burst skipped: the last one is still being paid back" in said


def test_a_wait_too_short_for_a_burst_says_nothing_about_the_quota() -> None:
    clock = FakeClock()
    sched = scheduler(clock, expire=timedelta(seconds=2))
    sched.update_quota(quota(40_000, reset_at=T0 + timedelta(days=20), seen_at=T0))
    assert sched.expect_mail("new@x.test", paid=False) == "no burst: too little time left"
    assert sched.status().burst is None


def test_a_network_error_on_another_box_leaves_the_burst_retried_within_seconds() -> None:
    # A keep-alive connection dropped under one background box's check (checked every
    # minute) must not stop the burst the user is watching for that minute.
    clock = FakeClock()
    sched = PollScheduler(PollPolicy(), clock=clock, rng=random.Random(3))
    sched.set_boxes([BoxInfo("new@x.test", T0 + LIFE), BoxInfo("old@x.test", T0 + HOUR)])
    sched.select("new@x.test")
    sched.expect_mail("new@x.test")
    assert sched.due() == ["new@x.test", "old@x.test"]
    sched.started("new@x.test")
    sched.started("old@x.test")
    sched.finished("new@x.test", Outcome.OK)
    clock.advance(0.5)
    sched.finished("old@x.test", Outcome.NETWORK_ERROR)
    assert sched.status().offline
    wait = sched.seconds_until_next()
    assert wait is not None and wait <= 1.25
    clock.advance(wait)
    assert sched.due() == ["new@x.test"]  # the probe is the watched box
    # Without a burst the pace is the selected box's: the first retry within its 5 s.
    calm = PollScheduler(PollPolicy(), clock=clock, rng=random.Random(3))
    calm.set_boxes([BoxInfo("a@x.test", clock.now + HOUR), BoxInfo("b@x.test", clock.now + HOUR)])
    calm.select("a@x.test")
    for key in calm.due():
        calm.started(key)
    calm.finished("a@x.test", Outcome.OK)
    calm.finished("b@x.test", Outcome.NETWORK_ERROR)
    wait = calm.seconds_until_next()
    assert wait is not None and 5 <= wait <= 6.25
