"""The documented configurations of the editors that cannot run here (VS Code, Helix, Zed) and of
nvim-lspconfig: each snippet of docs/editors.md parses, uses only keys its editor documents, starts
`backbrain lsp` and passes only initialization options the server reads. (Neovim's plugin-free
configurations are run for real in test_editors.py.)

The key lists come from each editor's own schema: the Generic LSP Client's package.json
(`contributes.configuration`), Helix's `helix-core/src/syntax/config.rs` (serde kebab-case fields of
`LanguageServerConfiguration` and `LanguageConfiguration`), Zed's `extension_manifest.rs`
(`ExtensionManifest`, `LanguageServerManifestEntry`) and its `lsp` settings (`LspSettings`).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from lsp_helpers import doc_blocks

SERVER_OPTIONS = {"vault", "debounceMs"}  # what BackbrainServer.open_vault reads

GLSPC_SETTINGS = {
    "glspc.server.command",
    "glspc.server.commandArguments",
    "glspc.server.languageId",
    "glspc.server.environmentVariables",
    "glspc.server.initializationOptions",
    "glspc.trace.server",
}
HELIX_TOP = {"language", "language-server", "grammar", "use-grammars"}
HELIX_SERVER = {"command", "args", "environment", "config", "timeout", "required-root-patterns"}
HELIX_LANGUAGE = {
    "name", "language-id", "scope", "file-types", "shebangs", "roots", "comment-token", "comment-tokens",
    "block-comment-tokens", "text-width", "soft-wrap", "auto-format", "formatter", "path-completion",
    "word-completion", "diagnostic-severity", "grammar", "injection-regex", "language-servers", "indent",
    "debugger", "auto-pairs", "rulers", "workspace-lsp-roots", "persistent-diagnostic-sources", "rainbow-brackets",
}  # fmt: skip
ZED_MANIFEST = {
    "id", "name", "version", "schema_version", "description", "repository", "authors", "lib", "themes",
    "icon_themes", "languages", "grammars", "language_servers", "context_servers", "agent_servers",
    "slash_commands", "snippets", "capabilities", "debug_adapters", "debug_locators",
}  # fmt: skip
ZED_SERVER_ENTRY = {"language", "languages", "language_ids", "code_action_kinds"}
ZED_LSP_SETTINGS = {"binary", "initialization_options", "settings", "enable_lsp_tasks", "fetch"}


def only_block(heading: str, language: str, marker: str = "") -> str:
    found = [block for block in doc_blocks(heading, language) if marker in block]
    assert len(found) == 1, f"docs/editors.md '## {heading}': expected one {language} block with {marker!r}"
    return found[0]


def test_the_command_every_snippet_names_runs():
    result = run_cli("lsp", "--help")
    assert result.returncode == 0 and "--vault" in result.stdout


def test_vs_code_generic_lsp_client_settings():
    settings: dict[str, Any] = json.loads(only_block("VS Code", "json"))
    assert set(settings) <= GLSPC_SETTINGS, set(settings) - GLSPC_SETTINGS
    assert [settings["glspc.server.command"], *settings["glspc.server.commandArguments"]] == ["backbrain", "lsp"]
    assert settings["glspc.server.languageId"] == ["markdown"]  # an array with at least one id
    assert set(settings["glspc.server.initializationOptions"]) <= SERVER_OPTIONS


def test_helix_languages_toml():
    config = tomllib.loads(only_block("Helix", "toml"))
    assert set(config) <= HELIX_TOP, set(config) - HELIX_TOP
    server = config["language-server"]["backbrain"]
    assert set(server) <= HELIX_SERVER, set(server) - HELIX_SERVER
    assert [server["command"], *server["args"]] == ["backbrain", "lsp"]
    assert set(server["config"]) <= SERVER_OPTIONS  # Helix sends `config` as the initialization options
    (markdown,) = config["language"]
    assert set(markdown) <= HELIX_LANGUAGE, set(markdown) - HELIX_LANGUAGE
    assert markdown["name"] == "markdown" and markdown["language-servers"] == ["backbrain"]
    assert "backbrain.toml" in markdown["roots"]


def test_zed_dev_extension_and_settings():
    manifest = tomllib.loads(only_block("Zed", "toml", "schema_version"))
    assert set(manifest) <= ZED_MANIFEST, set(manifest) - ZED_MANIFEST
    assert {"id", "name", "version", "schema_version"} <= set(manifest)  # the required fields
    entry = manifest["language_servers"]["backbrain"]
    assert set(entry) <= ZED_SERVER_ENTRY and entry["languages"] == ["Markdown"]
    cargo = tomllib.loads(only_block("Zed", "toml", "[package]"))
    assert cargo["lib"]["crate-type"] == ["cdylib"] and "zed_extension_api" in cargo["dependencies"]
    rust = only_block("Zed", "rust")
    assert 'worktree\n            .which("backbrain")' in rust and 'args: vec!["lsp".into()]' in rust
    assert "zed::register_extension!(Backbrain);" in rust
    settings: dict[str, Any] = json.loads(only_block("Zed", "json"))
    assert settings["languages"]["Markdown"]["language_servers"][0] == manifest["id"]
    lsp = settings["lsp"]["backbrain"]
    assert set(lsp) <= ZED_LSP_SETTINGS and set(lsp["initialization_options"]) <= SERVER_OPTIONS


def lua_table_strings(block: str, key: str) -> list[str]:
    """The strings of `key = { "a", "b" }` (or of the call `key("a", "b")`) in a Lua snippet."""
    match = re.search(rf"{key}\s*(?:=\s*\{{|\()([^}})]*)", block)
    assert match is not None, f"no {key} in {block}"
    return re.findall(r'"([^"]*)"', match.group(1))


def test_the_nvim_lspconfig_snippet_matches_the_tested_one_and_is_valid_lua(tmp_path: Path):
    """nvim-lspconfig cannot be installed here: its snippet must start what the tested snippet
    starts, and be Lua that Neovim's own compiler accepts."""
    lspconfig = only_block("Neovim", "lua", "lspconfig")
    tested = only_block("Neovim", "lua", "vim.lsp.enable")
    for key in ("cmd", "filetypes"):
        assert lua_table_strings(lspconfig, key) == lua_table_strings(tested, key)
    assert lua_table_strings(lspconfig, "root_pattern") == lua_table_strings(tested, "root_markers")
    assert lua_table_strings(lspconfig, "init_options") == lua_table_strings(tested, "init_options")
    nvim = shutil.which("nvim", path=str(Path(sys.executable).parent)) or shutil.which("nvim")
    if nvim is None:
        pytest.skip("no nvim to compile the Lua snippets (make test installs one)")
    for number, block in enumerate(doc_blocks("Neovim", "lua")):
        (tmp_path / f"snippet{number}.lua").write_text(block, encoding="utf-8")
    check = tmp_path / "check.lua"
    check.write_text(
        "for _, path in ipairs(arg) do local ok, err = loadfile(path) if not ok then print(err) os.exit(1) end end",
        encoding="utf-8",
    )
    snippets = sorted(str(p) for p in tmp_path.glob("snippet*.lua"))
    done = subprocess.run([nvim, "-l", str(check), *snippets], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(snippets) == 3
