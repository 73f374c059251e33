"""Shared fixtures: vaults built from dicts, and the CLI run through its real entry point."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from backbrain.core.schema import BUILTIN_TYPES

# Fixture notes are complete for their type as the schema defines it (the rules themselves are tested
# against hand-written expectations in test_check.py, not against this).
SECTIONS = {name: spec.required_sections for name, spec in BUILTIN_TYPES.items()}
FOLDERS = {
    "principle": "00_core-principles",
    "pattern": "01_patterns",
    "system": "02_systems",
    "decision": "03_decisions",
    "failure-mode": "04_failure-modes",
    "playbook": "05_playbooks",
    "article": "articles",
    "topic": "roadmap",
}


@pytest.fixture(autouse=True, scope="session")
def user_cache_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Builds keep their caches in the user cache folder (backbrain.site.site_paths), keyed by vault
    path: point it at a temporary folder so a test run leaves nothing in ~/.cache (tests that need a
    particular cache folder still set XDG_CACHE_HOME themselves)."""
    previous = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    yield
    if previous is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = previous


def note_text(meta: dict[str, Any] | None, body: str | None = None, *, type_name: str | None = None) -> str:
    """A complete, valid note of a type unless the caller overrides parts of it."""
    type_name = type_name or (meta or {}).get("type") or "note"
    if body is None:
        parts = [f"# {(meta or {}).get('title', 'Untitled')}", ""]
        for section in SECTIONS.get(type_name, []):
            parts += [f"## {section}", ""]
            if section == "Steps":
                parts += ["- [ ] Look at the dashboard (5 min)", "- [ ] Roll back (10 min)"]
            elif section == "Requirements":
                parts += ["### Functional", "", "Shorten URLs.", "", "### Non-functional", "", "p99 under 50 ms."]
            else:
                parts.append(f"Real content for {section.lower()}.")
            parts.append("")
        body = "\n".join(parts)
    if meta is None:
        return body
    return "---\n" + yaml.safe_dump(meta, sort_keys=False) + "---\n\n" + body


def write_vault(root: Path, notes: dict[str, Any]) -> Path:
    """notes: relative path -> note text (str), raw bytes, or a front matter dict (a full valid body is added)."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in notes.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, dict):
            path.write_text(note_text(content), encoding="utf-8")
        else:
            path.write_text(content, encoding="utf-8")
    return root


@pytest.fixture
def make_vault(tmp_path: Path) -> Callable[[dict[str, Any]], Path]:
    counter = {"n": 0}

    def make(notes: dict[str, Any]) -> Path:
        counter["n"] += 1
        return write_vault(tmp_path / f"vault{counter['n']}", notes)

    return make


def run_cli(
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    input_text: str | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run `python -m backbrain ARGS` as a user would, with the vault env var cleared unless given."""
    full_env = {k: v for k, v in os.environ.items() if k != "BACKBRAIN_VAULT"}
    full_env.update({"NO_COLOR": "1", "COLUMNS": "120"})
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "backbrain", *args],
        cwd=cwd,
        env=full_env,
        input=input_text,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    return run_cli


def pattern(title: str, **extra: Any) -> dict[str, Any]:
    return {"title": title, "type": "pattern", **extra}


def failure(title: str, **extra: Any) -> dict[str, Any]:
    return {"title": title, "type": "failure-mode", **extra}


# Test folders keep no conftest.py of their own: a second module named `conftest` would shadow this
# one for the `from conftest import ...` helpers above. Shared fixtures live here.
@pytest.fixture(scope="session")
def default_run() -> Callable[[str], Any]:
    """Each lab's default run, computed once per session (labs are seconds of simulation each)."""
    from backbrain.labs import run_lab

    cache: dict[str, Any] = {}

    def get(name: str) -> Any:
        if name not in cache:
            cache[name] = run_lab(name)
        return cache[name]

    return get


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium per test module (Debian's, driven by Playwright); a tab per test is cheap."""
    from webtest import CHROMIUM, chromium

    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is not installed at /usr/bin/chromium (make browser installs it)")
    with chromium() as instance:
        yield instance


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh tab that fails the test on any console or page error (webtest.watched_page)."""
    from webtest import watched_page

    with watched_page(browser) as tab:
        yield tab
