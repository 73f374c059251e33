"""Security helpers for the local web server, shared by every route that changes something.

`backbrain serve` runs on the user's machine, where any web page they visit can send requests to
127.0.0.1. Reads are protected by the browser's same-origin policy (no CORS headers are ever sent)
and by refusing unknown Host headers (DNS rebinding); writes additionally need both a same-origin
Origin/Referer and the per-server CSRF token, which only a same-origin page can read from /_csrf.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import parse_qs, urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backbrain.site.policy import CONTENT_SECURITY_POLICY

CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}


class CsrfGuard:
    """One random token per server process; compared in constant time."""

    def __init__(self, token: str | None = None) -> None:
        self.token = token or secrets.token_urlsafe(32)

    def valid(self, candidate: str | None) -> bool:
        return bool(candidate) and hmac.compare_digest(str(candidate).encode(), self.token.encode())


def expected_origin(request: Request) -> str | None:
    host = request.headers.get("host")
    return f"{request.url.scheme}://{host}".lower() if host else None


def same_origin(request: Request) -> bool:
    """True when Origin (or, without it, Referer) names this server's own scheme://host:port."""
    expected = expected_origin(request)
    if expected is None:
        return False
    origin = request.headers.get("origin")
    if origin is not None:
        return origin.lower() == expected
    referer = request.headers.get("referer")
    if referer:
        parts = urlsplit(referer)
        return f"{parts.scheme}://{parts.netloc}".lower() == expected
    return False


async def csrf_token_from(request: Request) -> str | None:
    """The token from the X-CSRF-Token header, else from a url-encoded form field named csrf_token.

    The form is parsed here with the standard library (no python-multipart dependency); the body stays
    cached on the request, so the endpoint can still read it.
    """
    token = request.headers.get(CSRF_HEADER)
    if token:
        return token
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        fields = parse_qs((await request.body()).decode("utf-8", "replace"))
        values = fields.get(CSRF_FIELD)
        return values[0] if values else None
    return None


async def require_same_origin_write(request: Request, guard: CsrfGuard) -> None:
    """Raise 403 unless a state-changing request is same-origin and carries the CSRF token."""
    if request.method in SAFE_METHODS:
        return
    if not same_origin(request):
        raise HTTPException(403, "Cross-origin request refused (Origin/Referer must be this server).")
    if not guard.valid(await csrf_token_from(request)):
        raise HTTPException(403, "Missing or wrong CSRF token (read it from /_csrf).")


Endpoint = Callable[[Request], Awaitable[Response]]


def protected(guard: CsrfGuard) -> Callable[[Endpoint], Endpoint]:
    """Decorator for write endpoints: `@protected(state.csrf)` runs the checks before the handler."""

    def decorate(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def wrapper(request: Request) -> Response:
            await require_same_origin_write(request, guard)
            return await endpoint(request)

        return wrapper

    return decorate


LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
ALL_INTERFACES = frozenset({"0.0.0.0", "::", ""})


def allowed_hosts(bind_host: str, extra: Sequence[str] = ()) -> list[str]:
    """Host names (without port) the server answers to: the loopback names, the bound address,
    and the names given with --allow-host. Never any name: refusing other Host headers is what
    defeats DNS rebinding, and it must hold when the server is bound beyond loopback too."""
    names = set(LOOPBACK) | {name.strip().lower() for name in extra if name.strip()}
    if bind_host not in ALL_INTERFACES:
        names.add(f"[{bind_host}]" if ":" in bind_host else bind_host)
    return sorted(names)


MAX_REQUEST_BODY = 64 * 1024


class BodyLimit:
    """Refuses a request body over `limit` bytes with 413: by its Content-Length before anything is
    read, and while reading for a chunked body (which has none)."""

    def __init__(self, app: ASGIApp, limit: int = MAX_REQUEST_BODY) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await _too_large(send, self.limit)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise HTTPException(413, f"Request body over {self.limit} bytes.")
            return message

        await self.app(scope, limited, send)


async def _too_large(send: Send, limit: int) -> None:
    body = f"Request body over {limit} bytes.".encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
               (b"connection", b"close")]  # fmt: skip
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
