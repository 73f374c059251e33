"""Renaming or moving a note and every link to it, as one atomic change (`backbrain mv`, the LSP's rename).

`plan_move` computes the whole change as plain file edits without touching the disk: every link in the
vault (wikilinks with or without a label or heading, embeds, Markdown links, relation fields) is
resolved as it is now and as it would be after the move, with the one resolver (core/resolver.py);
a link whose note would change is rewritten to the shortest text that still finds it. So a link by
alias, by a declared id or by a name the move does not affect is left exactly as written, and the
moved note's own relative links are re-pointed from its new folder.

`apply_edits` writes the plan all or nothing across files, as one `backbrain.vaultlock.Update`: its
intent log is made durable first, then each file is replaced atomically, then the intent is deleted.
A process killed in between leaves the intent behind, and the next command finishes the change.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote, unquote

from backbrain.core.location import NOTE_SUFFIXES
from backbrain.core.note import Note, is_note_path
from backbrain.core.resolver import (
    NAME,
    PATH,
    RELATIVE,
    SUFFIX,
    Candidate,
    Names,
    Resolver,
    assign_ids,
    build_table,
    name_keys,
    normalize_target,
    note_stem,
    path_to_write,
)
from backbrain.core.schema import RELATION_KEYS
from backbrain.core.text import slugify
from backbrain.core.vault import Vault, declared_id, relation_values
from backbrain.errors import RefusedError, UsageError
from backbrain.vaultlock import Update, apply, vault_lock

_WIKILINK = re.compile(r"(!?\[\[)([^\]|#\n]*)((?:#[^\]|\n]*)?)((?:\\?\|[^\]\n]*)?)(\]\])")
_MD_DEST = re.compile(r"(\]\(\s*)(<[^>\n]+>|[^)\s]+)")
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).*?(?<!`)\1(?!`)")
_KEY_LINE = re.compile(r"^([A-Za-z0-9_-]+)\s*:")
_Fixer = Callable[[str, bool], "str | None"]  # (link target, is a Markdown link) -> new target or None


class FileEdit(NamedTuple):
    """One file's change, (path, old_text, new_text): old_text None creates the file, new_text None removes
    it; paths are vault-relative. A tuple, so the language server can unpack it as it is."""

    path: str
    old_text: str | None
    new_text: str | None


# -- planning ---------------------------------------------------------------------------------------
def plan_move(vault: Vault, old: str, new: str) -> list[FileEdit]:
    """The edits that move the note OLD (a name, id or path) to NEW (a vault path; a folder keeps the
    file name) and keep every link pointing where it pointed. Refuses targets outside the vault,
    existing files and non-notes; never touches the disk."""
    note = vault.resolve(old)
    if note is None:
        note = next((n for n in vault.files if n.rel == old.strip().lstrip("/")), None)
    if note is None:
        raise UsageError(f"No note '{old}' in {vault.root}.", hint="Give its name, id or path (see `backbrain list`).")
    new_rel = _destination(vault, note, new)
    if new_rel == note.rel:
        return []
    moved = {note.rel: new_rel}
    suspects = _Suspects.of(vault, note, new_rel)
    resolvers = _resolvers(vault, note, new_rel, suspects)
    edits: list[FileEdit] = []
    for source in vault.files:
        lines = suspects.lines(vault, source, everything=source.rel == note.rel)
        if lines is None:
            continue  # no link or relation there can be affected: the file is not even read
        text = _read(vault.root / source.rel)
        new_text = _rewrite(source, text, moved, resolvers, lines)
        if source.rel == note.rel:
            edits.append(FileEdit(new_rel, None, new_text))
            edits.append(FileEdit(note.rel, text, None))
        elif new_text != text:
            edits.append(FileEdit(source.rel, text, new_text))
    return edits


def _destination(vault: Vault, note: Note, new: str) -> str:
    text = new.strip().replace("\\", "/")
    if not text or text.startswith("/") or ".." in text.split("/"):
        raise UsageError(f"'{new}' is not a path inside the vault.", hint="Give a path relative to the vault root.")
    rel = posixpath.normpath(text)
    if text.endswith("/") or (vault.root / rel).is_dir():
        rel = posixpath.join(rel, posixpath.basename(note.rel))
    elif not rel.lower().endswith(tuple(NOTE_SUFFIXES)):
        rel += posixpath.splitext(note.rel)[1] or ".md"
    if rel != note.rel and (vault.root / rel).exists():
        raise RefusedError(f"{rel} already exists; nothing was moved.", hint="Choose another name, or move that first.")
    return rel


@dataclass(frozen=True)
class _Resolvers:
    """The vault's names before and after the move, in full and by file only (path and file name, the
    names Obsidian resolves: a link written that way must keep working there too)."""

    before: Resolver
    after: Resolver
    files_before: Resolver
    files_after: Resolver


FILE_TIERS = frozenset({PATH, RELATIVE, NAME, SUFFIX})


def _resolvers(vault: Vault, note: Note, new_rel: str, suspects: _Suspects) -> _Resolvers:
    """The vault's own name table before; after, the same table with only the moved note's names changed
    (a 6,000-note table is not built again), unless the move changes other notes' derived ids."""
    before = vault._table  # the table vault.resolver reads (core/vault)
    if suspects.affected != {note.id}:
        after = build_table(_names(vault.notes.values(), {note.rel: new_rel}))
    else:
        after = dict(before)
        for key, candidate in name_keys(Names(note.rel, note.id, note.title, tuple(note.aliases))):
            after[key] = [c for c in after.get(key, ()) if c.rel != candidate.rel]
        for key, candidate in name_keys(suspects.names_after):
            if key and key != "~" and candidate not in after.get(key, ()):
                after[key] = sorted([*after.get(key, ()), candidate], key=lambda c: c.tier)

    def files_only(table: dict[str, list[Candidate]]) -> Resolver:
        return Resolver(lambda key: [c for c in table.get(key, ()) if c.tier in FILE_TIERS] or None)

    return _Resolvers(Resolver(before.get), Resolver(after.get), files_only(before), files_only(after))


