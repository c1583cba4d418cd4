"""The documented examples of API.md, field for field, shared by the tests."""

from __future__ import annotations

from typing import Any

DOMAINS_EXAMPLE: dict[str, Any] = {
    "status": True,
    "data": {
        "requested_type": "free",
        "allowed_types": ["free"],
        "domains": [{"domain": "example.com", "type": "Free", "custom": False}],
    },
}
MAILBOX_EXAMPLE: dict[str, Any] = {
    "status": True,
    "data": {
        "id": 2301,
        "email": "randombox@example.com",
        "domain": "example.com",
        "expire_at": "2026-06-28T11:07:25+00:00",
        "expires_in_seconds": 600,
        "created_at": "2026-06-28T10:57:25+00:00",
        "email_token": "encrypted-email-token",
    },
}
DELETE_MAILBOX_EXAMPLE = {"status": True, "message": "Email has been successfully deleted."}
MESSAGES_EXAMPLE: dict[str, Any] = {
    "status": True,
    "mailbox": "randombox@example.com",
    "messages": [
        {
            "is_seen": False,
            "subject": "Welcome to Temp Mail",
            "from": "Example Sender",
            "from_email": "hello@example.org",
            "to": "randombox@example.com",
            "receivedAt": "2026-06-28 10:57:25",
            "id": "ap94AWDg123ELQz07vrVB9dLXlbqZM5NGwYxOJKko8n6m1",
            "html": True,
            "content": "<p>Hello from the inbox.</p>",
            "attachments": [
                {
                    "name": "file.txt",
                    "extension": "txt",
                    "size": 91,
                    "url": "https://v1.tempmailg.com/api/messages/"
                    "ap94AWDg123ELQz07vrVB9dLXlbqZM5NGwYxOJKko8n6m1/attachments/file.txt",
                }
            ],
        }
    ],
}
READ_EXAMPLE: dict[str, Any] = {
    "status": True,
    "data": {**MESSAGES_EXAMPLE["messages"][0], "is_seen": True},
}
DELETE_MESSAGE_EXAMPLE = {"status": True, "message": "Message was deleted successfully."}
ERROR_EXAMPLE = {"status": False, "message": "..."}
