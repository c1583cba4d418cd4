"""The run command: a fresh mailbox for one command, the mail it causes, then no box.

``run -- COMMAND ARGS…`` creates a mailbox, starts COMMAND (argv, no shell) with ``{address}``
replaced in its arguments and ``TEMPMAIL_ADDRESS`` in its environment, polls the box while
COMMAND runs, and deletes the box on every way out unless ``--keep``.

What happens when:

- mail is found while COMMAND still runs: run waits for COMMAND to finish (its status
  matters), then prints what was found;
- COMMAND exits 0 before any mail: run looks at once (what COMMAND set off has most likely
  arrived), then keeps waiting until the timeout (counted from COMMAND's start);
- COMMAND exits non-zero: run stops waiting at once, says so, and exits 4;
- the timeout passes while COMMAND still runs: run waits for COMMAND (it never kills it on
  its own), then exits 1 (or 4 if COMMAND failed);
- Ctrl-C or SIGTERM: COMMAND is terminated, the box deleted, run exits 130 (143 for SIGTERM).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tempmail_tui.cli.errors import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, CliError, failure_of
from tempmail_tui.cli.mail import print_message
from tempmail_tui.cli.online import Online, online
from tempmail_tui.cli.output import PROG, message_record, out, out_json, say
from tempmail_tui.cli.parser import json_flag, label_flag, pattern, positive_seconds
from tempmail_tui.cli.wait import DEFAULT_TIMEOUT, observer
from tempmail_tui.core.sanitize import clean_line
from tempmail_tui.errors import TempMailError

if TYPE_CHECKING:
    from tempmail_tui.api.models import Message
    from tempmail_tui.core.waiting import Found, MailFilter

#: COMMAND failed: its own status is reported and run exits with this one.
EXIT_COMMAND_FAILED = 4
#: Stopped by SIGTERM (128 + the signal's number, as shells report it).
EXIT_TERMINATED = 128 + signal.SIGTERM
#: The variable COMMAND finds the address in.
ADDRESS_ENV_VAR = "TEMPMAIL_ADDRESS"
#: What ``{address}`` in COMMAND's arguments becomes.
PLACEHOLDER = "{address}"
# How long COMMAND gets to end after SIGTERM before it is killed.
_TERMINATE_GRACE = 5.0


def add_run(parser: argparse.ArgumentParser) -> None:
    """Declare run's arguments: what to find, the filters, the box's fate and COMMAND."""
    what = parser.add_mutually_exclusive_group()
    for flag, text in (
        ("code", "print the message's verification code (the default)"),
        ("link", "print the message's main action link"),
        ("message", "print the whole message (headers and text; with --json its record)"),
    ):
        what.add_argument(f"--{flag}", dest="find", action="store_const", const=flag, help=text)
    parser.set_defaults(find="code")
    parser.add_argument(
        "--from", dest="sender", metavar="RE", type=pattern, help="only mail whose sender matches"
    )
    parser.add_argument(
        "--subject", metavar="RE", type=pattern, help="only mail whose subject matches"
    )
    parser.add_argument(
        "--timeout",
        metavar="S",
        type=positive_seconds,
        default=DEFAULT_TIMEOUT,
        help=f"wait at most S seconds from COMMAND's start; then exit 1 "
        f"(default {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument("--keep", action="store_true", help="do not delete the mailbox at the end")
    label_flag(parser, "label the new mailbox L (repeatable)")
    json_flag(parser)
    parser.add_argument(
        "command",
        metavar="-- COMMAND ARGS",
        nargs=argparse.REMAINDER,
        help=f"the command to run; {PLACEHOLDER} in its arguments becomes the address",
    )


@dataclass(frozen=True, slots=True)
class Outcome:
    """How the run ended: COMMAND's status and what was found (None: nothing)."""

    command_status: int
    found: Found[Any] | None = None
    timed_out: str | None = None


def _extractor(find: str) -> Callable[[Message], object | None]:
    from tempmail_tui.core.waiting import any_message, code_of, link_of

    return {"code": code_of, "link": link_of, "message": any_message}[find]


def command_argv(command: Sequence[str], address: str) -> list[str]:
    """COMMAND's argv with every ``{address}`` replaced by the address."""
    return [arg.replace(PLACEHOLDER, address) for arg in command]


def run_run(args: argparse.Namespace) -> int:
    """Create a box, run COMMAND, wait for its mail, print what was found, delete the box."""
    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise CliError(f"name a COMMAND after -- (see `{PROG} run --help`)", EXIT_USAGE)

    async def work(session: Online) -> int:
        mailbox = await session.service.create_mailbox(args.label or ())
        address = mailbox.email
        say(f"mailbox {clean_line(address)}")
        terminated = _on_sigterm()
        try:
            outcome = await _run_and_wait(session, args, command_argv(command, address), address)
        except asyncio.CancelledError:
            if terminated.is_set():
                # Turned into a failure here, so it reaches the one place that reports it.
                raise CliError("terminated", EXIT_TERMINATED) from None
            raise
        finally:
            _off_sigterm()
            if not args.keep:
                await _delete(session, address)
        return await _report(session, args, address, outcome)

    return online(args, work)


