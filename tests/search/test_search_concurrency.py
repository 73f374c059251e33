"""Two processes indexing and searching the same vault at once: no corruption, no long waits."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import write_vault

WORKER = """
import sys, time
from pathlib import Path
from backbrain.search.store import SearchIndex, index_path
from backbrain.search.engine import search
root = Path(sys.argv[1]); me = sys.argv[2]
index = SearchIndex(root, index_path(root, read_only=False))
slowest = 0.0
for i in range(25):
    (root / f"{me}-{i % 5}.md").write_text(f"# {me} {i}\\n\\nworker {me} round {i} ocelot\\n")
    started = time.perf_counter()
    index.sync()
    assert search(index, "ocelot").hits, "search found nothing"
    slowest = max(slowest, time.perf_counter() - started)
print(slowest)
"""


def test_two_processes_index_and_search_at_once(tmp_path: Path) -> None:
    root = write_vault(tmp_path / "v", {f"n{i}.md": f"# Note {i}\n\nocelot {i}\n" for i in range(60)})
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(root), name], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for name in ("a", "b")
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert float(out) < 5.0  # never blocked behind the other for long
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('PRAGMA integrity_check').fetchone()[0])",
            str(root / ".backbrain" / "index.sqlite"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert check.stdout.strip() == "ok"
    from backbrain.search.store import SearchIndex, index_path

    index = SearchIndex(root, index_path(root, read_only=False))
    index.sync()
    assert index.count() == 70
    fts_rows = index.conn.execute("SELECT count(*) FROM fts").fetchone()[0]
    assert fts_rows == 70
