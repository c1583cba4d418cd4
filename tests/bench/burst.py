"""Expect-mail bursts: delivery to row while a new box is watched, and what bursts cost a month."""

from __future__ import annotations

import asyncio
import random
import smtplib
import time
from email.message import EmailMessage

from tempmail_tui.core.schedule import PollPolicy
from tempmail_tui.sandbox.server import SandboxServer
from tempmail_tui.ui.app import TempMailApp
from tempmail_tui.ui.widgets.mailbox_list import MailboxList
from tempmail_tui.ui.widgets.message_table import MessageTable
from tests.schedule_month import BOX_LIFE, month_requests

from . import scenario
from .figures import Figure, median, worst
from .probes import until
from .request_budget import SIZE, Arrival

#: The boxes a day of the issue's user, and the days of a month.
BOXES_A_DAY = 20
DAYS = 30


def _send(server: SandboxServer, to: str, subject: str) -> None:
    """Deliver one mail through the sandbox's SMTP port, as a real sender would."""
    mail = EmailMessage()
    mail["From"] = "Sign-up <noreply@service.example>"
    mail["To"] = to
    mail["Subject"] = subject
    mail.set_content("Your code is 482913.\n")
    assert server.smtp_port is not None
    with smtplib.SMTP(server.smtp_host, server.smtp_port, timeout=10) as client:
        client.send_message(mail)


async def _arrivals(deliveries: int, seed: int) -> list[Arrival]:
    """Create a box with ``n`` (its burst starts), then mail it over SMTP at a random moment."""
    rng = random.Random(seed)
    server = SandboxServer(api_key=scenario.BENCH_KEY, smtp_port=0, mailbox_ttl=scenario.BOX_TTL)
    server.start()
    try:
        with scenario.workdir("burst") as home:
            app = TempMailApp(scenario.app_config(server, home), store_path=home / "store.sqlite3")
            arrivals: list[Arrival] = []
            async with app.run_test(size=SIZE) as pilot:
                await until(lambda: app.service is not None, timeout=30, what="the service")
                table = app.main.query_one(MessageTable)
                boxes = app.main.query_one(MailboxList)
                for number in range(deliveries):
                    before = boxes.selected_email
                    await pilot.press("n")
                    await until(
                        lambda before=before: (
                            boxes.selected_email not in (None, before)
                            and table.mailbox == boxes.selected_email
                        ),
                        timeout=30,
                        what="the new box",
                    )
                    email = boxes.selected_email
                    assert email is not None
                    # The sign-up mail comes a little after the box was made.
                    await asyncio.sleep(rng.uniform(0.5, 6.0))
                    subject = f"Welcome {number}"
                    await asyncio.to_thread(_send, server, email, subject)
                    delivered = time.perf_counter()
                    listed = await until(
                        lambda: table.row_count >= 1, timeout=30, every=0.01, what="the new row"
                    )
                    arrivals.append(Arrival(delivered, listed))
    finally:
        server.stop()
    return arrivals


def run(*, deliveries: int = 15, seed: int = 14) -> list[Figure]:
    """Measure the burst's latency against the sandbox and its monthly cost on the fake clock."""
    arrivals = asyncio.run(_arrivals(deliveries, seed))
    latencies = [a.latency for a in arrivals]
    months = {
        (burst, mail): month_requests(
            boxes_a_day=BOXES_A_DAY, days=DAYS, burst=burst, mail_after=mail
        )
        for burst in (False, True)
        for mail in (None, 20.0)
    }
    differences = {
        mail: (months[(True, mail)] - months[(False, mail)]) / months[(False, mail)] * 100
        for mail in (None, 20.0)
    }
    policy = PollPolicy()
    # What a plain 1 s x 3 min burst would add when no mail comes, with no payback.
    unpaid = (
        BOXES_A_DAY
        * DAYS
        * (
            policy.burst_duration / policy.burst_interval
            - policy.burst_duration / policy.fast_interval
        )
    )
    plain_none = months[(False, None)]
    return [
        Figure(
            "burst_latency_median_s",
            "New mail during a burst: delivery to row, median",
            round(median(latencies), 2),
            "s",
            target=1.5,
            detail=(
                f"{len(latencies)} boxes made with n in the reader (default 5 s schedule), each "
                "mailed over the sandbox's SMTP 0.5-6 s later; each: "
                + ", ".join(f"{x:.2f}" for x in latencies)
            ),
            samples=tuple(latencies),
        ),
        Figure(
            "burst_latency_worst_s",
            "New mail during a burst: delivery to row, worst",
            round(worst(latencies), 2),
            "s",
            detail="the 1 s burst interval plus the request, the store and the list update",
        ),
        Figure(
            "burst_month_difference_pct",
            f"Monthly requests with bursts vs without, {BOXES_A_DAY} boxes a day",
            round(max(abs(d) for d in differences.values()), 2),
            "%",
            target=1.0,
            detail=(
                f"fake-clock month of the reader's schedule, each box selected on creation and "
                f"living {BOX_LIFE / 60:.0f} min: no mail {months[(False, None)]:,} requests "
                f"plain vs {months[(True, None)]:,} with bursts ({differences[None]:+.2f}%); mail "
                f"after 20 s {months[(False, 20.0)]:,} vs {months[(True, 20.0)]:,} "
                f"({differences[20.0]:+.2f}%). An unpaid 1 s x 3 min burst would add "
                f"{unpaid:,.0f} ({unpaid / plain_none * 100:+.0f}%): the burst is paid back by "
                "the box's later checks, so it lasts as long as that allows (85 s for a 10 min box)"
            ),
        ),
    ]
