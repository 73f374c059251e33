"""Live diagnostics over the protocol: check's rules on the open buffer, debounced, across notes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsp_helpers import REGISTRATIONS, change_note, client, codes, diagnostics, open_note, vault
from lsprotocol import types
from pytest_lsp import LanguageClient

pytestmark = pytest.mark.asyncio
__all__ = ["client", "vault"]


async def test_open_note_gets_check_diagnostics_with_code_and_doc_link(client: LanguageClient, vault: Path):
    address = open_note(client, vault, "03_decisions/use-redis.md")
    found = await diagnostics(client, address, lambda d: "BB403" in codes(d))
    (stale,) = [d for d in found if d.code == "BB403"]
    assert stale.severity == types.DiagnosticSeverity.Warning
    assert stale.source == "backbrain"
    assert stale.message.startswith("superseded-status: 'use-redis' is superseded by use-memcached")
    assert stale.code_description is not None and stale.code_description.href.endswith("docs/checks.md")
    text = (vault / "03_decisions/use-redis.md").read_text(encoding="utf-8").split("\n")
    assert text[stale.range.start.line].startswith("status:")


async def test_the_buffer_is_checked_not_the_file(client: LanguageClient, vault: Path):
    rel = "01_patterns/rate-limiting.md"
    original = (vault / rel).read_text(encoding="utf-8")
    address = open_note(client, vault, rel)
    await diagnostics(client, address, lambda d: "BB201" not in codes(d))
    edited = original.replace("## Variants\n\nReal content for variants.\n", "See [[no-such-note]].\n")
    change_note(client, address, edited)
    found = await diagnostics(client, address, lambda d: "BB201" in codes(d) and "BB101" in codes(d))
    broken = next(d for d in found if d.code == "BB201")
    line = edited.split("\n")[broken.range.start.line]
    assert line[broken.range.start.character : broken.range.end.character] == "[[no-such-note]]"
    assert (vault / rel).read_text(encoding="utf-8") == original  # nothing was written
    change_note(client, address, original, version=3)
    await diagnostics(client, address, lambda d: not {"BB201", "BB101"} & set(codes(d)))


async def test_a_change_in_one_note_updates_the_other_open_notes(client: LanguageClient, vault: Path):
    caching = "01_patterns/caching.md"
    stampede = open_note(client, vault, "04_failure-modes/cache-stampede.md")
    caching_text = (vault / caching).read_text(encoding="utf-8")
    caching_uri = open_note(client, vault, caching)
    await diagnostics(client, stampede, lambda d: "BB202" not in codes(d))
    # Renaming a heading in caching's (unsaved) buffer breaks the stampede note's [[caching#Solution]]
    change_note(client, caching_uri, caching_text.replace("## Solution", "## Approach"))
    found = await diagnostics(client, stampede, lambda d: "BB202" in codes(d))
    assert "[[caching#Solution]]: no such heading" in next(d.message for d in found if d.code == "BB202")
    # a relation to a missing note shows as a broken relation where it is declared
    change_note(client, caching_uri, caching_text.replace("- cache-stampede", "- cache-storm"), version=3)
    found = await diagnostics(client, caching_uri, lambda d: "BB204" in codes(d))
    await diagnostics(client, stampede, lambda d: "BB202" not in codes(d))


async def test_supersede_problems_follow_the_other_decision(client: LanguageClient, vault: Path):
    redis = open_note(client, vault, "03_decisions/use-redis.md")
    newer_text = (vault / "03_decisions/use-memcached.md").read_text(encoding="utf-8")
    newer = open_note(client, vault, "03_decisions/use-memcached.md")
    await diagnostics(client, redis, lambda d: "BB403" in codes(d))
    change_note(client, newer, newer_text.replace("supersedes:\n- use-redis\n", ""))
    await diagnostics(client, redis, lambda d: "BB403" not in codes(d))


async def test_closing_clears_diagnostics_and_reads_the_file_again(client: LanguageClient, vault: Path):
    rel = "01_patterns/rate-limiting.md"
    address = open_note(client, vault, rel, text="---\ntitle: [unclosed\n---\n")
    await diagnostics(client, address, lambda d: "BB002" in codes(d))
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=address))
    )
    await diagnostics(client, address, lambda d: len(d) == 0)


async def test_files_changed_outside_the_editor_are_read_again(client: LanguageClient, vault: Path):
    for _ in range(400):  # the server asks right after `initialized`, without the client waiting for it
        if REGISTRATIONS:
            break
        await asyncio.sleep(0.05)
    assert types.WORKSPACE_DID_CHANGE_WATCHED_FILES in [r.method for r in REGISTRATIONS]  # it asked to be told
    address = open_note(client, vault, "04_failure-modes/cache-stampede.md")
    await diagnostics(client, address, lambda d: "BB202" not in codes(d))
    caching = vault / "01_patterns/caching.md"
    caching.write_text(caching.read_text(encoding="utf-8").replace("## Solution", "## Approach"), encoding="utf-8")
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=caching.as_uri(), type=types.FileChangeType.Changed)]
        )
    )
    await diagnostics(client, address, lambda d: "BB202" in codes(d))
