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
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs, urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",  # no inline scripts, no eval: every script is a file under /static/
        "style-src 'self' 'unsafe-inline'",  # mermaid writes <style> into its SVGs
        "img-src 'self' data: https:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)
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


def allowed_hosts(bind_host: str) -> list[str]:
    """Host names (without port) the server answers to: loopback names, or any when bound to all interfaces.

    Refusing other Host headers is what defeats DNS rebinding against a server on 127.0.0.1.
    """
    if bind_host in {"0.0.0.0", "::", ""}:
        return ["*"]
    return sorted({"127.0.0.1", "localhost", bind_host})
