"""The saved build state (state.py) gives back a vault equal to one loaded from disk."""

from __future__ import annotations

from pathlib import Path

from sitehelpers import make_site_vault

from backbrain.core.vault import load_vault
from backbrain.site.build.state import BuildState
from backbrain.site.graph import GraphCache


def _shape(vault: object) -> dict[str, object]:
    from backbrain.core.vault import Vault

    assert isinstance(vault, Vault)
    notes = []
    for note in vault.files:
        notes.append((
            note.path, note.rel, note.id, note.type, note.meta, note.body, note.body_line, note.h1, note.links,
            note.tasks, note.code_blocks, note.inline_tags, note.decode_error, note.size, note.front.raw,
            note.front.present, note.front.error, note.front.data is note.meta, note.front.body == note.body,
            [(h.title, h.level, h.line, h.text) for h in note.headings], [s.title for s in note.sections],
        ))  # fmt: skip
    return {
        "notes": notes,
        "by_id": {k: v.rel for k, v in vault.notes.items()},
        "edges": vault.edges,
        "stamps": vault.stamps,
        "attachments": vault.attachments,
        "backlinks": {i: vault.backlinks(i) for i in vault.notes},
        "relations": {i: vault.relations(i) for i in vault.notes},
        "targets": {note.rel: vault.link_targets(note) for note in vault.files},
        "ambiguous": [(a.note.rel, a.target, a.line, a.candidates) for a in vault.ambiguous],
        "unresolved": [(u.note.rel, u.key, u.value, u.line) for u in vault.unresolved_relations],
        "resolve": {i: getattr(vault.resolve(i), "rel", None) for i in ["caching", "Cache stampede", "dogpile effect"]},
    }


def test_restored_vault_equals_a_fresh_load(tmp_path: Path) -> None:
    root = make_site_vault(tmp_path / "vault")
    (root / "dated.md").write_text(
        "---\ntitle: Dated\ncreated: 2026-01-02\nwhen: 2026-01-02T03:04:05\nkinds: !!set {a: null, b: null}\n"
        "pairs: !!omap [{x: 1}, {y: 2}]\nmitigates: [nothing-here]\n---\n# Dated\n\n## One\n\ntext [[caching]]\n\n"
        "### Deeper\n\n- [ ] a task (5 min)\n\n```python\nx = 1\n```\n"
    )
    (root / "other").mkdir()
    (root / "other" / "caching.md").write_text("# Another caching\n\n[[caching]] and [[Dated]]\n")  # same file name
    vault = load_vault(root)
    assert vault.ambiguous or len({n.id for n in vault.files}) == len(vault.files)
    state = BuildState(tmp_path / "cache" / "x.json", "code")
    state.save_base(vault.root, False, vault, [("Patterns", "patterns/")], {}, {}, GraphCache())
    restored = state.load(vault.root, False)
    assert restored is not None
    assert _shape(restored.vault) == _shape(vault)
    assert restored.nav == [("Patterns", "patterns/")]
    assert state.load(vault.root, True) is None  # saved for `build`, not for `serve`
    assert state.load(tmp_path / "elsewhere", False) is None
