"""`backbrain lsp` through the real entry point: help, a missing extra, a bad --vault."""

from __future__ import annotations

import subprocess
import sys

from conftest import run_cli


def test_help_names_the_editor_docs():
    result = run_cli("lsp", "--help")
    assert result.returncode == 0 and "docs/editors.md" in result.stdout


def test_without_the_extra_it_says_how_to_install_it():
    code = "import sys; sys.modules['pygls'] = None; from backbrain.cli import main; main(['lsp'])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "needs the optional package 'pygls'" in result.stderr
    assert "pip install 'backbrain[lsp]'" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_vault_folder_is_a_usage_error(tmp_path):
    result = run_cli("lsp", "--vault", str(tmp_path / "nope"))
    assert result.returncode == 2 and "is not a folder" in result.stderr


def test_which_folder_is_the_vault(tmp_path, monkeypatch):
    from backbrain.lsp.server import vault_root

    (tmp_path / "kb" / "01_patterns").mkdir(parents=True)
    (tmp_path / "kb" / "backbrain.toml").write_text("", encoding="utf-8")
    (tmp_path / "plain").mkdir()
    assert vault_root(tmp_path / "plain", tmp_path / "kb") == (tmp_path / "plain").resolve()  # --vault wins
    assert vault_root(None, tmp_path / "kb" / "01_patterns") == (tmp_path / "kb").resolve()  # walks up
    assert vault_root(None, tmp_path / "plain") == (tmp_path / "plain").resolve()  # any folder of notes
    monkeypatch.setenv("BACKBRAIN_VAULT", str(tmp_path / "kb"))
    assert vault_root(None, None) == (tmp_path / "kb").resolve()  # no workspace: the commands' rule
