"""Helpers shared by the HTTP and browser tests of the site and the learning endpoints.

In-process requests go through httpx's ASGI transport; browser tests start the real app under
uvicorn on a free loopback port and drive Debian's Chromium with Playwright.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from backbrain.site import SiteBuilder
from backbrain.web.app import SiteState, create_app
from backbrain.web.live import load_route_modules, watcher_lifespan

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]  # fmt: skip
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium is not installed at /usr/bin/chromium "
                       "(`make test` installs it with apt-get; run as root or install the chromium package)"),
]  # fmt: skip


def call(app: Any, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """One request to the ASGI app, in process."""

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.request(method, path, **kwargs)

    return asyncio.run(go())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def live_server(root: Path, work: Path) -> Iterator[str]:
    """Build `root` into `work` and serve it live (watcher included) on a free loopback port."""
    import uvicorn

    load_route_modules()  # the learning, search and lab routes, as `backbrain serve` registers them
    out = work / "out"
    site_builder = SiteBuilder(root, out, work / "cache.json", live=True, workers=1)
    site_builder.build()
    state = SiteState(site_dir=out, vault_root=root, builder=site_builder)
    app = create_app(state, lifespan=watcher_lifespan(state, out))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def watched_page(browser: Any, height: int = 850) -> Iterator[Any]:
    """A tab that records console errors and page errors; the block must end with none."""
    context = browser.new_context(viewport={"width": 1200, "height": height})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.console_errors = errors
    try:
        yield tab
    finally:
        context.close()
    assert errors == [], f"console errors: {errors}"
