"""The sandbox's Starlette application: the /api routes and the /_sandbox control routes."""

from __future__ import annotations

import asyncio
import base64
import binascii
import html
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import quote, unquote

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from tempmail_tui.sandbox import payloads
from tempmail_tui.sandbox.errors import SandboxError
from tempmail_tui.sandbox.faults import FaultDecision, Faults
from tempmail_tui.sandbox.records import SandboxAttachment
from tempmail_tui.sandbox.state import SandboxState

#: A route body: the request, the authenticated key and the decoded path segments after
#: ``/api/<name>/`` or ``/_sandbox/<name>/``.
Handler = Callable[[Request, str, list[str]], Awaitable[Response]]

UNAUTHENTICATED = "Unauthenticated."
QUOTA_SPENT = "Too Many Requests: the monthly request quota is used up."
NOT_FOUND = "Not found."

_ERROR_PAGE = """<!DOCTYPE html>
<html><head><title>{status} {phrase}</title></head>
<body><center><h1>{status} {phrase}</h1></center><hr><center>nginx</center></body></html>
"""


def bearer_key(request: Request) -> str | None:
    """The key of an ``Authorization: Bearer <key>`` header, if any."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def path_segments(request: Request) -> list[str]:
    """The path's segments after the mount and route name, each percent-decoded on its own."""
    # The raw path keeps "%2F" apart from "/", which the decoded path cannot.
    raw = request.scope.get("raw_path")
    path = raw.decode("latin-1") if isinstance(raw, bytes) else quote(request.url.path)
    parts = path.split("/")[1:]
    return [unquote(p, encoding="utf-8", errors="replace") for p in parts[2:]]


def json_error(status: int, message: str) -> JSONResponse:
    """A ``{"status": false, "message": ...}`` answer."""
    return JSONResponse(payloads.error_body(message), status_code=status)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _error_page(status: int) -> Response:
    page = _ERROR_PAGE.format(status=status, phrase=html.escape(_phrase(status)))
    return Response(page, status_code=status, media_type="text/html")