def _names(files: Iterable[Note], moved: dict[str, str]) -> list[Names]:
    notes = list(files)
    rels = [moved.get(n.rel, n.rel) for n in notes]
    ids = assign_ids([(rel, declared_id(n)) for rel, n in zip(rels, notes, strict=True)])
    names = []
    for rel, note in zip(rels, notes, strict=True):
        title = note.title if (note.meta.get("title") or note.h1) else note_stem(rel)
        names.append(Names(rel, ids[rel], title, tuple(note.aliases)))
    return names


@dataclass(frozen=True)
class _Suspects:
    """Which links a move can affect, so a big vault is not resolved twice over: links that found the
    moved note (or a note whose derived id the move changes), and links whose text the moved note will
    answer to after the move (a name it takes over)."""

    affected: frozenset[str]  # note ids
    captured: frozenset[str]  # lookup keys the moved note has after the move
    names_after: Names  # the moved note's names at its new path

    @classmethod
    def of(cls, vault: Vault, note: Note, new_rel: str) -> _Suspects:
        before = assign_ids([(n.rel, declared_id(n)) for n in vault.files])
        after = assign_ids([(new_rel if n.rel == note.rel else n.rel, declared_id(n)) for n in vault.files])
        changed = {n.id for n in vault.files if n.rel != note.rel and before[n.rel] != after[n.rel]}
        title = note.title if (note.meta.get("title") or note.h1) else note_stem(new_rel)
        names = Names(new_rel, after[new_rel], title, tuple(note.aliases))
        keys = {key for key, _ in name_keys(names)}
        return cls(frozenset({note.id, *changed}), frozenset(keys), names)

    def hit(self, target: str, found: str | None) -> bool:
        if found in self.affected:
            return True
        key = normalize_target(target)
        return key is not None and (key in self.captured or f"~{slugify(key)}" in self.captured)

    def lines(self, vault: Vault, source: Note, everything: bool) -> set[int] | None:
        """The line numbers to look at in `source` (0 for its front matter), or None for none."""
        if everything:
            return {link.line for link in source.links} | {0}
        found = {
            link.line
            for link, target in zip(source.links, vault.link_targets(source), strict=True)
            if self.hit(link.target, target)
        }
        values = [v for key in RELATION_KEYS if key in source.meta for v in relation_values(source.meta[key])]
        if any(self.hit(v, getattr(vault.resolve(v, source), "id", None)) for v in values):
            found.add(0)
        return found or None


def _rewrite(note: Note, text: str, moved: dict[str, str], resolvers: _Resolvers, wanted_lines: set[int]) -> str:
    """The note's text with every link (and relation value) whose target the move would change fixed."""
    old_rel, new_rel = note.rel, moved.get(note.rel, note.rel)
    lines = text.splitlines(keepends=True)

    def fixed(target: str, markdown: bool) -> str | None:
        """The new text for a target, or None when it still finds the same note."""
        was = resolvers.before.resolve(target, old_rel)
        if was.rel is None:
            return None
        expected = moved.get(was.rel, was.rel)
        if markdown:  # a relative path (what GitHub reads) must stay one
            by_path = _joined(old_rel, target) == was.rel
            still = resolvers.after.resolve(target, new_rel).rel == expected
            return (
                None
                if still and (not by_path or _joined(new_rel, target) == expected)
                else _relative(new_rel, expected)
            )
        by_file = resolvers.files_before.resolve(target, old_rel).rel == was.rel
        still = resolvers.after.resolve(target, new_rel).rel == expected
        if still and (not by_file or resolvers.files_after.resolve(target, new_rel).rel == expected):
            return None  # e.g. a link by alias, title or declared id: left as written
        keep_suffix = target.lower().endswith(tuple(NOTE_SUFFIXES))
        return _shortest(expected, new_rel, resolvers.files_after, keep_suffix=keep_suffix)

    for number in sorted(wanted_lines - {0}):
        index = number - 1
        if 0 <= index < len(lines):
            lines[index] = _fix_line(lines[index], fixed)
    result = "".join(lines)
    if note.front.present and 0 in wanted_lines:
        result = _fix_relations(result, note, fixed)
    return result


