"""Decisions (ADRs, MADR style): new, accept, supersede, and a timeline with supersede chains.

Superseding changes two notes, and a half-done supersede (the new decision claims to replace the
old one while the old one still says accepted) is worse than none, so both texts are prepared and
validated first, under the vault's lock, and applied with an intent log (backbrain.vaultlock): the
plan is saved before the first file changes, and a run killed halfway is finished by the next one.
Edits change only the keys involved (status, supersedes, superseded-by), with the same in-place
front matter editor as `progress set`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backbrain.core.note import Note, slugify
from backbrain.core.schema import required_sections
from backbrain.core.vault import Vault, relation_values
from backbrain.errors import RefusedError, UsageError
from backbrain.learn.progress import FieldValue, read_note_text, set_front_matter_values
from backbrain.scaffold import create_note
from backbrain.vaultlock import Update, apply, vault_lock

DECISION = "decision"
# A numbered record's id: "adr-0007-...", "0007-..." (Nygard's adr-tools), "ADR-12-...".
_NUMBERED = re.compile(r"^(?P<prefix>[a-z]+-)?(?P<number>\d+)-")


def new_decision(vault: Vault, title: str, *, today: dt.date | None = None, note_id: str | None = None) -> Path:
    """A new MADR decision: status proposed, today's date, no deciders yet; numbered like the
    vault's other records when they are numbered (`adr-0011-use-kafka` after `adr-0010-...`)."""
    note_id = note_id or next_decision_id(vault, title)
    return create_note(vault, DECISION, title, note_id=note_id, today=today, extra={"deciders": []})


def next_decision_id(vault: Vault, title: str) -> str:
    """The title's slug, after the next record number when the vault's decisions are numbered: the
    most common prefix and the widest number seen, so "adr-0010" is followed by "adr-0011"."""
    slug = slugify(title)
    found = [m for note in vault.by_type(DECISION) if (m := _NUMBERED.match(note.path.stem.lower()))]
    if not found or not slug:
        return slug
    prefix = Counter(m["prefix"] or "" for m in found).most_common(1)[0][0]
    width = max(len(m["number"]) for m in found)
    number = max(int(m["number"]) for m in found) + 1
    return f"{prefix}{number:0{width}d}-{_NUMBERED.sub('', slug) or slug}"


def _decision(vault: Vault, decision_id: str) -> Note:
    note = vault.get(decision_id)
    if note.decode_error:  # read_note_text would refuse it too; say why before judging its content
        raise RefusedError(
            f"{note.path}: {note.decode_error}; not touching it.",
            hint="Convert the file to UTF-8 (e.g. `iconv -f latin1 -t utf-8`), then run the command again.",
        )
    if note.type != DECISION:
        raise UsageError(
            f"'{note.id}' is a {note.type}, not a decision.", hint="List them: backbrain list --type decision"
        )
    return note


def _status(note: Note) -> str:
    value = note.meta.get("status")
    return value if isinstance(value, str) else "proposed"


def accept_decision(vault: Vault, decision_id: str) -> tuple[Note, bool]:
    """Set status: accepted. Returns (note, changed); a superseded or rejected one is refused, and
    so is one whose required sections are still missing or empty (an accepted record is final)."""
    note = _decision(vault, decision_id)
    status = _status(note)
    if status == "accepted":
        return note, False
    _require_acceptable(vault, note, status)
    _write_all(vault, [(note.path, {"status": "accepted"})])
    return note, True


def unfinished_sections(vault: Vault, note: Note) -> list[str]:
    """The required sections of the note's type that are missing or empty, in the type's order."""
    spec = vault.config.types.get(note.type)
    required = required_sections(spec, note) if spec else []
    return [title for title, found in required if found is None or found.is_empty]