class RawPathRouting:
    """ASGI middleware that routes on the raw, still percent-encoded path."""

    # Decoded, a "%2F", "%0A" or "%3F" inside one segment would change which route matches
    # (or match none); the handlers decode each segment themselves.
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Swap the decoded path for the raw one, then hand on."""
        raw = scope.get("raw_path")
        if scope["type"] == "http" and isinstance(raw, bytes):
            scope = {**scope, "path": raw.decode("latin-1")}
        await self.app(scope, receive, send)


class SandboxApp:
    """Builds the ASGI app around one ``SandboxState``."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def build(self) -> Starlette:
        """The Starlette application with /api and /_sandbox mounted."""
        api = [
            Route("/domains", self._api(self.domains), methods=["GET"]),
            Route("/emails", self._api(self.create_mailbox), methods=["POST"]),
            Route("/emails/{rest:path}", self._api(self.mailbox_path), methods=["POST", "DELETE"]),
            Route("/messages", self._api(self.list_messages), methods=["GET"]),
            Route("/messages/{rest:path}", self._api(self.message_path), methods=["GET", "DELETE"]),
        ]
        control = [
            Route("/mailboxes", self._control(self.control_create), methods=["POST"]),
            Route("/mailboxes/{rest:path}", self._control(self.control_mailbox), methods=["POST"]),
            Route("/faults", self._control(self.control_faults), methods=["GET", "POST"]),
            Route("/quota", self._control(self.control_quota), methods=["GET", "POST"]),
            Route("/clock", self._control(self.control_clock), methods=["GET", "POST"]),
        ]
        return Starlette(
            routes=[Mount("/api", routes=api), Mount("/_sandbox", routes=control)],
            middleware=[Middleware(RawPathRouting)],
        )

    # -- wrappers ---------------------------------------------------------------------------------

    def _api(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        """Wrap an /api route: latency, auth, quota, faults, counting and quota headers."""
        state = self.state

        async def endpoint(request: Request) -> Response:
            key = bearer_key(request)
            authed = key is not None and state.account(key) is not None
            # The faults in force when a request ARRIVES decide its fate: one still sleeping
            # off an old latency must not consume the knobs set for the requests after it.
            decision = (
                state.draw_fault() if authed and key and not state.quota_exhausted(key) else None
            )
            latency = state.faults.latency
            if latency > 0:
                await asyncio.sleep(latency)
            if key is None or not authed:
                return json_error(401, UNAUTHENTICATED)
            if decision is None or state.quota_exhausted(key):
                response: Response = json_error(429, QUOTA_SPENT)
                omit = state.faults.omit_quota_headers
                return self._finish(response, key, FaultDecision(omit_quota_headers=omit))
            if decision.status is not None:
                status = decision.status
                if decision.non_json:
                    response = _error_page(status)
                else:
                    response = json_error(status, _phrase(status) + ".")
                return self._finish(response, key, decision)
            if decision.non_json:
                return self._finish(_error_page(200), key, decision)
            try:
                response = await handler(request, key, path_segments(request))
            except SandboxError as err:
                response = json_error(err.status, err.message)
            if decision.truncate_body:
                body = bytes(response.body)
                response = Response(
                    body[: len(body) // 2], status_code=200, media_type=response.media_type
                )
            return self._finish(response, key, decision)

        return endpoint

    def _finish(self, response: Response, key: str, decision: FaultDecision) -> Response:
        # Only a 2xx answer spends quota; the headers then include this request.
        if 200 <= response.status_code < 300:
            quota = self.state.charge(key)
        else:
            quota = self.state.quota(key)
        if not decision.omit_quota_headers:
            response.headers.update(quota.headers())
        if decision.retry_after is not None and response.status_code in (429, 503):
            response.headers["Retry-After"] = str(decision.retry_after)
        return response

    def _control(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        """Wrap a /_sandbox route: auth only; no faults, no quota."""
        state = self.state

        async def endpoint(request: Request) -> Response:
            key = bearer_key(request)
            if key is None or state.account(key) is None:
                return json_error(401, UNAUTHENTICATED)
            try:
                return await handler(request, key, path_segments(request))
            except SandboxError as err:
                return json_error(err.status, err.message)

        return endpoint

    # -- /api -------------------------------------------------------------------------------------

    async def domains(self, request: Request, key: str, rest: list[str]) -> Response:
        """``GET /domains?type=``."""
        requested = request.query_params.get("type", "free").strip().lower()
        found = self.state.list_domains(key, requested)
        body = payloads.domains_body(requested, self.state.allowed_types(key), found)
        return JSONResponse(body)

    async def create_mailbox(self, request: Request, key: str, rest: list[str]) -> Response:
        """``POST /emails``."""
        mailbox = self.state.create_mailbox(key)
        return JSONResponse(payloads.mailbox_body(mailbox, self.state.now()))

    async def mailbox_path(self, request: Request, key: str, rest: list[str]) -> Response:
        """``POST /emails/{current}/{username}/{domain}`` and ``DELETE /emails/{email}``."""
        if request.method == "DELETE" and len(rest) == 1:
            self.state.delete_mailbox(key, rest[0])
            return JSONResponse(payloads.done_body("Email has been successfully deleted."))
        if request.method == "POST" and len(rest) == 3:
            current, username, domain = rest
            mailbox = self.state.rename_mailbox(key, current, username, domain)
            return JSONResponse(payloads.mailbox_body(mailbox, self.state.now()))
        raise SandboxError(404, NOT_FOUND)

    async def list_messages(self, request: Request, key: str, rest: list[str]) -> Response:
        """``GET /messages?email=``."""
        email = request.query_params.get("email", "").strip()
        if not email:
            raise SandboxError(422, "The email field is required.")
        mailbox, messages = self.state.list_messages(key, email)
        return JSONResponse(payloads.messages_body(mailbox, messages, self.state.base_url))

    async def message_path(self, request: Request, key: str, rest: list[str]) -> Response:
        """``GET``/``DELETE /messages/{id}`` and ``GET /messages/{id}/attachments/{name}``."""
        if len(rest) == 1 and request.method == "GET":
            message = self.state.read_message(key, rest[0])
            return JSONResponse(payloads.message_body(message, self.state.base_url))
        if len(rest) == 1 and request.method == "DELETE":
            self.state.delete_message(key, rest[0])
            return JSONResponse(payloads.done_body("Message was deleted successfully."))
        if len(rest) == 3 and rest[1] == "attachments" and request.method == "GET":
            found = self.state.attachment(key, rest[0], rest[2])
            return _attachment_response(found)
        raise SandboxError(404, NOT_FOUND)

    # -- /_sandbox -------------------------------------------------------------------------------

    async def control_create(self, request: Request, key: str, rest: list[str]) -> Response:
        """``POST /_sandbox/mailboxes`` ``{"username"?, "domain"?}``: a mailbox, free of quota."""
        body = await _json_object(request, allow_empty=True)
        username = _optional_str(body, "username")
        domain = _optional_str(body, "domain")
        mailbox = self.state.create_mailbox(key, username, domain)
        return JSONResponse(payloads.mailbox_body(mailbox, self.state.now()))

    async def control_mailbox(self, request: Request, key: str, rest: list[str]) -> Response:
        """``POST /_sandbox/mailboxes/{email}/samples`` or ``.../messages``: deliver a mail."""
        if len(rest) != 2 or rest[1] not in ("samples", "messages"):
            raise SandboxError(404, NOT_FOUND)
        email = self.state.mailbox(key, rest[0]).email
        body = await _json_object(request, allow_empty=False)
        if rest[1] == "samples":
            kind = _optional_str(body, "kind")
            if kind is None:
                raise SandboxError(422, "The kind field is required.")
            message = self.state.add_sample(email, kind)
            data = {"id": message.id, "mailbox": email, "kind": kind, "code": message.code}
            return JSONResponse({"status": True, "data": data})
        html_body = _optional_str(body, "html")
        message = self.state.deliver(
            email,
            subject=_optional_str(body, "subject") or "",
            from_name=_optional_str(body, "from") or "",
            from_email=_optional_str(body, "from_email") or "sender@example.org",
            html=html_body,
            text=_optional_str(body, "text"),
            attachments=_attachments(body.get("attachments", [])),
        )
        return JSONResponse({"status": True, "data": {"id": message.id, "mailbox": email}})

    async def control_faults(self, request: Request, key: str, rest: list[str]) -> Response:
        """``GET``/``POST /_sandbox/faults``: read or replace every fault knob."""
        if request.method == "POST":
            self.state.faults = Faults.from_json(await _json_object(request, allow_empty=True))
        return JSONResponse({"status": True, "data": self.state.faults.to_json()})

    async def control_quota(self, request: Request, key: str, rest: list[str]) -> Response:
        """``GET``/``POST /_sandbox/quota`` ``{"limit"?, "used"?, "reset"?}`` for this key."""
        if request.method == "POST":
            body = await _json_object(request, allow_empty=True)
            reset = _optional_str(body, "reset")
            reset_at = None
            if reset is not None:
                try:
                    reset_at = datetime.fromisoformat(reset)
                except ValueError:
                    raise SandboxError(422, "reset must be an ISO-8601 timestamp.") from None
                if reset_at.tzinfo is None:
                    raise SandboxError(422, "reset must carry an offset.")
            quota = self.state.set_quota(
                key,
                limit=_optional_int(body, "limit"),
                used=_optional_int(body, "used"),
                reset_at=reset_at,
            )
        else:
            quota = self.state.quota(key)
        data = {
            "limit": quota.limit,
            "used": quota.used,
            "remaining": quota.remaining,
            "reset": quota.reset_at.isoformat(timespec="seconds"),
        }
        return JSONResponse({"status": True, "data": data})

    async def control_clock(self, request: Request, key: str, rest: list[str]) -> Response:
        """``GET``/``POST /_sandbox/clock`` ``{"advance": seconds}``: read or move the clock."""
        if request.method == "POST":
            body = await _json_object(request, allow_empty=False)
            advance = body.get("advance")
            if isinstance(advance, bool) or not isinstance(advance, int | float) or advance < 0:
                raise SandboxError(422, "advance must be a number of seconds (0 or more).")
            self.state.advance_clock(float(advance))
        return JSONResponse({"status": True, "data": {"now": payloads.iso(self.state.now())}})


def create_app(state: SandboxState) -> Starlette:
    """The sandbox's ASGI application over ``state``."""
    return SandboxApp(state).build()


def _attachment_response(found: SandboxAttachment) -> Response:
    disposition = f"attachment; filename*=UTF-8''{quote(found.name, safe='')}"
    return Response(
        found.data,
        media_type=found.content_type,
        headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"},
    )


async def _json_object(request: Request, *, allow_empty: bool) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        if allow_empty:
            return {}
        raise SandboxError(422, "A JSON object body is required.")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise SandboxError(422, "The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise SandboxError(422, "The body must be a JSON object.")
    return data


def _optional_str(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise SandboxError(422, f"{name} must be a string.")
    return value


def _optional_int(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise SandboxError(422, f"{name} must be an integer.")
    return value


def _attachments(value: object) -> list[SandboxAttachment]:
    if not isinstance(value, list):
        raise SandboxError(422, "attachments must be a list.")
    found: list[SandboxAttachment] = []
    for item in value:
        if not isinstance(item, dict):
            raise SandboxError(422, "Each attachment must be an object.")
        name = _optional_str(item, "name")
        encoded = _optional_str(item, "content_base64")
        if not name or encoded is None:
            raise SandboxError(422, "An attachment needs a name and content_base64.")
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise SandboxError(422, "content_base64 is not valid base64.") from None
        content_type = _optional_str(item, "content_type")
        attachment = SandboxAttachment.from_bytes(name, data)
        if content_type:
            attachment = SandboxAttachment(name, data, content_type)
        found.append(attachment)
    return found
