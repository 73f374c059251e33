"""ADR records written for other tools are decisions without being edited: MADR 2, 3 and 4, Nygard
(adr-tools) and log4brains, in the folders those tools use."""

from __future__ import annotations

import json
from pathlib import Path

from byov_vaults import adr_collection, madr2, nygard
from conftest import run_cli
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from backbrain.check import check_vault
from backbrain.core.vault import load_vault
from backbrain.site import SiteBuilder


def test_every_record_is_a_decision_and_the_readme_is_not(tmp_path: Path) -> None:
    vault = load_vault(adr_collection(tmp_path / "v"))
    types = {note.rel: note.type for note in vault.files}
    assert types.pop("README.md") == "note"
    assert set(types.values()) == {"decision"} and len(types) == 9


def test_status_date_and_deciders_come_from_each_format(tmp_path: Path) -> None:
    vault = load_vault(adr_collection(tmp_path / "v"))
    meta = {note.rel.split("/", 1)[1]: note.meta for note in vault.files if note.type == "decision"}
    nygard_record = meta["adr/0002-use-a-message-queue.md"]
    assert (nygard_record["status"], nygard_record["date"]) == ("superseded", "2019-04-01")
    madr2_record = meta["adr/0001-use-markdown-architectural-decision-records.md"]
    assert (madr2_record["status"], madr2_record["date"], madr2_record["deciders"]) == (
        "superseded", "2020-02-03", ["Ana", "Ben"]
    )  # fmt: skip
    log4brains = meta["adr/20230309-use-log4brains-to-manage-the-adrs.md"]
    assert (log4brains["status"], log4brains["date"], log4brains["deciders"]) == ("accepted", "2023-03-09", ["Gus"])
    madr3 = meta["decisions/0001-use-postgresql-for-orders.md"]
    assert (madr3["status"], madr3["date"], madr3["deciders"]) == ("accepted", "2022-11-21", ["Carla", "Dev"])
    madr4 = meta["decisions/0002-cache-sessions-in-memory.md"]
    assert (madr4["status"], madr4["deciders"]) == ("superseded", ["Eve"])


def test_supersede_lines_and_statuses_become_the_supersede_relation(tmp_path: Path) -> None:
    vault = load_vault(adr_collection(tmp_path / "v"))
    pairs = sorted((e.source, e.target) for e in vault.edges if e.kind == "supersedes")
    assert pairs == [
        ("0002-use-madr-with-front-matter", "0001-use-markdown-architectural-decision-records"),  # MADR 2 line
        ("0003-cache-sessions-in-redis", "0002-cache-sessions-in-memory"),  # MADR 4 `superseded by ADR-0003`
        ("0003-use-an-event-log", "0002-use-a-message-queue"),  # adr-tools Status section links
    ]
    errors = {(p.code, p.path) for p in check_vault(vault).problems if p.code.startswith("BB4")}
    assert errors == set()  # statuses and successors agree


def test_madr_records_pass_check_through_section_aliases(tmp_path: Path) -> None:
    vault = load_vault(adr_collection(tmp_path / "v"))
    problems = {(p.path, p.code) for p in check_vault(vault).problems if p.severity == "error"}
    clean = ["docs/decisions/0001-use-postgresql-for-orders.md", "docs/decisions/0003-cache-sessions-in-redis.md",
             "docs/adr/20230309-use-log4brains-to-manage-the-adrs.md",
             "docs/adr/0001-use-markdown-architectural-decision-records.md"]  # fmt: skip
    assert not [p for p in problems if p[0] in clean], problems
    # Nygard's template (Status, Context, Decision, Consequences) has no options section, and its
    # records pass as they are: a `## Status` section makes "Options considered" optional
    assert not [p for p in problems if p[0].startswith("doc/adr/")], problems


def test_only_a_nygard_record_goes_without_options_and_it_still_needs_its_own_sections(tmp_path: Path) -> None:
    root = nygard(tmp_path / "v")
    native = "---\ntype: decision\ntitle: Use gRPC\nstatus: accepted\ndate: 2026-01-02\n---\n# Use gRPC\n\n"
    native += "".join(f"## {title}\n\nText.\n\n" for title in ("Context", "Decision", "Tradeoffs", "Outcome"))
    (root / "decisions").mkdir()
    (root / "decisions" / "use-grpc.md").write_text(native, encoding="utf-8")
    record = root / "doc" / "adr" / "0001-record-architecture-decisions.md"
    record.write_text(record.read_text(encoding="utf-8").replace("## Context", "## Background"), encoding="utf-8")
    problems = sorted((p.path, p.code, p.message) for p in check_vault(load_vault(root)).problems if p.code == "BB101")
    assert problems == [
        ("decisions/use-grpc.md", "BB101", "Missing required section '## Options considered' for type 'decision'."),
        ("doc/adr/0001-record-architecture-decisions.md", "BB101",
         "Missing required section '## Context' for type 'decision'."),
    ]  # fmt: skip


def test_decision_timeline_lists_the_records_with_their_chains(tmp_path: Path) -> None:
    root = nygard(tmp_path / "v")
    madr2(root)
    result = run_cli("decision", "timeline", "--format", "json", "--vault", str(root))
    assert result.returncode == 0, result.stderr
    entries = json.loads(result.stdout)["decisions"]
    assert [(e["date"], e["status"]) for e in entries] == [
        ("2019-03-04", "accepted"), ("2019-04-01", "superseded"), ("2020-02-03", "superseded"),
        ("2020-08-12", "accepted"), ("2021-05-10", "accepted"),
    ]  # fmt: skip
    assert ["0002-use-a-message-queue", "0003-use-an-event-log"] in [e["chain"] for e in entries]


def test_site_timeline_shows_the_records(tmp_path: Path) -> None:
    root = adr_collection(tmp_path / "v")
    out = tmp_path / "out"
    SiteBuilder(root, out, tmp_path / "cache.json", workers=1).build()
    tree = HTMLParser((out / "timeline/index.html").read_text(encoding="utf-8"))
    titles = [a.text() for a in tree.css(".timeline-item .note-list-title")]
    assert len(titles) == 9 and titles[0] == "Cache sessions in Redis"
    chains = [[a.text() for a in chain.css("a")] for chain in tree.css("ol.chain")]
    assert ["2. Use a message queue", "3. Use an event log"] in chains
