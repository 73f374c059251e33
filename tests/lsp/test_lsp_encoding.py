"""What a real Neovim showed (tests/lsp/test_editors.py), kept at the protocol level so it holds
without Neovim installed: a client that negotiates UTF-8 positions gets UTF-8 columns in every note
(not only the one it asked about), and a note whose URI is percent-encoded (a space, an accent) has
its unsaved buffer checked, not its file."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_lsp
from lsp_helpers import SERVER, accept_registrations, change_note, codes, diagnostics, make_fixture_vault
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

pytestmark = pytest.mark.asyncio

CAFE = "notes/café notes.md"
CAFE_TEXT = "---\ntitle: Café notes\n---\n\n# Café notes\n\nCafé ☕ — see [[caching]] and [[caching#Solution]].\n"
CAFE_LINE = 6


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    return make_fixture_vault(tmp_path / "vault", {CAFE: CAFE_TEXT})


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient, vault: Path):
    accept_registrations(lsp_client)
    result = await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("neovim"),  # offers utf-8 first, as Neovim does
            root_uri=vault.as_uri(),
            initialization_options={"debounceMs": 20},
        )
    )
    assert result.capabilities.position_encoding == types.PositionEncodingKind.Utf8
    yield
    await lsp_client.shutdown_session()


def utf8_column(line: str, needle: str) -> int:
    return len(line[: line.index(needle)].encode("utf-8"))


def open_document(client: LanguageClient, address: str, text: str) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=address, language_id="markdown", version=1, text=text)
        )
    )


async def test_a_percent_encoded_note_is_checked_from_its_buffer_in_utf8_columns(client: LanguageClient, vault: Path):
    address = (vault / CAFE).as_uri()
    assert "caf%C3%A9%20notes.md" in address
    open_document(client, address, CAFE_TEXT)
    await diagnostics(client, address)
    typed = "Voilà ☕ [[Nowhere at all]] here."
    change_note(client, address, CAFE_TEXT + typed + "\n")  # unsaved: the file does not have it
    found = await diagnostics(client, address, lambda d: "BB201" in codes(d))
    broken = next(d for d in found if d.code == "BB201")
    assert broken.range.start.line == CAFE_LINE + 1
    assert broken.range.start.character == utf8_column(typed, "[[Nowhere")


async def test_references_in_other_notes_use_utf8_columns_and_keep_two_links_on_a_line(
    client: LanguageClient, vault: Path
):
    address = (vault / "01_patterns/caching.md").as_uri()
    open_document(client, address, (vault / "01_patterns/caching.md").read_text(encoding="utf-8"))
    found = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=types.TextDocumentIdentifier(uri=address),
            position=types.Position(line=1, character=0),
            context=types.ReferenceContext(include_declaration=False),
        )
    )
    line = CAFE_TEXT.split("\n")[CAFE_LINE]
    in_cafe = sorted(loc.range.start.character for loc in found or [] if loc.uri.endswith("caf%C3%A9%20notes.md"))
    assert in_cafe == [utf8_column(line, "[[caching]]"), utf8_column(line, "[[caching#")]
