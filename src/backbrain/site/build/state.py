"""What a build leaves for the next one in a new process: the parsed vault and the site's caches.

Without it a `backbrain build` after one edit would parse 10,000 notes again (2 s) and compute every
page's context (2 s) to find the three pages that changed. With it, the next build unpickles the
vault (~0.3 s), asks it which files changed since (`Vault.changes_on_disk`: a stat per file, a
content hash where the stat cannot tell), re-parses those, and does what serve's `update()` does.

Two files next to the manifest, both disposable (a missing, corrupt, old or foreign one is ignored
and the next build loads the vault from disk):

- the *base* (`NAME.state.pickle`, tens of MB): schema, site and parser code digests, vault root,
  the Vault with its indexes, lab results, search entries and graph cache; written after a build
  that loaded the vault from disk, and again once many files changed since it was written;
- the *delta* (`NAME.delta.pickle`, a few KB): the base's token and the output files that builds
  since the base looked at (rendered or fingerprinted).

Why the delta: a page rendered by an intermediate build (say a backlink that came and went again)
can differ from what the base and the current vault both imply, so the pages earlier builds touched
are looked at again; their fingerprints decide whether anything is rendered.

pickle executes code on load: these files live in the vault's own `.backbrain/` folder (or the
user's cache folder for the read-only starter), written by backbrain for the same user.
"""

from __future__ import annotations

import contextlib
import copyreg
import dataclasses
import hashlib
import os
import pickle
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backbrain.core.note import CodeBlock, Link, Section, Task
from backbrain.core.vault import Stamp, Vault
from backbrain.site.graph import GraphCache
from backbrain.site.labs import LabPanel

SCHEMA = 1
_PARSER_MODULES = ("core/frontmatter", "core/note", "core/schema", "core/vault", "core/location")


@dataclass
class Restored:
    vault: Vault
    nav: list[tuple[str, str]]
    labs: dict[str, LabPanel | None]
    search: dict[str, Any]
    graph: GraphCache
    carried: set[str]


def stamp_mtime(stamp: Stamp) -> float:
    return stamp.mtime_ns / 1e9 if stamp.mtime_ns > 0 else 0.0


def note_mtimes(vault: Vault) -> dict[str, float]:
    """Each note's modification time, from the stamps the vault took when it read the files."""
    stamps = vault.stamps
    return {note.rel: stamp_mtime(stamps[note.rel]) if note.rel in stamps else 0.0 for note in vault.files}


def parser_digest() -> str:
    """Hash of the modules that turn files into a Vault: a change there makes the saved vault stale."""
    import backbrain

    base = Path(backbrain.__file__).resolve().parent
    digest = hashlib.blake2b(digest_size=12)
    for name in _PARSER_MODULES:
        digest.update((base / f"{name}.py").read_bytes())
    return digest.hexdigest()


def _positional(cls: type) -> Any:
    names = [f.name for f in dataclasses.fields(cls)]

    def reduce(obj: Any) -> tuple[Any, tuple[Any, ...]]:
        values = obj.__dict__
        return cls, tuple(values[name] for name in names)

    return reduce


# The hundred thousand links and sections of a big vault load ~30% faster as constructor calls than
# as pickle's default (a new object, then its __dict__ updated from a dict).
_DISPATCH = copyreg.dispatch_table.copy()
for _cls in (Link, Section, Task, CodeBlock):
    _DISPATCH[_cls] = _positional(_cls)
_PATH = type(Path())
_DISPATCH[_PATH] = lambda path: (_PATH, (str(path),))  # one string to parse, not every part again


class BuildState:
    def __init__(self, cache_file: Path, code: str) -> None:
        self.base = cache_file.with_name(cache_file.stem + ".state.pickle")
        self.delta = cache_file.with_name(cache_file.stem + ".delta.pickle")
        self.code = code
        self.token = ""

    def key(self, root: Path, live: bool) -> tuple[Any, ...]:
        return (SCHEMA, sys.version_info[:2], self.code, parser_digest(), str(root), live)

    def load(self, root: Path, live: bool) -> Restored | None:
        """The saved state, or None when there is none usable (missing, damaged, old, another vault)."""
        try:
            with open(self.base, "rb") as handle:
                header = pickle.load(handle)
                if not isinstance(header, dict) or header.get("key") != self.key(root, live):
                    return None
                payload = pickle.load(handle)
            with open(self.delta, "rb") as handle:
                delta = pickle.load(handle)
            if not isinstance(delta, dict) or delta.get("token") != header["token"]:
                return None  # a delta of another base: the pages it touched are unknown
            restored = Restored(**payload, carried=set(delta["carried"]))
            if not isinstance(restored.vault, Vault) or not isinstance(restored.graph, GraphCache):
                return None
        except Exception:
            return None
        self.token = header["token"]
        return restored

    def save_base(
        self, root: Path, live: bool, vault: Vault, nav: list[tuple[str, str]], labs: dict[str, LabPanel | None],
        search: dict[str, Any], graph: GraphCache,
    ) -> None:  # fmt: skip
        token = uuid.uuid4().hex
        if self.write_base(self.pending(token), token, root, live, vault, nav, labs, search, graph):
            self.adopt(token)

    def pending(self, token: str) -> Path:
        """Where a base is written before it is adopted (after the build it describes has succeeded)."""
        return self.base.with_name(f".{self.base.name}.{token[:12]}")

    def write_base(
        self, path: Path, token: str, root: Path, live: bool, vault: Vault, nav: list[tuple[str, str]],
        labs: dict[str, LabPanel | None], search: dict[str, Any], graph: GraphCache,
    ) -> bool:  # fmt: skip
        """Pickle a base state to `path` (straight to the file: no second copy of ~80 MB in memory)."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "wb") as handle:
                pickle.dump({"key": self.key(root, live), "token": token}, handle, protocol=5)
                pickler = pickle.Pickler(handle, protocol=5)
                pickler.dispatch_table = _DISPATCH
                pickler.dump({"vault": vault, "nav": nav, "labs": labs, "search": search, "graph": graph})
        except Exception:  # a vault that cannot be pickled (or a full disk) just is not cached
            with contextlib.suppress(OSError):
                path.unlink()
            return False
        return True

    def adopt(self, token: str) -> None:
        """Make a written base current: the delta first (a crash in between leaves a token mismatch)."""
        pending = self.pending(token)
        self.token = token
        self._write(self.delta, pickle.dumps({"token": token, "carried": []}, protocol=5))
        try:
            os.replace(pending, self.base)
        except OSError:
            self._remove()

    def discard(self, token: str) -> None:
        with contextlib.suppress(OSError):
            self.pending(token).unlink()

    def save_delta(self, carried: set[str]) -> None:
        if self.token:
            self._write(self.delta, pickle.dumps({"token": self.token, "carried": sorted(carried)}, protocol=5))

    def _write(self, path: Path, data: bytes | memoryview) -> None:
        """Replace a cache file by rename (no fsync: a cache that a crash damages is ignored next time)."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
            with open(temp, "wb") as handle:
                handle.write(data)
            os.replace(temp, path)
        except OSError:
            pass

    def _remove(self) -> None:
        for path in (self.base, self.delta):
            with contextlib.suppress(OSError):
                path.unlink()
