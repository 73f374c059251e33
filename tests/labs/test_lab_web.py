"""Live labs under `backbrain serve`: the /_labs/ endpoints in process, and the form in Chromium."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from webtest import BROWSER_MARKS, call, chromium, live_server, watched_page

import backbrain.web.labs  # noqa: F401  (registers the lab routes, as the server does)
from backbrain.labs import run_lab, write_lab_outputs
from backbrain.site import SiteBuilder
from backbrain.web.app import SiteState, create_app
from backbrain.web.labs import RUNNER

HOSTS = ["testserver", "127.0.0.1", "localhost"]
ORIGIN = {"origin": "http://testserver"}
NOTE = """---
title: Rate limiting
type: pattern
summary: Limit requests per key.
lab: rate-limiters
---

# Rate limiting

Limit requests per key.
"""


def lab_vault(root: Path) -> Path:
    (root / "01_patterns").mkdir(parents=True)
    (root / "01_patterns" / "rate-limiting.md").write_text(NOTE, encoding="utf-8")
    (root / "backbrain.toml").write_text("", encoding="utf-8")
    write_lab_outputs(run_lab("rate-limiters", {"duration_s": "20"}), root)
    return root


def built(tmp_path: Path, live: bool) -> tuple[Any, Path]:
    root = lab_vault(tmp_path / "v")
    out = tmp_path / ("live" if live else "static")
    SiteBuilder(root, out, tmp_path / f"cache-{live}.json", live=live).build()
    return create_app(SiteState(site_dir=out, vault_root=root), hosts=HOSTS), out


def token(app: Any) -> dict[str, str]:
    return {**ORIGIN, "x-csrf-token": call(app, "GET", "/_csrf").json()["token"]}


def test_the_lab_endpoint_lists_the_parameters_for_the_form(tmp_path: Path):
    app, _ = built(tmp_path, live=True)
    data = call(app, "GET", "/_labs/rate-limiters").json()
    limit = next(p for p in data["params"] if p["name"] == "limit")
    assert limit == {"name": "limit", "type": "int", "default": "100", "minimum": 1, "maximum": 100000,
                     "help": limit["help"]}  # fmt: skip
    assert data["running"] is None
    missing = call(app, "GET", "/_labs/no-such-lab")
    assert missing.status_code == 400 and "Unknown lab" in missing.json()["error"]
    assert "rate-limiters" in missing.json()["hint"]


def test_a_run_needs_same_origin_and_the_token_and_returns_table_and_plot(tmp_path: Path):
    app, _ = built(tmp_path, live=True)
    body = {"params": {"duration_s": "20", "bucket_capacity": "10"}, "seed": 7}
    assert call(app, "POST", "/_labs/rate-limiters/run", json=body, headers=ORIGIN).status_code == 403
    evil = {"origin": "http://evil.example", "x-csrf-token": token(app)["x-csrf-token"]}
    assert call(app, "POST", "/_labs/rate-limiters/run", json=body, headers=evil).status_code == 403
    ok = call(app, "POST", "/_labs/rate-limiters/run", json=body, headers=token(app))
    assert ok.status_code == 200, ok.text
    data = ok.json()
    assert data["result"] == run_lab("rate-limiters", body["params"], seed=7).to_dict()  # the CLI's numbers
    assert data["table"]["metrics"][0] == "max_burst_ratio"
    assert [row[0] for row in data["table"]["rows"]] == [
        "fixed-window",
        "sliding-log",
        "sliding-counter",
        "token-bucket",
    ]
    assert data["plot"].startswith("data:image/svg+xml;base64,")
    assert ok.headers["cache-control"] == "no-store"


def test_bad_parameters_are_refused_as_the_cli_refuses_them(tmp_path: Path):
    app, _ = built(tmp_path, live=True)
    headers = token(app)
    bad = call(app, "POST", "/_labs/rate-limiters/run", json={"params": {"limit": "lots"}}, headers=headers)
    assert bad.status_code == 400
    assert "Bad value 'lots' for parameter 'limit'" in bad.json()["error"] and "limit=100" in bad.json()["hint"]
    unknown = call(app, "POST", "/_labs/rate-limiters/run", json={"params": {"limt": "5"}}, headers=headers)
    assert unknown.status_code == 400 and "did you mean 'limit'" in unknown.json()["error"]
    heavy = {"params": {"duration_s": "3600", "background_rate": "1000"}}
    too_much = call(app, "POST", "/_labs/rate-limiters/run", json=heavy, headers=headers)
    assert too_much.status_code == 400 and "the limit is 25 times" in too_much.json()["error"]
    for junk in ({"params": ["limit=5"]}, {"params": {}, "seed": -1}, {"params": {}, "seed": "7"}):
        assert call(app, "POST", "/_labs/rate-limiters/run", json=junk, headers=headers).status_code == 400


def test_one_run_at_a_time_and_a_run_can_be_cancelled(tmp_path: Path):
    app, _ = built(tmp_path, live=True)
    headers = token(app)
    slow = {"params": {"customers": "2000000", "rhos": "0.5"}}  # tens of seconds if left alone
    first: dict[str, Any] = {}
    runner = threading.Thread(
        target=lambda: first.update(r=call(app, "POST", "/_labs/queueing/run", json=slow, headers=headers))
    )
    runner.start()
    deadline = time.monotonic() + 20
    while call(app, "GET", "/_labs/status").json()["running"] != "queueing" and time.monotonic() < deadline:
        time.sleep(0.05)
    busy = call(app, "POST", "/_labs/rate-limiters/run", json={"params": {}}, headers=headers)
    assert busy.status_code == 409 and "already running" in busy.json()["error"]
    assert call(app, "POST", "/_labs/cancel", json={}, headers=ORIGIN).status_code == 403  # cancel is a write too
    started = time.monotonic()
    assert call(app, "POST", "/_labs/cancel", json={}, headers=headers).json() == {"cancelled": True}
    runner.join(30)
    assert time.monotonic() - started < 10
    assert first["r"].status_code == 409 and "Cancelled" in first["r"].json()["error"]
    assert call(app, "GET", "/_labs/status").json() == {"running": None, "progress": 0.0}
    assert call(app, "POST", "/_labs/cancel", json={}, headers=headers).json() == {"cancelled": False}
    assert RUNNER.running is None


def test_live_pages_load_the_form_and_static_pages_say_how_to_run_live(tmp_path: Path):
    _, live_out = built(tmp_path, live=True)
    page = (live_out / "note" / "rate-limiting" / "index.html").read_text()
    assert 'class="lab-live" data-lab="rate-limiters"' in page and "static/labs.js" in page
    _, static_out = built(tmp_path / "s", live=False)
    page = (static_out / "note" / "rate-limiting" / "index.html").read_text()
    assert "labs.js" not in page and 'lab-live"' not in page
    assert "backbrain serve" in page and "backbrain lab run rate-limiters" in page


# --- in a real browser ---------------------------------------------------------------------------


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    root = lab_vault(tmp_path / "vault")
    with live_server(root, tmp_path) as url:
        yield url


@pytest.mark.browser
@pytest.mark.skipif(*BROWSER_MARKS[1].args, **BROWSER_MARKS[1].kwargs)
def test_change_a_parameter_in_the_browser_and_see_the_new_table_and_plot(server: str):
    with chromium() as browser, watched_page(browser, height=1400) as tab:
        tab.goto(f"{server}/note/rate-limiting/")
        form = tab.locator("form.lab-form")
        form.wait_for(state="visible", timeout=10_000)
        old_src = tab.locator("section.lab figure img").get_attribute("src")
        cell = tab.locator("table.lab-table tbody tr:nth-child(4) td:nth-child(2)")  # token-bucket max_burst_ratio
        assert float(cell.inner_text()) > 1.0
        tab.get_by_label("bucket_capacity", exact=True).fill("10")
        tab.get_by_label("duration_s", exact=True).fill("20")
        tab.get_by_role("button", name="Run").click()
        tab.locator('.lab-status[data-state="done"]').wait_for(timeout=30_000)
        assert float(cell.inner_text()) < 1.0  # a small bucket throttles every burst below the limit
        img = tab.locator("section.lab figure img")
        assert img.get_attribute("src").startswith("data:image/svg+xml;base64,") and img.get_attribute("src") != old_src
        assert tab.evaluate("document.querySelector('section.lab figure img').naturalWidth") > 100
        assert "bucket_capacity=10" in tab.locator(".lab-params").inner_text()
        tab.get_by_label("limit", exact=True).fill("0")
        tab.get_by_role("button", name="Run").click()
        tab.locator('.lab-status[data-state="error"]').wait_for(timeout=10_000)
        assert "must be >= 1" in tab.locator(".lab-status").inner_text()
        # The refusal is a real 400, which Chromium logs as a failed resource; nothing else may be logged.
        assert [e for e in tab.console_errors if "status of 400" not in e] == []
        tab.console_errors.clear()
