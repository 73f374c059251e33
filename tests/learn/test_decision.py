"""`backbrain decision`: new, accept, supersede (both notes or neither) and the timeline."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from conftest import run_cli
from learn_helpers import learning_vault

from backbrain.core.frontmatter import parse_front_matter
from backbrain.core.vault import load_vault
from backbrain.errors import RefusedError
from backbrain.learn import decision

OLD = """\
---
title: Use PostgreSQL   # the first choice
type: decision
status: accepted
date: 2024-01-10
deciders: [ann, "bob"]
related: [caching]
---

# Use PostgreSQL
"""


def _vault(tmp_path: Path) -> Path:
    root = learning_vault(tmp_path / "v")
    (root / "03_decisions" / "use-postgres.md").write_text(OLD)
    return root


def test_new_prints_the_path_of_a_proposed_madr_note(tmp_path: Path):
    root = _vault(tmp_path)
    result = run_cli("decision", "new", "Adopt Kafka", "--vault", str(root))
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.strip())
    assert path == root / "03_decisions" / "adopt-kafka.md"
    meta = parse_front_matter(path.read_text()).data
    assert meta["status"] == "proposed" and meta["date"] == dt.date.today().isoformat() and meta["deciders"] == []
    refused = run_cli("decision", "accept", "adopt-kafka", "--vault", str(root))
    assert refused.returncode == 3 and parse_front_matter(path.read_text()).data["status"] == "proposed"
    assert "'## Context', '## Options considered', '## Decision', '## Tradeoffs', '## Outcome'" in refused.stderr
    _fill_sections(path)
    accepted = run_cli("decision", "accept", "adopt-kafka", "--vault", str(root))
    assert accepted.returncode == 0 and parse_front_matter(path.read_text()).data["status"] == "accepted"
    again = run_cli("decision", "accept", "adopt-kafka", "--vault", str(root))
    assert again.returncode == 0 and "already accepted" in again.stdout


def _fill_sections(path: Path) -> None:
    text = path.read_text()
    for section in ("Context", "Options considered", "Decision", "Tradeoffs", "Outcome"):
        text = text.replace(f"## {section}\n", f"## {section}\n\nWritten: {section.lower()}.\n", 1)
    path.write_text(text)


def test_supersede_updates_both_notes_changing_only_those_keys(tmp_path: Path):
    root = _vault(tmp_path)
    new_path = root / "03_decisions" / "use-redis.md"
    new_before = new_path.read_text()
    old_before = (root / "03_decisions" / "use-postgres.md").read_text()
    proposed = run_cli("decision", "supersede", "use-postgres", "use-redis", "--vault", str(root))
    assert proposed.returncode == 3 and "use-redis' is proposed" in proposed.stderr and "--accept" in proposed.stderr
    assert new_path.read_text() == new_before and (root / "03_decisions" / "use-postgres.md").read_text() == old_before
    result = run_cli("decision", "supersede", "use-postgres", "use-redis", "--accept", "--vault", str(root))
    assert result.returncode == 0, result.stderr
    old_after = (root / "03_decisions" / "use-postgres.md").read_text()
    assert old_after == OLD.replace("status: accepted", "status: superseded").replace(
        "related: [caching]\n", "related: [caching]\nsuperseded-by: [use-redis]\n"
    )
    assert new_path.read_text() == new_before.replace("status: proposed", "status: accepted").replace(
        "\n---\n", "\nsupersedes: [use-postgres]\n---\n", 1
    )
    timeline = json.loads(run_cli("decision", "timeline", "--format", "json", "--vault", str(root)).stdout)
    entries = {e["id"]: e for e in timeline["decisions"]}
    assert [e["id"] for e in timeline["decisions"]] == ["use-postgres", "use-redis"]  # by date
    assert entries["use-postgres"]["status"] == "superseded"
    assert entries["use-redis"]["chain"] == ["use-postgres", "use-redis"]
    cycle = run_cli("decision", "supersede", "use-redis", "use-postgres", "--vault", str(root))
    assert cycle.returncode == 3 and "cycle" in cycle.stderr
    text = run_cli("decision", "timeline", "--vault", str(root)).stdout
    assert "use-postgres → use-redis" in text


def test_supersede_refuses_a_non_decision_and_the_starter(tmp_path: Path):
    root = _vault(tmp_path)
    result = run_cli("decision", "supersede", "caching", "use-redis", "--vault", str(root))
    assert result.returncode == 2 and "not a decision" in result.stderr
    starter = run_cli("decision", "accept", "sql-vs-nosql", cwd=tmp_path)
    assert starter.returncode == 3 and "backbrain init DIR --starter" in starter.stderr


def test_a_failed_second_write_is_finished_by_the_next_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from backbrain import vaultlock

    root = _vault(tmp_path)
    folder = root / "03_decisions"
    calls = []
    real_write = vaultlock.atomic_write_bytes

    def flaky_write(path: Path, data: bytes, *, root: Path) -> None:
        calls.append(Path(path).name)
        if len(calls) == 3:  # the intent, the first note, then the second note fails
            raise OSError(28, "No space left on device")
        real_write(path, data, root=root)

    monkeypatch.setattr(vaultlock, "atomic_write_bytes", flaky_write)
    with pytest.raises(OSError, match="No space"):
        decision.supersede_decision(load_vault(root), "use-postgres", "use-redis", accept=True)
    assert calls == ["intent.json", "use-redis.md", "use-postgres.md"]
    monkeypatch.setattr(vaultlock, "atomic_write_bytes", real_write)
    vault = load_vault(root)  # the next command finishes the supersede before reading
    assert vault.get("use-postgres").meta["status"] == "superseded"
    assert vault.get("use-redis").meta["supersedes"] == ["use-postgres"]
    assert not (root / ".backbrain" / "intent.json").exists()
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temp files left


def test_cycles_through_a_chain_are_refused(tmp_path: Path):
    root = _vault(tmp_path)
    vault = load_vault(root)
    _fill_sections(decision.new_decision(vault, "Use Valkey", today=dt.date(2024, 6, 1)))
    decision.supersede_decision(load_vault(root), "use-postgres", "use-redis", accept=True)
    decision.supersede_decision(load_vault(root), "use-redis", "use-valkey", accept=True)
    with pytest.raises(RefusedError, match="cycle"):
        decision.supersede_decision(load_vault(root), "use-valkey", "use-postgres")
    chain = {e.id: e.chain for e in decision.decision_timeline(load_vault(root))}
    assert chain["use-redis"] == ["use-postgres", "use-redis", "use-valkey"]


def test_new_numbers_records_when_the_vaults_decisions_are_numbered(tmp_path: Path):
    root = _vault(tmp_path)
    plain = run_cli("decision", "new", "Adopt Kafka", "--vault", str(root))
    assert Path(plain.stdout.strip()).name == "adopt-kafka.md"  # nothing numbered yet: the slug
    for name in ("adr-0009-pick-a-queue.md", "adr-0010-pick-a-cache.md"):
        (root / "03_decisions" / name).write_text(OLD.replace("Use PostgreSQL", name[9:-3]))
    numbered = run_cli("decision", "new", "Use Kafka for events", "--vault", str(root))
    assert numbered.returncode == 0, numbered.stderr
    assert Path(numbered.stdout.strip()) == root / "03_decisions" / "adr-0011-use-kafka-for-events.md"
    listed = json.loads(run_cli("list", "--where", "status=proposed", "--format", "json", "--vault", str(root)).stdout)
    assert "adr-0011-use-kafka-for-events" in {n["id"] for n in listed["notes"]}
    explicit = run_cli("decision", "new", "Other", "--id", "other-choice", "--vault", str(root))
    assert Path(explicit.stdout.strip()).name == "other-choice.md"  # --id wins
