"""The roadmap page's learning panel in a real browser (Debian's Chromium via Playwright)."""

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
