"""The wiring: pygls handlers that turn protocol messages into calls on the session and feature modules.

Handlers stay thin. Documents are synced incrementally; diagnostics are debounced (a burst of
keystrokes is checked once, `debounceMs` after the last one, default 200) and published for every
open note, so a change in one note (a renamed id, a new supersedes) updates the others' problems.
Any failure inside a handler is logged to the client and answered with an empty result, so a hostile
buffer (binary, huge, invalid YAML) can never take the server down.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from backbrain import __version__
from backbrain.core.location import CONFIG_FILE, is_note_name, locate_vault
from backbrain.core.schema import default_config
from backbrain.core.vault import freeze_heap, load_vault
from backbrain.errors import BackbrainError
from backbrain.lsp import actions, completion, diagnostics, navigation, refactor
from backbrain.lsp.session import Session
from backbrain.lsp.text import Text

log = logging.getLogger(__name__)
DEFAULT_DEBOUNCE_MS = 200
_R = TypeVar("_R")


class BackbrainServer(LanguageServer):
    """A language server for one vault: found from `--vault`, else from the editor's workspace folder."""

    def __init__(self, vault_dir: Path | None = None) -> None:
        super().__init__("backbrain", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.vault_dir = vault_dir
        self.session: Session | None = None
        self.debounce = DEFAULT_DEBOUNCE_MS / 1000
        self._pending: asyncio.Task[None] | None = None
        self._warned_outside = False

    # -- start-up -----------------------------------------------------------------------------------
    def open_vault(self, params: types.InitializeParams) -> None:
        options = params.initialization_options if isinstance(params.initialization_options, dict) else {}
        if isinstance(options.get("debounceMs"), (int, float)):
            self.debounce = max(float(options["debounceMs"]), 0.0) / 1000
        root = vault_root(self.vault_dir or _option_path(options), _workspace_path(params))
        try:
            vault = load_vault(root)
        except BackbrainError as exc:  # a bad backbrain.toml: say so, and work with the defaults
            self.report(f"backbrain: {exc}; using the default schema until it is fixed.", types.MessageType.Error)
            vault = load_vault(root, config=default_config())
        self.session = Session(vault, self.workspace.position_codec)
        self.session.file_operations = _file_operations(params.capabilities)
        freeze_heap()  # edits then never pay for a collector scan of the vault
        log.info("backbrain lsp: %d notes in %s", len(vault.files), root)

    def watch_files(self) -> None:
        """Ask the editor to report files changed outside it (a git pull, another tool), when it can."""
        workspace = self.client_capabilities.workspace
        watched = workspace.did_change_watched_files if workspace is not None else None
        if watched is None or not watched.dynamic_registration:
            return
        watcher = types.FileSystemWatcher(glob_pattern="**/*")
        options = types.DidChangeWatchedFilesRegistrationOptions(watchers=[watcher])
        registration = types.Registration(
            id="backbrain-files", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES, register_options=options
        )
        self.client_register_capability(types.RegistrationParams(registrations=[registration]))

    def warn_if_outside(self, uri: str) -> None:
        """Say once why a note gets no help: it is not in the vault the server loaded (an editor that
        found no root marker sends no workspace folder, and the server then falls back on the
        commands' rule, which may pick another folder or the bundled starter)."""
        path = to_fs_path(uri)
        if self.session is None or self._warned_outside or path is None or not is_note_name(Path(path).name):
            return
        if self.session.rel_of(uri) is None:
            self._warned_outside = True
            self.report(
                f"backbrain: {path} is outside the vault {self.session.root}, so it gets no diagnostics or "
                "completion. Put a backbrain.toml in your vault's folder (the editor finds the vault by it) "
                "or pass the vault with --vault or the initialization option 'vault'."
            )

    def report(self, message: str, kind: types.MessageType = types.MessageType.Warning) -> None:
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))

    # -- documents ------------------------------------------------------------------------------------
    def document(self, uri: str) -> tuple[str, Text] | None:
        """(vault-relative path, current text) of an open or on-disk note of this vault."""
        if self.session is None:
            return None
        rel = self.session.rel_of(uri)
        if rel is None:
            return None
        doc = self.workspace.text_documents.get(unquote(uri))  # pygls keys them by the unquoted URI
        source = doc.source if doc is not None else self.session.text(rel)
        return rel, Text(source, self.workspace.position_codec)

    def schedule_diagnostics(self, delay: float | None = None) -> None:
        """Check the open notes once the typing pauses (a newer edit cancels the wait)."""
        if self._pending is not None and not self._pending.done():
            self._pending.cancel()
        self._pending = asyncio.ensure_future(self._publish_later(self.debounce if delay is None else delay))

    async def _publish_later(self, delay: float) -> None:
        await asyncio.sleep(delay)
        guarded(self, "diagnostics", None, self.publish_diagnostics)

    def publish_diagnostics(self) -> None:
        if self.session is None:
            return
        self.session.sync()
        for rel, found in diagnostics.collect(self.session, sorted(self.session.buffers)).items():
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=self.session.uri_of(rel), diagnostics=found)
            )


