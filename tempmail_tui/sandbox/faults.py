"""Fault knobs the sandbox injects into its /api answers, and the per-request decision."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from tempmail_tui.sandbox.errors import SandboxError

MAX_LATENCY_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Faults:
    """What to break in every /api answer; the default breaks nothing."""

    #: Seconds added before every /api answer.
    latency: float = 0.0
    #: Chance (0..1) that a request answers 500 instead of being served.
    error_rate: float = 0.0
    #: Seed of the RNG behind ``error_rate``, so a run is reproducible.
    seed: int = 0
    #: Every /api request answers this status with an error body.
    force_status: int | None = None
    #: Only the next N requests are forced (None: all of them).
    force_count: int | None = None
    #: Serve the request, then send the body cut in half with status 200.
    truncate_body: bool = False
    #: Answer an HTML error page instead of JSON (status 200, or the forced one).
    non_json: bool = False
    #: Drop the X-RateLimit-* headers.
    omit_quota_headers: bool = False
    #: Send ``Retry-After: N`` (seconds) with every forced 429 or 503 answer.
    retry_after: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The knobs as a JSON object."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: object) -> Faults:
        """Build knobs from a JSON object, refusing unknown keys and wrong types."""
        if not isinstance(data, Mapping):
            raise SandboxError(422, "The faults body must be a JSON object.")
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(k) for k in data if k not in known)
        if unknown:
            raise SandboxError(422, f"Unknown fault knobs: {', '.join(unknown)}.")
        values: dict[str, Any] = {}
        for name in ("latency", "error_rate"):
            if name in data:
                values[name] = _number(name, data[name])
        for name in ("seed", "force_status", "force_count", "retry_after"):
            if name in data:
                values[name] = _optional_int(name, data[name])
        for name in ("truncate_body", "non_json", "omit_quota_headers"):
            if name in data:
                if not isinstance(data[name], bool):
                    raise SandboxError(422, f"The {name} knob must be a boolean.")
                values[name] = data[name]
        if values.get("seed", 0) is None:
            raise SandboxError(422, "The seed knob must be an integer.")
        try:
            return cls(**values)
        except ValueError as err:
            raise SandboxError(422, str(err)) from None

    def __post_init__(self) -> None:
        if not 0.0 <= self.latency <= MAX_LATENCY_SECONDS:
            raise ValueError(f"latency must be between 0 and {MAX_LATENCY_SECONDS:g}.")
        if not 0.0 <= self.error_rate <= 1.0:
            raise ValueError("error_rate must be between 0 and 1.")
        if self.force_status is not None and not 100 <= self.force_status <= 599:
            raise ValueError("force_status must be an HTTP status (100-599).")
        if self.force_count is not None and self.force_count < 1:
            raise ValueError("force_count must be at least 1.")
        if self.retry_after is not None and self.retry_after < 0:
            raise ValueError("retry_after must not be negative.")


@dataclass(frozen=True, slots=True)
class FaultDecision:
    """What the sandbox does to one /api request."""

    latency: float = 0.0
    #: Answer this status without serving the request (None: serve it).
    status: int | None = None
    #: Whether ``status`` came from ``force_status`` (which may count down).
    forced: bool = False
    non_json: bool = False
    truncate_body: bool = False
    omit_quota_headers: bool = False
    #: A ``Retry-After`` to send with the forced status, in seconds.
    retry_after: int | None = None


def decide(faults: Faults, rng: random.Random) -> FaultDecision:
    """Draw the fate of one request from the knobs (the caller consumes ``force_count``)."""
    status: int | None = None
    forced = False
    if faults.force_status is not None:
        status, forced = faults.force_status, True
    elif faults.error_rate > 0 and rng.random() < faults.error_rate:
        status = 500
    return FaultDecision(
        latency=faults.latency,
        status=status,
        forced=forced,
        non_json=faults.non_json,
        truncate_body=faults.truncate_body,
        omit_quota_headers=faults.omit_quota_headers,
        retry_after=faults.retry_after if status in (429, 503) else None,
    )


def draw(faults: Faults, rng: random.Random) -> tuple[FaultDecision, Faults]:
    """The fate of one request, and the knobs after it (a forced status counted down)."""
    decision = decide(faults, rng)
    count = faults.force_count
    if decision.forced and count is not None:
        if count <= 1:
            faults = replace(faults, force_status=None, force_count=None)
        else:
            faults = replace(faults, force_count=count - 1)
    return decision, faults


def _number(name: str, value: object) -> float:
    # bool is an int subclass: refuse it so `true` is not read as 1.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SandboxError(422, f"The {name} knob must be a number.")
    return float(value)


def _optional_int(name: str, value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise SandboxError(422, f"The {name} knob must be an integer or null.")
    return value
