"""`backbrain init` adopts a folder that already holds notes (a commented backbrain.toml, a summary, no
note touched) and `backbrain doctor` shows the same summary for any vault."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from byov_vaults import BUILDERS, EXPECTED_FILES, build
from conftest import run_cli

from backbrain.check import check_vault
from backbrain.core.vault import load_vault


def hashes(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".backbrain" not in p.parts
    }


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_init_on_an_existing_folder_only_adds_a_config(tmp_path: Path, name: str) -> None:
    root = build(name, tmp_path / name)
    before = hashes(root)
    folders = sorted(p for p in root.rglob("*") if p.is_dir())
    result = run_cli("init", str(root))
    assert result.returncode == 0, result.stderr
    after = hashes(root)
    assert set(after) - set(before) == {"backbrain.toml"}
    assert {rel: after[rel] for rel in before} == before  # not one byte of any existing file changed
    assert sorted(p for p in root.rglob("*") if p.is_dir() and ".backbrain" not in p.parts) == folders
    assert f"{EXPECTED_FILES[name]} notes" in result.stdout
    check = run_cli("check", str(root))
    assert check.returncode in (0, 1), check.stderr  # the written backbrain.toml is valid


def test_init_adopts_adr_records_and_nygard_records_pass_check_unrelaxed(tmp_path: Path) -> None:
    root = build("adr", tmp_path / "v")
    result = run_cli("init", str(root))
    assert "10 notes (9 decision); 1 untyped." in result.stdout
    assert "Decision records in: doc/adr, docs/adr, docs/decisions." in result.stdout
    text = (root / "backbrain.toml").read_text(encoding="utf-8")
    assert "[types.decision]" not in text  # Nygard records need no relaxed type (core/schema optional_with)
    problems = check_vault(load_vault(root)).problems
    assert not [p for p in problems if p.path.startswith("doc/adr/") and p.severity == "error"]


def test_init_maps_a_folder_of_one_type(tmp_path: Path) -> None:
    root = tmp_path / "v"
    (root / "incidents").mkdir(parents=True)
    for n in range(3):
        (root / "incidents" / f"i{n}.md").write_text(f"---\ntype: failure-mode\ntitle: I{n}\n---\n", encoding="utf-8")
    (root / "incidents" / "untyped.md").write_text("# Disk full\n", encoding="utf-8")
    (root / "images").mkdir()
    (root / "images" / "a.png").write_bytes(b"\x89PNG")
    result = run_cli("init", str(root))
    assert "Folders of one type: incidents -> failure-mode." in result.stdout
    assert "Attachment folders: images." in result.stdout
    assert '"incidents" = "failure-mode"' in (root / "backbrain.toml").read_text(encoding="utf-8")
    vault = load_vault(root)
    assert {n.rel: n.type for n in vault.files}["incidents/untyped.md"] == "failure-mode"


def test_init_keeps_an_existing_config_and_doctor_summarises(tmp_path: Path) -> None:
    root = build("untyped", tmp_path / "v")
    (root / "backbrain.toml").write_text('[site]\ntitle = "Mine"\n', encoding="utf-8")
    (root / ".obsidian").mkdir()
    before = hashes(root)
    result = run_cli("init", str(root))
    assert result.returncode == 0 and "left as it was" in result.stdout
    assert hashes(root) == before
    doctor = run_cli("doctor", str(root))
    assert doctor.returncode == 0, doctor.stderr
    assert "7 notes; 7 untyped." in doctor.stdout
    assert "Top-level folders: Archive (1), Areas (2), Projects (2), Resources (1)." in doctor.stdout
    assert "Not scanned: .obsidian/ (tool or hidden folder)." in doctor.stdout
    assert "Check: " in doctor.stdout


def test_init_on_an_empty_folder_still_lays_out_a_new_vault(tmp_path: Path) -> None:
    result = run_cli("init", str(tmp_path / "fresh"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "fresh" / "01_patterns").is_dir()
