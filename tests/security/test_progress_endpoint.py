"""GET /_learn/progress under `serve` answers from the live builder's vault and a git history
cached until HEAD moves: no vault reload and no git run per request (200 concurrent requests took a
median of 22 s on the starter before, 0.4 s after; see docs/security.md)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hostile import base_vault
from webtest import call

from backbrain.web import learn
from backbrain.web.live import prepare


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t", *args], check=True,
                   capture_output=True)  # fmt: skip


def test_progress_requests_reuse_the_live_vault_and_the_git_history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    vault = base_vault(tmp_path / "v", {"roadmap/caches.md": {"title": "Caches", "type": "topic"}})
    _git(vault, "init", "-q")
    _git(vault, "add", "-A")
    _git(vault, "commit", "-qm", "start")
    app, state = prepare(vault, False, "127.0.0.1", watch=False)
    loads, gits = [], []
    real_load, real_git = learn.load_vault, getattr(learn, "git_history", None)
    monkeypatch.setattr(learn, "load_vault", lambda *a, **k: loads.append(1) or real_load(*a, **k))
    monkeypatch.setattr(learn, "git_history", lambda *a, **k: gits.append(1) or real_git(*a, **k), raising=False)
    host = {"host": "127.0.0.1"}
    for _ in range(20):
        response = call(app, "GET", "/_learn/progress", headers=host)
        assert response.status_code == 200
    assert loads == [] and len(gits) == 1
    headers = {**host, "origin": "http://127.0.0.1", "x-csrf-token": state.csrf.token}
    body = {"note": "caches", "status": "completed"}
    assert call(app, "POST", "/_learn/progress", json=body, headers=headers).status_code == 200
    state.rebuild([vault / "roadmap/caches.md"])  # what serve's watcher does after the write
    topics = call(app, "GET", "/_learn/progress", headers=host).json()["topics"]
    assert [t["progress"] for t in topics if t["id"] == "caches"] == ["completed"]
    _git(vault, "commit", "-qam", "done")  # HEAD moves: the history is read again, once
    call(app, "GET", "/_learn/progress", headers=host)
    call(app, "GET", "/_learn/progress", headers=host)
    assert len(gits) == 2


def test_rating_a_card_builds_only_that_card(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from backbrain.learn import review

    vault = base_vault(tmp_path / "v", {"roadmap/caches.md": {"title": "Caches", "type": "topic"}})
    app, state = prepare(vault, False, "127.0.0.1", watch=False)
    built: list[str] = []
    real_note_cards, real_load = review.note_cards, learn.load_vault
    monkeypatch.setattr(learn, "load_vault", lambda *a, **k: built.append("vault") or real_load(*a, **k))
    monkeypatch.setattr(learn, "vault_cards", lambda *a, **k: built.append("all") or [], raising=False)
    monkeypatch.setattr(learn, "note_cards", lambda note, spec: built.append(note.id) or real_note_cards(note, spec),
                        raising=False)  # fmt: skip
    card = real_note_cards(state.builder.vault.get("caching"), None)[0] if state.builder else None
    assert card is not None
    headers = {"host": "127.0.0.1", "origin": "http://127.0.0.1", "x-csrf-token": state.csrf.token}
    response = call(app, "POST", "/_learn/review", json={"card": card.id, "rating": 3}, headers=headers)
    assert response.status_code == 200, response.text
    assert built == ["caching"]  # one note's cards, from the live vault: no reload, no whole-vault card list
