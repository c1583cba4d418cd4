"""The sandbox's shared state: accounts, mailboxes and messages behind one lock, and its clock."""

from __future__ import annotations

import random
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from tempmail_tui.sandbox.accounts import (
    Accounts,
    QuotaSnapshot,
    check_plan,
    first_of_next_month,
)
from tempmail_tui.sandbox.errors import SandboxError
from tempmail_tui.sandbox.faults import FaultDecision, Faults, draw
from tempmail_tui.sandbox.mailboxes import Mailboxes
from tempmail_tui.sandbox.records import (
    DOMAINS,
    Account,
    MailDraft,
    SandboxAttachment,
    SandboxDomain,
    SandboxMailbox,
    SandboxMessage,
)
from tempmail_tui.sandbox.samples import SAMPLE_KINDS, make_sample

# first_of_next_month is re-exported: tests import it from here, where it used to live.
__all__ = ["QuotaSnapshot", "SandboxState", "first_of_next_month"]


class SandboxState:
    """Everything the sandbox knows, safe to use from the HTTP and SMTP threads at once."""

    def __init__(
        self,
        *,
        default_key: str,
        plan: str = "free",
        quota_limit: int = 50_000,
        mailbox_ttl: int = 600,
        base_url: str = "http://127.0.0.1/api",
    ) -> None:
        # Re-entrant: public methods call each other while holding it.
        self._lock = threading.RLock()
        self._clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self._clock_offset = timedelta()
        self.default_key = default_key
        self.mailbox_ttl = mailbox_ttl
        #: The public ``/api`` base URL, used to build attachment URLs.
        self.base_url = base_url
        self.domains: tuple[SandboxDomain, ...] = DOMAINS
        # Neither keeps a lock of its own: every use below holds self._lock.
        self._accounts = Accounts(self.now)
        self._mailboxes = Mailboxes(self.now)
        self._faults = Faults()
        self._rng = random.Random(self._faults.seed)
        self.add_account(default_key, plan=plan, quota_limit=quota_limit)

    def __repr__(self) -> str:
        with self._lock:
            return (
                f"SandboxState(accounts={len(self._accounts)}, "
                f"mailboxes={len(self._mailboxes.boxes)}, "
                f"messages={len(self._mailboxes.message_box)})"
            )

    # -- clock -------------------------------------------------------------------------------

    def now(self) -> datetime:
        """The sandbox's current time (UTC, aware), after any clock override."""
        with self._lock:
            return self._clock() + self._clock_offset

    def set_clock(self, clock: Callable[[], datetime] | None) -> None:
        """Replace the time source (None: the real UTC clock); the offset is kept."""
        with self._lock:
            self._clock = clock or (lambda: datetime.now(UTC))

    def advance_clock(self, seconds: float) -> None:
        """Move the sandbox's time forward (for expiry tests without sleeping)."""
        with self._lock:
            self._clock_offset += timedelta(seconds=seconds)

    # -- accounts and quota -------------------------------------------------------------------

    def add_account(self, key: str, *, plan: str = "free", quota_limit: int = 50_000) -> Account:
        """Register an API key with its plan and quota; returns a copy of the account."""
        check_plan(plan)
        if not key:
            raise ValueError("an API key cannot be empty")
        with self._lock:
            return self._accounts.add(key, plan=plan, quota_limit=quota_limit)

    def account(self, key: str | None) -> Account | None:
        """A copy of the account of this key, or None for an unknown key."""
        with self._lock:
            return self._accounts.get(key or "")

    def set_plan(self, key: str | None, plan: str) -> None:
        """Change an account's plan."""
        check_plan(plan)
        with self._lock:
            self._require_account(key).plan = plan

    def set_quota(
        self,
        key: str | None = None,
        *,
        limit: int | None = None,
        used: int | None = None,
        reset_at: datetime | None = None,
    ) -> QuotaSnapshot:
        """Change an account's quota limit, used count or reset time."""
        with self._lock:
            return self._accounts.set_quota(
                self._key(key), limit=limit, used=used, reset_at=reset_at
            )

    def quota(self, key: str | None = None) -> QuotaSnapshot:
        """An account's quota figures now."""
        with self._lock:
            return self._accounts.quota(self._key(key))

    def quota_exhausted(self, key: str) -> bool:
        """Whether this account has no request left this period."""
        with self._lock:
            return self._accounts.quota(self._key(key)).remaining <= 0

    def charge(self, key: str) -> QuotaSnapshot:
        """Count one successful request against the account's quota."""
        with self._lock:
            return self._accounts.charge(self._key(key))

    def _key(self, key: str | None) -> str:
        # No key means the default account's.
        return key or self.default_key

    def _require_account(self, key: str | None) -> Account:
        return self._accounts.require(self._key(key))

    # -- faults --------------------------------------------------------------------------------

    @property
    def faults(self) -> Faults:
        """The fault knobs in force (assign a new ``Faults`` to change them)."""
        with self._lock:
            return self._faults

    @faults.setter
    def faults(self, faults: Faults) -> None:
        with self._lock:
            self._faults = faults
            self._rng = random.Random(faults.seed)

    def update_faults(self, **changes: Any) -> Faults:
        """Change some fault knobs, keeping the others."""
        with self._lock:
            self.faults = replace(self._faults, **changes)
            return self._faults

    def draw_fault(self) -> FaultDecision:
        """Decide what happens to one /api request, counting down ``force_count``."""
        with self._lock:
            # Assigned directly, not through the setter: the RNG's sequence carries on.
            decision, self._faults = draw(self._faults, self._rng)
            return decision

    # -- domains ---------------------------------------------------------------------------------

    def allowed_types(self, key: str) -> tuple[str, ...]:
        """The domain ``type`` values this key may ask for."""
        with self._lock:
            plan = self._require_account(key).plan
        return ("free", "premium", "all") if plan == "premium" else ("free",)

    def list_domains(self, key: str, requested: str) -> tuple[SandboxDomain, ...]:
        """The domains of a type (``free``, ``premium`` or ``all``) for this key."""
        requested = requested.lower()
        if requested not in ("free", "premium", "all"):
            raise SandboxError(422, "The selected type is invalid.")
        with self._lock:
            if requested not in self.allowed_types(key):
                raise SandboxError(403, "Your plan does not allow this domain type.")
            if requested == "all":
                return self.domains
            return tuple(d for d in self.domains if d.type.lower() == requested)

    def _domain(self, key: str, name: str) -> SandboxDomain:
        found = next((d for d in self.domains if d.domain == name.lower()), None)
        if found is None:
            raise SandboxError(422, "The selected domain is invalid.")
        if found.type.lower() != "free" and self._require_account(key).plan != "premium":
            raise SandboxError(403, "Your plan does not allow premium domains.")
        return found

    # -- mailboxes -------------------------------------------------------------------------------

    def create_mailbox(
        self, key: str | None = None, username: str | None = None, domain: str | None = None
    ) -> SandboxMailbox:
        """Create a mailbox owned by ``key`` (default account), random parts where not given."""
        with self._lock:
            owner = self._require_account(key).key
            self._mailboxes.purge_expired()
            if domain is None:
                free = [d for d in self.domains if d.type.lower() == "free"]
                domain = secrets.choice(free).domain
            chosen = self._domain(owner, domain)
            return self._mailboxes.create(owner, chosen, username, ttl=self.mailbox_ttl)

    def rename_mailbox(
        self, key: str, current_email: str, username: str, domain: str
    ) -> SandboxMailbox:
        """Move an owned mailbox to a new address: new id and token, same messages and expiry."""
        with self._lock:
            box = self._mailboxes.owned(key, current_email)
            chosen = self._domain(key, domain)
            address = self._mailboxes.check_new_address(username, chosen.domain)
            return self._mailboxes.move(box, address, chosen)

    def delete_mailbox(self, key: str, email: str) -> None:
        """Delete an owned mailbox and its messages."""
        with self._lock:
            self._mailboxes.drop(self._mailboxes.owned(key, email))

    def mailbox(self, key: str, email: str) -> SandboxMailbox:
        """An owned, live mailbox (404 otherwise)."""
        with self._lock:
            return self._mailboxes.owned(key, email).info

    def is_live_address(self, email: str) -> bool:
        """Whether mail to this address would be delivered (any owner)."""
        with self._lock:
            return self._mailboxes.live(email) is not None

    # -- messages ----------------------------------------------------------------------------------

    def deliver(
        self,
        email: str,
        *,
        subject: str = "",
        from_name: str = "",
        from_email: str = "sender@example.org",
        html: str | None = None,
        text: str | None = None,
        attachments: Iterable[tuple[str, bytes] | SandboxAttachment] = (),
        received_at: datetime | None = None,
    ) -> SandboxMessage:
        """Deliver a mail to a live mailbox (HTML preferred over text); 404 if there is none."""
        draft = MailDraft(
            subject=subject,
            from_name=from_name,
            from_email=from_email,
            content=html if html is not None else (text or ""),
            html=html is not None,
            attachments=tuple(
                a if isinstance(a, SandboxAttachment) else SandboxAttachment.from_bytes(*a)
                for a in attachments
            ),
        )
        return self.deliver_draft(email, draft, received_at=received_at)

    def deliver_draft(
        self,
        email: str,
        draft: MailDraft,
        *,
        code: str | None = None,
        received_at: datetime | None = None,
    ) -> SandboxMessage:
        """Deliver a prepared mail to a live mailbox; 404 if there is none."""
        with self._lock:
            return self._mailboxes.deliver(email, draft, code=code, received_at=received_at)

    def add_sample(
        self, email: str, kind: str, *, received_at: datetime | None = None
    ) -> SandboxMessage:
        """Deliver a sample mail (``newsletter``, ``plain``, ``verification``, ``attachment``)."""
        if kind not in SAMPLE_KINDS:
            raise SandboxError(422, f"Unknown sample kind; use one of {', '.join(SAMPLE_KINDS)}.")
        sample = make_sample(kind, email.strip().lower())
        return self.deliver_draft(email, sample.draft, code=sample.code, received_at=received_at)

    def list_messages(self, key: str, email: str) -> tuple[SandboxMailbox, list[SandboxMessage]]:
        """An owned mailbox and its messages, newest first."""
        with self._lock:
            box = self._mailboxes.owned(key, email)
            return box.info, list(reversed(box.messages.values()))

    def read_message(self, key: str, message_id: str) -> SandboxMessage:
        """An owned message, marked seen by this read."""
        with self._lock:
            return self._mailboxes.read(key, message_id)

    def peek_message(self, key: str, message_id: str) -> SandboxMessage:
        """An owned message, without marking it seen."""
        with self._lock:
            return self._mailboxes.owned_message(key, message_id)[1]

    def delete_message(self, key: str, message_id: str) -> None:
        """Delete an owned message."""
        with self._lock:
            self._mailboxes.delete_message(key, message_id)

    def attachment(self, key: str, message_id: str, name: str) -> SandboxAttachment:
        """An attachment of an owned message, by exact name."""
        with self._lock:
            return self._mailboxes.attachment(key, message_id, name)
