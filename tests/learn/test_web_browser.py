"""The learning features in a real browser (Debian's Chromium via Playwright): the roadmap panel, the
Review page, progress on every note page, and a playbook's runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from learn_helpers import learning_vault, read_events
from webtest import BROWSER_MARKS, chromium, live_server, watched_page

import backbrain.web.learn  # noqa: F401  (registers the learning routes, as the server does)
from backbrain.core.frontmatter import parse_front_matter

pytestmark = BROWSER_MARKS


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = learning_vault(tmp_path / "vault")
    with live_server(root, tmp_path) as url:
        yield url, root


@pytest.fixture
def page() -> Iterator[Any]:
    with chromium() as browser, watched_page(browser, height=900) as tab:
        yield tab


def test_review_and_mark_progress_from_the_roadmap_page(server: tuple[str, Path], page: Any):
    base, root = server
    page.goto(f"{base}/roadmap/")
    panel = page.locator("#bb-learn")
    panel.wait_for(state="visible", timeout=10_000)
    assert "1 of 3 completed" in (page.locator("svg.learn-chart").get_attribute("aria-label") or "")

    assert page.get_by_role("link", name="Review due cards →").get_attribute("href") == "../review/"

    page.get_by_label("Progress of SQL databases").select_option("completed")
    page.get_by_text("SQL databases: completed (saved").wait_for(timeout=10_000)
    assert parse_front_matter((root / "roadmap" / "sql.md").read_text()).data["progress"] == "completed"
    page.wait_for_function(  # the watcher rebuilds the page and live reload shows the new count
        "() => (document.querySelector('svg.learn-chart')?.getAttribute('aria-label') || '').includes('2 of 3')",
        timeout=15_000,
    )


def test_review_page_in_the_nav_with_markdown_answers_intervals_and_a_note_link(server: tuple[str, Path], page: Any):
    base, root = server
    page.goto(f"{base}/")
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Review").click()
    page.wait_for_url(f"{base}/review/")
    card = page.locator(".learn-card")
    card.wait_for(state="visible", timeout=10_000)
    assert page.evaluate("document.activeElement.classList.contains('learn-card')")
    first = page.locator(".learn-prompt").inner_text()
    page.keyboard.press(" ")
    page.locator(".learn-answer").wait_for(state="visible")
    focused = page.evaluate("[document.activeElement.tagName, document.activeElement.className]")
    assert focused == ["DIV", "learn-answer"]  # never a rating button, least of all Again
    labels = page.locator(".learn-ratings button").all_inner_texts()
    assert labels[0].startswith("1 Again · ") and labels[2] == "3 Good · 10m"  # the interval before pressing
    page.keyboard.press(" ")  # a second Space: Good, as in Anki, never Again
    page.get_by_text("Good: next review").wait_for(timeout=10_000)
    events = read_events(root / "journal" / "review.jsonl")
    assert [e["rating"] for e in events] == [3]
    assert page.locator(".learn-prompt").inner_text() != first

    # a card whose answer has Markdown and a link: rendered (sanitized) HTML, and the note is one click away
    while "caching#problem" not in page.evaluate("document.querySelector('.learn-where a').href + ''") and (
        "Caching" not in page.locator(".learn-where a").inner_text()
    ):
        page.keyboard.press("-")  # bury what is in the way
        page.wait_for_timeout(150)
    link = page.locator(".learn-where a")
    assert link.inner_text() == "Caching" and link.get_attribute("href") == "../note/caching/"
    page.keyboard.press(" ")
    assert page.locator(".learn-answer p").count() >= 1 and "<" not in page.locator(".learn-answer").inner_text()
    page.keyboard.press("@")
    page.get_by_text("Suspended:").wait_for(timeout=10_000)
    kinds = [e["event"] for e in read_events(root / "journal" / "review.jsonl")]
    assert kinds[0] == "review" and kinds[-1] == "suspend" and "Again" not in str(events)


def test_progress_and_phase_on_any_note_page_but_not_on_decisions(server: tuple[str, Path], page: Any):
    base, root = server
    page.goto(f"{base}/note/caching/")
    rebuilt = "([key, value]) => document.querySelector('#bb-note-learn')?.dataset[key] === value"
    page.get_by_label("Progress", exact=True).select_option("in-progress")
    page.wait_for_function(rebuilt, arg=["progress", "in-progress"], timeout=15_000)  # saved, rebuilt, reloaded
    assert page.locator(".note-header .badge-progress").inner_text() == "in progress"
    page.get_by_label("Phase", exact=True).select_option("build")
    page.wait_for_function(rebuilt, arg=["phase", "build"], timeout=15_000)
    meta = parse_front_matter((root / "01_patterns" / "caching.md").read_text()).data
    assert (meta["progress"], meta["phase"]) == ("in-progress", "build")
    assert page.get_by_label("Phase", exact=True).input_value() == "build"

    page.goto(f"{base}/note/use-postgres/")  # an accepted decision: no learning badges, no form
    page.locator("#note-title").wait_for()
    assert page.locator(".badge-progress, .badge-phase, #bb-note-learn").count() == 0


def test_a_playbook_page_lists_its_runs(server: tuple[str, Path], page: Any):
    base, root = server
    from backbrain.core.vault import load_vault
    from backbrain.learn.journal import Journal
    from backbrain.learn.playbook import find_playbook, start_run

    note, steps = find_playbook(load_vault(root), "tiny-incident-drill")
    run = start_run(Journal(root / "journal"), note, steps)
    run.record_step(run.steps[0], "done", 30.0)  # its timebox is 0.01 min: over
    run.finish("quit", 95.0)
    page.goto(f"{base}/note/tiny-incident-drill/")
    row = page.locator(f'#bb-runs tr[data-run="{run.run_id}"]')
    row.wait_for(timeout=10_000)
    cells = row.locator("td").all_inner_texts()
    assert cells[1:] == ["quit", f"1/{len(steps)}", "0", "1", "1:35"]
    page.goto(f"{base}/note/design-backend-system-in-45-minutes/")
    page.get_by_text("No runs yet: backbrain playbook run design-backend-system-in-45-minutes").wait_for()
