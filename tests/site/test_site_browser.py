"""Real-browser tests: Debian's Chromium driven by Playwright against `serve` on a loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sitehelpers import make_site_vault
from webtest import BROWSER_MARKS, live_server

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    base = tmp_path_factory.mktemp("browser")
    root = make_site_vault(base / "vault")
    with live_server(root, base) as url:
        yield url, root




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


# Wraps window.ForceGraph as the vendored script defines it, so the test can call the page's own
# nodeLabel function: force-graph writes that function's result into its tooltip as HTML.
_CAPTURE_NODE_LABEL = """
(() => {
  let real;
  Object.defineProperty(window, "ForceGraph", {
    configurable: true,
    get() { return real; },
    set(factory) {
      real = function () {
        const graph = factory.apply(this, arguments);
        return function (el) {
          const instance = graph(el);
          const original = instance.nodeLabel;
          instance.nodeLabel = function (fn) { window.__bbNodeLabel = fn; return original.call(instance, fn); };
          return instance;
        };
      };
    },
  });
})();
"""


def test_graph_tooltips_show_a_hostile_title_as_text(server: tuple[str, Path], page: Any) -> None:
    page.add_init_script(_CAPTURE_NODE_LABEL)
    page.goto(server[0] + "/graph/")
    page.wait_for_function("typeof window.__bbNodeLabel === 'function'", timeout=10000)
    label = page.evaluate("window.__bbNodeLabel({title: '<img src=x onerror=\"window.__pwned=1\">', type: 0})")
    assert "<img" not in label and "&lt;img" in label
    page.set_content(f"<div id='tip'>{label}</div>")  # what force-graph does with it
    assert page.evaluate("document.querySelectorAll('#tip img').length") == 0


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
