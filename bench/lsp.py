#!/usr/bin/env python3
"""Benchmark: `backbrain lsp` over the protocol on a big vault, as an editor sees it.

Usage: bench/lsp.py [N] [--requests R] [--edits E]   (default N=10000, R=200, E=40)

Makes N notes with ../shared/bench/gen_corpus.py (cached under bench/.corpora/), starts the server
as a subprocess (`python -m backbrain lsp`) and drives it with pytest-lsp's client over stdio:
the load (initialize), then R completions (`[[` + a prefix, and a relation field), R hovers on a link,
and E edits of the open note, each timed from didChange to the publishDiagnostics that follows it
(debounce 0 here, so the figure is the work; editors add the configured debounce, 200 ms by default).
Body edits keep the note's id, title and relations (the usual keystroke); relation edits change its
graph and re-index the vault. Every figure is a client-side round trip. Record results in
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from corpus import corpus
from lsprotocol import types
from pytest_lsp import client_capabilities, make_test_lsp_client

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def stats(name: str, measured: tuple[list[float], float]) -> str:
    seconds, cpu = measured
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return (
        f"{name:<34} n={len(ms):<4} median {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms   "
        f"max {ms[-1]:7.1f} ms   server CPU {cpu * 1000 / len(ms):6.1f} ms each"
    )


def server_cpu(pid: int) -> float:
    """The server process's user + system CPU seconds so far (a figure other load cannot inflate much)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def timed(calls: int, make: Callable[[int], Awaitable[Any]], pid: int = 0) -> tuple[list[float], float]:
    """Each call's wall-clock round trip, and the server's CPU time for all of them together."""
    times = []
    cpu = server_cpu(pid) if pid else 0.0
    for index in range(calls):
        start = time.perf_counter()
        result = await make(index)
        times.append(time.perf_counter() - start)
        assert result is not None
    return times, (server_cpu(pid) - cpu if pid else 0.0)


def pick_note(root: Path) -> tuple[Path, str]:
    """A failure mode from the middle of the corpus (it has links and a relation field)."""
    notes = sorted((root / "04_failure-modes").glob("*.md"))
    path = notes[len(notes) // 2]
    return path, path.read_text(encoding="utf-8")


async def run(root: Path, requests: int, edits: int) -> list[str]:
    client = make_test_lsp_client()
    client.feature(types.CLIENT_REGISTER_CAPABILITY)(lambda params: None)  # the server asks to watch files
    await client.start_io(sys.executable, "-m", "backbrain", "lsp")
    lines: list[str] = []
    pid = client._server.pid if client._server is not None else 0
    start = time.perf_counter()
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=root.as_uri(),
            initialization_options={"debounceMs": 0},
        )
    )
    lines.append(f"{'load (initialize, N notes)':<34} {time.perf_counter() - start:7.2f} s")
    path, text = pick_note(root)
    uri = path.as_uri()
    prefixes = ["jit", "cache", "retry st", "queue 14", "note-07", "saga"]
    body = text + "\n" + "".join(f"See [[{prefix}\n" for prefix in prefixes)
    first_line = body.count("\n") - len(prefixes)
    opened = asyncio.wrap_future(client.protocol.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS))
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="markdown", version=1, text=body)
        )
    )
    await opened
    doc = types.TextDocumentIdentifier(uri=uri)

    def link_completion(index: int) -> Awaitable[Any]:
        which = index % len(prefixes)
        position = types.Position(line=first_line + which, character=len(f"See [[{prefixes[which]}"))
        return client.text_document_completion_async(types.CompletionParams(text_document=doc, position=position))

    lines.append(stats("completion [[prefix (fuzzy, top 50)", await timed(requests, link_completion, pid)))
    relation_line = next(i for i, line in enumerate(body.split("\n")) if line.startswith("related:"))
    relation = types.Position(line=relation_line, character=len("related: ["))  # nothing typed yet: the first 50
    lines.append(
        stats(
            "completion of a relation field",
            await timed(
                requests,
                lambda _: client.text_document_completion_async(
                    types.CompletionParams(text_document=doc, position=relation)
                ),
                pid,
            ),
        )
    )
    link_line = next(i for i, line in enumerate(body.split("\n")) if "[[note-" in line)
    hover_at = types.Position(line=link_line, character=body.split("\n")[link_line].index("[[note-") + 4)
    lines.append(
        stats(
            "hover on a link",
            await timed(
                requests,
                lambda _: client.text_document_hover_async(types.HoverParams(text_document=doc, position=hover_at)),
                pid,
            ),
        )
    )

    async def edit(index: int, new_text: str) -> Any:
        published = asyncio.wrap_future(client.protocol.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS))
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2000 + index),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=new_text)],
            )
        )
        return await published

    lines.append(
        stats(
            "diagnostics after a body edit",
            await timed(
                edits,
                lambda i: edit(i, body.replace("See [[jit\n", f"See [[note-{i:05d}]] and [[nowhere-{i}]].\n")),
                pid,
            ),
        )
    )
    lines.append(
        stats(
            "diagnostics after a relation edit",
            await timed(edits, lambda i: edit(i + edits, body.replace("related: [", f"related: [note-{i:05d}, ")), pid),
        )
    )
    await client.shutdown_session()
    await client.stop()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", nargs="?", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--edits", type=int, default=40)
    args = parser.parse_args()
    root = corpus(args.n)
    print(f"backbrain lsp at {args.n} notes; {time.strftime('%Y-%m-%d')}; {platform.python_version()}; "
          f"{platform.machine()} x{os.cpu_count()}; load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    for line in asyncio.run(run(root, args.requests, args.edits)):
        print(line)


if __name__ == "__main__":
    main()
