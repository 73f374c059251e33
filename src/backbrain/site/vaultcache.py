"""Re-reading a vault after a few files changed, without parsing the other thousands again.

`serve` keeps the parsed notes in memory; after an edit only the changed files are parsed, and a new
Vault is indexed from the kept notes plus the new ones. Parsing is the expensive part of loading
(about 3 s for 10,000 notes); indexing the graph is a tenth of that. The folder is re-scanned only
when a file appeared or disappeared, so ignore rules (.gitignore, dot folders) stay exactly those of
`load_vault`.

This uses two private helpers of backbrain.vault (`_parse_file`, `_index`) on purpose: they are the
one definition of how a file becomes a Note and how notes become a graph.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from backbrain.vault import NOTE_SUFFIXES, Vault, _index, _parse_file, scan_files


@dataclass
class Refreshed:
    vault: Vault
    changed_notes: set[str] = field(default_factory=set)  # note files (rel) parsed again, added or removed
    changed_files: set[str] = field(default_factory=set)  # other files: attachments, lab results
    changed_labs: set[str] = field(default_factory=set)  # lab names whose labs/NAME/ files changed


def refresh_vault(old: Vault, rels: set[str]) -> Refreshed:
    """A new Vault reflecting the files at these vault-relative paths; `old` is left untouched."""
    result = Refreshed(old)
    note_rels = {rel for rel in rels if posixpath.splitext(rel)[1].lower() in NOTE_SUFFIXES}
    result.changed_files = rels - note_rels
    lab_files = [rel.split("/") for rel in result.changed_files if rel.startswith("labs/")]
    result.changed_labs = {parts[1] for parts in lab_files if len(parts) >= 3}
    known = {note.rel: note for note in old.files}
    appeared_or_gone = any((rel in known) != (old.root / rel).is_file() for rel in rels)
    if not note_rels and not appeared_or_gone:
        return result
    if appeared_or_gone:
        note_files, attachments = scan_files(old.root)
        order = [rel for _, rel in note_files]
    else:
        attachments, order = None, [note.rel for note in old.files]
    vault = Vault(root=old.root, config=old.config, read_only=old.read_only)
    for rel in order:
        note = known.get(rel)
        if note is None or rel in note_rels:
            note = _parse_file(old.root / rel, rel, old.config)
        else:
            for link in note.links:  # _index sets targets but never clears one that stopped resolving
                link.target_id = None
        vault.files.append(note)
    if attachments is None:
        vault.attachments = dict(old.attachments)
    else:
        for rel in attachments:
            vault.attachments.setdefault(rel.lower(), rel)
            vault.attachments.setdefault(posixpath.basename(rel).lower(), rel)
    _index(vault)
    present = set(order)
    result.changed_notes = {rel for rel in note_rels if rel in present or rel in known}
    result.vault = vault
    return result
