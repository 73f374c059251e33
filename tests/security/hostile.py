"""Building hostile vaults from code, and the checks every security test makes afterwards.

A hostile vault is one someone else wrote: it may carry symlinks out of itself, active attachments,
a .git/config that runs commands, or notes sized to make the tool work for hours. The tests run the
real CLI on it and assert three things: nothing outside the vault changed, no marker file that a
hostile command would create appeared, and no traceback reached the user.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path
from typing import Any

from conftest import note_text, run_cli, write_vault

PATTERN = {"title": "Caching", "type": "pattern", "progress": "not-started"}


def base_vault(root: Path, notes: dict[str, Any] | None = None) -> Path:
    """A small valid vault with a backbrain.toml, one pattern (id `caching`) and two decisions."""
    decision = {"type": "decision", "status": "accepted", "date": "2024-01-01", "deciders": ["me"]}
    files: dict[str, Any] = {
        "backbrain.toml": "",
        "01_patterns/caching.md": PATTERN,
        "03_decisions/use-postgres.md": {"title": "Use Postgres", **decision},
        "03_decisions/use-redis.md": {"title": "Use Redis", **decision, "status": "proposed"},
    }
    files.update(notes or {})
    return write_vault(root, files)


def snapshot(folder: Path) -> dict[str, str]:
    """Every entry under folder (not following symlinks) with a hash of its bytes or link target."""
    seen: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            rel = str(path.relative_to(folder))
            if path.is_symlink():
                seen[rel] = "link:" + os.readlink(path)
            elif path.is_file():
                seen[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                seen[rel] = "dir"
    return seen


def outside(tmp_path: Path) -> Path:
    """A folder next to the vault that a hostile vault points into; holds a file worth protecting."""
    folder = tmp_path / "outside"
    folder.mkdir(exist_ok=True)
    (folder / "precious.txt").write_text("do not touch\n", encoding="utf-8")
    return folder


def cli(*args: str, home: Path, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """The real CLI with XDG folders under `home`, so nothing lands in the user's own folders."""
    env = {"XDG_CACHE_HOME": str(home / "xdg-cache"), "XDG_DATA_HOME": str(home / "xdg-data"), **kwargs.pop("env", {})}
    return run_cli(*args, env=env, **kwargs)


def assert_clean_failure(result: subprocess.CompletedProcess[str], code: int, *words: str) -> None:
    """A refusal with exit `code`, a message naming what was refused, and no traceback."""
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    for word in words:  # (test names appear in tmp paths: pass phrases, not single words)
        assert word in result.stderr, result.stderr


def assert_no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr + result.stdout, result.stderr


__all__ = ["PATTERN", "base_vault", "note_text", "outside", "snapshot"]
