"""Search speed on a generated corpus: cold index, no-op and one-change re-index, queries, the CLI.

    python3 /work/shared/bench/gen_corpus.py /tmp/corpus 10000
    .venv/bin/python bench/search.py /tmp/corpus [--runs 5] [--queries 200]

Each figure is the median of --runs (the machine is shared and noisy); query latency is p50/p95
over --queries in-process searches. The corpus's own index (.backbrain/) is deleted first and a
note is modified and restored, so the corpus is left as it was.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

QUERIES = [
    "cache stampede",
    "connection pool saturation",
    "why does latency spike when the queue consumer falls behind",
    "retry backoff jitter",
    "leader failover quorum",
    "tenant billing invoice ledger",
    "stampeed",
    '"token bucket"',
    "compact*",
    "webhook signature",
    "deadlock contention lock lease",
    "how do I stop a retry storm",
]


def timed(action) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def cold(root: Path, runs: int) -> list[float]:
    from backbrain.index import SearchIndex, index_path

    times = []
    for _ in range(runs):
        shutil.rmtree(root / ".backbrain", ignore_errors=True)
        times.append(timed(lambda: SearchIndex(root, index_path(root, False)).sync()))
    return times


def incremental(root: Path, runs: int) -> tuple[list[float], list[float], list[float]]:
    """(no change, one body edit, one edit that changes a link) each as a full sync()."""
    from backbrain.index import SearchIndex, index_path

    index = SearchIndex(root, index_path(root, False))
    index.sync()
    note = sorted(root.rglob("*.md"))[len(list(root.rglob("*.md"))) // 2]
    original = note.read_bytes()
    noop, body, link = [], [], []
    try:
        for i in range(runs):
            noop.append(timed(index.sync))
            note.write_bytes(original + f"\nA new paragraph about okapi {i}.\n".encode())
            body.append(timed(index.sync))
        for i in range(runs):
            note.write_bytes(original + f"\nA new paragraph about okapi.\nSee [[note-{i:05d}]].\n".encode())
            link.append(timed(index.sync))
    finally:
        note.write_bytes(original)
        index.sync()
    return noop, body, link


def queries(root: Path, count: int) -> list[float]:
    from backbrain.index import SearchIndex, index_path
    from backbrain.search.engine import search

    index = SearchIndex(root, index_path(root, False))
    index.sync()
    rng = random.Random(7)
    search(index, "warm up")
    return [timed(lambda: search(index, rng.choice(QUERIES))) for _ in range(count)]


def cli(root: Path, runs: int) -> list[float]:
    env = {**os.environ, "NO_COLOR": "1"}
    command = [sys.executable, "-m", "backbrain", "search", "connection pool saturation", "--vault", str(root)]
    subprocess.run(command, env=env, capture_output=True, check=True)  # warm the index and the page cache
    return [timed(lambda: subprocess.run(command, env=env, capture_output=True, check=True)) for _ in range(runs)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args(argv)
    root = args.corpus.resolve()
    notes = sum(1 for _ in root.rglob("*.md"))
    print(f"corpus: {root} ({notes} notes)")
    rows = [("cold index (sync from nothing)", cold(root, max(1, args.runs // 2)))]
    noop, body, link = incremental(root, args.runs)
    rows += [("re-index, nothing changed", noop), ("re-index, one body edit", body), ("re-index, one new link", link)]
    query_times = sorted(queries(root, args.queries))
    rows.append(("`backbrain search` end to end, warm", cli(root, args.runs)))
    for name, values in rows:
        print(f"{name:40} median {statistics.median(values) * 1000:8.1f} ms   (n={len(values)})")
    p50 = query_times[len(query_times) // 2] * 1000
    p95 = query_times[int(len(query_times) * 0.95) - 1] * 1000
    print(f"{'query in process':40} p50 {p50:8.1f} ms   p95 {p95:.1f} ms (n={len(query_times)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
