"""write_lab_outputs: atomic, reproducible files, and a graceful fallback without matplotlib."""

from __future__ import annotations

import json
import sys

import pytest

from backbrain.labs import run_lab, write_lab_outputs
from backbrain.labs.outputs import PLOTS_MISSING, render_svg

QUICK = {"duration_s": "20"}


def test_writes_json_and_svg_under_labs_name(tmp_path):
    result = run_lab("rate-limiters", QUICK)
    paths = write_lab_outputs(result, tmp_path)
    folder = tmp_path / "labs" / "rate-limiters"
    assert paths == [folder / "result.json", folder / "plot.svg"]
    assert json.loads((folder / "result.json").read_text()) == result.to_dict()
    svg = (folder / "plot.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "<dc:date>" not in svg
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temp files left
    assert getattr(paths, "notice", None) is None


def test_reruns_with_the_same_seed_give_identical_files(tmp_path):
    first = write_lab_outputs(run_lab("circuit-breaker", QUICK, seed=3), tmp_path / "a")
    second = write_lab_outputs(run_lab("circuit-breaker", QUICK, seed=3), tmp_path / "b")
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes()


def test_without_matplotlib_only_json_is_written_and_a_stale_plot_removed(tmp_path, monkeypatch):
    result = run_lab("rate-limiters", QUICK)
    write_lab_outputs(result, tmp_path)
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` raise ImportError
    assert render_svg(result) is None
    paths = write_lab_outputs(result, tmp_path)
    folder = tmp_path / "labs" / "rate-limiters"
    assert paths == [folder / "result.json"]
    assert getattr(paths, "notice", None) == PLOTS_MISSING and "backbrain[plots]" in PLOTS_MISSING
    assert not (folder / "plot.svg").exists()


@pytest.mark.parametrize("name", ["queueing", "consistent-hashing"])
def test_every_plot_kind_renders(name):
    small = {"queueing": {"customers": "2000"}, "consistent-hashing": {"keys": "1000"}}[name]
    svg = render_svg(run_lab(name, small))
    assert svg is not None and b"</svg>" in svg
