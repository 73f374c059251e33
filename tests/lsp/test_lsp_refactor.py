"""Rename and code actions over the protocol, each applied to the files as an editor applies them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsp_helpers import apply_edit, change_note, client, codes, diagnostics, open_note, position_of, uri, vault
from lsprotocol import types
from pytest_lsp import LanguageClient

from backbrain.check import check_vault
from backbrain.core.vault import load_vault

pytestmark = pytest.mark.asyncio
__all__ = ["client", "vault"]


def doc(address: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=address)


def problems(root: Path) -> list[tuple[str, str]]:
    return sorted((p.path, p.code) for p in check_vault(load_vault(root)).problems)


async def test_rename_a_note_from_a_link_rewrites_links_and_relations_in_one_edit(client: LanguageClient, vault: Path):
    before = problems(vault)
    rel = "04_failure-modes/cache-stampede.md"
    text = (vault / rel).read_text(encoding="utf-8")
    address = open_note(client, vault, rel)
    position = position_of(text, "[[caching]]", 4)
    prepared = await client.text_document_prepare_rename_async(
        types.PrepareRenameParams(text_document=doc(address), position=position)
    )
    assert isinstance(prepared, types.PrepareRenamePlaceholder) and prepared.placeholder == "caching"
    edit = await client.text_document_rename_async(
        types.RenameParams(text_document=doc(address), position=position, new_name="read-through-cache")
    )
    assert edit is not None and edit.document_changes is not None
    renames = [c for c in edit.document_changes if isinstance(c, types.RenameFile)]
    assert [(r.old_uri.rsplit("/", 1)[-1], r.new_uri.rsplit("/", 1)[-1]) for r in renames] == [
        ("caching.md", "read-through-cache.md")
    ]
    apply_edit(vault, edit)
    stampede = (vault / rel).read_text(encoding="utf-8")
    assert "[[read-through-cache#Solution]]" in stampede and "[[read-through-cache]]" in stampede
    assert "- read-through-cache" in (vault / "02_systems/url-shortener.md").read_text(encoding="utf-8")
    assert problems(vault) == before  # nothing broke


async def test_rename_a_heading_updates_anchored_links(client: LanguageClient, vault: Path):
    rel = "01_patterns/caching.md"
    text = (vault / rel).read_text(encoding="utf-8") + "\nBack to [[#Solution|the solution]].\n"
    (vault / rel).write_text(text, encoding="utf-8")
    address = open_note(client, vault, rel)
    edit = await client.text_document_rename_async(
        types.RenameParams(text_document=doc(address), position=position_of(text, "## Solution", 4), new_name="How")
    )
    assert edit is not None
    apply_edit(vault, edit)
    assert "\n## How\n" in (vault / rel).read_text(encoding="utf-8")
    assert "[[#How|the solution]]" in (vault / rel).read_text(encoding="utf-8")
    assert "[[caching#How]]" in (vault / "04_failure-modes/cache-stampede.md").read_text(encoding="utf-8")


async def test_a_refused_rename_says_why_and_changes_nothing(client: LanguageClient, vault: Path):
    rel = "04_failure-modes/cache-stampede.md"
    text = (vault / rel).read_text(encoding="utf-8")
    address = open_note(client, vault, rel)
    edit = await client.text_document_rename_async(
        types.RenameParams(
            text_document=doc(address), position=position_of(text, "[[caching]]", 4), new_name="rate-limiting"
        )
    )
    assert edit is None
    if not client.messages:  # the message is sent before the answer, so it is usually here already
        await asyncio.wait_for(client.wait_for_notification(types.WINDOW_SHOW_MESSAGE), 20)
    assert "01_patterns/rate-limiting.md already exists; nothing was moved" in client.messages[-1].message
    client.messages.clear()
    change_note(client, address, text + "\nAn unsaved line.\n")  # rename reads the files, so unsaved notes stop it
    edit = await client.text_document_rename_async(
        types.RenameParams(text_document=doc(address), position=position_of(text, "[[caching]]", 4), new_name="c2")
    )
    assert edit is None
    if not client.messages:
        await asyncio.wait_for(client.wait_for_notification(types.WINDOW_SHOW_MESSAGE), 20)
    assert "Save the open notes first (04_failure-modes/cache-stampede.md)" in client.messages[-1].message


async def test_renaming_a_file_in_the_editor_rewrites_the_links_to_it(client: LanguageClient, vault: Path):
    open_note(client, vault, "01_patterns/caching.md")
    edit = await client.workspace_will_rename_files_async(
        types.RenameFilesParams(
            files=[
                types.FileRename(
                    old_uri=uri(vault, "01_patterns/caching.md"), new_uri=uri(vault, "01_patterns/cache.md")
                )
            ]
        )
    )
    assert edit is not None and not [c for c in edit.document_changes or [] if isinstance(c, types.RenameFile)]
    apply_edit(vault, edit)
    (vault / "01_patterns/caching.md").rename(vault / "01_patterns/cache.md")  # what the editor then does
    assert "[[cache#Solution]]" in (vault / "04_failure-modes/cache-stampede.md").read_text(encoding="utf-8")
    assert not [p for p in problems(vault) if p[1] in ("BB201", "BB204")]


async def action_titles(client: LanguageClient, address: str, line: int) -> dict[str, types.CodeAction]:
    found = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=doc(address),
            range=types.Range(start=types.Position(line=line, character=0), end=types.Position(line=line, character=0)),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    titles = [a.title for a in found or [] if isinstance(a, types.CodeAction)]
    assert len(titles) == len(set(titles)), titles  # each fix offered once, however many problems it fixes
    return {a.title: a for a in found or [] if isinstance(a, types.CodeAction)}


async def test_create_the_missing_note_of_a_broken_link_from_its_template(client: LanguageClient, vault: Path):
    text = "---\ntitle: Herd\ntype: failure-mode\n---\n\nSee [[Thundering herd]].\n"
    address = open_note(client, vault, "04_failure-modes/herd.md", text)
    await diagnostics(client, address, lambda d: "BB201" in codes(d))
    actions = await action_titles(client, address, 5)
    action = actions["Create failure-mode 'Thundering herd' (04_failure-modes/thundering-herd.md)"]
    assert action.edit is not None
    apply_edit(vault, action.edit)
    created = (vault / "04_failure-modes/thundering-herd.md").read_text(encoding="utf-8")
    assert "title: Thundering herd" in created and "## Mitigation strategies" in created


async def test_insert_missing_sections(client: LanguageClient, vault: Path):
    text = "---\ntitle: Retry\ntype: pattern\n---\n\n# Retry\n\n## Problem\n\nFlaky calls.\n"
    (vault / "01_patterns/retry.md").write_text(text, encoding="utf-8")
    address = open_note(client, vault, "01_patterns/retry.md")
    found = await diagnostics(client, address, lambda d: "BB101" in codes(d))
    line = next(d.range.start.line for d in found if d.code == "BB101")
    action = (await action_titles(client, address, line))[
        "Insert missing sections: Solution, Variants, When to use, When NOT to use"
    ]
    assert action.edit is not None
    apply_edit(vault, action.edit)
    fixed = (vault / "01_patterns/retry.md").read_text(encoding="utf-8")
    assert fixed.startswith(text) and fixed.count("\n## ") == 5
    assert ("01_patterns/retry.md", "BB101") not in problems(vault)


async def test_mark_superseded_and_add_inverse_relation(client: LanguageClient, vault: Path):
    rel = "03_decisions/use-memcached.md"
    text = (vault / rel).read_text(encoding="utf-8")
    address = open_note(client, vault, rel)
    actions = await action_titles(client, address, position_of(text, "- use-redis").line)
    assert "Add 'superseded-by: use-memcached' to use-redis" in actions
    apply_edit(vault, actions["Mark use-redis superseded by use-memcached"].edit or types.WorkspaceEdit())
    redis = (vault / "03_decisions/use-redis.md").read_text(encoding="utf-8")
    assert "status: superseded" in redis and "superseded-by: [use-memcached]" in redis
    assert not [p for p in problems(vault) if p[1].startswith("BB40")]
    system = "02_systems/url-shortener.md"
    system_text = (vault / system).read_text(encoding="utf-8")
    address = open_note(client, vault, system)
    actions = await action_titles(client, address, position_of(system_text, "- caching").line)
    apply_edit(vault, actions["Add 'used-by: url-shortener' to caching"].edit or types.WorkspaceEdit())
    assert "used-by: [url-shortener]" in (vault / "01_patterns/caching.md").read_text(encoding="utf-8")
