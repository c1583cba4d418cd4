"""The local SQLite store of known mailboxes and every message ever fetched."""

from tempmail_tui.core.store.errors import (
    STORE_FULL_MESSAGE,
    STORE_READ_ONLY_MESSAGE,
    StoreError,
    StoreFullError,
    StoreReadOnlyError,
)
from tempmail_tui.core.store.memory import LISTING_CACHE_BOXES
from tempmail_tui.core.store.opening import (
    MIGRATION_WAIT,
    QUICK_CHECK_MAX_BYTES,
    OpeningNotice,
    OpeningNotify,
)
from tempmail_tui.core.store.pollers import OtherPollers, PollerBeat
from tempmail_tui.core.store.records import (
    MailboxState,
    MessageSummary,
    StoredMailbox,
    StoredMessage,
    SyncResult,
)
from tempmail_tui.core.store.schema import SCHEMA_VERSION
from tempmail_tui.core.store.search import INDEX_MAX_CHARS, SearchHit
from tempmail_tui.core.store.store import Store

__all__ = [
    "INDEX_MAX_CHARS",
    "LISTING_CACHE_BOXES",
    "MIGRATION_WAIT",
    "QUICK_CHECK_MAX_BYTES",
    "SCHEMA_VERSION",
    "STORE_FULL_MESSAGE",
    "STORE_READ_ONLY_MESSAGE",
    "MailboxState",
    "MessageSummary",
    "OpeningNotice",
    "OpeningNotify",
    "OtherPollers",
    "PollerBeat",
    "SearchHit",
    "Store",
    "StoreError",
    "StoreFullError",
    "StoreReadOnlyError",
    "StoredMailbox",
    "StoredMessage",
    "SyncResult",
]
