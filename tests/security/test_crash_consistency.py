"""Multi-file updates survive SIGKILL and concurrent writers: `progress set` (the note and its
journal event) and `decision supersede` (two notes) are one unit each, finished by the next command
when a process dies halfway; two writers on one note never lose an update.

Writers run in forked children (the modules are already imported, so a child costs milliseconds and
hundreds of kills fit in seconds). Two kinds of kill: at a random moment, and deterministically at
every file operation in turn (the child kills itself on its N-th rename, link, write or unlink)."""

from __future__ import annotations

import itertools
import os
import random
import signal
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from hostile import base_vault

from backbrain.core.frontmatter import parse_front_matter
from backbrain.core.vault import load_vault
from backbrain.learn.journal import PROGRESS_LOG, Journal

VALUES = ["not-started", "in-progress", "completed"]
FILE_OPS = ("replace", "link", "write", "unlink", "rename")


def _fork(work: Callable[[], None]) -> int:
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        code = 0
        try:
            work()
        except BaseException:
            traceback.print_exc()  # shown by pytest if the test then fails
            code = 1
        finally:
            os._exit(code)
    return pid


def _kill_on_op(n: int, work: Callable[[], None]) -> Callable[[], None]:
    """`work`, but the process SIGKILLs itself on its n-th file operation (counting all of FILE_OPS)."""

    def run() -> None:
        count = [0]
        for name in FILE_OPS:
            real = getattr(os, name)

            def wrapped(*args: object, _real: Callable[..., object] = real, **kwargs: object) -> object:
                count[0] += 1
                if count[0] == n:
                    os.kill(os.getpid(), signal.SIGKILL)
                return _real(*args, **kwargs)

            setattr(os, name, wrapped)
        work()

    return run


def _wait(pid: int) -> int:
    return os.waitpid(pid, 0)[1]


def _progress_consistent(root: Path) -> None:
    """Every note valid; the note's progress is the journal's last `to`, and each event's `from` is
    the previous event's `to`."""
    vault = load_vault(root)  # the next command: finishes an interrupted update first
    for note in vault.notes.values():
        assert parse_front_matter(note.path.read_text(encoding="utf-8")).error is None
    events = [e for e in Journal(root / "journal").read(PROGRESS_LOG).events if e["note"] == "caching"]
    for before, after in itertools.pairwise(events):
        assert after["from"] == before["to"], (before, after)
    expected = events[-1]["to"] if events else "not-started"
    assert vault.get("caching").progress == expected
    assert not (root / ".backbrain" / "intent.json").exists()


def _set(root: Path, value: str) -> None:
    from backbrain.learn.progress import set_progress

    set_progress(load_vault(root), Journal(root / "journal"), "caching", value)


def test_progress_set_killed_at_every_file_operation(tmp_path: Path):
    root = base_vault(tmp_path / "v")
    n = 1
    while True:
        status = _wait(_fork(_kill_on_op(n, lambda n=n: _set(root, VALUES[n % 3]))))
        _progress_consistent(root)
        if not os.WIFSIGNALED(status):
            break  # the update finished before its n-th operation: every point has been tried
        n += 1
    assert n > 4
    leftovers = [p.name for p in (root / "01_patterns").iterdir() if p.name.startswith(".")]
    assert leftovers == []  # temp files of killed writers were swept by the next command


def _duration(work: Callable[[], None]) -> float:
    """How long one run of `work` takes here (fsync-bound: tens of ms on a busy disk)."""
    began = time.monotonic()
    work()
    return time.monotonic() - began


def test_progress_set_killed_at_random_200_times(tmp_path: Path):
    root = base_vault(tmp_path / "v")
    rng = random.Random(12)
    one = _duration(lambda: _set(root, "in-progress"))
    killed_mid_run = 0
    for i in range(200):

        def loop(i: int = i) -> None:
            for j in range(1000):
                _set(root, VALUES[(i + j) % 3])

        pid = _fork(loop)
        time.sleep(rng.uniform(0.0, min(3 * one, 0.15)))
        os.kill(pid, signal.SIGKILL)
        killed_mid_run += os.WIFSIGNALED(_wait(pid))
        _progress_consistent(root)
    assert killed_mid_run == 200
    assert len(Journal(root / "journal").read(PROGRESS_LOG).events) >= 10  # the writers really got going


DECISION = "---\ntitle: {title}\ntype: decision\nstatus: {status}\ndate: 2024-01-01\ndeciders: [me]\n---\n\n# {title}\n"


