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
    topics = call(app, "GET", "/_learn/progress", headers=host).json()["topics"]
    assert [t["progress"] for t in topics if t["id"] == "caches"] == ["completed"]  # seen at once
    _git(vault, "commit", "-qam", "done")  # HEAD moves: the history is read again, once
    call(app, "GET", "/_learn/progress", headers=host)
    call(app, "GET", "/_learn/progress", headers=host)
    assert len(gits) == 2
