"""The note page's layout, the graph page's controls and the live check banner, in real Chromium at
desktop and phone widths (screenshots go to the test's folder for a person to look at)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sitehelpers import make_site_vault, note
from webtest import BROWSER_MARKS, live_server

pytestmark = BROWSER_MARKS

LONG = "\n\n".join(
    [f"## Section {n}\n\n" + " ".join(["Caches trade freshness for speed."] * 30) for n in range(1, 16)]
    + ["## References\n\n1. Nishtala, R. *Scaling Memcache at Facebook*. NSDI, 2013. "
       "https://www.usenix.org/conference/nsdi13/technical-sessions/presentation/nishtala\n"
       "2. Inline code stays code: `https://not.a.link/`"]
)  # fmt: skip


def _vault(root: Path) -> Path:
    metrics = {f"metric_{n}_with_a_long_name": n * 1000.5 for n in range(12)}
    extra = {
        "01_patterns/big-pattern.md": note(
            {"title": "Big pattern", "type": "pattern", "mitigates": ["cache-stampede"], "uses": [],
             "related": ["caching", "request-coalescing", "url-shortener", "why-caches-fail"],
             "lab": "wide-lab"},
            "# Big pattern\n\n" + LONG + "\n",
        ),
    }  # fmt: skip
    make_site_vault(root, extra)
    lab = root / "labs" / "wide-lab"
    lab.mkdir(parents=True)
    result = {"lab": "wide-lab", "params": {}, "seed": 1, "variants": {"baseline": metrics, "tuned": metrics}}
    (lab / "result.json").write_text(json.dumps(result))
    return root


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Path]]:
    base = tmp_path_factory.mktemp("layout")
    root = _vault(base / "vault")
    with live_server(root, base) as url:
        yield url, root, base



def _page(browser: Any, width: int, height: int) -> Any:
    context = browser.new_context(viewport={"width": width, "height": height})
    return context.new_page()


def _overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])  # fmt: skip


def test_desktop_outline_never_covers_the_relation_panels(served: tuple[str, Path, Path], browser: Any):
    base, _, folder = served
    page = _page(browser, 1280, 800)
    page.goto(f"{base}/note/big-pattern/")
    toc, panels = page.locator(".toc"), page.locator(".relation-panel")
    assert panels.count() >= 2 and page.locator(".toc details").get_attribute("open") is not None
    for fraction in (0.0, 0.3, 0.6, 1.0):
        page.evaluate(f"window.scrollTo(0, document.body.scrollHeight * {fraction})")
        page.wait_for_timeout(100)
        outline = toc.bounding_box()
        room = page.evaluate("document.querySelector('.note-layout').getBoundingClientRect().bottom"
                             " - document.querySelector('.note-aside').getBoundingClientRect().height")
        assert outline is not None and (outline["y"] >= 0 or room < 80)  # on screen while the note goes on
        for i in range(panels.count()):
            panel = panels.nth(i).bounding_box()
            assert panel is not None and not _overlaps(outline, panel), (fraction, i)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(folder / "note-desktop.png"))
    ref = page.locator('.note-body a[href^="https://www.usenix.org/"]')
    assert ref.count() == 1 and ref.inner_text().startswith("https://www.usenix.org/conference")
    assert page.locator('.note-body a[href="https://not.a.link/"]').count() == 0  # code stays code
    local = page.get_by_role("link", name="Open the local graph")
    assert local.get_attribute("href") == "../../graph/?focus=big-pattern&depth=2"
    page.context.close()


def test_phone_outline_is_a_collapsed_block_on_top_and_lab_tables_scroll_in_place(
    served: tuple[str, Path, Path], browser: Any
):
    base, _, folder = served
    page = _page(browser, 390, 844)
    page.goto(f"{base}/note/big-pattern/")
    details = page.locator(".toc details")
    assert details.get_attribute("open") is None  # collapsed on a phone
    outline, title = page.locator(".toc").bounding_box(), page.locator("#note-title").bounding_box()
    assert outline is not None and title is not None and outline["y"] < title["y"]  # above the note
    page.screenshot(path=str(folder / "note-phone.png"))
    page.locator(".toc summary").click()
    assert details.get_attribute("open") is not None and page.locator(".toc li").first.is_visible()
    wrap = page.locator(".lab .table-wrap")
    sizes = wrap.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert sizes[0] > sizes[1]  # the wide table scrolls inside its box...
    page_width = page.evaluate("document.scrollingElement.scrollWidth")
    assert page_width <= 390  # ...and the page itself does not scroll sideways
    wrap.scroll_into_view_if_needed()
    page.screenshot(path=str(folder / "lab-phone.png"))
    page.context.close()


def test_graph_labels_type_filters_and_local_depth(served: tuple[str, Path, Path], browser: Any):
    base, root, folder = served
    page = _page(browser, 1280, 900)
    page.goto(f"{base}/graph/")
    canvas = page.locator("#bb-graph")
    page.wait_for_function("() => document.getElementById('bb-graph').dataset.visible", timeout=15_000)
    total = int(canvas.get_attribute("data-nodes") or 0)
    assert int(canvas.get_attribute("data-visible") or 0) == total > 5
    page.get_by_label("Patterns (").uncheck()
    patterns = len(list((root / "01_patterns").glob("*.md")))
    assert int(canvas.get_attribute("data-visible") or 0) == total - patterns
    page.get_by_label("Patterns (").check()

    page.goto(f"{base}/graph/?focus=cache-stampede&depth=1")
    page.wait_for_function("() => document.querySelector('.graph-local-status').textContent", timeout=15_000)
    status = page.locator(".graph-local-status").inner_text()
    neighbours = {"caching", "request-coalescing", "url-shortener", "big-pattern", "why-caches-fail"}
    assert int(canvas.get_attribute("data-visible") or 0) == 1 + len(neighbours), status
    assert "within 1 link of Cache stampede" in status
    page.locator("#bb-graph-depth").select_option("2")
    assert int(canvas.get_attribute("data-visible") or 0) > 1 + len(neighbours)
    where = (
        "() => { const g = document.getElementById('bb-graph').graph; const box = document.getElementById('bb-graph')"
        ".getBoundingClientRect(); const n = g.graphData().nodes.find(n => n.slug === 'cache-stampede');"
        " const p = g.graph2ScreenCoords(n.x, n.y); return [box.left + p.x, box.top + p.y]; }"
    )
    # point at the node once the layout has placed it and it has stopped moving (a loaded machine
    # runs the force layout slowly: a fixed pause once gave a node with no position yet)
    page.wait_for_function(
        f"() => {{ const p = ({where})(); const last = window.__bbLast; window.__bbLast = p;"
        " return p.every(Number.isFinite) && !!last && Math.hypot(p[0] - last[0], p[1] - last[1]) < 0.5; }",
        polling=250, timeout=20_000,
    )  # fmt: skip
    point = page.evaluate(where)
    page.mouse.move(point[0], point[1])
    page.wait_for_function("() => document.getElementById('bb-graph').dataset.hover === 'Cache stampede'")
    page.screenshot(path=str(folder / "graph-local.png"))
    page.context.close()


def test_broken_front_matter_under_serve_shows_the_banner_and_live_version_reports_it(
    served: tuple[str, Path, Path], browser: Any
):
    base, root, folder = served
    broken = root / "01_patterns" / "broken-one.md"
    broken.write_text("---\ntitle: Broken one\ntype: pattern\ntags: [unclosed\n---\n\n# Broken one\n\nText.\n")
    page = _page(browser, 1280, 800)
    try:
        page.goto(f"{base}/")
        # wait_for_function takes the Promise a fetch returns for a truthy answer and does not wait:
        # poll from here until the rebuild has seen the note (slow on a loaded machine)
        deadline = time.monotonic() + 20
        while not (data := page.evaluate("fetch('/_live/version').then(r => r.json())"))["problems"]:
            assert time.monotonic() < deadline, "the broken note never showed in /_live/version"
            page.wait_for_timeout(100)
        (problem,) = data["problems"]
        assert problem["path"] == "01_patterns/broken-one.md" and problem["line"] >= 1 and problem["message"]
        status = page.locator("#bb-live-status")
        status.wait_for(state="visible", timeout=10_000)
        assert "Broken front matter: 01_patterns/broken-one.md:" in status.inner_text()
        page.goto(f"{base}/note/broken-one/")
        banner = page.locator(".problems")
        assert "BB002" in banner.inner_text() and "01_patterns/broken-one.md" in banner.inner_text()
        page.screenshot(path=str(folder / "broken-banner.png"))
    finally:
        broken.unlink()
        page.context.close()
