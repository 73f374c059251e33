"""An editor that applies no file operations in a workspace edit (Emacs's eglot declares no
resourceOperations, and applies every documentChanges entry as a text edit): the server never sends
it one. A note rename, which must move the file, is refused with what to do instead; a created note
comes as a text edit into the new path, which the editor opens as a new buffer; a heading rename,
text edits only, still works."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import pytest_lsp
from lsp_helpers import SERVER, accept_registrations, codes, diagnostics, open_note, position_of, vault
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

pytestmark = pytest.mark.asyncio
__all__ = ["vault"]


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient, vault: Path):
    accept_registrations(lsp_client)
    capabilities = client_capabilities("emacs")  # Emacs 29.1's eglot
    assert capabilities.workspace and capabilities.workspace.workspace_edit
    assert capabilities.workspace.workspace_edit.resource_operations is None
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities, root_uri=vault.as_uri(), initialization_options={"debounceMs": 20}
        )
    )
    yield
    await lsp_client.shutdown_session()


def doc(address: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=address)


async def test_a_note_rename_is_refused_with_what_to_do(client: LanguageClient, vault: Path):
    rel = "04_failure-modes/cache-stampede.md"
    text = (vault / rel).read_text(encoding="utf-8")
    address = open_note(client, vault, rel)
    edit = await client.text_document_rename_async(
        types.RenameParams(text_document=doc(address), position=position_of(text, "[[caching]]", 4), new_name="c2")
    )
    assert edit is None
    if not client.messages:
        await asyncio.wait_for(client.wait_for_notification(types.WINDOW_SHOW_MESSAGE), 20)
    message = client.messages[-1].message
    assert "This editor cannot rename a file" in message
    assert "backbrain mv 01_patterns/caching.md NEW-NAME" in message
    assert (vault / "01_patterns/caching.md").exists()


async def test_a_heading_rename_still_works(client: LanguageClient, vault: Path):
    rel = "01_patterns/caching.md"
    text = (vault / rel).read_text(encoding="utf-8")
    address = open_note(client, vault, rel)
    edit = await client.text_document_rename_async(
        types.RenameParams(text_document=doc(address), position=position_of(text, "## Solution", 4), new_name="How")
    )
    assert edit is not None and edit.document_changes
    assert all(isinstance(change, types.TextDocumentEdit) for change in edit.document_changes)


async def test_the_create_note_fix_is_a_text_edit_into_the_new_path(client: LanguageClient, vault: Path):
    text = "---\ntitle: Herd\ntype: failure-mode\n---\n\nSee [[Thundering herd]].\n"
    address = open_note(client, vault, "04_failure-modes/herd.md", text)
    await diagnostics(client, address, lambda d: "BB201" in codes(d))
    found = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=doc(address),
            range=types.Range(start=types.Position(line=5, character=0), end=types.Position(line=5, character=0)),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    titles = {a.title: a for a in found or [] if isinstance(a, types.CodeAction)}
    action = titles["Create failure-mode 'Thundering herd' (04_failure-modes/thundering-herd.md)"]
    assert action.edit is not None and action.edit.document_changes
    (change,) = action.edit.document_changes
    assert isinstance(change, types.TextDocumentEdit)
    assert change.text_document.uri.endswith("/04_failure-modes/thundering-herd.md")
    assert "title: Thundering herd" in change.edits[0].new_text
