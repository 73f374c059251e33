"""bench/build_floor.py is evidence in docs/benchmarks.md (issue 17): it must build what it claims,
bare pages with sanitized bodies for every note, so that its timing is the floor of a real build."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "build_floor.py"


def load_floor():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("build_floor", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_floor"] = module  # its workers are forked and find their function by name
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("extra", [[], ["--search"]])
def test_the_floor_writes_a_sanitized_bare_page_per_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str]
) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "a").mkdir(parents=True)
    (corpus / "a" / "one.md").write_text("---\ntitle: One\n---\n# Hello\n\n<script>alert(1)</script>text\n")
    (corpus / "two.md").write_text("No front matter, *emphasis*.\n")
    load_floor().main([str(corpus), str(tmp_path / "out"), *extra])
    assert json.loads(capsys.readouterr().out)["pages"] == 2
    one = (tmp_path / "out" / "one" / "index.html").read_text()
    assert "<title>One</title>" in one and "<h1>Hello</h1>" in one and "alert" not in one
    assert "<em>emphasis</em>" in (tmp_path / "out" / "two" / "index.html").read_text()
