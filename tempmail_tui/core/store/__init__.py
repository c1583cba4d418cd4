"""The local SQLite store of known mailboxes and every message ever fetched."""

from tempmail_tui.core.store.store import (
    INDEX_MAX_CHARS,
    LISTING_CACHE_BOXES,
    QUICK_CHECK_MAX_BYTES,
    SCHEMA_VERSION,
    STORE_FULL_MESSAGE,
    STORE_READ_ONLY_MESSAGE,
    MailboxState,
    Store,
    StoredMailbox,
    StoredMessage,
    StoreError,
    StoreFullError,
    StoreReadOnlyError,
    SyncResult,
)

__all__ = [
    "INDEX_MAX_CHARS",
    "LISTING_CACHE_BOXES",
    "QUICK_CHECK_MAX_BYTES",
    "SCHEMA_VERSION",
    "STORE_FULL_MESSAGE",
    "STORE_READ_ONLY_MESSAGE",
    "MailboxState",
    "Store",
    "StoreError",
    "StoreFullError",
    "StoreReadOnlyError",
    "StoredMailbox",
    "StoredMessage",
    "SyncResult",
]
