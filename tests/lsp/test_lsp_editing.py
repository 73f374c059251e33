"""Completion over the protocol: links, headings, embeds, typed relations, schema values and sections."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_helpers import client, open_note, position_of, vault
from lsprotocol import types
from pytest_lsp import LanguageClient

pytestmark = pytest.mark.asyncio
__all__ = ["client", "vault"]


async def complete(client: LanguageClient, address: str, position: types.Position) -> list[types.CompletionItem]:
    result = await client.text_document_completion_async(
        types.CompletionParams(text_document=types.TextDocumentIdentifier(uri=address), position=position)
    )
    assert isinstance(result, types.CompletionList)
    return list(result.items)


def inserted(item: types.CompletionItem) -> str:
    assert isinstance(item.text_edit, types.TextEdit)
    return item.text_edit.new_text


async def test_link_completion_is_fuzzy_over_titles_ids_and_aliases(client: LanguageClient, vault: Path):
    text = "---\ntitle: Scratch\n---\n\nSee [[stampde\n"
    address = open_note(client, vault, "scratch.md", text)
    items = await complete(client, address, position_of(text, "stampde", len("stampde")))
    assert inserted(items[0]) == "cache-stampede]]"
    assert items[0].label == "Cache stampede" and items[0].detail == "failure-mode · cache-stampede"
    text = "See [[cache-asid"
    address = open_note(client, vault, "scratch2.md", text)
    items = await complete(client, address, position_of(text, "asid", 4))
    assert inserted(items[0]) == "caching]]"  # found by its alias


async def test_heading_and_attachment_completion(client: LanguageClient, vault: Path):
    text = "See [[caching#Sol]] and ![[diag\n"
    address = open_note(client, vault, "scratch.md", text)
    headings = await complete(client, address, position_of(text, "#Sol", 4))
    assert [inserted(i) for i in headings][:3] == ["Problem", "Solution", "Variants"]  # ']]' already there
    embeds = await complete(client, address, position_of(text, "diag", 4))
    assert inserted(embeds[0]) == "assets/diagram.png]]"


async def test_relation_fields_offer_only_the_allowed_types(client: LanguageClient, vault: Path):
    text = "---\ntitle: Thundering herd\ntype: failure-mode\nmitigated-by: [\n---\n"
    address = open_note(client, vault, "04_failure-modes/herd.md", text)
    items = await complete(client, address, types.Position(line=3, character=len("mitigated-by: [")))
    assert {item.detail.split(" · ")[0] for item in items if item.detail} == {"pattern"}
    assert {inserted(i) for i in items} == {"caching", "rate-limiting"}
    text = "---\ntitle: S\ntype: system\nrisks:\n  - ca\n---\n"
    address = open_note(client, vault, "02_systems/s.md", text)
    items = await complete(client, address, types.Position(line=4, character=6))
    assert [inserted(i) for i in items] == ["cache-stampede"]  # a system risks failure modes only


async def test_schema_values_tags_and_missing_sections(client: LanguageClient, vault: Path):
    text = "---\ntitle: Herd\ntype: \nprogress: \nstatus: \ntags: [perf\n---\n\n## \n"
    address = open_note(client, vault, "03_decisions/herd.md", text)
    kinds = await complete(client, address, types.Position(line=2, character=6))
    assert {"pattern", "failure-mode", "decision"} <= {inserted(i) for i in kinds}
    progress = await complete(client, address, types.Position(line=3, character=10))
    assert [inserted(i) for i in progress] == ["not-started", "in-progress", "completed"]
    status = await complete(client, address, types.Position(line=4, character=8))
    assert "superseded" in [inserted(i) for i in status]  # a decision's status (folder type)
    tags = await complete(client, address, types.Position(line=5, character=11))
    assert "performance" in [inserted(i) for i in tags]
    text = "---\ntitle: Herd\ntype:\n---\n"  # right after the colon: the value comes with its space
    tight = open_note(client, vault, "01_patterns/tight.md", text)
    assert " pattern" in [inserted(i) for i in await complete(client, tight, types.Position(line=2, character=5))]
    sections = await complete(client, address, types.Position(line=8, character=3))
    assert [inserted(i) for i in sections] == ["Context", "Options considered", "Decision", "Tradeoffs", "Outcome"]


async def test_nothing_is_offered_in_plain_prose(client: LanguageClient, vault: Path):
    text = "Just prose here.\n"
    address = open_note(client, vault, "scratch.md", text)
    assert await complete(client, address, types.Position(line=0, character=5)) == []