def _fix_line(line: str, fixed: _Fixer) -> str:
    def wiki(match: re.Match[str]) -> str:
        raw = match.group(2)
        target = raw.rstrip("\\").strip()
        new = fixed(target, False) if target else None
        if new is None:
            return match.group(0)
        return match.group(1) + new + raw[len(raw.rstrip("\\")) :] + match.group(3) + match.group(4) + match.group(5)

    def markdown(match: re.Match[str]) -> str:
        dest = match.group(2)
        bare = dest[1:-1] if dest.startswith("<") else dest
        if not is_note_path(bare):
            return match.group(0)
        path, hash_, fragment = bare.partition("#")
        new = fixed(unquote(path).strip(), True)
        if new is None:
            return match.group(0)
        written = quote(new, safe="/") + hash_ + fragment
        return match.group(1) + (f"<{new}{hash_}{fragment}>" if dest.startswith("<") else written)

    def text(piece: str) -> str:
        piece = _WIKILINK.sub(wiki, piece) if "[[" in piece else piece
        return _MD_DEST.sub(markdown, piece) if "](" in piece else piece

    pieces, done = [], 0
    for span in _CODE_SPAN.finditer(line):  # a `[[link]]` in a code span is not a link
        pieces += [text(line[done : span.start()]), span.group(0)]
        done = span.end()
    return "".join([*pieces, text(line[done:])])


def _fix_relations(text: str, note: Note, fixed: _Fixer) -> str:
    """Relation values in front matter (`supersedes: [old-name]`), rewritten in place, nothing else touched."""
    values = {v for key in RELATION_KEYS if key in note.meta for v in relation_values(note.meta[key])}
    changes = {v: new for v in values if (new := fixed(v, False)) is not None}
    if not changes:
        return text
    lines = text.splitlines(keepends=True)
    key = None
    for index, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            break
        found = _KEY_LINE.match(line)
        if found:
            key = found.group(1)
        if key in RELATION_KEYS:
            for old, new in changes.items():
                lines[index] = re.sub(rf"(?<![\w/.-]){re.escape(old)}(?![\w/.-])", new, lines[index])
    return "".join(lines)


def _shortest(rel: str, source_rel: str, resolver: Resolver, keep_suffix: bool) -> str:
    """The shortest link text that finds `rel` from `source_rel`: its name, then longer path suffixes."""
    parts = path_to_write(rel).split("/")
    candidates = [note_stem(rel)] + ["/".join(parts[-depth:]) for depth in range(2, len(parts) + 1)]
    for text in candidates:
        if resolver.resolve(text, source_rel).rel == rel and not resolver.resolve(text, source_rel).ambiguous:
            return text + (posixpath.splitext(rel)[1] if keep_suffix and "/" in text else "")
    return path_to_write(rel)


def _joined(source_rel: str, target: str) -> str:
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_rel), target))


def _relative(source_rel: str, target_rel: str) -> str:
    return posixpath.relpath(target_rel, posixpath.dirname(source_rel) or ".")


def _read(path: Path) -> str:
    with open(path, encoding="utf-8", newline="") as handle:  # CRLF stays CRLF
        return handle.read()


# -- applying -----------------------------------------------------------------------------------------
def apply_edits(root: Path, edits: Iterable[FileEdit]) -> None:
    """Apply every edit or, if interrupted, leave the intent the next command finishes (never half a move).

    One `vaultlock.Update`: each file is checked against its old text first, so an edit made after
    planning is not lost (the whole change is refused instead)."""
    root = Path(root)
    update = Update(root)
    for edit in edits:
        path = root / edit.path
        if edit.old_text is None and edit.new_text is not None:
            update.create(path, edit.new_text.encode("utf-8"))
        elif edit.new_text is None and edit.old_text is not None:
            update.remove(path, edit.old_text.encode("utf-8"))
        elif edit.old_text is not None and edit.new_text is not None:
            update.rewrite(path, edit.old_text.encode("utf-8"), edit.new_text.encode("utf-8"))
    with vault_lock(root):  # one writer at a time; finishes an interrupted change first
        apply(update)


def unified_diff(edits: Iterable[FileEdit]) -> str:
    """The plan as a unified diff (`mv --dry-run`): a move is a removal and a creation."""
    import difflib

    chunks = []
    for edit in edits:
        old = (edit.old_text or "").splitlines(keepends=True)
        new = (edit.new_text or "").splitlines(keepends=True)
        before = f"a/{edit.path}" if edit.old_text is not None else "/dev/null"
        after = f"b/{edit.path}" if edit.new_text is not None else "/dev/null"
        chunks.append("".join(difflib.unified_diff(old, new, before, after)))
    return "".join(chunks)