def _require_acceptable(vault: Vault, note: Note, status: str) -> None:
    if status in ("superseded", "rejected", "deprecated"):
        raise RefusedError(
            f"'{note.id}' is {status}; accepting it again would contradict its record.",
            hint="Write a new decision with `backbrain decision new` and let it supersede this one.",
        )
    unfinished = unfinished_sections(vault, note)
    if unfinished:
        names = ", ".join(f"'## {title}'" for title in unfinished)
        raise RefusedError(
            f"'{note.id}' cannot be accepted: {names} {'is' if len(unfinished) == 1 else 'are'} missing or empty "
            f"in {note.rel}.",
            hint="Write those sections, then accept it again.",
        )


@dataclass
class SupersedeResult:
    old: Note
    new: Note
    changed: list[Path] = field(default_factory=list)


def supersede_decision(vault: Vault, old_id: str, new_id: str, *, accept: bool = False) -> SupersedeResult:
    """NEW supersedes OLD: NEW gets `supersedes: [OLD]`, OLD gets status superseded and
    `superseded-by: [NEW]`. Both files change, or neither does.

    A successor that is still proposed is refused (the old record would point at a draft) unless
    `accept`, which accepts NEW in the same all-or-nothing write."""
    old, new = _decision(vault, old_id), _decision(vault, new_id)
    if old.id == new.id:
        raise UsageError("A decision cannot supersede itself.")
    if new.id in vault.supersessions.ancestors(old.id):
        raise RefusedError(
            f"'{old.id}' already supersedes '{new.id}' (directly or through others); this would make a cycle.",
            hint="Supersede the newest decision in the chain instead.",
        )
    new_status = _status(new)
    if new_status != "accepted":
        if not accept:
            raise RefusedError(
                f"'{new.id}' is {new_status}; only an accepted decision can supersede '{old.id}'.",
                hint=f"Accept it first (backbrain decision accept {new.id}), or pass --accept to do both at once.",
            )
        _require_acceptable(vault, new, new_status)
    new_updates: dict[str, FieldValue] = {"supersedes": _with(new.meta.get("supersedes"), old.id)}
    if accept and new_status != "accepted":
        new_updates["status"] = "accepted"
    old_updates: dict[str, FieldValue] = {
        "status": "superseded",
        "superseded-by": _with(old.meta.get("superseded-by"), new.id),
    }
    changed = _write_all(vault, [(new.path, new_updates), (old.path, old_updates)])
    return SupersedeResult(old, new, changed)


def _with(value: Any, item: str) -> list[str]:
    items = relation_values(value)
    return items if item in items else [*items, item]


def _write_all(vault: Vault, plan: list[tuple[Path, dict[str, FieldValue]]]) -> list[Path]:
    """Apply every (path, front matter updates) or none, under the vault's lock with an intent log
    (backbrain.vaultlock): a process killed halfway is rolled forward by the next command.
    The texts are read under the lock, so a concurrent edit is never overwritten. Files whose text
    would not change are left alone."""
    with vault_lock(vault.root):
        update = Update(vault.root)
        for path, updates in plan:
            text = read_note_text(path)
            update.rewrite(path, text.encode("utf-8"), set_front_matter_values(text, updates).encode("utf-8"))
        apply(update)
    return [path for path, _old, _new in update.files]


# -- timeline -----------------------------------------------------------------------------------
@dataclass
class TimelineEntry:
    id: str
    title: str
    date: str
    status: str
    supersedes: list[str]
    superseded_by: list[str]
    chain: list[str]  # oldest to newest through supersede relations, when there is one

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "date": self.date,
            "status": self.status,
            "supersedes": self.supersedes,
            "superseded_by": self.superseded_by,
            "chain": self.chain,
        }


def decision_timeline(vault: Vault) -> list[TimelineEntry]:
    """Every decision by date (then id), with its status and the chain it belongs to."""
    notes = vault.by_type(DECISION)
    walk = vault.supersessions
    entries = [
        TimelineEntry(
            note.id,
            note.title,
            str(note.meta.get("date") or ""),
            _status(note),
            walk.older.get(note.id, []),
            walk.newer.get(note.id, []),
            walk.line(note.id),
        )
        for note in notes
    ]
    return sorted(entries, key=lambda e: (e.date, e.id))
