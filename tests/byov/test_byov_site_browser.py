"""The folder explorer and link previews in real headless Chromium: keyboard operable, and a preview
card is text only whatever a note's title holds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from byov_vaults import untyped
from webtest import BROWSER_MARKS, live_server

pytestmark = BROWSER_MARKS
HOSTILE = '<img src=x onerror="window.__pwned=1">'


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = tmp_path_factory.mktemp("byov-browser")
    root = untyped(base / "vault")
    (root / "Resources" / "Hostile.md").write_text(
        f'---\ntitle: "{HOSTILE.replace(chr(34), chr(92) + chr(34))}"\nsummary: "<b>bold</b> & more"\n---\nText.\n',
        encoding="utf-8",
    )
    (root / "Welcome.md").write_text(
        "# Welcome\n\nThis vault has [[Projects/Launch plan|a plan]], [[Reading list]] and [[Hostile]].\n",
        encoding="utf-8",
    )
    (root / "Resources" / "Reading list.md").write_text(
        "---\nsummary: Books worth a second read.\n---\n# Reading list\n\n1. DDIA\n", encoding="utf-8"
    )
    with live_server(root, base) as url:
        yield url




def test_hovering_a_link_shows_a_preview_card(server: str, page: Any) -> None:
    page.goto(server + "/note/welcome/")
    link = page.locator(".note-body a.wikilink", has_text="Reading list")
    link.hover()
    card = page.locator("#bb-link-preview")
    card.wait_for(timeout=5000)
    assert card.get_attribute("role") == "tooltip"
    assert card.locator(".link-preview-title").inner_text() == "Reading list"
    assert card.locator(".link-preview-summary").inner_text() == "Books worth a second read."
    page.mouse.move(5, 5)
    card.wait_for(state="detached", timeout=5000)


def test_keyboard_focus_shows_the_card_and_escape_hides_it(server: str, page: Any) -> None:
    page.goto(server + "/note/welcome/")
    link = page.locator(".note-body a.wikilink", has_text="a plan")
    link.focus()
    page.locator("#bb-link-preview").wait_for(timeout=5000)
    assert link.get_attribute("aria-describedby") == "bb-link-preview"
    assert page.locator("#bb-link-preview .link-preview-title").inner_text() == "Launch plan"
    page.keyboard.press("Escape")
    page.locator("#bb-link-preview").wait_for(state="detached", timeout=5000)
    assert link.get_attribute("aria-describedby") is None


def test_a_hostile_title_stays_text_in_the_card(server: str, page: Any) -> None:
    page.goto(server + "/note/welcome/")
    page.locator(".note-body a.wikilink").nth(2).hover()
    card = page.locator("#bb-link-preview")
    card.wait_for(timeout=5000)
    assert card.locator(".link-preview-title").inner_text() == HOSTILE
    assert card.locator(".link-preview-summary").inner_text() == "<b>bold</b> & more"
    assert card.locator("img, b").count() == 0
    assert page.evaluate("window.__pwned") is None


def test_explorer_folders_open_and_close_from_the_keyboard(server: str, page: Any) -> None:
    page.goto(server + "/folders/")
    drafts = page.locator("details#folder-projects-drafts")
    assert drafts.evaluate("d => d.open") is False
    summary = drafts.locator("summary")
    summary.focus()
    page.keyboard.press("Enter")
    assert drafts.evaluate("d => d.open") is True
    page.locator("a", has_text="Draft post").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/note/draft-post/")


def test_a_folder_link_opens_that_folder_and_its_parents(server: str, page: Any) -> None:
    page.goto(server + "/folders/#folder-areas-health")
    health = page.locator("details#folder-areas-health")
    page.wait_for_function("document.getElementById('folder-areas-health').open")
    assert health.locator("a", has_text="Running").is_visible()
    page.locator("[data-explorer=close]").click()
    assert page.evaluate("[...document.querySelectorAll('.explorer details')].every(d => !d.open)")
    page.locator("[data-explorer=open]").click()
    assert page.locator("a", has_text="Old plan").is_visible()


def test_home_folder_section_leads_to_the_explorer(server: str, page: Any) -> None:
    page.goto(server + "/")
    page.locator("[data-folder] a", has_text="Areas").click()
    page.wait_for_url("**/folders/#folder-areas")
    page.wait_for_function("document.getElementById('folder-areas').open")
