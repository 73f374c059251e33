"""How a name written by a person finds a note: the one implementation of link and name resolution.

The vault, the search index, `show`, `related`, the site and the language server all ask this module,
so a name that finds a note in one place finds the same note everywhere. It never touches the file
system: a `[[../../etc/passwd]]` is only a string that names no note.

The rules follow Obsidian's, because that is how most people's links were written:
- a target is matched as an id, a vault path, a path relative to the linking note's folder, a file
  name (a folder note such as `folder/index.md` is named after its folder), an alias or a title, in
  that order, and then once more in slug form (`Cache Aside` finds `cache-aside`);
- a path that is not the whole vault path matches any note whose path ends with it (`[[b/x]]`
  finds `a/b/x.md`);
- when several notes share a name, the one nearest the linking note wins (the longest shared
  folder prefix, then the shortest path): `[[Formulas]]` from `en/Bases/Intro.md` means
  `en/Bases/Formulas.md`, not `ar/Bases/Formulas.md`. If the nearest is still a tie, the link is
  ambiguous: it resolves to the first candidate and check names every candidate and a path to write.

Ids are unique and stable: a note's id is its front matter `id:`, or its file name as a slug; when
two files without an `id:` share that slug, each takes the slug of its shortest unique path suffix
(`en/Bases/Formulas.md` -> `en-bases-formulas` beside `ar/Bases/Formulas.md` -> `ar-bases-formulas`).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from backbrain.core.text import slugify

NOTE_SUFFIXES = (".md", ".markdown")
FOLDER_NOTE_STEMS = ("index", "readme", "_index")

# Tiers, best first: an exact id beats a path, a path beats a file name, and so on.
ID, PATH, RELATIVE, NAME, SUFFIX, ALIAS, TITLE = range(7)


class Names(NamedTuple):
    """What resolution needs of a note, so the search index can resolve without loading the vault."""

    rel: str
    id: str
    title: str
    aliases: tuple[str, ...]


class Candidate(NamedTuple):
    tier: int
    rel: str
    id: str


@dataclass(frozen=True)
class Resolution:
    """Where a target led: the note id (None: nothing), and the other equally near candidates."""

    id: str | None
    rel: str | None = None
    ambiguous: tuple[str, ...] = ()  # the rels of every equally good candidate, when more than one
    contextual: bool = False  # the answer depended on the linking note's folder


NOTHING = Resolution(None)


def note_stem(rel: str) -> str:
    """A note's name: its file name without the suffix, or its folder's name for a folder note."""
    folder, _, name = rel.rpartition("/")
    stem = name.rsplit(".", 1)[0] if "." in name[1:] else name
    if stem.lower() in FOLDER_NOTE_STEMS and folder:
        return folder.rpartition("/")[2]
    return stem


def note_path_key(rel: str) -> str:
    """The vault path as a lookup key: lowercase, without the suffix; a folder note is its folder."""
    lowered = rel.lower()
    for suffix in NOTE_SUFFIXES:
        if lowered.endswith(suffix):
            lowered = lowered[: -len(suffix)]
            break
    folder, _, name = lowered.rpartition("/")
    return folder if name in FOLDER_NOTE_STEMS and folder else lowered


def normalize_target(target: str, keep_suffix: bool = False) -> str | None:
    """A link target as a lookup key; None when it cannot name anything inside the vault."""
    text = target.strip().replace("\\", "/")
    if not text:
        return None
    if not keep_suffix:
        lowered = text.lower()
        for suffix in NOTE_SUFFIXES:
            if lowered.endswith(suffix):
                text = text[: -len(suffix)]
                break
    if "/" in text:
        text = posixpath.normpath(text.lstrip("/"))
        if text.startswith("..") or text == ".":
            return None
    return text.lower()


def assign_ids(entries: Sequence[tuple[str, str | None]]) -> dict[str, str]:
    """rel -> id for (rel, declared id or None) pairs.

    A declared id is kept as written. A derived id is the file name's slug; when several files
    without an `id:` share that slug, each takes the slug of its shortest path suffix that no other
    of them shares. A derived id that equals a declared one is kept, and check reports the duplicate
    (the person who wrote `id:` chose a name that is taken).
    """
    by_slug: dict[str, list[str]] = {}
    for rel, note_id in entries:
        if not note_id:
            stem = note_stem(rel)
            by_slug.setdefault(slugify(stem) or stem, []).append(rel)
    derived: dict[str, str] = {}
    for slug, rels in by_slug.items():
        derived.update({rels[0]: slug} if len(rels) == 1 else _unique_suffixes(rels))
    return {rel: note_id or derived[rel] for rel, note_id in entries}


def _unique_suffixes(rels: list[str]) -> dict[str, str]:
    parts = {rel: note_path_key(rel).split("/") for rel in rels}
    result: dict[str, str] = {}
    for rel, segments in parts.items():
        for depth in range(2, len(segments) + 1):
            tail = segments[-depth:]
            if not any(o != rel and other[-depth:] == tail for o, other in parts.items()):
                break
        result[rel] = slugify("-".join(segments[-depth:])) if len(segments) > 1 else slugify(segments[-1])
    seen: dict[str, int] = {}
    for rel in rels:  # the same path slug twice ("a/b-c" and "a-b/c"): number the later ones
        slug = result[rel]
        seen[slug] = seen.get(slug, 0) + 1
        if seen[slug] > 1:
            result[rel] = f"{slug}-{seen[slug]}"
    return result


def name_keys(names: Names) -> Iterable[tuple[str, Candidate]]:
    """Every key under which a note can be found, with the tier it is found at."""
    rel, note_id = names.rel, names.id
    path = note_path_key(rel)
    yield note_id.lower(), Candidate(ID, rel, note_id)
    yield path, Candidate(PATH, rel, note_id)
    yield rel.lower(), Candidate(PATH, rel, note_id)
    bare = normalize_target(rel)  # a folder note linked by its file's path: `../use-x/index.md`
    if bare and bare != path:
        yield bare, Candidate(PATH, rel, note_id)
    stem = note_stem(rel).lower()
    yield stem, Candidate(NAME, rel, note_id)
    segments = path.split("/")
    for depth in range(2, len(segments)):
        yield "/".join(segments[-depth:]), Candidate(SUFFIX, rel, note_id)
    for alias in names.aliases:
        yield alias.strip().lower(), Candidate(ALIAS, rel, note_id)
    yield names.title.strip().lower(), Candidate(TITLE, rel, note_id)
    # Slug forms, asked only when the exact text missed (`Cache Aside` finds `cache-aside`).
    yield f"~{slugify(note_id)}", Candidate(ID, rel, note_id)
    yield f"~{slugify(stem)}", Candidate(NAME, rel, note_id)
    for alias in names.aliases:
        yield f"~{slugify(alias)}", Candidate(ALIAS, rel, note_id)
    yield f"~{slugify(names.title)}", Candidate(TITLE, rel, note_id)


def build_table(notes: Iterable[Names]) -> dict[str, list[Candidate]]:
    """key -> candidates (best tier first, then in vault order), the table `Resolver` reads."""
    table: dict[str, list[Candidate]] = {}
    for names in notes:
        for key, candidate in name_keys(names):
            if not key or key == "~":
                continue
            found = table.get(key)
            if found is None:
                table[key] = [candidate]
            elif candidate not in found:
                found.append(candidate)
    for found in table.values():
        if len(found) > 1:
            found.sort(key=lambda c: c.tier)  # stable: vault order within a tier
    return table


class Resolver:
    """Resolves targets against a candidate table (a dict in memory, or the search index's rows)."""

    def __init__(self, candidates: Callable[[str], Sequence[Candidate] | None]) -> None:
        self._candidates = candidates
        self._cache: dict[str, Resolution] = {}
        self._local: dict[tuple[str | None, str], Resolution] = {}

    @classmethod
    def of(cls, notes: Iterable[Names]) -> Resolver:
        return cls(build_table(notes).get)

    def resolve(self, target: str, source_rel: str | None = None) -> Resolution:
        """Where `target`, written in the note at `source_rel` (None: typed by a person), leads."""
        cached = self._cache.get(target)
        if cached is not None and not cached.contextual:
            return cached
        # An answer that depended on the linking note depends only on its folder: many notes in one
        # folder link to the same names, so those answers are remembered per folder.
        folder = posixpath.dirname(source_rel) if source_rel else None
        local = self._local.get((folder, target))
        if local is not None:
            return local
        result = self._resolve(target, source_rel)
        if not result.contextual:
            self._cache[target] = result
        else:
            self._local[(folder, target)] = result
        return result

    def find(self, target: str, source_rel: str | None = None) -> str | None:
        return self.resolve(target, source_rel).id

    def _resolve(self, target: str, source_rel: str | None) -> Resolution:
        text = target.strip().replace("\\", "/")
        if source_rel and "/" in text and not text.startswith("/"):
            folder = posixpath.dirname(source_rel)
            relative = normalize_target(posixpath.join(folder, text)) if folder else None
            if relative is not None:
                here = [c for c in self._candidates(relative) or () if c.tier == PATH]
                if here:
                    return Resolution(here[0].id, here[0].rel, contextual=relative != normalize_target(text))
        key = normalize_target(text)
        if key is None:
            return NOTHING
        found: Sequence[Candidate] = self._candidates(key) or self._candidates(f"~{slugify(key)}") or ()
        if not found:
            return NOTHING
        best = [c for c in found if c.tier == found[0].tier]
        if len({c.id for c in best}) == 1:
            return Resolution(best[0].id, best[0].rel)
        return _nearest(best, source_rel)


def _nearest(best: list[Candidate], source_rel: str | None) -> Resolution:
    """Among same-tier candidates, the one sharing the most folders with the linking note."""
    folder = posixpath.dirname(source_rel).split("/") if source_rel else []
    ranked = sorted((-_shared(folder, c.rel), c.rel.count("/"), len(c.rel), c.rel, c) for c in best)
    top = ranked[0]
    ties = tuple(r[3] for r in ranked if r[:2] == top[:2])
    return Resolution(top[4].id, top[4].rel, ties if len(ties) > 1 else (), contextual=True)


def _shared(folder: list[str], rel: str) -> int:
    shared = 0
    for mine, theirs in zip(folder, _folders(rel), strict=False):
        if mine != theirs:
            break
        shared += 1
    return shared


@lru_cache(maxsize=65536)
def _folders(rel: str) -> tuple[str, ...]:
    return tuple(rel.split("/")[:-1])


def path_to_write(rel: str) -> str:
    """How to write a link that only this note's own path matches: its vault path, without the suffix."""
    for suffix in NOTE_SUFFIXES:
        if rel.lower().endswith(suffix):
            return rel[: -len(suffix)]
    return rel
