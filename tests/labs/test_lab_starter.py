"""The starter ships each lab's default result, so the served knowledge base shows the plots."""

from __future__ import annotations

import json

from backbrain.core.vault import load_vault, starter_root
from backbrain.labs import list_labs


def test_every_lab_field_names_a_lab_and_every_lab_has_a_note():
    names = {info.name for info in list_labs()}
    vault = load_vault(starter_root())
    named = {note.meta["lab"] for note in vault.notes.values() if "lab" in note.meta}
    assert named <= names
    assert names <= named


def test_starter_results_are_the_current_default_runs(default_run):
    for info in list_labs():
        folder = starter_root() / "labs" / info.name
        shipped = json.loads((folder / "result.json").read_text(encoding="utf-8"))
        assert shipped == json.loads(json.dumps(default_run(info.name).to_dict())), info.name
        assert (folder / "plot.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")
