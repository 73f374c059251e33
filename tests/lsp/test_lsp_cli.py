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
