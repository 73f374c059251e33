"""Search quality on the starter: MRR@10 and recall@5, shipped ranking vs plain FTS5 BM25.

    .venv/bin/python bench/search_eval.py [--vault DIR] [--set tuning|held-out|all] [--queries FILE]
                                          [--verbose] [--ablate]

The query sets (tests/eval/), in two groups:

- tuning: queries.yaml (the ranking's features and weights were chosen on it), heldout.yaml
  (held-out round 1: written blind before the issue-13 ranking work and scored 0.759 MRR@10 /
  0.828 recall@5 as a held-out set; retired to tuning on 2026-12-04 after its misses were examined)
  heldout2.yaml (held-out round 2: written blind, scored once by the lead at 0.870 / 0.898 on
  f9d73b4's ranking, then retired the same day) and heldout4.yaml (held-out round 4: the same, 0.766
  / 0.883 on 046846e's ranking). Their figures are optimistic by construction.
- held-out: heldout3.yaml (round 3) and heldout5.yaml (round 5), each written blind by someone who
  did not tune the ranking, scored when the file exists, and pooled as "held-out: all rounds
  together". Whoever tunes the ranking must not open them or look at their results:
  they run `--set tuning` (the default when BACKBRAIN_EVAL_TUNING_ONLY=1 is set) and the lead runs
  `--set held-out` (or `all`). Once its misses have been looked at, it is retired to tuning the same
  way and a new round is written.

With BACKBRAIN_EVAL_TUNING_ONLY=1 in the environment, QUERY_SETS (which the tests read, e.g. the
browser parity test) holds only the tuning sets, so a tuning agent can run the whole suite blind.
`--queries FILE` scores one file instead.

"Plain BM25" is the honest baseline: the same porter tokenizer, one column holding the note's
Markdown body, every query word ORed (FTS5's strict AND finds nothing for most sentences), no
field weights, stop words, typo fixes or name bonuses. `--ablate` turns off one shipped feature
at a time to show what each is worth. tests/search/test_search_eval.py imports this file.

The shipped ranking runs over an index built in a temporary folder that is removed afterwards
(`eval_index`), so neither the vault nor /tmp keeps anything from a run.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import sqlite3
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from backbrain.search.store import SearchIndex

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "tests" / "eval"
QUERIES = EVAL / "queries.yaml"
ROUND_1 = EVAL / "heldout.yaml"  # held-out round 1, retired to tuning on 2026-12-04
ROUND_2 = EVAL / "heldout2.yaml"  # held-out round 2, scored once by the lead, then retired (2026-12-04)
ROUND_3 = EVAL / "heldout3.yaml"  # held-out round 3: never tuned on, never read while tuning
ROUND_4 = EVAL / "heldout4.yaml"  # held-out round 4, scored once by the lead, then retired (2026-12-04)
ROUND_5 = EVAL / "heldout5.yaml"  # held-out round 5: never tuned on, never read while tuning
TUNING_ONLY_ENV = "BACKBRAIN_EVAL_TUNING_ONLY"
TUNING_SETS = {
    "tuning: queries.yaml": QUERIES,
    "tuning: heldout.yaml (held-out round 1, retired)": ROUND_1,
    "tuning: heldout2.yaml (held-out round 2, retired)": ROUND_2,
    "tuning: heldout4.yaml (held-out round 4, retired)": ROUND_4,
}
HELD_OUT_SETS = {"held-out: heldout3.yaml (round 3)": ROUND_3, "held-out: heldout5.yaml (round 5)": ROUND_5}


def tuning_only() -> bool:
    """True when the environment asks to leave the held-out set unread (for whoever tunes)."""
    return os.environ.get(TUNING_ONLY_ENV, "") not in ("", "0")


def query_sets(group: str = "all") -> dict[str, Path]:
    """The sets of a group ("tuning", "held-out" or "all"); the held-out set only if it exists."""
    held_out = {name: path for name, path in HELD_OUT_SETS.items() if path.exists()}
    return {"tuning": TUNING_SETS, "held-out": held_out, "all": {**TUNING_SETS, **held_out}}[group]


QUERY_SETS = query_sets("tuning" if tuning_only() else "all")
Ranker = Callable[[str], list[str]]


def load_queries(path: Path = QUERIES) -> list[dict[str, Any]]:
    return list(yaml.safe_load(path.read_text(encoding="utf-8"))["queries"])


def score(ranker: Ranker, queries: list[dict[str, Any]]) -> dict[str, Any]:
    """MRR@10 (rank of the first expected id) and recall@5 (share of expected ids in the top 5)."""
    reciprocal, recall, misses = 0.0, 0.0, []
    for item in queries:
        ranked = ranker(item["query"])
        expected = item["expect"]
        rank = next((i + 1 for i, note_id in enumerate(ranked[:10]) if note_id in expected), None)
        reciprocal += 1 / rank if rank else 0.0
        recall += len(set(expected) & set(ranked[:5])) / len(expected)
        if rank != 1:
            misses.append((item["query"], expected, rank, ranked[:3]))
    n = len(queries)
    return {"mrr10": reciprocal / n, "recall5": recall / n, "misses": misses, "n": n}


@contextlib.contextmanager
def eval_index(vault: Path | None) -> Iterator[SearchIndex]:
    """The vault's search index, built in a temporary folder that is deleted on the way out."""
    from backbrain.core.location import locate_vault
    from backbrain.search.store import SearchIndex

    root = locate_vault(vault).root
    with tempfile.TemporaryDirectory(prefix="backbrain-eval-") as folder:
        index = SearchIndex(root, Path(folder) / "index.sqlite")
        try:
            index.sync()
            yield index
        finally:
            index.close()


