"""The starter knowledge base: every required id with its type, check --strict clean, the depth bar."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

import pytest
from conftest import run_cli
from starter_manifest import FLAGSHIP_ARTICLES, STARTER_IDS, SYSTEM_ADRS, WORD_MINIMUMS, prose_words

from backbrain.check import check_vault
from backbrain.core.vault import Vault, load_vault, starter_root

ALL_IDS = [(type_name, note_id) for type_name, ids in STARTER_IDS.items() for note_id in ids]
_TIMEBOX = re.compile(r"\(\d+(?:\.\d+)?\s*min\)\s*$")


@lru_cache(maxsize=1)
def starter() -> Vault:
    return load_vault(starter_root())


@pytest.mark.parametrize(("type_name", "note_id"), ALL_IDS, ids=[i for _, i in ALL_IDS])
def test_every_required_note_exists_with_its_type(type_name, note_id):
    note = starter().notes.get(note_id)
    assert note is not None, f"missing starter note {note_id}"
    assert note.type == type_name


def test_starter_passes_check_strict():
    report = check_vault(starter(), today=dt.date.today())
    blocking = [p for p in report.problems if p.severity != "info"]
    assert blocking == [], "\n".join(f"{p.path}:{p.line}: {p.code} {p.message}" for p in blocking[:20])


def test_word_minimums_hold():
    short = {}
    for note in starter().notes.values():
        minimum = WORD_MINIMUMS.get(note.type, 0)
        words = prose_words(note.path.read_text(encoding="utf-8"))
        if words < minimum:
            short[note.id] = (words, minimum)
    assert short == {}


def lacks_references(note) -> bool:
    section = note.section("References")
    return section is None or section.is_empty


def test_every_note_cites_references():
    assert [n.id for n in starter().notes.values() if lacks_references(n)] == []


def test_link_bar():
    vault = starter()
    problems = []
    for note in vault.by_type("failure-mode"):
        if len(vault.relations(note.id).get("mitigated-by", [])) < 2:
            problems.append(f"{note.id}: fewer than two mitigating patterns")
    for note in vault.by_type("system"):
        rel = vault.relations(note.id)
        if len(rel.get("uses", [])) < 3 or len(rel.get("risks", [])) < 2:
            problems.append(f"{note.id}: uses < 3 or risks < 2")
        if not any(block.lang == "mermaid" for block in note.code_blocks):
            problems.append(f"{note.id}: no mermaid architecture diagram")
    for note in vault.by_type("playbook"):
        steps = [t for t in note.tasks if (t.section or "").lower() == "steps"]
        timed = [t for t in steps if _TIMEBOX.search(t.text)]
        if len(timed) < 8:
            problems.append(f"{note.id}: {len(timed)} timeboxed steps")
    for note in vault.by_type("topic"):
        linked = vault.neighbours(note.id)
        if not any(vault.notes[i].type in ("pattern", "failure-mode") for i in linked):
            problems.append(f"{note.id}: links no pattern or failure mode")
    assert problems == []


def test_decisions_affect_their_systems_and_a_superseded_pair_exists():
    vault = starter()
    for system, adr in SYSTEM_ADRS.items():
        assert system in vault.relations(adr).get("affects", []), f"{adr} must affect {system}"
    pairs = [(e.source, e.target) for e in vault.edges if e.kind == "supersedes"]
    assert pairs, "no superseded decision"
    for new, old in pairs:
        assert vault.notes[old].meta.get("status") == "superseded"
        declared = {e.declared_by for e in vault.edges if e.kind == "supersedes" and (e.source, e.target) == (new, old)}
        assert "superseded-by" in vault.notes[old].meta and "supersedes" in vault.notes[new].meta, declared


def test_flagship_articles_and_topic_areas():
    vault = starter()
    for article_id in FLAGSHIP_ARTICLES:
        meta = vault.notes[article_id].meta
        assert meta.get("flagship") is True and meta.get("start-here") is True
    areas = {a.id for a in vault.config.roadmap.areas}
    for note in vault.by_type("topic"):
        assert note.meta.get("area") in areas and isinstance(note.meta.get("order"), int)


def test_init_starter_copies_it(tmp_path):
    target = tmp_path / "brain"
    result = run_cli("init", str(target), "--starter")
    assert result.returncode == 0, result.stderr
    copied = load_vault(target)
    assert set(copied.notes) == set(starter().notes)
    again = run_cli("init", str(target), "--starter")  # idempotent: nothing overwritten
    assert again.returncode == 0 and "existing files left as they were" in again.stdout
    assert run_cli("check", str(target), "--strict").returncode == 0
