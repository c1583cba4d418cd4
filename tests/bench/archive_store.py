"""A year of archive: 2,000 archived boxes × 25 mails, built fast and kept for the run."""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tempmail_tui.api.models import Mailbox, Message
from tempmail_tui.core.store import Store

CORPUS = Path(__file__).resolve().parents[1] / "corpus"

#: Words every kind of mail uses (most common first): a search for one matches most mail.
COMMON = [
    "the",
    "your",
    "account",
    "to",
    "and",
    "you",
    "for",
    "please",
    "this",
    "code",
    "verify",
    "email",
    "update",
    "order",
    "security",
    "team",
    "new",
    "link",
    "password",
    "confirm",
    "notice",
    "sign",
]
#: Words of one trade each: a search for one matches a few hundred mails.
TOPICAL = [
    "invoice",
    "shipping",
    "delivery",
    "receipt",
    "subscription",
    "webinar",
    "refund",
    "deployment",
    "pipeline",
    "kubernetes",
    "latency",
    "quarterly",
    "newsletter",
    "booking",
    "itinerary",
    "warranty",
    "payroll",
    "onboarding",
    "renewal",
    "firmware",
    "backup",
    "storage",
    "dashboard",
    "migration",
    "certificate",
    "compliance",
    "survey",
]
_SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ne",
    "ru",
    "sa",
    "ti",
    "vo",
    "pe",
    "da",
    "fi",
    "gu",
    "ho",
    "ja",
    "ze",
    "wu",
    "be",
    "ci",
]


def _rare_words(count: int, rng: random.Random) -> list[str]:
    """Made-up words, each used by a handful of mails only (names, products, places)."""
    words: set[str] = set()
    while len(words) < count:
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(3, 4))))
    return sorted(words)


def _load_corpus() -> list[tuple[str, str, str, bool]]:
    """The test corpus' real-looking mails: (from, subject, content, is_html)."""
    mails = []
    for path in sorted(CORPUS.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        mails.append((data["from"], data["subject"], data["content"], bool(data["is_html"])))
    return mails


@dataclass(frozen=True)
class ArchiveSpec:
    """How big a store to build."""

    boxes: int = 2_000
    mails_each: int = 25
    #: Live boxes added after the archive (the reader lists these first).
    live: tuple[Mailbox, ...] = ()
    seed: int = 14


@dataclass(frozen=True)
class BuiltStore:
    """A store built by ``build``: where it is, what it holds and how long it took."""

    path: Path
    boxes: int
    messages: int
    size_bytes: int
    seconds: float
    #: Made-up words of the archive, each in a few mails (for rare-word searches).
    rare: tuple[str, ...]


class _Writer:
    """Deterministic mails of many kinds with realistic word frequencies."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.corpus = _load_corpus()
        self.rare = _rare_words(30_000, rng)

    def _paragraph(self, topic: str) -> str:
        rng = self.rng
        words: list[str] = []
        for _ in range(rng.randint(25, 60)):
            roll = rng.random()
            if roll < 0.6:
                # Zipf-like: the first common words are by far the most frequent.
                words.append(COMMON[min(int(rng.paretovariate(1.1)) - 1, len(COMMON) - 1)])
            elif roll < 0.8:
                words.append(topic)
            elif roll < 0.81:
                words.append(rng.choice(TOPICAL))
            else:
                words.append(rng.choice(self.rare))
        return " ".join(words).capitalize() + "."

    def message(self, index: int, received: datetime) -> Message:
        """One mail: a corpus mail with a twist, or a generated HTML notice or newsletter."""
        rng = self.rng
        topic = rng.choice(TOPICAL)
        if rng.random() < 0.25:
            sender, subject, content, is_html = rng.choice(self.corpus)
            name, _, address = sender.partition("<")
            extra = self._paragraph(topic)
            content = (
                content.replace("</body>", f"<p>{extra}</p></body>")
                if is_html
                else (content + "\n\n" + extra)
            )
            from_name, from_email = name.strip(), address.rstrip(">").strip() or sender
        else:
            paragraphs = [self._paragraph(topic) for _ in range(rng.randint(4, 12))]
            is_html = rng.random() < 0.8
            if is_html:
                body = "".join(
                    f'<p style="font-size:14px;line-height:20px;color:#333">{p} '
                    f'<a href="https://app.example.com/{topic}/{index}/{n}?utm=mail">more</a></p>'
                    for n, p in enumerate(paragraphs)
                )
                content = (
                    '<html><body style="margin:0"><table width="100%"><tr><td>'
                    f"<h2>{topic.title()} #{index}</h2>{body}"
                    '<p style="font-size:11px;color:#999">Unsubscribe</p></td></tr></table>'
                    "</body></html>"
                )
            else:
                content = "\n\n".join(paragraphs)
            subject = f"{topic.title()}: {self._paragraph(topic)[:60]}"
            from_name = f"{topic.title()} {rng.choice(self.rare).title()}"
            from_email = f"no-reply@{topic}.example"
        return Message(
            id=f"m{index:07d}",
            subject=subject,
            from_name=from_name,
            from_email=from_email,
            to="",
            received_at=received,
            is_seen=rng.random() < 0.9,
            is_html=is_html,
            content=content,
            attachments=(),
        )


def _box(index: int, added: datetime) -> Mailbox:
    return Mailbox(
        id=index + 1,
        email=f"archived{index:05d}@old.example",
        domain="old.example",
        created_at=added,
        expire_at=added + timedelta(hours=1),
        expires_in_seconds=0,
        email_token="",
    )


def build(path: Path, spec: ArchiveSpec = ArchiveSpec()) -> BuiltStore:
    """Write the archive through the ``Store`` API, one box (one transaction) at a time."""
    started = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(spec.seed)
    writer = _Writer(rng)
    now = datetime.now(UTC)
    # A year back, oldest box first: a box's mail arrives over its hour of life.
    first = now - timedelta(days=365)
    step = timedelta(days=365) / max(1, spec.boxes)
    count = 0
    with Store.open(path, clock=lambda: now) as store:
        for b in range(spec.boxes):
            added = first + step * b
            box = _box(b, added)
            store.add_mailbox(box)
            mails = [
                writer.message(count + i, added + timedelta(minutes=2 * i))
                for i in range(spec.mails_each)
            ]
            store.sync_messages(box.email, mails)
            store.mark_mailbox_gone(box.email, "expired" if b % 3 else "deleted")
            count += len(mails)
        for live in spec.live:
            store.add_mailbox(live)
    size = path.stat().st_size + sum(
        p.stat().st_size for p in path.parent.glob(path.name + "-wal") if p.exists()
    )
    return BuiltStore(
        path, spec.boxes, count, size, time.perf_counter() - started, tuple(writer.rare)
    )
