#!/usr/bin/env python3
"""Bounded load test of `backbrain serve`: `python bench/serve_load.py [--notes N] [--requests R]`.

Starts `backbrain serve` on 127.0.0.1 (a free port) over the bundled starter, or over an N-note
generated corpus, then sends a fixed number of GET requests (home, note pages, listings, the search
index, CSS) over 64 concurrent keep-alive connections, and stops the server. The client is a minimal
asyncio HTTP/1.1 loop so that it costs far less than the server it measures on the same two cores.
Loopback only, bounded in count and in time (a 120 s deadline), stops by itself. Prints
p50/p90/p99/max latency, throughput and errors.
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


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, path: str) -> int:
    """One keep-alive HTTP/1.1 GET; returns the status. A minimal client, so that the load generator
    (on the same two cores) costs far less than the server it measures."""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept-Encoding: gzip\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


async def load(host: str, paths: list[str]) -> tuple[list[float], int, float]:
    queue: asyncio.Queue[str] = asyncio.Queue()
    for path in paths:
        queue.put_nowait(path)
    latencies: list[float] = []
    errors = 0
    address, port = host.split(":")

    async def worker() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(address, int(port))
        try:
            while not queue.empty():
                path = queue.get_nowait()
                started = time.perf_counter()
                try:
                    if await _get(reader, writer, host, path) != 200:
                        errors += 1
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    errors += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection(address, int(port))
                latencies.append((time.perf_counter() - started) * 1000)
        finally:
            writer.close()

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
            host = f"127.0.0.1:{port}"
            paths = pick_urls(f"http://{host}", args.requests)
            asyncio.run(load(host, paths[:500]))  # warm-up: the server's file cache
            latencies, errors, seconds = asyncio.run(load(host, paths))
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
