"""The sandbox's mailboxes and the messages in them, indexed by address and by message id."""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from tempmail_tui.sandbox.errors import SandboxError
from tempmail_tui.sandbox.records import (
    MailDraft,
    SandboxAttachment,
    SandboxDomain,
    SandboxMailbox,
    SandboxMessage,
)

USERNAME_RE = re.compile(r"[a-z0-9._-]{1,64}", re.IGNORECASE)
MESSAGE_ID_ALPHABET = string.ascii_letters + string.digits
MESSAGE_ID_LENGTH = 46
FIRST_MAILBOX_ID = 2301

_ADJECTIVES = ("brisk", "calm", "eager", "fuzzy", "gentle", "jolly", "lucky", "quiet", "swift")
_NOUNS = ("otter", "falcon", "maple", "comet", "harbor", "pebble", "lantern", "meadow", "fox")

MAILBOX_NOT_FOUND = "Email not found."
MESSAGE_NOT_FOUND = "Message not found."


def valid_username(username: str) -> bool:
    """Whether the API accepts this user name (letters, digits, ``._-``, no edge dots)."""
    return (
        USERNAME_RE.fullmatch(username) is not None
        and not username.startswith(".")
        and not username.endswith(".")
    )


@dataclass(slots=True)
class Box:
    """The mutable home of a mailbox: its public record changes on rename, its messages stay."""

    info: SandboxMailbox
    messages: dict[str, SandboxMessage] = field(default_factory=dict)


class Mailboxes:
    """Every mailbox and message, with ownership and expiry; the caller holds the state's lock."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now
        self.boxes: dict[str, Box] = {}
        #: The box each message lives in, by message id.
        self.message_box: dict[str, Box] = {}
        self._next_mailbox_id = FIRST_MAILBOX_ID

    # -- mailboxes -------------------------------------------------------------------------------

    def create(
        self, owner: str, domain: SandboxDomain, username: str | None, *, ttl: int
    ) -> SandboxMailbox:
        """A new mailbox of ``owner`` on ``domain``, a random free user name where not given."""
        if username is None:
            username = self._random_free_username(domain.domain)
        address = self.check_new_address(username, domain.domain)
        now = self._now().replace(microsecond=0)
        info = SandboxMailbox(
            id=self._new_mailbox_id(),
            email=address,
            domain=domain.domain,
            created_at=now,
            expire_at=now + timedelta(seconds=ttl),
            email_token=secrets.token_urlsafe(32),
            owner_key=owner,
        )
        self.boxes[address] = Box(info)
        return info

    def move(self, box: Box, address: str, domain: SandboxDomain) -> SandboxMailbox:
        """Give a box a new, already checked address: new id and token, same messages."""
        del self.boxes[box.info.email]
        box.info = replace(
            box.info,
            id=self._new_mailbox_id(),
            email=address,
            domain=domain.domain,
            email_token=secrets.token_urlsafe(32),
        )
        self.boxes[address] = box
        return box.info

    def check_new_address(self, username: str, domain: str) -> str:
        """The address ``username@domain``, or a 422 when it is malformed or taken."""
        if not valid_username(username):
            raise SandboxError(422, "The username format is invalid.")
        address = f"{username.lower()}@{domain}"
        if self.live(address) is not None:
            raise SandboxError(422, "The email has already been taken.")
        return address

    def live(self, email: str) -> Box | None:
        """The box of an address while it lives; an expired one is dropped on the way."""
        box = self.boxes.get(email.strip().lower())
        if box is None:
            return None
        if box.info.expire_at <= self._now():
            self.drop(box)
            return None
        return box

    def owned(self, key: str, email: str) -> Box:
        """A live box this key owns, or a 404."""
        box = self.live(email)
        # Someone else's mailbox answers exactly like a missing one.
        if box is None or box.info.owner_key != key:
            raise SandboxError(404, MAILBOX_NOT_FOUND)
        return box

    def drop(self, box: Box) -> None:
        """Forget a box and every message in it."""
        self.boxes.pop(box.info.email, None)
        for message_id in box.messages:
            self.message_box.pop(message_id, None)

    def purge_expired(self) -> None:
        """Drop every box whose time is up."""
        now = self._now()
        for box in [b for b in self.boxes.values() if b.info.expire_at <= now]:
            self.drop(box)

    def _random_free_username(self, domain: str) -> str:
        while True:
            name = (
                f"{secrets.choice(_ADJECTIVES)}{secrets.choice(_NOUNS)}"
                f"{secrets.randbelow(10_000):04d}"
            )
            if self.live(f"{name}@{domain}") is None:
                return name

    def _new_mailbox_id(self) -> int:
        mailbox_id = self._next_mailbox_id
        self._next_mailbox_id += 1
        return mailbox_id

    # -- messages --------------------------------------------------------------------------------

    def deliver(
        self, email: str, draft: MailDraft, *, code: str | None, received_at: datetime | None
    ) -> SandboxMessage:
        """Store a mail in a live mailbox; 404 if there is none."""
        box = self.live(email)
        if box is None:
            raise SandboxError(404, MAILBOX_NOT_FOUND)
        message_id = self._new_message_id()
        message = SandboxMessage(
            id=message_id,
            to=box.info.email,
            subject=draft.subject,
            from_name=draft.from_name,
            from_email=draft.from_email,
            received_at=(received_at or self._now()).astimezone(UTC).replace(microsecond=0),
            html=draft.html,
            content=draft.content,
            attachments=draft.attachments,
            code=code,
        )
        box.messages[message_id] = message
        self.message_box[message_id] = box
        return message

    def owned_message(self, key: str, message_id: str) -> tuple[Box, SandboxMessage]:
        """A message in a live box this key owns, with its box, or a 404."""
        box = self.message_box.get(message_id)
        if box is None or self.live(box.info.email) is not box or box.info.owner_key != key:
            raise SandboxError(404, MESSAGE_NOT_FOUND)
        return box, box.messages[message_id]

    def read(self, key: str, message_id: str) -> SandboxMessage:
        """An owned message, marked seen by this read."""
        box, message = self.owned_message(key, message_id)
        if not message.is_seen:
            message = replace(message, is_seen=True)
            box.messages[message_id] = message
        return message

    def delete_message(self, key: str, message_id: str) -> None:
        """Delete an owned message."""
        box, _ = self.owned_message(key, message_id)
        del box.messages[message_id]
        del self.message_box[message_id]

    def attachment(self, key: str, message_id: str, name: str) -> SandboxAttachment:
        """An attachment of an owned message, by exact name."""
        _, message = self.owned_message(key, message_id)
        found = next((a for a in message.attachments if a.name == name), None)
        if found is None:
            raise SandboxError(404, "Attachment not found.")
        return found

    def _new_message_id(self) -> str:
        while True:
            candidate = "".join(
                secrets.choice(MESSAGE_ID_ALPHABET) for _ in range(MESSAGE_ID_LENGTH)
            )
            if candidate not in self.message_box:
                return candidate