def vault_root(explicit: Path | None, workspace: Path | None) -> Path:
    """--vault or initializationOptions.vault; else the nearest backbrain.toml at or above the workspace
    folder, else the workspace folder itself (any folder of Markdown notes is a vault). Without a
    workspace folder (a single file opened), the commands' rule: $BACKBRAIN_VAULT, a backbrain.toml
    above the cwd, else the bundled starter; never a whole home folder by accident."""
    if explicit is not None:
        return explicit.resolve()
    if workspace is None:
        return locate_vault(None).root
    start = workspace.resolve()
    return next((folder for folder in (start, *start.parents) if (folder / CONFIG_FILE).is_file()), start)


def _file_operations(capabilities: types.ClientCapabilities) -> frozenset[str]:
    """The resource operations (create, rename, delete) the client applies in a workspace edit."""
    workspace = capabilities.workspace
    edit = workspace.workspace_edit if workspace is not None else None
    declared = edit.resource_operations if edit is not None else None
    return frozenset(str(operation.value) for operation in declared or [])


def _option_path(options: dict[str, Any]) -> Path | None:
    value = options.get("vault")
    return Path(value).expanduser() if isinstance(value, str) and value else None


def _workspace_path(params: types.InitializeParams) -> Path | None:
    uris = [folder.uri for folder in params.workspace_folders or []] + [params.root_uri or ""]
    for uri in uris:
        path = to_fs_path(uri) if uri else None
        if path:
            return Path(path)
    return Path(params.root_path) if params.root_path else None


def guarded(server: BackbrainServer, what: str, fallback: _R, call: Callable[[], _R]) -> _R:
    """Run a feature; on any exception, log it to the client and return the empty answer instead."""
    try:
        return call()
    except BackbrainError as exc:  # a refused rename, a bad name: the user can act on it
        server.report(f"backbrain: {exc}")
        return fallback
    except Exception as exc:  # the server must outlive any bug or hostile input
        server.window_log_message(
            types.LogMessageParams(
                type=types.MessageType.Error, message=f"backbrain {what} failed: {exc!r}\n{traceback.format_exc()}"
            )
        )
        return fallback


def build_server(vault_dir: Path | None = None) -> BackbrainServer:
    server = BackbrainServer(vault_dir)
    _register_sync(server)
    _register_features(server)
    return server


def _register_sync(server: BackbrainServer) -> None:
    @server.feature(types.INITIALIZE)
    def initialize(ls: BackbrainServer, params: types.InitializeParams) -> None:
        ls.open_vault(params)

    @server.feature(types.INITIALIZED)
    def initialized(ls: BackbrainServer, params: types.InitializedParams) -> None:
        ls.watch_files()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: BackbrainServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.warn_if_outside(params.text_document.uri)
        _edited(ls, params.text_document.uri, delay=0.0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: BackbrainServer, params: types.DidChangeTextDocumentParams) -> None:
        _edited(ls, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: BackbrainServer, params: types.DidCloseTextDocumentParams) -> None:
        rel = ls.session.rel_of(params.text_document.uri) if ls.session else None
        if ls.session is None or rel is None:
            return
        guarded(ls, "close", None, functools.partial(ls.session.close, rel))
        cleared = types.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[])
        ls.text_document_publish_diagnostics(cleared)
        ls.schedule_diagnostics(0.0)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched(ls: BackbrainServer, params: types.DidChangeWatchedFilesParams) -> None:
        if ls.session is None:
            return
        rels = [rel for rel in (_any_rel(ls.session, change.uri) for change in params.changes) if rel is not None]
        if rels:
            guarded(ls, "reload", None, functools.partial(ls.session.files_changed, rels))
            ls.schedule_diagnostics(0.0)


