"""The pollers table: each process that polls, its heartbeat, projection and request count."""

from __future__ import annotations

import os
import socket
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from tempmail_tui.core.store.records import from_db, to_db

#: A poller is gone after this many missed heartbeats (or at once when its process is).
STALE_BEATS: Final = 5
#: ... and never sooner than this, so a busy machine does not drop a live one.
STALE_AT_LEAST: Final = 5.0


@dataclass(frozen=True, slots=True)
class PollerBeat:
    """One heartbeat of a poller: who it is and what it projects and has spent."""

    id: str
    kind: str
    beat_every: float
    #: Requests its schedule projects until the quota resets, at its normal intervals.
    projected: int
    #: Requests it has made so far.
    requests: int


@dataclass(frozen=True, slots=True)
class OtherPollers:
    """The other live pollers on this store: how many, and what they project together."""

    count: int
    projected: int


def _process_alive(pid: int) -> bool:
    """Whether a process of this id runs on this machine (signal 0 only asks)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists but is not ours to signal
    return True


def beat(conn: sqlite3.Connection, poller: PollerBeat, now: datetime) -> OtherPollers:
    """Record a heartbeat, drop the pollers gone stale, and sum up the others (one write)."""
    host = socket.gethostname()
    conn.execute(
        "INSERT INTO pollers (id, kind, host, pid, beat_at, beat_every, projected, requests)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET beat_at = excluded.beat_at,"
        " beat_every = excluded.beat_every, projected = excluded.projected,"
        " requests = excluded.requests",
        (
            poller.id,
            poller.kind,
            host,
            os.getpid(),
            to_db(now),
            poller.beat_every,
            poller.projected,
            poller.requests,
        ),
    )
    rows = conn.execute(
        "SELECT id, host, pid, beat_at, beat_every, projected FROM pollers WHERE id != ?",
        (poller.id,),
    ).fetchall()
    count = projected = 0
    for other, other_host, pid, beat_at, every, wanted in rows:
        late = max(STALE_AT_LEAST, STALE_BEATS * float(every))
        stale = from_db(beat_at) < now - timedelta(seconds=late)
        if stale or (other_host == host and not _process_alive(int(pid))):
            conn.execute("DELETE FROM pollers WHERE id = ?", (other,))
            continue
        count += 1
        projected += max(0, int(wanted))
    return OtherPollers(count, projected)


def leave(conn: sqlite3.Connection, poller_id: str) -> None:
    """Remove a poller that stops."""
    conn.execute("DELETE FROM pollers WHERE id = ?", (poller_id,))
