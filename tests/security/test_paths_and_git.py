"""Paths from input stay inside the vault (ids are slugs, folders in backbrain.toml are relative),
and git run on a vault cannot be made to run a program by its .git/config or .gitattributes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hostile import assert_clean_failure, base_vault, cli, snapshot


@pytest.mark.parametrize("bad_id", ["../../x", "/abs/x", "a/b", "A B", ".hidden"])
def test_new_refuses_an_id_that_is_not_a_slug(tmp_path: Path, bad_id: str):
    vault = base_vault(tmp_path / "v")
    before = snapshot(tmp_path)
    result = cli("new", "pattern", "Whatever", "--id", bad_id, "--vault", str(vault), home=tmp_path)
    assert_clean_failure(result, 2, "is not a valid id")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('[types.pattern]\nfolder = "/tmp/elsewhere"\n', "types.pattern"),
        ('[types.pattern]\nfolder = "../outside"\n', "types.pattern"),
        ('[types.runbook]\nfolder = "a/../../b"\n', "types.runbook"),
        ('[folders]\n"../x" = "pattern"\n', "[folders]"),
    ],
)
def test_folders_in_the_config_must_stay_inside_the_vault(tmp_path: Path, toml: str, key: str):
    vault = base_vault(tmp_path / "v", {"backbrain.toml": toml})
    before = snapshot(tmp_path)
    result = cli("new", "pattern", "Escape", "--vault", str(vault), home=tmp_path)
    assert_clean_failure(result, 2, "invalid configuration", key, "folder")
    assert snapshot(tmp_path) == before


def test_a_javascript_base_url_is_refused(tmp_path: Path):
    vault = base_vault(tmp_path / "v", {"backbrain.toml": '[site]\nbase_url = "javascript:alert(1)//"\n'})
    result = cli("build", "--vault", str(vault), home=tmp_path)
    assert_clean_failure(result, 2, "base_url")


def _git(root: Path, *args: str) -> None:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t",
           "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(root.parent), "PATH": "/usr/bin:/bin"}  # fmt: skip
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, env=env)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_a_hostile_git_config_runs_nothing(tmp_path: Path):
    vault = base_vault(tmp_path / "v")
    marker = tmp_path / "MARKER"
    _git(vault, "init", "-q")
    _git(vault, "add", "-A")
    _git(vault, "commit", "-qm", "start")
    note = vault / "01_patterns/caching.md"
    note.write_text(note.read_text(encoding="utf-8").replace("not-started", "completed"), encoding="utf-8")
    _git(vault, "commit", "-qam", "done")
    run = f"sh -c 'touch {marker}; cat \"$1\"' --"
    with (vault / ".git/config").open("a", encoding="utf-8") as config:
        config.write(
            f'[core]\n\tfsmonitor = "touch {marker}"\n\tpager = "touch {marker}; cat"\n'
            f'[diff]\n\texternal = "touch {marker}"\n'
            f'[diff "evil"]\n\ttextconv = "{run}"\n\tcommand = "touch {marker}"\n'
            f'[log]\n\tshowSignature = true\n[gpg]\n\tprogram = "touch {marker}"\n'
        )
    (vault / ".git/info/attributes").write_text("*.md diff=evil\n", encoding="utf-8")
    result = cli("progress", "history", "--format", "json", "--vault", str(vault), home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert not marker.exists(), "git ran a program named by the vault's .git/config"
    assert '"completed"' in result.stdout  # and the history from git is still read