def _edited(ls: BackbrainServer, uri: str, delay: float | None = None) -> None:
    found = ls.document(uri)
    if found is None or ls.session is None:
        return
    ls.session.edit(found[0], found[1].source)
    ls.schedule_diagnostics(delay)


def _any_rel(session: Session, uri: str) -> str | None:
    """A watched file's vault-relative path: notes and attachments alike."""
    path = to_fs_path(uri)
    if path is None:
        return None
    try:
        return Path(path).resolve().relative_to(session.root).as_posix()
    except (ValueError, OSError):
        return None


def _register_features(server: BackbrainServer) -> None:
    def feature(
        method: str, options: Any = None, fallback: Any = None, sync: bool = True
    ) -> Callable[[Callable[..., Any]], Any]:
        """Register a request handler that finds the document, syncs the vault and never raises.

        Completion does not sync (it runs on every keystroke and reads the buffer's own text; the
        names it offers change only when a note is renamed); it syncs itself when it needs the note.
        """

        def wrap(handler: Callable[..., Any]) -> Any:
            @server.feature(method, options)
            def run(ls: BackbrainServer, params: Any) -> Any:
                def call() -> Any:
                    if ls.session is None:
                        return fallback
                    document = params.text_document.uri if hasattr(params, "text_document") else None
                    found = ls.document(document) if document else None
                    if document and found is None:
                        return fallback
                    if sync:
                        ls.session.sync()
                    return handler(ls.session, found, params)

                return guarded(ls, method, fallback, call)

            return run

        return wrap

    feature(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(trigger_characters=["[", "#", ":", " ", ",", "-"]),
        fallback=types.CompletionList(is_incomplete=False, items=[]),
        sync=False,
    )(lambda session, doc, params: completion.complete(session, doc[0], doc[1], params.position))
    feature(types.TEXT_DOCUMENT_DEFINITION)(
        lambda session, doc, params: navigation.definition(session, doc[0], doc[1], params.position)
    )
    feature(types.TEXT_DOCUMENT_REFERENCES, fallback=[])(
        lambda session, doc, params: navigation.references(session, doc[0], doc[1], params.position)
    )
    feature(types.TEXT_DOCUMENT_HOVER)(
        lambda session, doc, params: navigation.hover(session, doc[0], doc[1], params.position)
    )
    feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL, fallback=[])(
        lambda session, doc, params: navigation.document_symbols(session, doc[0], doc[1])
    )
    feature(types.WORKSPACE_SYMBOL, fallback=[])(
        lambda session, doc, params: navigation.workspace_symbols(session, params.query)
    )
    feature(types.TEXT_DOCUMENT_PREPARE_RENAME)(
        lambda session, doc, params: refactor.prepare_rename(session, doc[0], doc[1], params.position)
    )
    feature(types.TEXT_DOCUMENT_RENAME, types.RenameOptions(prepare_provider=True))(
        lambda session, doc, params: refactor.rename(session, doc[0], doc[1], params.position, params.new_name)
    )
    feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
        fallback=[],
    )(lambda session, doc, params: actions.code_actions(session, doc[0], doc[1], params.range))
    notes = types.FileOperationFilter(pattern=types.FileOperationPattern(glob="**/*.{md,markdown}"))
    feature(types.WORKSPACE_WILL_RENAME_FILES, types.FileOperationRegistrationOptions(filters=[notes]))(
        lambda session, doc, params: refactor.will_rename_files(
            session,
            [(old, new) for old, new in ((session.rel_of(f.old_uri), session.rel_of(f.new_uri)) for f in params.files)
             if old is not None and new is not None],
        )
    )  # fmt: skip


class _LateCancels(logging.Filter):
    """Editors cancel completions they no longer need, often after the answer went out; pygls warns
    about each on stderr, and Neovim files every stderr line as an ERROR in its LSP log, one per
    keystroke. Such a cancel is normal; other warnings still go through."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Cancel notification for unknown message id")


def main(vault_dir: Path | None = None) -> None:
    """Serve the protocol on stdin/stdout until the client says exit."""
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("pygls.protocol.json_rpc").addFilter(_LateCancels())
    build_server(vault_dir).start_io()
