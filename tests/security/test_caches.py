"""A vault someone else wrote cannot make `build` or `serve` run code through a cache file (issue 12, item 1).

The site builder once unpickled its saved state from VAULT/.backbrain/site-cache/ and let Jinja load
compiled templates from a folder next to it, so a cloned vault could ship either and run code as
the user. Here both are planted, with payloads that would create a marker file when loaded, in the
old places inside the vault and in the new cache folder outside it; the builds must succeed and the
marker must never appear.
"""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

import pytest
from conftest import run_cli, write_vault
from jinja2 import Environment, FileSystemBytecodeCache

from backbrain.site import site_cache_dir
from backbrain.site.render import TEMPLATES

NOTES = {
    "01_patterns/caching.md": "---\ntitle: Caching\ntype: pattern\ntags: [perf]\n---\n# Caching\n\nSee [[Stampede]].\n",
    "04_failure-modes/stampede.md": "---\ntitle: Stampede\ntype: failure-mode\n---\n# Stampede\n\nUse [[caching]].\n",
}


class _Payload:
    """Unpickling this runs `code` (what a hostile state file would do)."""

    def __init__(self, code: str) -> None:
        self.code = code

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (exec, (self.code,))


def _touch_code(marker: Path) -> str:
    return f"open({str(marker)!r}, 'a').write('ran')\n"


def _plant_pickles(folder: Path, marker: Path, stems: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    data = pickle.dumps(_Payload(_touch_code(marker)), protocol=5)
    for stem in stems:
        for suffix in (".state.pickle", ".delta.pickle", ".state.msgpack", ".delta.json", ".json"):
            (folder / f"{stem}{suffix}").write_bytes(data)


def _plant_bytecode(folder: Path, marker: Path) -> None:
    """Jinja bytecode for every site template, valid for today's template sources (so it would load)."""
    cache = FileSystemBytecodeCache(str(folder))
    env = Environment()
    folder.mkdir(parents=True, exist_ok=True)
    for template in sorted(TEMPLATES.glob("*.html")):
        source = template.read_text(encoding="utf-8")
        bucket = cache.get_bucket(env, template.name, str(template), source)
        bucket.code = compile(_touch_code(marker), str(template), "exec")
        cache.set_bucket(bucket)


def _old_stems(root: Path) -> list[str]:
    """The cache names the builder used inside the vault, for `build` (site) and `serve`."""
    stems = []
    for purpose in ("site", "serve"):
        output = root.resolve() / ".backbrain" / purpose
        stems.append(f"{purpose}-{hashlib.blake2b(str(output).encode(), digest_size=6).hexdigest()}")
    return stems


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, dict[str, str]]:
    cache_home = tmp_path / "xdg-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache_home))
    root = write_vault(tmp_path / "vault", NOTES)
    marker = tmp_path / "marker"
    stems = _old_stems(root)
    _plant_pickles(root / ".backbrain" / "site-cache", marker, stems)
    _plant_bytecode(root / ".backbrain" / "site-cache" / "templates", marker)
    new_cache = site_cache_dir(root) / "site-cache"
    _plant_pickles(new_cache, marker, stems)
    _plant_bytecode(new_cache / "templates", marker)
    return root, marker, {"XDG_CACHE_HOME": str(cache_home)}


def test_build_never_runs_planted_cache_files(hostile: tuple[Path, Path, dict[str, str]]) -> None:
    root, marker, env = hostile
    for args in (["build"], ["build"], ["build", "--clean"]):  # a first build, one that resumes, a clean one
        result = run_cli(*args, "--vault", str(root), env=env)
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        assert not marker.exists()
    page = root / ".backbrain" / "site" / "note" / "caching" / "index.html"
    assert "Stampede" in page.read_text(encoding="utf-8")


def test_the_saved_state_lives_outside_the_vault_and_is_data(hostile: tuple[Path, Path, dict[str, str]]) -> None:
    root, marker, env = hostile
    assert run_cli("build", "--vault", str(root), env=env).returncode == 0
    saved = sorted((site_cache_dir(root) / "site-cache").glob("site-*.state.msgpack"))
    assert saved and saved[0].read_bytes().startswith(b"BBSTATE\x00")
    assert not [path for path in root.rglob("*") if path.is_file() and path.read_bytes().startswith(b"BBSTATE")]
    # the builder replaced the planted state with its own: the next build resumes from it
    (root / "01_patterns" / "caching.md").write_text(NOTES["01_patterns/caching.md"].replace("See", "Read"))
    result = run_cli("build", "--vault", str(root), env=env)
    assert result.returncode == 0 and "incremental build" in result.stdout, result.stdout + result.stderr
    assert not marker.exists()


def test_serve_builder_never_runs_planted_cache_files(hostile: tuple[Path, Path, dict[str, str]]) -> None:
    from backbrain.web.live import prepare

    root, marker, _ = hostile
    for _ in range(2):  # the first start saves a state, the second resumes from it
        _, state = prepare(root, False, "127.0.0.1", watch=False)
        assert state.last_report is not None and state.last_report.pages > 0
        assert not marker.exists()
    assert (root / ".backbrain" / "serve" / "note" / "caching" / "index.html").is_file()
