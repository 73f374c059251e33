"""What each re-rank feature of issue 13 does, on small vaults built for it, each shown to change
the order it claims to change: thesaurus members (a phrase member needs all its words), coverage
of the query by a note's key fields, and the lift a top hit gives the notes related to it."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from conftest import run_cli, write_vault
from searchhelpers import open_synced

from backbrain.search.engine import RankConfig, search
from backbrain.search.query import stemmer
from backbrain.search.thesaurus import Thesaurus

FILLER = "Plain words about nothing in particular, written so the vault has some ordinary text. " * 3


def _note(title: str, kind: str, body: str, **front: str) -> str:
    extra = "".join(f"{key}: {value}\n" for key, value in front.items())
    return f"---\ntitle: {title}\ntype: {kind}\n{extra}---\n\n# {title}\n\n{body}\n"


def _fillers(n: int) -> dict[str, str]:
    return {f"notes/filler-{i}.md": _note(f"Filler {i}", "note", FILLER) for i in range(n)}


def _ids(root: Path, query: str, config: RankConfig | None = None) -> list[str]:
    index = open_synced(root)
    try:
        return [hit.id for hit in search(index, query, config=config).hits]
    finally:
        index.close()


def test_a_phrase_member_is_a_unit_and_a_one_word_remainder_only_triggers() -> None:
    thesaurus = Thesaurus([["zorp", "blue whale", "roll out"]])
    (match,) = thesaurus.matches(set(stemmer().stems(["zorp"])))
    assert match.triggers == ["zorp"]
    assert match.members == [("blue", "whale")]  # "roll out" is only "roll" once "out" is dropped
    (match,) = thesaurus.matches(set(stemmer().stems(["roll", "out"])))
    assert match.members == [("zorp",), ("blue", "whale")]
    assert thesaurus.matches(set(stemmer().stems(["blue", "zorp", "whale"]))) == []  # it holds every member


def test_a_note_holding_one_word_of_a_phrase_synonym_is_not_lifted(tmp_path: Path) -> None:
    root = write_vault(
        tmp_path / "vault",
        {
            "notes/whales.md": _note("Whales", "note", "The blue whale is the largest animal. " + FILLER),
            "notes/sky.md": _note("Sky", "note", "The sky is blue on a clear day, and blue again. " + FILLER),
            "notes/zorp.md": _note("Zorp", "note", "Zorp is a made-up word. " + FILLER),
            **_fillers(6),
            "backbrain.toml": '[search]\nsynonyms = [["zorpish", "blue whale"]]\n',
        },
    )
    done = run_cli("search", "zorpish facts", "--vault", str(root), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert [r["id"] for r in json.loads(done.stdout)["results"]] == ["whales"]  # not "sky": only "blue"


def test_coverage_puts_the_note_naming_every_part_of_the_problem_first(tmp_path: Path) -> None:
    root = write_vault(
        tmp_path / "vault",
        {
            "notes/repeats.md": _note("Notes", "note", ("The ledger drifts from the bank statement. " * 3) + FILLER),
            "notes/covers.md": _note(
                "Month end",
                "note",
                "How the month closes. " + FILLER,
                summary="The ledger drifts from the bank statement during reconciliation.",
            ),
            **_fillers(10),
        },
    )
    query = "ledger drifts from the bank statement"  # every word is in both notes; only "covers" has them in front
    assert _ids(root, query, dataclasses.replace(RankConfig(), coverage_bonus=0.0))[0] == "repeats"
    assert _ids(root, query)[0] == "covers"


def test_a_top_hit_lifts_the_pattern_that_mitigates_it(tmp_path: Path) -> None:
    root = write_vault(
        tmp_path / "vault",
        {
            "04_failure-modes/queue-overflow.md": _note(
                "Queue overflow", "failure-mode", "The queue overflows and the broker drops messages. " + FILLER
            ),
            "01_patterns/spillway.md": _note(
                "Spillway", "pattern", "Overflow handling is mentioned here. " + FILLER, mitigates="[queue-overflow]"
            ),
            "01_patterns/unrelated.md": _note(
                "Unrelated", "pattern", "A queue overflow is mentioned here. " * 2 + FILLER
            ),
            **_fillers(10),
        },
    )
    without = _ids(root, "queue overflow", dataclasses.replace(RankConfig(), graph_weight=0.0))
    assert without[:3] == ["queue-overflow", "unrelated", "spillway"]
    assert _ids(root, "queue overflow")[:3] == ["queue-overflow", "spillway", "unrelated"]


def test_a_superseded_decision_comes_after_the_one_in_force(tmp_path: Path) -> None:
    text = "Cache hot reads close to the service. "
    root = write_vault(
        tmp_path / "vault",
        {
            "03_decisions/local-cache.md": _note("Local cache per instance", "decision", text * 3 + FILLER),
            "03_decisions/shared-cache.md": _note(
                "Shared cache tier", "decision", text * 2 + FILLER, supersedes="[local-cache]"
            ),
            **_fillers(10),
        },
    )
    without = _ids(root, "cache hot reads", dataclasses.replace(RankConfig(), superseded_prior=1.0))
    assert without[:2] == ["local-cache", "shared-cache"]
    assert _ids(root, "cache hot reads")[:2] == ["shared-cache", "local-cache"]


def test_words_in_the_order_typed_lift_the_note_that_says_them_so(tmp_path: Path) -> None:
    root = write_vault(
        tmp_path / "vault",
        {
            "notes/in-order.md": _note(
                "Breaker", "note", FILLER, summary="Stop calling a dependency that keeps timing out."
            ),
            "notes/scattered.md": _note(
                "Calls", "note", FILLER + " Calling again. " * 2, summary="Calling it is fine; stop when it times out."
            ),
            **_fillers(10),
        },
    )
    query = "stop calling the dependency"
    assert _ids(root, query, dataclasses.replace(RankConfig(), pair_bonus=0.0, coverage_bonus=0.0))[0] == "scattered"
    assert _ids(root, query, dataclasses.replace(RankConfig(), coverage_bonus=0.0))[0] == "in-order"


def test_a_light_verb_weighs_less_than_the_symptom(tmp_path: Path) -> None:
    """'went' is rare in a knowledge base, so at full weight the note that says it most outranks the
    one about the symptom; at `light_weight` of its IDF it only breaks ties."""
    root = write_vault(
        tmp_path / "vault",
        {
            "notes/travel.md": _note("Travel log", "note", "We went there, went on and went back. " + FILLER),
            "notes/broker.md": _note("Broker notes", "note", "A consumer can stall. " + FILLER),
            **_fillers(10),
        },
    )
    query = "it went into a stall"
    assert _ids(root, query, dataclasses.replace(RankConfig(), light_weight=1.0))[:2] == ["travel", "broker"]
    assert _ids(root, query)[:2] == ["broker", "travel"]


def test_the_fix_follows_its_failure_mode_more_than_the_failure_follows_its_fix(tmp_path: Path) -> None:
    """The lift is the lender's own score times the edge's weight, stronger from a failure mode to
    the pattern that mitigates it (graph_weight) than back (graph_back_weight)."""
    root = write_vault(
        tmp_path / "vault",
        {
            "04_failure-modes/queue-overflow.md": _note(
                "Queue overflow", "failure-mode", "The queue overflows. " + FILLER, **{"mitigated-by": "[spillway]"}
            ),
            "01_patterns/spillway.md": _note("Spillway", "pattern", "Spill the queue over to disk. " + FILLER),
            **_fillers(10),
        },
    )
    index = open_synced(root)
    try:
        base = dataclasses.replace(RankConfig(), graph_weight=0.0, graph_back_weight=0.0)
        alone = {h.id: h.score for h in search(index, "queue overflow", config=base).hits}
        lifted = {h.id: h.score for h in search(index, "queue overflow").hits}
    finally:
        index.close()
    config = RankConfig()
    lift = config.graph_weight * alone["queue-overflow"]
    assert lifted["spillway"] - alone["spillway"] == pytest.approx(lift, abs=1e-3)
    assert lifted["queue-overflow"] - alone["queue-overflow"] == pytest.approx(
        config.graph_back_weight * alone["spillway"], abs=1e-3
    )
