"""`backbrain serve`: build once, then watch the vault and rebuild only what changed.

The watcher runs inside the app's lifespan (watchfiles' awatch); each batch of changed paths goes to
SiteBuilder.update() in a worker thread, under the state's lock, so requests keep being answered
while a rebuild runs and a half-finished rebuild is never visible (files are replaced atomically).
Open pages poll /_live/version and reload when it changes; a build problem is reported there and on
the page, and the server keeps running.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool

from backbrain.core.vault import freeze_heap
from backbrain.site import SiteBuilder, site_paths
from backbrain.web.app import SiteState, create_app
from backbrain.web.security import allowed_hosts

# Modules that add routes with backbrain.web.app.register_routes when imported; serve imports them
# before building the app. A module that does not exist (yet) is skipped.
ROUTE_MODULES = ("backbrain.web.learn", "backbrain.web.search", "backbrain.web.labs")
IGNORED_PARTS = {".backbrain", ".git", ".obsidian", "node_modules", "__pycache__", ".trash", ".venv"}


def watch_filter(out: Path) -> Any:
    """A watchfiles filter that ignores the site's own output, tool folders and editor temp files."""
    from watchfiles import DefaultFilter

    base = DefaultFilter(ignore_dirs=tuple(IGNORED_PARTS))
    out = out.resolve()

    def accept(change: Any, path: str) -> bool:
        candidate = Path(path)
        if candidate.is_relative_to(out) or any(part in IGNORED_PARTS for part in candidate.parts):
            return False
        return bool(base(change, path))

    return accept


def watcher_lifespan(state: SiteState, out: Path) -> Any:
    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        from watchfiles import awatch

        stop = asyncio.Event()

        async def watch() -> None:
            async for changes in awatch(state.vault_root, watch_filter=watch_filter(out), stop_event=stop,
                                        debounce=150, step=40):  # fmt: skip
                paths = [Path(path) for _, path in changes]
                await run_in_threadpool(state.rebuild, paths)

        task = asyncio.create_task(watch())
        try:
            yield
        finally:
            stop.set()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    return lifespan


def prepare(
    vault_root: Path, read_only: bool, host: str, *, watch: bool = True, allow_hosts: Sequence[str] = ()
) -> tuple[Any, SiteState]:
    """Build the live site (raising on a configuration error) and the app that serves and watches it."""
    out, cache = site_paths(vault_root, read_only, None, purpose="serve")
    builder = SiteBuilder(vault_root, out, cache, read_only=read_only, live=True)
    report = builder.build()
    builder.workers = 1  # later rebuilds run next to the server's threads: no fork there
    state = SiteState(site_dir=out, vault_root=Path(vault_root).resolve(), builder=builder, last_report=report)
    freeze_heap()
    lifespan = watcher_lifespan(state, out) if watch else None
    load_route_modules()
    return create_app(state, hosts=allowed_hosts(host, allow_hosts), lifespan=lifespan), state


def load_route_modules() -> None:
    import importlib

    for name in ROUTE_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise


def serve(
    vault_root: Path, read_only: bool, host: str = "127.0.0.1", port: int = 8000, allow_hosts: Sequence[str] = ()
) -> None:
    """Bind first (a busy port is an error before anything is built), build, then serve."""
    from backbrain.web import server

    sock = server.bind(host, port)
    try:
        app, state = prepare(vault_root, read_only, host, allow_hosts=allow_hosts)
        report = state.last_report
        pages = report.pages if report else 0
        port = sock.getsockname()[1]
        print(f"Serving {pages} pages of {vault_root} at http://{_url_host(host)}:{port}/ (Ctrl+C to stop)", flush=True)
        server.run(app, sock)
    finally:
        sock.close()


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
