"""Real-browser tests: Debian's Chromium driven by Playwright against `serve` on a loopback port."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sitehelpers import make_site_vault

from backbrain.site import SiteBuilder
from backbrain.web.app import SiteState, create_app
from backbrain.web.live import watcher_lifespan

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium is not installed at /usr/bin/chromium "
                       "(`make test` installs it with apt-get; run as root or install the chromium package)"),
]  # fmt: skip
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync"]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    import uvicorn

    base = tmp_path_factory.mktemp("browser")
    root = make_site_vault(base / "vault")
    out = base / "out"
    site_builder = SiteBuilder(root, out, base / "cache.json", live=True, workers=1)
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


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1200, "height": 850})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.console_errors = errors
    yield tab
    context.close()
    assert errors == [], f"console errors: {errors}"


def test_home_loads(server: tuple[str, Path], page: Any) -> None:
    page.goto(server[0] + "/")
    assert page.title() == "backbrain"
    assert page.locator("#start-here + ul .card-title").first.inner_text() == "Why caches fail"


def test_search_finds_a_note_by_a_symptom_word(server: tuple[str, Path], page: Any) -> None:
    page.goto(server[0] + "/tags/")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "bb-search"
    page.keyboard.type("thundering")
    first = page.locator("#bb-results li[role=option] strong").first
    first.wait_for(timeout=5000)
    assert first.inner_text() == "Cache stampede"
    page.keyboard.press("Enter")
    page.wait_for_url("**/note/cache-stampede/")
    page.keyboard.press("/")
    page.keyboard.type("coal")  # prefix of a title word ranks the title match first
    page.locator("#bb-results li[role=option]").first.wait_for()
    assert page.locator("#bb-results li[role=option] strong").first.inner_text() == "Request coalescing"


def test_relation_link_navigates(server: tuple[str, Path], page: Any) -> None:
    page.goto(server[0] + "/note/cache-stampede/")
    page.locator('[data-relation="mitigated-by"] a', has_text="Request coalescing").click()
    page.wait_for_url("**/note/request-coalescing/")
    assert page.locator("h1#note-title").inner_text() == "Request coalescing"


def test_graph_renders_nodes(server: tuple[str, Path], page: Any) -> None:
    page.goto(server[0] + "/graph/")
    page.wait_for_selector("#bb-graph[data-nodes='10'] canvas", timeout=10000)
    box = page.locator("#bb-graph canvas").first.bounding_box()
    assert box and box["width"] > 200 and box["height"] > 200
    page.goto(server[0] + "/note/cache-stampede/")
    assert page.locator("svg.neighbourhood a").count() >= 4


def test_mermaid_diagram_renders(server: tuple[str, Path], page: Any) -> None:
    page.goto(server[0] + "/note/url-shortener/")
    page.wait_for_selector("pre.mermaid svg", timeout=15000)


def test_dark_mode_toggles_and_is_remembered(server: tuple[str, Path], page: Any) -> None:
    page.goto(server[0] + "/")
    start = page.evaluate("document.documentElement.dataset.theme")
    page.locator("#bb-theme").click()
    flipped = "dark" if start == "light" else "light"
    assert page.evaluate("document.documentElement.dataset.theme") == flipped
    assert page.locator("#bb-theme").get_attribute("aria-pressed") == str(flipped == "dark").lower()
    page.reload()
    assert page.evaluate("document.documentElement.dataset.theme") == flipped
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == ("rgb(15, 20, 25)" if flipped == "dark" else "rgb(255, 255, 255)")


def test_live_reload_after_an_edit(server: tuple[str, Path], page: Any) -> None:
    url, root = server
    page.goto(url + "/note/routing/")
    page.wait_for_timeout(1200)  # let the page record the current build version
    note = root / "roadmap" / "routing.md"
    note.write_text(note.read_text().replace("Routers.", "Routers match paths to handlers."))
    # the CSP forbids eval, so wait with a selector rather than wait_for_function
    page.locator(".note-body", has_text="Routers match paths").wait_for(timeout=15000)


def test_phone_layout_has_no_horizontal_scroll(server: tuple[str, Path], browser: Any) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    tab = context.new_page()
    for path in ("/", "/note/url-shortener/", "/timeline/"):
        tab.goto(server[0] + path)
        overflow = tab.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{path} scrolls sideways by {overflow}px on a phone"
    context.close()
