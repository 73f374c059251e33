"""Search speed on a generated corpus: cold index, no-op and one-change re-index, queries, the CLI.

    python3 /work/shared/bench/gen_corpus.py /tmp/corpus 10000
    .venv/bin/python bench/search.py /tmp/corpus [--runs 5] [--queries 200]

Each figure is the median of --runs (the machine is shared and noisy); query latency is p50/p95
over --queries in-process searches. Re-index figures are one `sync()` in a warm process; the
"after an edit" rows are a new `backbrain search` process that finds the edit and re-indexes it
(so they include importing the parser). The corpus's own index (.backbrain/) is deleted first and
a note is modified and restored, so the corpus is left as it was.
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
from collections.abc import Callable
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


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def cold(root: Path, runs: int) -> list[float]:
    from backbrain.search.store import SearchIndex, index_path

    times = []
    for _ in range(runs):
        shutil.rmtree(root / ".backbrain", ignore_errors=True)
        times.append(timed(lambda: SearchIndex(root, index_path(root, False)).sync()))
    return times


def incremental(root: Path, runs: int) -> dict[str, list[float]]:
    """Each a full sync(): nothing changed, then one note's body edit, a new link, a new title."""
    from backbrain.search.store import SearchIndex, index_path

    index = SearchIndex(root, index_path(root, False))
    index.sync()
    note = middle_note(root)
    original = note.read_bytes()
    edits: dict[str, Callable[[int], bytes]] = {
        "body": lambda i: original + f"\nA new paragraph about okapi {i}.\n".encode(),
        "link": lambda i: original + f"\nA new paragraph about okapi.\nSee [[note-{i:05d}]].\n".encode(),
        "rename": lambda i: original.replace(b'title: "', f'title: "Okapi {i} '.encode(), 1),
    }
    times: dict[str, list[float]] = {"noop": [timed(index.sync) for _ in range(runs)]}
    try:
        for name, edit in edits.items():
            times[name] = []
            for i in range(runs):
                note.write_bytes(edit(i))
                times[name].append(timed(index.sync))
    finally:
        note.write_bytes(original)
        index.sync()
    return times


def middle_note(root: Path) -> Path:
    notes = sorted(root.rglob("*.md"))
    return notes[len(notes) // 2]


def queries(root: Path, count: int) -> list[float]:
    from backbrain.search.engine import search
    from backbrain.search.store import SearchIndex, index_path

    index = SearchIndex(root, index_path(root, False))
    index.sync()
    rng = random.Random(7)
    search(index, "warm up")
    return [timed(lambda: search(index, rng.choice(QUERIES))) for _ in range(count)]


def cli(root: Path, runs: int) -> list[float]:
    command = search_command(root)
    subprocess.run(command, env=cli_env(), capture_output=True, check=True)  # warm the index and the page cache
    return [timed(lambda: run(command)) for _ in range(runs)]


def cli_after_edit(root: Path, runs: int) -> tuple[list[float], list[float]]:
    """`backbrain search` in a new process right after one note's body, then its links, changed."""
    command = search_command(root)
    run(command)
    note = middle_note(root)
    original = note.read_bytes()
    body, link = [], []
    try:
        for i in range(runs):
            note.write_bytes(original + f"\nA new paragraph about okapi {i}.\n".encode())
            body.append(timed(lambda: run(command)))
        for i in range(runs):
            note.write_bytes(original + f"\nSee [[note-{i + 10:05d}]].\n".encode())
            link.append(timed(lambda: run(command)))
    finally:
        note.write_bytes(original)
        run(command)
    return body, link


def search_command(root: Path) -> list[str]:
    return [sys.executable, "-m", "backbrain", "search", "connection pool saturation", "--vault", str(root)]


def cli_env() -> dict[str, str]:
    return {**os.environ, "NO_COLOR": "1"}


def run(command: list[str]) -> None:
    subprocess.run(command, env=cli_env(), capture_output=True, check=True)


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
    synced = incremental(root, args.runs)
    rows += [
        ("re-index, nothing changed", synced["noop"]),
        ("re-index, one body edit", synced["body"]),
        ("re-index, one new link", synced["link"]),
        ("re-index, one note renamed", synced["rename"]),
    ]
    query_times = sorted(queries(root, args.queries))
    rows.append(("`backbrain search` end to end, warm", cli(root, args.runs)))
    body, link = cli_after_edit(root, args.runs)
    rows += [("`backbrain search` after a body edit", body), ("`backbrain search` after a link edit", link)]
    for name, values in rows:
        print(f"{name:40} median {statistics.median(values) * 1000:8.1f} ms   (n={len(values)})")
    p50 = query_times[len(query_times) // 2] * 1000
    p95 = query_times[int(len(query_times) * 0.95) - 1] * 1000
    print(f"{'query in process':40} p50 {p50:8.1f} ms   p95 {p95:.1f} ms (n={len(query_times)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
