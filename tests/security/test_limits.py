"""Caps on what one vault can make a build do: tags per note (a check problem, and only the first
64 become pages) and pages per build (a clear refusal, not 150,000 pages)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile import assert_clean_failure, base_vault, cli

from backbrain.core.vault import load_vault
from backbrain.errors import UsageError
from backbrain.site.model import SiteModel


def test_a_note_with_thousands_of_tags_is_a_problem_and_makes_64_tag_pages(tmp_path: Path):
    tags = [f"t{i}" for i in range(5000)]
    vault = base_vault(tmp_path / "v", {"01_patterns/tagged.md": {"title": "Tagged", "type": "pattern", "tags": tags}})
    check = cli("check", "--vault", str(vault), home=tmp_path)
    assert check.returncode == 1 and "BB010" in check.stdout and "5000 tags" in check.stdout
    model = SiteModel(load_vault(vault))
    assert sum(1 for kind, _key, _url in model.pages() if kind == "tag") == 64


def test_pages_per_build_are_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from backbrain.site import model

    notes = {f"01_patterns/n{i}.md": {"title": f"N {i}", "type": "pattern"} for i in range(30)}
    vault = base_vault(tmp_path / "v", notes)
    monkeypatch.setattr(model, "MAX_PAGES_PER_BUILD", 20)
    with pytest.raises(UsageError, match="more than the limit of 20"):
        SiteModel(load_vault(vault)).pages()
    big = base_vault(tmp_path / "w", {"01_patterns/tagged.md": {"title": "T", "type": "pattern", "tags": ["a"]}})
    result = cli("build", "--vault", str(big), home=tmp_path)
    assert result.returncode == 0, result.stderr  # the real limit leaves ordinary vaults alone
    assert_clean_failure(cli("build", "--vault", str(tmp_path / "missing"), home=tmp_path), 2, "not a folder")
