"""The roadmap page's learning panel in a real browser (Debian's Chromium via Playwright)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from learn_helpers import learning_vault, read_events

import backbrain.web.learn  # noqa: F401  (registers the learning routes, as the server does)
from backbrain.frontmatter import parse_front_matter
from backbrain.site import SiteBuilder
from backbrain.web.app import SiteState, create_app
from backbrain.web.live import watcher_lifespan

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium is not installed at /usr/bin/chromium"),
]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    import uvicorn

    root = learning_vault(tmp_path / "vault")
    out = tmp_path / "out"
    site_builder = SiteBuilder(root, out, tmp_path / "cache.json", live=True, workers=1)
    site_builder.build()
    state = SiteState(site_dir=out, vault_root=root, builder=site_builder)
    app = create_app(state, lifespan=watcher_lifespan(state, out))
    port = _free_port()
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not uv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert uv.started, "server did not start"
    yield f"http://127.0.0.1:{port}", root
    uv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        tab = browser.new_page(viewport={"width": 1200, "height": 900})
        errors: list[str] = []
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        yield tab
        browser.close()
        assert errors == [], f"console errors: {errors}"


def test_review_and_mark_progress_from_the_roadmap_page(server: tuple[str, Path], page: Any):
    base, root = server
    page.goto(f"{base}/roadmap/")
    panel = page.locator("#bb-learn")
    panel.wait_for(state="visible", timeout=10_000)
    assert "1 of 3 completed" in (page.locator("svg.learn-chart").get_attribute("aria-label") or "")

    page.get_by_role("button", name="Review due cards").click()
    page.locator(".learn-prompt").wait_for(state="visible")
    page.keyboard.press(" ")
    page.locator(".learn-answer").wait_for(state="visible")
    page.keyboard.press("3")
    page.get_by_text("Good: next review").wait_for(timeout=10_000)
    (event,) = read_events(root / "journal" / "review.jsonl")
    assert event["rating"] == 3

    page.get_by_label("Progress of SQL databases").select_option("completed")
    page.get_by_text("SQL databases: completed (saved").wait_for(timeout=10_000)
    assert parse_front_matter((root / "roadmap" / "sql.md").read_text()).data["progress"] == "completed"
    page.wait_for_function(  # the watcher rebuilds the page and live reload shows the new count
        "() => (document.querySelector('svg.learn-chart')?.getAttribute('aria-label') || '').includes('2 of 3')",
        timeout=15_000,
    )