def shipped_ranker(index: SearchIndex, config: Any = None) -> Ranker:
    """The ranking `backbrain search` uses (with `config`, a RankConfig, for ablations)."""
    from backbrain.search.engine import search

    def rank(text: str) -> list[str]:
        return [hit.id for hit in search(index, text, limit=10, config=config).hits]

    return rank


def plain_ranker(vault: Path | None) -> Ranker:
    """One FTS5 column with each note's body, words ORed, default bm25()."""
    from backbrain.core.location import locate_vault
    from backbrain.core.vault import load_vault
    from backbrain.search.query import TOKENIZER, match_expression, parse_query

    root = locate_vault(vault).root
    conn = sqlite3.connect(":memory:")
    conn.execute(f"CREATE VIRTUAL TABLE t USING fts5(note_id UNINDEXED, body, tokenize='{TOKENIZER}')")
    notes = load_vault(root).notes.values()
    conn.executemany("INSERT INTO t(note_id, body) VALUES (?, ?)", [(n.id, n.body) for n in notes])

    def rank(text: str) -> list[str]:
        parsed = parse_query(text, drop_stop_words=False)
        expression = match_expression(parsed.words, parsed.phrases, parsed.prefixes)
        if not expression:
            return []
        sql = "SELECT note_id FROM t WHERE t MATCH ? ORDER BY bm25(t) LIMIT 10"
        return [row[0] for row in conn.execute(sql, (expression,))]

    return rank


def ablations() -> dict[str, Any]:
    from backbrain.search.engine import RankConfig

    base = RankConfig()
    return {
        "no field weights": dataclasses.replace(base, weights=(1.0,) * len(base.weights)),
        "no stop words": dataclasses.replace(base, drop_stop_words=False),
        "no typo fixes": dataclasses.replace(base, fix_typos=False),
        "no name bonus": dataclasses.replace(base, name_bonus=0.0, phrase_bonus=0.0, fuzzy_bonus=0.0),
        "no common-word scoring": dataclasses.replace(base, score_common=False),
        "no type prior": dataclasses.replace(base, type_prior=()),
        "no thesaurus": dataclasses.replace(base, synonym_weight=0.0),
        "no thesaurus in names": dataclasses.replace(base, synonym_names=False),
        "no coverage bonus": dataclasses.replace(base, coverage_bonus=0.0),
        "coverage: no synonyms": dataclasses.replace(base, coverage_synonym=0.0),
        "no graph bonus": dataclasses.replace(base, graph_weight=0.0, graph_back_weight=0.0),
        "no light-verb weighting": dataclasses.replace(base, light_weight=1.0),
        "no superseded prior": dataclasses.replace(base, superseded_prior=1.0),
        "no word-pair bonus": dataclasses.replace(base, pair_bonus=0.0),
    }


def with_pooled(scored: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """The sets, plus each group's files pooled into one set when more than one of them is scored."""
    pooled = dict(scored)
    for group, together in (
        (TUNING_SETS, "tuning: all files together"),
        (HELD_OUT_SETS, "held-out: all rounds together"),
    ):
        members = [name for name in scored if name in group]
        if len(members) > 1:
            pooled[together] = [query for name in members for query in scored[name]]
    return pooled


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vault", type=Path, default=None)
    parser.add_argument(
        "--set",
        choices=["tuning", "held-out", "all"],
        default="tuning" if tuning_only() else "all",
        help="which query sets to score (default: all, or tuning when " + TUNING_ONLY_ENV + "=1)",
    )
    parser.add_argument("--queries", type=Path, default=None, help="score this file instead of the sets")
    parser.add_argument("--verbose", action="store_true", help="list queries whose expected note is not first")
    parser.add_argument("--ablate", action="store_true", help="also score with each feature turned off")
    args = parser.parse_args(argv)
    if args.set != "tuning" and tuning_only():
        parser.error(f"{TUNING_ONLY_ENV} is set: only --set tuning may be scored")
    if args.queries and tuning_only() and args.queries.resolve() in {p.resolve() for p in HELD_OUT_SETS.values()}:
        parser.error(f"{TUNING_ONLY_ENV} is set: the held-out sets may not be scored")
    sets = {args.queries.stem: args.queries} if args.queries else query_sets(args.set)
    if not sets:
        parser.error("no query set to score (is a held-out round written yet?)")
    with eval_index(args.vault) as index:
        plain = plain_ranker(args.vault)
        rankers = [("shipped ranking", shipped_ranker(index)), ("plain FTS5 BM25", plain)]
        if args.ablate:
            rankers += [(f"shipped, {name}", shipped_ranker(index, config)) for name, config in ablations().items()]
        scored = {name: load_queries(path) for name, path in sets.items()}
        scored = with_pooled(scored)
        for set_name, queries in scored.items():
            rows = [(name, score(ranker, queries)) for name, ranker in rankers]
            print(f"\n{set_name}: {len(queries)} queries over {index.count()} notes ({index.root})")
            print(f"{'ranking':40} {'MRR@10':>7} {'recall@5':>9}")
            for name, result in rows:
                print(f"{name:40} {result['mrr10']:7.3f} {result['recall5']:9.3f}")
            if args.verbose:
                print(f"\n{set_name}, shipped ranking, expected note not first:")
                for query, expected, rank, top in rows[0][1]["misses"]:
                    print(f"  rank {rank or '-':>2}  {query!r}  want {expected}  got {top}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
