"""The sandbox's accounts: each API key's plan and monthly request quota, rolled by its clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from tempmail_tui.sandbox.records import PLANS, Account


def first_of_next_month(now: datetime) -> datetime:
    """Midnight UTC on the first day of the month after ``now``."""
    now = now.astimezone(UTC)
    if now.month == 12:
        return datetime(now.year + 1, 1, 1, tzinfo=UTC)
    return datetime(now.year, now.month + 1, 1, tzinfo=UTC)


def check_plan(plan: str) -> None:
    """Refuse a plan the sandbox does not know."""
    if plan not in PLANS:
        raise ValueError(f"plan must be one of {PLANS}")


@dataclass(frozen=True, slots=True)
class QuotaSnapshot:
    """An account's quota figures at one moment, as the headers report them."""

    limit: int
    used: int
    remaining: int
    reset_at: datetime

    def headers(self) -> dict[str, str]:
        """The ``X-RateLimit-*`` response headers."""
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Used": str(self.used),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": self.reset_at.isoformat(timespec="seconds"),
        }


class Accounts:
    """The accounts by key, with their quota accounting; the caller holds the state's lock."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now
        self._by_key: dict[str, Account] = {}

    def __len__(self) -> int:
        return len(self._by_key)

    def add(self, key: str, *, plan: str, quota_limit: int) -> Account:
        """Register (or replace) a key's account; returns a copy of it."""
        account = Account(key=key, plan=plan, quota_limit=quota_limit)
        account.quota_reset = first_of_next_month(self._now())
        self._by_key[key] = account
        return replace(account)

    def get(self, key: str) -> Account | None:
        """A copy of the account of this key, or None for an unknown key."""
        account = self._by_key.get(key)
        return replace(account) if account is not None else None

    def require(self, key: str) -> Account:
        """The live account of this key, or KeyError."""
        account = self._by_key.get(key)
        if account is None:
            raise KeyError("no such account")
        return account

    def set_quota(
        self,
        key: str,
        *,
        limit: int | None,
        used: int | None,
        reset_at: datetime | None,
    ) -> QuotaSnapshot:
        """Change an account's quota limit, used count or reset time."""
        account = self.require(key)
        if limit is not None:
            account.quota_limit = max(0, limit)
        if used is not None:
            account.quota_used = max(0, used)
        if reset_at is not None:
            if reset_at.tzinfo is None:
                raise ValueError("reset_at must carry a time zone")
            account.quota_reset = reset_at
        return self.quota(key)

    def quota(self, key: str) -> QuotaSnapshot:
        """An account's quota figures now, after any reset that has come due."""
        account = self.require(key)
        self._roll(account)
        assert account.quota_reset is not None
        return QuotaSnapshot(
            limit=account.quota_limit,
            used=account.quota_used,
            remaining=account.quota_remaining,
            reset_at=account.quota_reset,
        )

    def charge(self, key: str) -> QuotaSnapshot:
        """Count one successful request against the account's quota."""
        account = self.require(key)
        self._roll(account)
        account.quota_used += 1
        return self.quota(key)

    def _roll(self, account: Account) -> None:
        now = self._now()
        if account.quota_reset is None:
            account.quota_reset = first_of_next_month(now)
        elif now >= account.quota_reset:
            account.quota_used = 0
            account.quota_reset = first_of_next_month(now)
