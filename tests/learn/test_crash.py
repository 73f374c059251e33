"""A writer killed with SIGKILL at random moments leaves every file valid and loses at most the
event in flight: journal appends and front matter updates, from a subprocess looping on them."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from backbrain.core.frontmatter import parse_front_matter
from backbrain.learn.journal import Journal

WRITER = """
import sys
from pathlib import Path
from backbrain.learn.journal import Journal
from backbrain.learn.progress import update_note_file

mode, root, start = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
values = ["not-started", "in-progress", "completed"]
journal = Journal(root / "journal")
print("ready", flush=True)
n = start
while True:
    if mode == "journal":
        journal.append("review.jsonl", "review", {"n": n, "pad": "x" * (n * 7919 % 50000)})
    else:
        update_note_file(root / "note.md", {"progress": values[n % 3]}, root=root)
    print(n, flush=True)  # acknowledged: the write has returned
    n += 1
"""

NOTE = (
    "---\r\n# keep me\r\ntitle: 'Crash test'   # quoted\r\nprogress: not-started\r\ntags: [a, b]\r\n---\r\n"
    "\r\nBody.\r\n"
)
VALUES = ["not-started", "in-progress", "completed"]


def _kill_at_random(mode: str, root: Path, start: int, rng: random.Random) -> int:
    """Run the writer, SIGKILL it after a random delay; the last acknowledged number (or start - 1)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, mode, str(root), str(start)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(rng.uniform(0.02, 0.25))
    proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate()
    acked = [int(line) for line in out.split() if line.isdigit()]
    return acked[-1] if acked else start - 1


def test_killed_journal_appends_lose_at_most_the_event_in_flight(tmp_path: Path):
    rng = random.Random(1234)
    journal = Journal(tmp_path / "journal")
    next_n = 0
    for _ in range(5):
        last_acked = _kill_at_random("journal", tmp_path, next_n, rng)
        numbers = [e["n"] for e in journal.read("review.jsonl").events]
        assert numbers == sorted(numbers) and len(numbers) == len(set(numbers))
        assert set(range(last_acked + 1)) <= set(numbers)  # every acknowledged event survived
        assert max(numbers, default=-1) <= last_acked + 1  # at most the one in flight beyond that
        next_n = max(numbers, default=-1) + 1
    assert journal.read("review.jsonl").skipped <= 5  # at most one torn line per kill, each isolated
    assert next_n > 5  # the writers really got going


def test_killed_front_matter_updates_leave_a_valid_note(tmp_path: Path):
    rng = random.Random(99)
    note = tmp_path / "note.md"
    note.write_bytes(NOTE.encode())
    next_n = 0
    for _ in range(5):
        last_acked = _kill_at_random("update", tmp_path, next_n, rng)
        text = note.read_bytes().decode("utf-8")
        front = parse_front_matter(text)
        assert front.error is None
        progress = front.data["progress"]
        assert text == NOTE.replace("progress: not-started", f"progress: {progress}")  # only that value changed
        if last_acked >= next_n:
            assert progress in {VALUES[last_acked % 3], VALUES[(last_acked + 1) % 3]}
        next_n = last_acked + 2
    assert next_n > 5  # the writers really got going
    leftovers = [p.name for p in tmp_path.iterdir() if p.name not in ("note.md", "journal", ".backbrain")]
    assert all(name.startswith(".note.md.") and name.endswith(".tmp") for name in leftovers)
