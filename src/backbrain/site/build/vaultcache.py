"""Re-reading a vault after a few files changed, without parsing the other thousands again.

`serve` keeps the parsed notes in memory; after an edit `Vault.reindex` parses only the changed
files and re-indexes the graph (only the edited notes' links when nothing else can resolve
differently). This module adds what the site needs on top: which changed files were notes, which
were attachments, and which lab results changed.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from backbrain.core.vault import NOTE_SUFFIXES, Vault


@dataclass
class Refreshed:
    vault: Vault
    changed_notes: set[str] = field(default_factory=set)  # note files (rel) parsed again, added or removed
    changed_files: set[str] = field(default_factory=set)  # other files: attachments, lab results
    changed_labs: set[str] = field(default_factory=set)  # lab names whose labs/NAME/ files changed


def refresh_vault(old: Vault, rels: set[str]) -> Refreshed:
    """A new Vault reflecting the files at these vault-relative paths (`old` stays usable)."""
    result = Refreshed(old)
    note_rels = {rel for rel in rels if posixpath.splitext(rel)[1].lower() in NOTE_SUFFIXES}
    result.changed_files = rels - note_rels
    lab_files = [rel.split("/") for rel in result.changed_files if rel.startswith("labs/")]
    result.changed_labs = {parts[1] for parts in lab_files if len(parts) >= 3}
    if not rels:
        return result
    result.vault = old.reindex(rels)
    known = {note.rel for note in old.files}
    present = {note.rel for note in result.vault.files}
    result.changed_notes = {rel for rel in note_rels if rel in present or rel in known}
    return result