def _pairs(root: Path, count: int) -> list[tuple[str, str]]:
    pairs = []
    for k in range(count):
        old, new = f"old-{k}", f"new-{k}"
        for name, status in ((old, "accepted"), (new, "accepted")):
            (root / "03_decisions" / f"{name}.md").write_text(
                DECISION.format(title=name.replace("-", " ").title(), status=status), encoding="utf-8"
            )
        pairs.append((old, new))
    return pairs


def _supersede_all(root: Path, pairs: list[tuple[str, str]]) -> Callable[[], None]:
    def run() -> None:
        from backbrain.learn.decision import supersede_decision

        for old, new in pairs:
            supersede_decision(load_vault(root), old, new)

    return run


def _pairs_consistent(root: Path, pairs: list[tuple[str, str]]) -> int:
    """Both notes of each pair changed or neither; returns how many pairs are done."""
    vault = load_vault(root)
    done = 0
    for old, new in pairs:
        for note_id in (old, new):
            assert parse_front_matter(vault.get(note_id).path.read_text(encoding="utf-8")).error is None
        superseded = vault.get(old).meta.get("status") == "superseded"
        links = vault.get(new).meta.get("supersedes") == [old]
        assert superseded == links, (old, new, superseded, links)
        done += superseded
    return done


def test_supersede_killed_at_every_file_operation(tmp_path: Path):
    root = base_vault(tmp_path / "v")
    n = 1
    while True:
        pairs = _pairs(root, 1)
        status = _wait(_fork(_kill_on_op(n, _supersede_all(root, pairs))))
        _pairs_consistent(root, pairs)
        if not os.WIFSIGNALED(status):
            break
        n += 1
    assert n > 4


def test_supersede_killed_at_random_200_times(tmp_path: Path):
    root = base_vault(tmp_path / "v")
    rng = random.Random(7)
    one = _duration(_supersede_all(root, _pairs(root, 1)))
    done = 0
    for _ in range(200):
        pairs = _pairs(root, 2)
        pid = _fork(_supersede_all(root, pairs))
        time.sleep(rng.uniform(0.0, min(2.5 * one, 0.12)))
        os.kill(pid, signal.SIGKILL)
        _wait(pid)
        done += _pairs_consistent(root, pairs)
    assert done >= 20  # kills landed before, during and after the updates (2 pairs per run: up to 400)


def test_two_writers_never_lose_an_update(tmp_path: Path):
    root = base_vault(tmp_path / "v")
    for _ in range(60):
        read_end, write_end = os.pipe()

        def writer(value: str, read_end: int = read_end) -> Callable[[], None]:
            def run() -> None:
                from backbrain.learn.progress import set_progress

                vault = load_vault(root)  # both load first, as two commands started together do
                os.read(read_end, 1)  # then wait for the starting shot
                set_progress(vault, Journal(root / "journal"), "caching", value)

            return run

        pids = [_fork(writer("in-progress")), _fork(writer("completed"))]
        os.write(write_end, b"go")
        assert all(os.WIFEXITED(s) and os.WEXITSTATUS(s) == 0 for s in map(_wait, pids))
        os.close(read_end)
        os.close(write_end)
        _progress_consistent(root)
    assert len(Journal(root / "journal").read(PROGRESS_LOG).events) == 120


def test_a_shipped_intent_log_cannot_write_or_delete_outside_the_vault(tmp_path: Path) -> None:
    """.backbrain/intent.json is vault data: a cloned vault may carry one. Replaying it touches only
    files inside the vault, and only those still exactly as the log says it planned on."""
    import hashlib
    import json

    root = base_vault(tmp_path / "v")
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    inside = root / "notes-kept.md"
    inside.write_text("# Kept\n\nEdited after the plan.\n")
    sha = hashlib.sha256(victim.read_bytes()).hexdigest()
    (root / ".backbrain").mkdir(exist_ok=True)
    (root / ".backbrain" / "intent.json").write_text(json.dumps({"format": 1, "op": "x", "lines": [], "files": [
        {"rel": "../victim.txt", "old": sha, "new": None},
        {"rel": "../planted.txt", "old": None, "new": "owned"},
        {"rel": "notes-kept.md", "old": "0" * 64, "new": "# Overwritten\n"},
    ]}))  # fmt: skip
    load_vault(root)  # any command that opens the vault replays an intent first
    assert victim.read_text() == "keep me\n" and not (tmp_path / "planted.txt").exists()
    assert inside.read_text() == "# Kept\n\nEdited after the plan.\n"
    assert not (root / ".backbrain" / "intent.json").exists()
