"""`/search/?q=` under serve: answered from the SQLite index (the CLI's ranking), HTML-escaped,
and usable with JavaScript turned off; the header's search box submits to it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sitehelpers import HTMLParser, builder, make_site_vault, note
from webtest import call, live_server, watched_page

import backbrain.web.search  # noqa: F401  (registers /search/)
from backbrain.search.engine import search
from backbrain.search.store import open_index
from backbrain.web.app import SiteState, create_app

HOSTILE = {
    "04_failure-modes/hostile.md": note(
        {"title": "<img src=x onerror=alert(1)> Hostile herd", "type": "failure-mode", "summary": "x"},
        "# Hostile\n\n## What it is\n\nZebrafish <script>alert('x')</script> zebrafish stampede.\n",
    )
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    base = tmp_path_factory.mktemp("search-page")
    root = make_site_vault(base / "vault", HOSTILE)
    out = base / "out"
    site_builder = builder(root, out, live=True)
    site_builder.build()
    state = SiteState(site_dir=out, vault_root=root, builder=site_builder)
    return create_app(state, hosts=["testserver"]), root


def results(html: str) -> list[tuple[str, str]]:
    tree = HTMLParser(html)
    return [(li.attributes["data-id"] or "", li.css_first("a").attributes["href"] or "")
            for li in tree.css("#bb-search-page-results li")]  # fmt: skip


def test_search_page_lists_the_cli_results_in_order(served: tuple[Any, Path]) -> None:
    app, root = served
    response = call(app, "GET", "/search/?q=thundering+herd+expiry")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    with open_index(root) as index:
        index.sync()
        expected = [h.id for h in search(index, "thundering herd expiry", limit=30).hits]
    found = results(response.text)
    assert [i for i, _ in found] == expected and expected
    assert found[0][1] == f"../note/{expected[0]}/"
    assert call(app, "GET", found[0][1].replace("..", "")).status_code == 200  # the link leads to the note
    tree = HTMLParser(response.text)
    assert tree.css_first("#bb-search-page-q").attributes["value"] == "thundering herd expiry"
    assert tree.css(".result-snippet mark")


def test_query_and_note_text_are_escaped(served: tuple[Any, Path]) -> None:
    app, _ = served
    response = call(app, "GET", "/search/", params={"q": 'zebrafish "><script>alert(2)</script>'})
    assert response.status_code == 200
    body = response.text
    assert "<script>alert" not in body and "<img src=x" not in body
    assert "&lt;img src=x onerror=alert(1)&gt; Hostile herd" in body
    tree = HTMLParser(body)
    snippet = tree.css_first("#bb-search-page-results li .result-snippet")
    assert snippet.text() == "Zebrafish <script>alert('x')</script> zebrafish stampede."  # shown as text
    assert [m.text() for m in snippet.css("mark")] == ["Zebrafish", "script", "alert", "script", "zebrafish"]
    assert next(i for i, _ in results(body)) == "hostile"
    assert tree.css_first("#bb-search-page-q").attributes["value"] == 'zebrafish "><script>alert(2)</script>'
    assert all(s.attributes.get("src") for s in tree.css("script"))  # no script element came from data


def test_empty_and_stop_word_queries_answer_with_a_message(served: tuple[Any, Path]) -> None:
    app, _ = served
    empty = call(app, "GET", "/search/")
    assert empty.status_code == 200 and results(empty.text) == []
    only_common = call(app, "GET", "/search/?q=why+does+my")
    message = HTMLParser(only_common.text).css_first("#bb-search-page-message").text()
    assert "Only common words" in message and results(only_common.text) == []


def test_search_sees_an_edit_without_a_rebuild(served: tuple[Any, Path]) -> None:
    app, root = served
    path = root / "04_failure-modes" / "hostile.md"
    path.write_text(path.read_text().replace("Zebrafish", "Okapi"))
    try:
        assert [i for i, _ in results(call(app, "GET", "/search/?q=okapi").text)] == ["hostile"]
    finally:
        path.write_text(path.read_text().replace("Okapi", "Zebrafish"))



@pytest.mark.browser
def test_header_search_box_works_without_javascript(browser: Any, tmp_path: Path) -> None:
    root = make_site_vault(tmp_path / "vault")
    with live_server(root, tmp_path) as url:
        context = browser.new_context(java_script_enabled=False)
        try:
            page = context.new_page()
            page.goto(url + "/tags/")
            page.fill("#bb-search", "stampede")
            page.press("#bb-search", "Enter")
            page.wait_for_url("**/search/?q=stampede")
            first = page.locator("#bb-search-page-results li a").first
            assert "Cache stampede" in first.inner_text()
            first.click()
            page.wait_for_url("**/note/cache-stampede/")
        finally:
            context.close()


@pytest.mark.browser
def test_browser_snippets_show_note_html_as_text(browser: Any, tmp_path: Path) -> None:
    root = make_site_vault(tmp_path / "vault", HOSTILE)
    with live_server(root, tmp_path) as url, watched_page(browser) as page:
        page.goto(url + "/tags/")
        page.fill("#bb-search", "zebrafish")
        first = page.locator("#bb-results li[role=option]").first
        first.wait_for(timeout=5000)
        assert first.get_attribute("data-id") == "hostile"
        assert "<img src=x onerror=alert(1)> Hostile herd" in first.inner_text()
        snippet = first.locator(".result-snippet")
        assert "<script>alert('x')</script>" in snippet.inner_text()
        assert snippet.locator("mark").all_inner_texts() == ["Zebrafish", "zebrafish"]
        assert page.locator("#bb-results img, #bb-results script").count() == 0


@pytest.mark.browser
def test_vault_synonyms_work_in_the_search_box_and_the_search_page(browser: Any, tmp_path: Path) -> None:
    """A [search] synonyms group in backbrain.toml reaches both rankings: the browser's (from the
    site's index settings) and the server's (from the SQLite index)."""
    root = make_site_vault(tmp_path / "vault", HOSTILE)
    (root / "backbrain.toml").write_text('[search]\nsynonyms = [["okapi", "zebrafish"]]\n', encoding="utf-8")
    with live_server(root, tmp_path) as url, watched_page(browser) as page:
        page.goto(url + "/tags/")
        page.fill("#bb-search", "okapi")
        first = page.locator("#bb-results li[role=option]").first
        first.wait_for(timeout=5000)
        assert first.get_attribute("data-id") == "hostile"
        assert first.locator(".result-snippet mark").all_inner_texts() == ["Zebrafish", "zebrafish"]
        page.press("#bb-search", "Escape")
        page.goto(url + "/search/?q=okapi")
        server_ids = page.locator("#bb-search-page-results li").evaluate_all("els => els.map(e => e.dataset.id)")
        assert server_ids[:1] == ["hostile"]
        assert page.locator("#bb-search-page-results").get_attribute("data-server") == "1"
