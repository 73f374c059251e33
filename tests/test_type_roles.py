"""Section roles are type-spec data: a type defined only in backbrain.toml is searched, reviewed and
scaffolded like a built-in one."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli, write_vault

from backbrain.core.schema import RELATION_LABELS, load_config, relation_title
from backbrain.core.vault import load_vault
from backbrain.learn.review import vault_cards
from backbrain.search.engine import search
from backbrain.search.store import open_index

RUNBOOK_TOML = '[types.runbook]\nfolder = "06_runbooks"\nrequired_sections = ["Symptoms", "Diagnosis", "Fix"]\n'
RUNBOOK = """---
title: {title}
type: runbook
---
# {title}

## Symptoms

{symptoms}

## Diagnosis

{diagnosis}

## Fix

Restart the thing, then check it stays up.
"""


def runbook_vault(tmp_path: Path) -> Path:
    return write_vault(
        tmp_path / "v",
        {
            "backbrain.toml": RUNBOOK_TOML,
            "06_runbooks/disk.md": RUNBOOK.format(
                title="Disk filling up",
                symptoms="Writes fail with ENOSPC and the kafka broker stops accepting produce requests.",
                diagnosis="Look at df -h and the largest directories.",
            ),
            "06_runbooks/certs.md": RUNBOOK.format(
                title="Expired certificate",
                symptoms="Clients report handshake failures.",
                diagnosis="Check the ENOSPC counter and the kafka broker logs for produce request errors first.",
            ),
        },
    )


def test_a_configured_type_gets_symptom_sections_and_cards_from_its_section_names(tmp_path: Path) -> None:
    spec = load_config(runbook_vault(tmp_path)).types["runbook"]
    assert spec.symptom_sections == ["Symptoms"]
    assert [card.section for card in spec.cards] == ["Symptoms", "Diagnosis", "Fix"]


def test_a_configured_type_gets_review_cards(tmp_path: Path) -> None:
    cards = vault_cards(load_vault(runbook_vault(tmp_path)))
    disk = [c for c in cards if c.note == "disk"]
    assert {c.kind for c in disk} >= {"explain", "symptoms", "diagnosis", "fix"}
    symptoms = next(c for c in disk if c.kind == "symptoms")
    assert "ENOSPC" in symptoms.answer and "“Disk filling up”" in symptoms.prompt


def test_a_configured_type_gets_symptom_ranking(tmp_path: Path) -> None:
    root = runbook_vault(tmp_path)
    index = open_index(root)
    index.sync()
    hits = search(index, "ENOSPC kafka broker produce requests").hits
    # Both notes hold every word; the one whose Symptoms section holds them ranks first.
    assert [hit.id for hit in hits][:2] == ["disk", "certs"]


def test_a_configured_type_gets_section_hints_in_new_notes(tmp_path: Path) -> None:
    root = write_vault(
        tmp_path / "v",
        {"backbrain.toml": '[types.runbook]\nfolder = "06_runbooks"\nrequired_sections = ["Problem", "Fix"]\n'
         '[types.runbook.section_hints]\nFix = "The command to run, and how to tell it worked."\n'},
    )
    result = run_cli("new", "runbook", "Queue stuck", "--vault", str(root))
    assert result.returncode == 0, result.stderr
    text = (root / "06_runbooks" / "queue-stuck.md").read_text()
    assert "<!-- The situation and the symptoms that call for this pattern. -->" in text  # by section name
    assert "<!-- The command to run, and how to tell it worked. -->" in text  # from the type's spec


def test_relation_titles_and_order_are_schema_data() -> None:
    assert list(RELATION_LABELS)[:2] == ["mitigated-by", "mitigates"]
    assert relation_title("superseded-by") == "Superseded by"
