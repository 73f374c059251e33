"""Vault.with_text and check.check_paths: an unsaved buffer checked as if it were the file, incrementally."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import failure, note_text, pattern, write_vault

from backbrain.check import check_paths, check_vault
from backbrain.core.vault import load_vault

NOTES = {
    "01_patterns/caching.md": pattern("Caching", mitigates=["cache-stampede"], related=["retry", "nowhere"]),
    "01_patterns/retry.md": pattern("Retry"),
    "04_failure-modes/cache-stampede.md": failure("Cache stampede", **{"mitigated-by": ["caching"]}),
    "04_failure-modes/retry-storm.md": note_text(failure("Retry storm"), "# Retry storm\n\nSee [[retry]].\n"),
}


def by_path(report_problems: list) -> dict[str, list[tuple[int, str, str]]]:
    found: dict[str, list[tuple[int, str, str]]] = {}
    for p in report_problems:
        found.setdefault(p.path, []).append((p.line, p.code, p.message))
    return found


@pytest.mark.parametrize(
    ("rel", "edit"),
    [
        ("04_failure-modes/retry-storm.md", lambda t: t + "\nAnd [[nowhere]] and [[caching#Nope]].\n"),  # body only
        ("01_patterns/retry.md", lambda t: t.replace("title: Retry", "title: Retries\naliases: [caching]")),
        ("01_patterns/caching.md", lambda t: t.replace("- cache-stampede", "- retry")),  # relation changed
        # the stampede note declared the same edge too: dropping it there keeps caching's declaration
        ("04_failure-modes/cache-stampede.md", lambda t: t.replace("mitigated-by:\n- caching\n", "")),
        ("01_patterns/caching.md", lambda t: t.replace("mitigates:\n- cache-stampede\n", "")),  # and here
        ("01_patterns/retry.md", lambda t: t.replace("title: Retry", "title: Retry\nuses: [caching]")),  # wrong type
        ("01_patterns/caching.md", lambda t: t.replace("- nowhere", "- still-nowhere")),  # unresolved changed
        ("01_patterns/caching.md", lambda t: "\x00binary"),
        ("01_patterns/new-note.md", lambda t: "---\ntitle: New\ntype: pattern\n---\n[[retry]]\n"),  # not on disk
    ],
)
def test_with_text_equals_writing_the_file_and_reloading(tmp_path: Path, rel: str, edit):
    root = write_vault(tmp_path / "v", NOTES)
    vault = load_vault(root)
    path = root / rel
    new_text = edit(path.read_text(encoding="utf-8") if path.exists() else "")
    edited = vault.with_text(rel, new_text)
    assert not path.exists() or path.read_text(encoding="utf-8") != new_text  # nothing written
    path.write_text(new_text, encoding="utf-8")
    fresh = load_vault(root)
    assert sorted(n.rel for n in edited.files) == sorted(n.rel for n in fresh.files)
    assert [(e.source, e.kind, e.target, e.declared_by, e.line) for e in edited.edges] == [
        (e.source, e.kind, e.target, e.declared_by, e.line) for e in fresh.edges
    ]
    assert {k: [e.target for e in v] for k, v in edited._edges_of.items()} == {
        k: [e.target for e in v] for k, v in fresh._edges_of.items()
    }
    assert sorted((u.note.rel, u.value) for u in edited.unresolved_relations) == sorted(
        (u.note.rel, u.value) for u in fresh.unresolved_relations
    )
    expected = by_path(check_vault(fresh).problems)
    rels = [n.rel for n in fresh.files]
    assert {r: by_path(ps).get(r, []) for r, ps in check_paths(edited, rels).items()} == {
        r: expected.get(r, []) for r in rels
    }


def test_check_paths_reports_only_the_asked_notes_and_honours_ignore(tmp_path: Path):
    root = write_vault(
        tmp_path / "v",
        {**NOTES, "backbrain.toml": "[check]\nignore = ['orphan']\n", "01_patterns/x.md": "[[gone]]\n"},
    )
    vault = load_vault(root)
    found = check_paths(vault, ["01_patterns/x.md", "missing.md"])
    codes = [p.code for p in found["01_patterns/x.md"]]
    assert codes == [p.code for p in check_vault(vault).problems if p.path == "01_patterns/x.md"]
    assert "BB201" in codes and "BB003" in codes
    assert found["missing.md"] == []
    assert all(p.code != "BB501" for p in found["01_patterns/x.md"])
