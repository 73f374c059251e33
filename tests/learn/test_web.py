"""The learning endpoints of the local server, and the roadmap page's learning panel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from learn_helpers import learning_vault, read_events
from webtest import call

import backbrain.web.learn  # noqa: F401  (registers its routes, as the server does)
from backbrain.core.frontmatter import parse_front_matter
from backbrain.core.vault import starter_root
from backbrain.site import SiteBuilder
from backbrain.web.app import SiteState, create_app

HOSTS = ["testserver", "127.0.0.1", "localhost"]
ORIGIN = {"origin": "http://testserver"}




@pytest.fixture
def served(tmp_path: Path) -> tuple[Any, Path]:
    root = learning_vault(tmp_path / "v")
    out = tmp_path / "site"
    SiteBuilder(root, out, tmp_path / "cache.json", live=True).build()
    return create_app(SiteState(site_dir=out, vault_root=root), hosts=HOSTS), root


def _token(app: Any) -> dict[str, str]:
    return {**ORIGIN, "x-csrf-token": call(app, "GET", "/_csrf").json()["token"]}


def test_progress_payload_has_rollups_topics_and_series(served: tuple[Any, Path]):
    app, _ = served
    data = call(app, "GET", "/_learn/progress").json()
    assert data["areas"][0] == {"area": "foundations", "total": 2, "completed": 1, "in_progress": 1}
    assert {t["id"]: t["url"] for t in data["topics"]} == {"http": "note/http/", "routing": "note/routing/",
                                                           "sql": "note/sql/"}  # fmt: skip
    assert data["series"][-1]["total"] == 3 and data["read_only"] is False


def test_marking_progress_needs_same_origin_and_the_token(served: tuple[Any, Path]):
    app, root = served
    path = root / "roadmap" / "sql.md"
    before = path.read_bytes()
    body = {"note": "sql", "status": "in-progress"}
    assert call(app, "POST", "/_learn/progress", json=body, headers=ORIGIN).status_code == 403
    token = _token(app)["x-csrf-token"]
    evil = {"origin": "http://evil.example", "x-csrf-token": token}
    assert call(app, "POST", "/_learn/progress", json=body, headers=evil).status_code == 403
    assert path.read_bytes() == before
    ok = call(app, "POST", "/_learn/progress", json=body, headers=_token(app))
    assert ok.status_code == 200 and ok.json() == {"note": "sql", "progress": "in-progress", "phase": None}
    assert parse_front_matter(path.read_text()).data["progress"] == "in-progress"
    assert read_events(root / "journal" / "progress.jsonl")[0]["to"] == "in-progress"
    assert call(app, "GET", "/_learn/progress").json()["series"][-1]["in_progress"] == 2


@pytest.mark.parametrize(
    ("body", "status"),
    [({"note": "sql"}, 400), ({"note": "nope", "status": "completed"}, 404), ({"note": "sql", "status": "x"}, 400)],
)
def test_bad_progress_requests(served: tuple[Any, Path], body: dict[str, Any], status: int):
    app, _ = served
    response = call(app, "POST", "/_learn/progress", json=body, headers=_token(app))
    assert response.status_code == status and response.json()["error"]


def test_a_review_session_in_the_browser(served: tuple[Any, Path]):
    app, root = served
    due = call(app, "GET", "/_learn/review/due?limit=2").json()["due"]
    assert len(due) == 2 and all(d["answer"] and d["prompt"] for d in due)
    rated = call(app, "POST", "/_learn/review", json={"card": due[0]["card"], "rating": 3}, headers=_token(app))
    assert rated.status_code == 200 and rated.json()["rating"] == "Good"
    (event,) = read_events(root / "journal" / "review.jsonl")
    assert event["card"] == due[0]["card"] and event["rating"] == 3
    bad = call(app, "POST", "/_learn/review", json={"card": due[1]["card"], "rating": 7}, headers=_token(app))
    assert bad.status_code == 400
    assert due[0]["card"] not in {d["card"] for d in call(app, "GET", "/_learn/review/due").json()["due"]}


def test_on_the_starter_reviews_work_and_progress_edits_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    (tmp_path / "site").mkdir()
    app = create_app(SiteState(site_dir=tmp_path / "site", vault_root=starter_root()), hosts=HOSTS)
    refused = call(app, "POST", "/_learn/progress", json={"note": "caching", "status": "completed"},
                   headers=_token(app))  # fmt: skip
    assert refused.status_code == 409 and "backbrain init DIR --starter" in refused.json()["hint"]
    card = call(app, "GET", "/_learn/review/due?limit=1").json()["due"][0]["card"]
    assert call(app, "POST", "/_learn/review", json={"card": card, "rating": 4}, headers=_token(app)).status_code == 200
    assert (tmp_path / "data" / "backbrain" / "starter-journal" / "review.jsonl").is_file()


def test_only_the_served_roadmap_page_has_the_learning_panel(tmp_path: Path):
    root = learning_vault(tmp_path / "v")
    for live in (True, False):
        out = tmp_path / f"site-{live}"
        SiteBuilder(root, out, tmp_path / f"cache-{live}.json", live=live).build()
        page = (out / "roadmap" / "index.html").read_text()
        assert ('id="bb-learn"' in page) is live and ("static/learn.js" in page) is live
        assert 'data-url="note/http/"' in page
        assert (out / "static" / "learn.js").is_file()
        assert "learn.js" not in (out / "patterns" / "index.html").read_text()  # only the roadmap page
