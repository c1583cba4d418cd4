"""The sandbox's shared state: accounts, mailboxes and messages behind one lock, and its clock."""

from __future__ import annotations

import random
import re
import secrets
import string
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from tempmail_tui.sandbox.errors import SandboxError
from tempmail_tui.sandbox.faults import FaultDecision, Faults, decide
from tempmail_tui.sandbox.records import (
    DOMAINS,
    PLANS,
    Account,
    MailDraft,
    SandboxAttachment,
    SandboxDomain,
    SandboxMailbox,
    SandboxMessage,
)
from tempmail_tui.sandbox.samples import SAMPLE_KINDS, make_sample

USERNAME_RE = re.compile(r"[a-z0-9._-]{1,64}", re.IGNORECASE)
MESSAGE_ID_ALPHABET = string.ascii_letters + string.digits
MESSAGE_ID_LENGTH = 46
FIRST_MAILBOX_ID = 2301

_ADJECTIVES = ("brisk", "calm", "eager", "fuzzy", "gentle", "jolly", "lucky", "quiet", "swift")
_NOUNS = ("otter", "falcon", "maple", "comet", "harbor", "pebble", "lantern", "meadow", "fox")

MAILBOX_NOT_FOUND = "Email not found."
MESSAGE_NOT_FOUND = "Message not found."


def first_of_next_month(now: datetime) -> datetime:
    """Midnight UTC on the first day of the month after ``now``."""
    now = now.astimezone(UTC)
    if now.month == 12:
        return datetime(now.year + 1, 1, 1, tzinfo=UTC)
    return datetime(now.year, now.month + 1, 1, tzinfo=UTC)


def valid_username(username: str) -> bool:
    """Whether the API accepts this user name (letters, digits, ``._-``, no edge dots)."""
    return (
        USERNAME_RE.fullmatch(username) is not None
        and not username.startswith(".")
        and not username.endswith(".")
    )


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


