#!/usr/bin/env python3
"""Bounded load test of `backbrain serve`: `python bench/serve_load.py [--notes N] [--requests R]`.

Starts `backbrain serve` on 127.0.0.1 (a free port) over the bundled starter, or over an N-note
generated corpus, then sends a fixed number of GET requests over 64 concurrent keep-alive
connections (home, note pages, listings, the search index, CSS) and stops the server. Loopback
only, bounded in count and in time (a 120 s deadline), stops by itself. Prints p50/p90/p99/max
latency, throughput and errors.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
GEN = HERE.parent.parent / "shared" / "bench" / "gen_corpus.py"
CONCURRENCY = 64
DEADLINE_S = 120.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(vault: Path | None, port: int) -> subprocess.Popen[bytes]:
    cmd = [str(Path(sys.executable).with_name("backbrain")), "serve", "--host", "127.0.0.1", "--port", str(port)]
    if vault is not None:
        cmd += ["--vault", str(vault)]
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"serve exited: {server.stderr.read().decode() if server.stderr else ''}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/_live/version", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    sys.exit("serve did not start within 120 s")


def pick_urls(base: str, count: int) -> list[str]:
    """A fixed, seeded mix: mostly note pages, plus home, listings, the search index and CSS."""
    index = httpx.get(base + "/search-index.json", timeout=30).json()
    slugs = [entry[0] for entry in index["notes"]]
    rng = random.Random(7)
    fixed = ["/", "/patterns/", "/tags/", "/timeline/", "/static/site.css", "/search-index.json"]
    return [rng.choice(fixed) if rng.random() < 0.2 else f"/note/{rng.choice(slugs)}/" for _ in range(count)]


async def load(base: str, paths: list[str]) -> tuple[list[float], int, float]:
    queue: asyncio.Queue[str] = asyncio.Queue()
    for path in paths:
        queue.put_nowait(path)
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10) as client:

        async def worker() -> None:
            nonlocal errors
            while not queue.empty():
                path = queue.get_nowait()
                started = time.perf_counter()
                try:
                    response = await client.get(path)
                    await response.aread()
                    if response.status_code != 200:
                        errors += 1
                except httpx.HTTPError:
                    errors += 1
                latencies.append((time.perf_counter() - started) * 1000)

        started = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(CONCURRENCY))), DEADLINE_S)
        return latencies, errors, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=int, default=0, help="generate a corpus of N notes (default: the starter)")
    parser.add_argument("--requests", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bb-load-") as tmp:
        vault = None
        if args.notes:
            vault = Path(tmp) / "corpus"
            subprocess.run([sys.executable, str(GEN), str(vault), str(args.notes)], check=True)
        port = free_port()
        server = start_server(vault, port)
        try:
            base = f"http://127.0.0.1:{port}"
            paths = pick_urls(base, args.requests)
            asyncio.run(load(base, paths[:200]))  # warm-up: file cache and connections
            latencies, errors, seconds = asyncio.run(load(base, paths))
        finally:
            server.terminate()
            server.wait(timeout=10)
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    result = {
        "vault": f"{args.notes}-note corpus" if args.notes else "starter",
        "requests": len(ordered), "concurrency": CONCURRENCY, "errors": errors,
        "p50_ms": round(statistics.median(ordered), 2), "p90_ms": round(pct(90), 2), "p99_ms": round(pct(99), 2),
        "max_ms": round(ordered[-1], 2), "requests_per_s": round(len(ordered) / seconds),
    }  # fmt: skip
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
