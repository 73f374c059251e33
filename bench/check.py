#!/usr/bin/env python3
"""Benchmark: a cold `backbrain check` against markdownlint-cli2 on the same corpus, side by side.

Usage: bench/check.py [N] [--runs R]   (default N=10000, R=3)

Makes N notes with ../shared/bench/gen_corpus.py (cached under bench/.corpora/), then times
`backbrain check` and `markdownlint-cli2` (installed from npm into bench/.node/ on first use) in the
same run, and `backbrain --version` against `python3 -c pass`. Prints medians and ratios; peak
memory is each process's max RSS. Record results in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from corpus import corpus

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NODE_DIR = HERE / ".node"
MEASURE = (
    "import resource, subprocess, sys, time; t = time.perf_counter(); "
    "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode; "
    "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, rc)"
)


def markdownlint() -> list[str] | None:
    binary = NODE_DIR / "node_modules" / ".bin" / "markdownlint-cli2"
    if not binary.exists() and shutil.which("npm"):
        NODE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--silent", "--prefix", str(NODE_DIR), "markdownlint-cli2"], check=False)
    return [str(binary)] if binary.exists() else None


def measure(command: list[str], cwd: Path, runs: int) -> dict[str, float]:
    times, rss = [], []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", MEASURE, *command], cwd=cwd, capture_output=True, text=True, check=True
        ).stdout.split()
        times.append(float(out[0]))
        rss.append(int(out[1]) / 1024)
    return {"median_s": statistics.median(times), "min_s": min(times), "peak_mb": max(rss)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", nargs="?", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    root = corpus(args.n)
    backbrain = [str(Path(sys.executable).with_name("backbrain"))]
    results = {"backbrain check": measure([*backbrain, "check", str(root)], root, args.runs)}
    lint = markdownlint()
    if lint:
        results["markdownlint-cli2"] = measure([*lint, "**/*.md"], root, max(1, args.runs - 2))
    results["backbrain --version"] = measure([*backbrain, "--version"], root, 7)
    results["python3 -c pass"] = measure([sys.executable, "-c", "pass"], root, 7)
    print(
        f"# {time.strftime('%Y-%m-%d')} on {platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.python_implementation()} {platform.python_version()}, {args.n} notes"
    )
    for name, figures in results.items():
        print(f"{name:22s} median {figures['median_s']:7.3f} s   peak {figures['peak_mb']:7.1f} MB")
    if "markdownlint-cli2" in results:
        ratio = results["markdownlint-cli2"]["median_s"] / results["backbrain check"]["median_s"]
        print(f"backbrain check is {ratio:.1f}x faster than markdownlint-cli2")
    startup = results["backbrain --version"]["median_s"] / results["python3 -c pass"]["median_s"]
    print(f"backbrain --version takes {startup:.2f}x the time of python3 -c pass")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
