"""Hostile buffers never take the server down: binary, 5 MB, invalid YAML, alias bombs, odd URIs."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_helpers import change_note, client, codes, diagnostics, open_note, vault
from lsprotocol import types
from pytest_lsp import LanguageClient

pytestmark = pytest.mark.asyncio
__all__ = ["client", "vault"]

BOMB = (
    "---\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("bcdefgh", "cdefghi", strict=True)
    )
    + "---\n"
)


async def still_answers(client: LanguageClient, address: str) -> None:
    """The server still serves requests: completion and the outline of the hostile note itself."""
    result = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=address), position=types.Position(line=0, character=0)
        )
    )
    assert result is not None
    outline = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=address))
    )
    assert outline is not None


async def test_binary_invalid_yaml_and_alias_bomb_are_problems_not_crashes(client: LanguageClient, vault: Path):
    binary = open_note(client, vault, "01_patterns/blob.md", "\x00\x01\x02 PNG\x00" * 100)
    assert "BB001" in codes(await diagnostics(client, binary, lambda d: bool(d)))
    broken = open_note(client, vault, "01_patterns/broken.md", "---\ntitle: [unclosed\ntype: {\n---\nbody\n")
    assert "BB002" in codes(await diagnostics(client, broken, lambda d: "BB002" in codes(d)))
    bomb = open_note(client, vault, "01_patterns/bomb.md", BOMB)
    found = await diagnostics(client, bomb, lambda d: "BB002" in codes(d))
    assert any("alias bomb" in d.message for d in found)
    for address in (binary, broken, bomb):
        await still_answers(client, address)


async def test_a_five_megabyte_buffer_and_its_edits(client: LanguageClient, vault: Path):
    line = "Lorem ipsum [[caching]] dolor sit amet, consectetur adipiscing elit, sed do eiusmod.\n"
    huge = "---\ntitle: Huge\ntype: pattern\n---\n\n# Huge\n\n" + line * (5_300_000 // len(line))
    assert len(huge) > 5_000_000
    address = open_note(client, vault, "01_patterns/huge.md", huge)
    assert "BB101" in codes(await diagnostics(client, address, lambda d: "BB101" in codes(d), timeout=120))
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=address, version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(
                        start=types.Position(line=7, character=0), end=types.Position(line=7, character=0)
                    ),
                    text="See [[nowhere]].\n",
                )
            ],
        )
    )
    await diagnostics(client, address, lambda d: "BB201" in codes(d), timeout=120)
    await still_answers(client, address)


async def test_files_outside_the_vault_and_odd_uris_are_ignored(client: LanguageClient, vault: Path, tmp_path: Path):
    outside = tmp_path / "elsewhere.md"
    outside.write_text("[[nowhere]]\n", encoding="utf-8")
    address = outside.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=address, language_id="markdown", version=1, text="[[nowhere]]")
        )
    )
    odd = "untitled:Untitled-1"
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=odd, language_id="markdown", version=1, text="[[x]]")
        )
    )
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=odd), position=types.Position(line=0, character=3)
        )
    )
    assert hover is None
    # the vault's own notes are still served, and nothing was published for the foreign documents
    inside = open_note(client, vault, "01_patterns/caching.md")
    change_note(client, inside, (vault / "01_patterns/caching.md").read_text(encoding="utf-8") + "\n[[nowhere]]\n")
    await diagnostics(client, inside, lambda d: "BB201" in codes(d))
    assert address not in client.diagnostics and odd not in client.diagnostics