async def _run_and_wait(
    session: Online, args: argparse.Namespace, argv: list[str], address: str
) -> Outcome:
    """Start COMMAND and poll the box until both COMMAND and the wait are settled."""
    from tempmail_tui.core.session import policy_for
    from tempmail_tui.core.waiting import MailFilter, WaitTimedOut, wait_for

    extract = _extractor(args.find)
    mail_filter = MailFilter(args.sender, args.subject)
    process = await _start(argv, address)
    # The box is brand new: every mail in it arrived after it existed, so none is skipped.
    waiting = asyncio.create_task(
        wait_for(
            session.service,
            address,
            extract,
            timeout=args.timeout,
            policy=policy_for(session.config),
            mail_filter=mail_filter,
            existing=True,
            observe=observer(),
        )
    )
    try:
        # Whatever the wait finds meanwhile, COMMAND's status decides first.
        status = await process.wait()
        if status != 0:
            return Outcome(status)
        if not waiting.done():
            # What COMMAND set off has most likely arrived by now: look at once rather than
            # at the schedule's next turn (up to --poll-interval away).
            found = await _look_now(session, address, extract, mail_filter)
            if found is not None:
                return Outcome(status, found=found)
        try:
            return Outcome(status, found=await waiting)
        except WaitTimedOut as error:
            return Outcome(status, timed_out=str(error))
    finally:
        waiting.cancel()
        with contextlib.suppress(asyncio.CancelledError, TempMailError):
            await waiting
        await _stop(process)


async def _look_now(
    session: Online,
    address: str,
    extract: Callable[[Message], object | None],
    mail_filter: MailFilter,
) -> Found[Any] | None:
    """One check of the box outside the schedule; None when nothing (or it failed)."""
    from tempmail_tui.api.errors import ApiError
    from tempmail_tui.core.waiting import Found, pick

    try:
        fetched = await session.service.fetch(address, retries=0)
    except ApiError:
        return None  # the wait goes on, and reports a failure that lasts
    hit = pick(fetched.messages, set(), mail_filter, extract)
    return None if hit is None else Found(hit[0], hit[1], fetched.mailbox)


async def _start(argv: list[str], address: str) -> asyncio.subprocess.Process:
    """Start COMMAND with the address in its environment; its output goes straight through."""
    env = dict(os.environ)
    env[ADDRESS_ENV_VAR] = address
    try:
        return await asyncio.create_subprocess_exec(*argv, env=env)
    except OSError as error:
        # Not found, not executable, ...: this machine's problem, said as such.
        reason = error.strerror or str(error)
        raise CliError(f"cannot run {clean_line(argv[0])}: {reason}", EXIT_USAGE) from None


async def _stop(process: asyncio.subprocess.Process) -> None:
    """End COMMAND if it still runs (run was interrupted): SIGTERM, then SIGKILL."""
    if process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    try:
        await asyncio.wait_for(asyncio.shield(process.wait()), _TERMINATE_GRACE)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()


async def _delete(session: Online, address: str) -> None:
    """Delete the box; a failure is a warning that never hides run's own status."""
    try:
        await session.service.delete_mailbox(address)
    except TempMailError as error:
        why = failure_of(error).message
        say(f"warning: could not delete the mailbox {clean_line(address)}: {why}")


async def _report(session: Online, args: argparse.Namespace, address: str, outcome: Outcome) -> int:
    """Print the outcome (stdout: the result; stderr: notes) and return run's status."""
    from tempmail_tui.core.labels import clean_labels

    found = outcome.found
    if outcome.command_status != 0:
        code = outcome.command_status
        how = f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"
        say(f"the command {how}; stopped waiting")
        status = EXIT_COMMAND_FAILED
    elif found is None:
        say(outcome.timed_out or "no matching message")
        status = EXIT_FAILURE
    else:
        status = EXIT_OK
    if args.json:
        result = {EXIT_OK: "found", EXIT_FAILURE: "timed out"}.get(status, "command failed")
        record: dict[str, object] = {
            "address": address,
            "kept": bool(args.keep),
            "labels": list(clean_labels(args.label or ())),
            "command_status": outcome.command_status,
            "result": result,
        }
        if args.find != "message":
            record[args.find] = None if found is None else found.value
        record["message"] = None if found is None else message_record(found.message, found.mailbox)
        out_json(record)
    elif found is not None:
        if args.find == "message":
            from tempmail_tui.core.store import StoredMessage

            stored = StoredMessage.from_message(
                found.message, found.mailbox, fetched_at=datetime.now(UTC)
            )
            await print_message(session.service, stored)
        else:
            out(str(found.value))
    return status


def _on_sigterm() -> asyncio.Event:
    """Make SIGTERM cancel the run as Ctrl-C does (the box is deleted); the event says it came."""
    event = asyncio.Event()
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()

    def terminate() -> None:
        event.set()
        if task is not None:
            task.cancel()

    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        # Only the main thread may handle signals (not so for main() called in a thread).
        loop.add_signal_handler(signal.SIGTERM, terminate)
    return event


def _off_sigterm() -> None:
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        asyncio.get_running_loop().remove_signal_handler(signal.SIGTERM)