@dataclass(slots=True)
class _Box:
    # The mutable home of a mailbox: its public record changes on rename, its messages stay.
    info: SandboxMailbox
    messages: dict[str, SandboxMessage] = field(default_factory=dict)


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
        self._accounts: dict[str, Account] = {}
        self._boxes: dict[str, _Box] = {}
        self._message_box: dict[str, _Box] = {}
        self._next_mailbox_id = FIRST_MAILBOX_ID
        self._faults = Faults()
        self._rng = random.Random(self._faults.seed)
        self.add_account(default_key, plan=plan, quota_limit=quota_limit)

    def __repr__(self) -> str:
        with self._lock:
            return (
                f"SandboxState(accounts={len(self._accounts)}, mailboxes={len(self._boxes)}, "
                f"messages={len(self._message_box)})"
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
        if plan not in PLANS:
            raise ValueError(f"plan must be one of {PLANS}")
        if not key:
            raise ValueError("an API key cannot be empty")
        with self._lock:
            account = Account(key=key, plan=plan, quota_limit=quota_limit)
            account.quota_reset = first_of_next_month(self.now())
            self._accounts[key] = account
            return replace(account)

    def account(self, key: str | None) -> Account | None:
        """A copy of the account of this key, or None for an unknown key."""
        with self._lock:
            account = self._accounts.get(key or "")
            return replace(account) if account is not None else None

    def set_plan(self, key: str | None, plan: str) -> None:
        """Change an account's plan."""
        if plan not in PLANS:
            raise ValueError(f"plan must be one of {PLANS}")
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
            account = self._require_account(key)
            if limit is not None:
                account.quota_limit = max(0, limit)
            if used is not None:
                account.quota_used = max(0, used)
            if reset_at is not None:
                if reset_at.tzinfo is None:
                    raise ValueError("reset_at must carry a time zone")
                account.quota_reset = reset_at
            return self._quota(account)

    def quota(self, key: str | None = None) -> QuotaSnapshot:
        """An account's quota figures now."""
        with self._lock:
            return self._quota(self._require_account(key))

    def quota_exhausted(self, key: str) -> bool:
        """Whether this account has no request left this period."""
        with self._lock:
            return self._quota(self._require_account(key)).remaining <= 0

    def charge(self, key: str) -> QuotaSnapshot:
        """Count one successful request against the account's quota."""
        with self._lock:
            account = self._require_account(key)
            self._roll_quota(account)
            account.quota_used += 1
            return self._quota(account)

    def _quota(self, account: Account) -> QuotaSnapshot:
        self._roll_quota(account)
        assert account.quota_reset is not None
        return QuotaSnapshot(
            limit=account.quota_limit,
            used=account.quota_used,
            remaining=account.quota_remaining,
            reset_at=account.quota_reset,
        )

    def _roll_quota(self, account: Account) -> None:
        now = self.now()
        if account.quota_reset is None:
            account.quota_reset = first_of_next_month(now)
        elif now >= account.quota_reset:
            account.quota_used = 0
            account.quota_reset = first_of_next_month(now)

    def _require_account(self, key: str | None) -> Account:
        account = self._accounts.get(key or self.default_key)
        if account is None:
            raise KeyError("no such account")
        return account

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
            decision = decide(self._faults, self._rng)
            count = self._faults.force_count
            if decision.forced and count is not None:
                if count <= 1:
                    self._faults = replace(self._faults, force_status=None, force_count=None)
                else:
                    self._faults = replace(self._faults, force_count=count - 1)
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
            self._purge_expired()
            if domain is None:
                free = [d for d in self.domains if d.type.lower() == "free"]
                domain = secrets.choice(free).domain
            chosen = self._domain(owner, domain)
            if username is None:
                username = self._random_free_username(chosen.domain)
            address = self._check_new_address(username, chosen.domain)
            now = self.now().replace(microsecond=0)
            info = SandboxMailbox(
                id=self._new_mailbox_id(),
                email=address,
                domain=chosen.domain,
                created_at=now,
                expire_at=now + timedelta(seconds=self.mailbox_ttl),
                email_token=secrets.token_urlsafe(32),
                owner_key=owner,
            )
            self._boxes[address] = _Box(info)
            return info

    def rename_mailbox(
        self, key: str, current_email: str, username: str, domain: str
    ) -> SandboxMailbox:
        """Move an owned mailbox to a new address: new id and token, same messages and expiry."""
        with self._lock:
            box = self._owned_box(key, current_email)
            chosen = self._domain(key, domain)
            address = self._check_new_address(username, chosen.domain)
            del self._boxes[box.info.email]
            box.info = replace(
                box.info,
                id=self._new_mailbox_id(),
                email=address,
                domain=chosen.domain,
                email_token=secrets.token_urlsafe(32),
            )
            self._boxes[address] = box
            return box.info

    def delete_mailbox(self, key: str, email: str) -> None:
        """Delete an owned mailbox and its messages."""
        with self._lock:
            box = self._owned_box(key, email)
            self._drop(box)

    def mailbox(self, key: str, email: str) -> SandboxMailbox:
        """An owned, live mailbox (404 otherwise)."""
        with self._lock:
            return self._owned_box(key, email).info

    def is_live_address(self, email: str) -> bool:
        """Whether mail to this address would be delivered (any owner)."""
        with self._lock:
            return self._live_box(email) is not None

    def _check_new_address(self, username: str, domain: str) -> str:
        if not valid_username(username):
            raise SandboxError(422, "The username format is invalid.")
        address = f"{username.lower()}@{domain}"
        if self._live_box(address) is not None:
            raise SandboxError(422, "The email has already been taken.")
        return address

    def _random_free_username(self, domain: str) -> str:
        while True:
            name = (
                f"{secrets.choice(_ADJECTIVES)}{secrets.choice(_NOUNS)}"
                f"{secrets.randbelow(10_000):04d}"
            )
            if self._live_box(f"{name}@{domain}") is None:
                return name

    def _new_mailbox_id(self) -> int:
        mailbox_id = self._next_mailbox_id
        self._next_mailbox_id += 1
        return mailbox_id

    def _live_box(self, email: str) -> _Box | None:
        box = self._boxes.get(email.strip().lower())
        if box is None:
            return None
        if box.info.expire_at <= self.now():
            self._drop(box)
            return None
        return box

    def _owned_box(self, key: str, email: str) -> _Box:
        box = self._live_box(email)
        # Someone else's mailbox answers exactly like a missing one.
        if box is None or box.info.owner_key != key:
            raise SandboxError(404, MAILBOX_NOT_FOUND)
        return box

    def _drop(self, box: _Box) -> None:
        self._boxes.pop(box.info.email, None)
        for message_id in box.messages:
            self._message_box.pop(message_id, None)

    def _purge_expired(self) -> None:
        now = self.now()
        for box in [b for b in self._boxes.values() if b.info.expire_at <= now]:
            self._drop(box)

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
            box = self._live_box(email)
            if box is None:
                raise SandboxError(404, MAILBOX_NOT_FOUND)
            message_id = self._new_message_id()
            message = SandboxMessage(
                id=message_id,
                to=box.info.email,
                subject=draft.subject,
                from_name=draft.from_name,
                from_email=draft.from_email,
                received_at=(received_at or self.now()).astimezone(UTC).replace(microsecond=0),
                html=draft.html,
                content=draft.content,
                attachments=draft.attachments,
                code=code,
            )
            box.messages[message_id] = message
            self._message_box[message_id] = box
            return message

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
            box = self._owned_box(key, email)
            return box.info, list(reversed(box.messages.values()))

    def read_message(self, key: str, message_id: str) -> SandboxMessage:
        """An owned message, marked seen by this read."""
        with self._lock:
            box, message = self._owned_message(key, message_id)
            if not message.is_seen:
                message = replace(message, is_seen=True)
                box.messages[message_id] = message
            return message

    def peek_message(self, key: str, message_id: str) -> SandboxMessage:
        """An owned message, without marking it seen."""
        with self._lock:
            return self._owned_message(key, message_id)[1]

    def delete_message(self, key: str, message_id: str) -> None:
        """Delete an owned message."""
        with self._lock:
            box, _ = self._owned_message(key, message_id)
            del box.messages[message_id]
            del self._message_box[message_id]

    def attachment(self, key: str, message_id: str, name: str) -> SandboxAttachment:
        """An attachment of an owned message, by exact name."""
        with self._lock:
            _, message = self._owned_message(key, message_id)
            found = next((a for a in message.attachments if a.name == name), None)
            if found is None:
                raise SandboxError(404, "Attachment not found.")
            return found

    def _owned_message(self, key: str, message_id: str) -> tuple[_Box, SandboxMessage]:
        box = self._message_box.get(message_id)
        if box is None or self._live_box(box.info.email) is not box or box.info.owner_key != key:
            raise SandboxError(404, MESSAGE_NOT_FOUND)
        return box, box.messages[message_id]

    def _new_message_id(self) -> str:
        while True:
            candidate = "".join(
                secrets.choice(MESSAGE_ID_ALPHABET) for _ in range(MESSAGE_ID_LENGTH)
            )
            if candidate not in self._message_box:
                return candidate
