"""The fixture vault and a real client: `python -m backbrain lsp` started as a subprocess, driven over
stdio by pytest-lsp's LanguageClient, exactly as an editor drives it."""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from conftest import note_text, write_vault
from lsprotocol import types
from pygls.uris import to_fs_path
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "backbrain", "lsp"])


def fixture_notes() -> dict[str, Any]:
    """A small vault where every rule family has something to say and every relation kind appears."""
    return {
        "01_patterns/caching.md": note_text(
            {"title": "Caching", "type": "pattern", "aliases": ["cache-aside"], "summary": "Keep hot reads close.",
             "mitigates": ["cache-stampede"], "tags": ["performance"]}
        ),
        "01_patterns/rate-limiting.md": note_text({"title": "Rate limiting", "type": "pattern", "tags": ["traffic"]}),
        "04_failure-modes/cache-stampede.md": note_text(
            {"title": "Cache stampede", "type": "failure-mode", "summary": "Many misses at once."},
            "# Cache stampede\n\n## What it is\n\nSee [[caching#Solution]].\n\n## Why it happens\n\nTTL.\n\n"
            "## Impact\n\nLoad.\n\n## Detection signals\n\nMisses.\n\n## Mitigation strategies\n\n[[caching]]\n",
        ),
        "02_systems/url-shortener.md": note_text(
            {"title": "URL shortener", "type": "system", "uses": ["caching"], "risks": ["cache-stampede"]}
        ),
        "03_decisions/use-redis.md": note_text(
            {"title": "Use Redis", "type": "decision", "status": "accepted", "date": "2026-01-02",
             "affects": ["url-shortener"]}
        ),
        "03_decisions/use-memcached.md": note_text(
            {"title": "Use Memcached", "type": "decision", "status": "accepted", "date": "2026-03-04",
             "supersedes": ["use-redis"], "affects": ["url-shortener"]}
        ),
        "assets/diagram.png": b"\x89PNG\r\n\x1a\n",
    }  # fmt: skip


def make_fixture_vault(root: Path, extra: dict[str, Any] | None = None) -> Path:
    return write_vault(root, {**fixture_notes(), **(extra or {})})


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    return make_fixture_vault(tmp_path / "vault")


async def start(lsp_client: LanguageClient, root: Path) -> types.InitializeResult:
    return await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=root.as_uri(),
            initialization_options={"debounceMs": 20},
        )
    )


REGISTRATIONS: list[types.Registration] = []


def accept_registrations(lsp_client: LanguageClient) -> None:
    """Answer client/registerCapability as editors do (the server asks to watch files), keeping a record."""
    REGISTRATIONS.clear()

    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(client: LanguageClient, params: types.RegistrationParams) -> None:
        REGISTRATIONS.extend(params.registrations)


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient, vault: Path):
    accept_registrations(lsp_client)
    await start(lsp_client, vault)
    yield
    await lsp_client.shutdown_session()


def uri(root: Path, rel: str) -> str:
    return (root / rel).resolve().as_uri()


def open_note(client: LanguageClient, root: Path, rel: str, text: str | None = None) -> str:
    """didOpen with the file's text (or `text`, an unsaved buffer); returns the URI."""
    address = uri(root, rel)
    body = text if text is not None else (root / rel).read_text(encoding="utf-8")
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=address, language_id="markdown", version=1, text=body)
        )
    )
    return address


def change_note(client: LanguageClient, address: str, text: str, version: int = 2) -> None:
    """A whole-buffer change (what an editor sends when it does not send ranges)."""
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=address, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def diagnostics(
    client: LanguageClient,
    address: str,
    until: Callable[[Sequence[types.Diagnostic]], bool] = lambda found: True,
    timeout: float = 20.0,
) -> Sequence[types.Diagnostic]:
    """Wait for the diagnostics of `address` to satisfy `until` (published ones, as an editor sees them)."""

    async def wait() -> Sequence[types.Diagnostic]:
        while True:
            found = client.diagnostics.get(address)
            if found is not None and until(found):
                return found
            await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)

    return await asyncio.wait_for(wait(), timeout)


def codes(found: Sequence[types.Diagnostic]) -> list[str]:
    return sorted(str(d.code) for d in found)


def position_of(text: str, needle: str, offset: int = 0) -> types.Position:
    """The position of `needle` (plus `offset` characters) in `text`."""
    index = text.index(needle) + offset
    line = text.count("\n", 0, index)
    return types.Position(line=line, character=index - (text.rfind("\n", 0, index) + 1))


def apply_edit(root: Path, edit: types.WorkspaceEdit) -> None:
    """Apply a workspace edit to the files as an editor would (text edits, created and renamed files)."""
    for change in edit.document_changes or []:
        if isinstance(change, types.CreateFile):
            path = Path(to_fs_path(change.uri) or "")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
        elif isinstance(change, types.RenameFile):
            Path(to_fs_path(change.old_uri) or "").rename(to_fs_path(change.new_uri) or "")
        elif isinstance(change, types.TextDocumentEdit):
            path = Path(to_fs_path(change.text_document.uri) or "")
            path.write_text(apply_text_edits(path.read_text(encoding="utf-8"), change.edits), encoding="utf-8")


def apply_text_edits(text: str, edits: Sequence[Any]) -> str:
    """Apply non-overlapping TextEdits (ASCII test texts: UTF-16 columns are characters)."""
    lines = text.split("\n")

    def offset(position: types.Position) -> int:
        return sum(len(line) + 1 for line in lines[: position.line]) + position.character

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
    return text


EDITORS_DOC = Path(__file__).resolve().parents[2] / "docs" / "editors.md"


def doc_blocks(heading: str, language: str) -> list[str]:
    """The fenced `language` blocks of docs/editors.md's `## heading` section, in order: the tests
    use the documented configurations themselves, so the page and the tests cannot drift apart."""
    text = EDITORS_DOC.read_text(encoding="utf-8")
    section = re.search(rf"^## {re.escape(heading)}.*?$(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert section is not None, f"docs/editors.md has no '## {heading}' section"
    return re.findall(rf"^```{language}\n(.*?)^```", section.group(1), re.M | re.S)


# A note with a space and an accent in its name and non-ASCII text before its links: editors
# percent-encode its URI and count columns in UTF-8 (Neovim) or UTF-16 (Emacs).
CAFE = "notes/café notes.md"
CAFE_TEXT = "---\ntitle: Café notes\n---\n\n# Café notes\n\nCafé ☕ — see [[caching]] and [[caching#Solution]].\n"


def make_editor_vault(root: Path) -> Path:
    """The fixture vault with the café note and a backbrain.toml (the root marker editors look for)."""
    make_fixture_vault(root, {CAFE: CAFE_TEXT})
    (root / "backbrain.toml").write_text("", encoding="utf-8")
    return root
