"""The Starlette application behind `backbrain serve`, assembled from route providers.

A route provider is a function from the shared SiteState to a list of routes. The site's own routes
(live-reload version, CSRF token) are one provider; other modules add theirs, for example write
endpoints for progress or reviews, by passing more providers to create_app() or by calling
register_routes() before the app is built. The catch-all file handler always comes last, so an added
route is never shadowed by a file.

    from backbrain.web.app import SiteState, register_routes
    from backbrain.web.security import protected

    def progress_routes(state: SiteState) -> list[BaseRoute]:
        @protected(state.csrf)
        async def set_progress(request): ...
        return [Route("/_api/progress", set_progress, methods=["POST"])]

    register_routes(progress_routes)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backbrain.core.vault import freeze_heap
from backbrain.errors import BackbrainError
from backbrain.site.build.builder import BuildReport, SiteBuilder
from backbrain.web.files import SiteFiles
from backbrain.web.security import SECURITY_HEADERS, BodyLimit, CsrfGuard


@dataclass
class SiteState:
    """What every route can reach: the output folder, the vault, the builder and the CSRF guard."""

    site_dir: Path
    vault_root: Path
    builder: SiteBuilder | None = None
    csrf: CsrfGuard = field(default_factory=CsrfGuard)
    error: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    last_report: BuildReport | None = None
    _problems: list[dict[str, object]] = field(default_factory=list)
    _problems_for: str | None = None

    @property
    def version(self) -> str:
        return self.builder.version if self.builder else "static"

    def front_matter_problems(self) -> list[dict[str, object]]:
        """Notes whose front matter does not parse (or whose bytes are not text), as of the last build:
        the live pages show them in their status banner, whichever page is open."""
        vault = self.builder.vault if self.builder else None
        if vault is None:
            return []
        if self._problems_for != self.version:
            self._problems = [
                {"path": note.rel, "line": note.front.error_line if note.front.error else 1,
                 "message": note.front.error or note.decode_error or ""}
                for note in vault.files if note.front.error or note.decode_error
            ][:50]  # fmt: skip
            self._problems_for = self.version
        return self._problems

    def rebuild(self, changed: Sequence[Path]) -> BuildReport | None:
        """Bring the site up to date after these files changed; a problem is recorded, never raised."""
        if self.builder is None:
            return None
        with self.lock:
            try:
                report = self.builder.update(changed)
            except BackbrainError as exc:
                self.error = exc.message
                return None
            except Exception as exc:  # a broken edit must not take the server down
                self.error = f"{type(exc).__name__}: {exc}"
                return None
            self.error = None
            self.last_report = report
            freeze_heap()
            return report


RouteProvider = Callable[[SiteState], Sequence[BaseRoute]]
_REGISTERED: list[RouteProvider] = []


def register_routes(provider: RouteProvider) -> RouteProvider:
    """Add a provider to every app built afterwards (usable as a decorator)."""
    if provider not in _REGISTERED:
        _REGISTERED.append(provider)
    return provider


def site_routes(state: SiteState) -> list[BaseRoute]:
    """The live-reload version (polled by site.js) and the CSRF token for same-origin pages."""

    async def live_version(request: Request) -> Response:
        body = {"version": state.version, "error": state.error, "problems": state.front_matter_problems()}
        return JSONResponse(body, headers={"cache-control": "no-store"})

    async def csrf_token(request: Request) -> Response:
        return JSONResponse({"token": state.csrf.token}, headers={"cache-control": "no-store"})

    return [Route("/_live/version", live_version), Route("/_csrf", csrf_token)]


class SecurityHeaders:
    """Adds the CSP and friends to every response, including errors and the 404 page."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.decode().lower() not in SECURITY_HEADERS]
                headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(
    state: SiteState,
    providers: Sequence[RouteProvider] = (),
    *,
    hosts: Sequence[str] = ("127.0.0.1", "localhost"),
    lifespan: Callable[[Any], AbstractAsyncContextManager[None]] | None = None,
) -> Starlette:
    """The app: site routes, registered and given providers, then the file handler as catch-all."""
    routes: list[BaseRoute] = []
    for provider in (site_routes, *_REGISTERED, *providers):
        routes.extend(provider(state))
    files = SiteFiles(state.site_dir)
    routes.append(Route("/{path:path}", files.handle, methods=["GET", "HEAD"]))

    async def not_found(request: Request, exc: Exception) -> Response:
        return files.not_found()

    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(TrustedHostMiddleware, allowed_hosts=list(hosts)),
            Middleware(BodyLimit),
        ],
        exception_handlers={404: not_found},
        lifespan=lifespan,
    )
    app.state.site = state
    return app
