"""Navigation over the protocol: definition, references, outline, workspace symbols and hover."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_helpers import client, open_note, position_of, uri, vault
from lsprotocol import types
from pytest_lsp import LanguageClient

pytestmark = pytest.mark.asyncio
__all__ = ["client", "vault"]


def doc(address: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=address)


async def test_definition_of_a_link_a_heading_and_a_relation(client: LanguageClient, vault: Path):
    rel = "04_failure-modes/cache-stampede.md"
    text = (vault / rel).read_text(encoding="utf-8")
    address = open_note(client, vault, rel)
    found = await client.text_document_definition_async(
        types.DefinitionParams(text_document=doc(address), position=position_of(text, "caching#Solution", 2))
    )
    assert isinstance(found, types.Location) and found.uri == uri(vault, "01_patterns/caching.md")
    caching_lines = (vault / "01_patterns/caching.md").read_text(encoding="utf-8").split("\n")
    assert caching_lines[found.range.start.line] == "## Solution"
    system = "02_systems/url-shortener.md"
    system_text = (vault / system).read_text(encoding="utf-8")
    address = open_note(client, vault, system)
    found = await client.text_document_definition_async(
        types.DefinitionParams(text_document=doc(address), position=position_of(system_text, "- cache-stampede", 4))
    )
    assert isinstance(found, types.Location) and found.uri == uri(vault, rel)


async def test_definition_of_an_embedded_attachment(client: LanguageClient, vault: Path):
    text = "Diagram: ![[diagram.png]]\n"
    address = open_note(client, vault, "scratch.md", text)
    found = await client.text_document_definition_async(
        types.DefinitionParams(text_document=doc(address), position=position_of(text, "diagram.png", 2))
    )
    assert isinstance(found, types.Location) and found.uri == uri(vault, "assets/diagram.png")


async def test_references_are_backlinks_and_relations(client: LanguageClient, vault: Path):
    rel = "01_patterns/caching.md"
    address = open_note(client, vault, rel)
    found = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=doc(address),
            position=types.Position(line=1, character=0),
            context=types.ReferenceContext(include_declaration=False),
        )
    )
    by_file: dict[str, int] = {}
    for location in found or []:
        name = location.uri.rsplit("/", 1)[-1]
        by_file[name] = by_file.get(name, 0) + 1
    # two wikilinks in the stampede note; a relation from the system note (`uses`)
    assert by_file == {"cache-stampede.md": 2, "url-shortener.md": 1}
    system_text = (vault / "02_systems/url-shortener.md").read_text(encoding="utf-8").split("\n")
    (uses,) = [loc for loc in found or [] if loc.uri.endswith("url-shortener.md")]
    line = system_text[uses.range.start.line]
    assert line[uses.range.start.character : uses.range.end.character] == "caching"


async def test_document_and_workspace_symbols(client: LanguageClient, vault: Path):
    address = open_note(client, vault, "02_systems/url-shortener.md")
    outline = await client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=doc(address)))
    assert outline is not None
    (root,) = outline
    assert isinstance(root, types.DocumentSymbol) and root.name == "URL shortener"
    requirements = next(s for s in root.children or [] if s.name == "Requirements")
    assert [s.name for s in requirements.children or []] == ["Functional", "Non-functional"]
    symbols = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="stampede"))
    assert symbols is not None
    names = [(s.name, s.container_name) for s in symbols]
    assert ("Cache stampede", "failure-mode") in names
    headings = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="Detection signals"))
    assert ("Detection signals", "Cache stampede") in [(s.name, s.container_name) for s in headings or []]


async def test_hover_shows_title_type_summary_and_relations(client: LanguageClient, vault: Path):
    rel = "04_failure-modes/cache-stampede.md"
    text = (vault / rel).read_text(encoding="utf-8")
    address = open_note(client, vault, rel)
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=doc(address), position=position_of(text, "[[caching]]", 3))
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    value = hover.contents.value
    assert "**Caching**" in value and "pattern · `caching`" in value and "Keep hot reads close." in value
    assert "- mitigates: Cache stampede" in value and "- used-by: URL shortener" in value
    nothing = await client.text_document_hover_async(
        types.HoverParams(text_document=doc(address), position=types.Position(line=0, character=0))
    )
    assert nothing is None
