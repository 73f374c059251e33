"""Property tests: no input, however hostile, crashes the parser or the checker."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backbrain.check import check_vault
from backbrain.core.note import parse_note
from backbrain.core.vault import load_vault

MARKDOWN_BITS = st.sampled_from(
    [
        "---\n",
        "title: x\n",
        "type: pattern\n",
        "## Problem\n",
        "# H\n",
        "[[",
        "]]",
        "[[a|b]]",
        "![[x.png]]",
        "- [ ] step (5 min)\n",
        "```\n",
        "> [!warning] t\n",
        "&a [1]\n",
        "*a\n",
        "\x00",
        "\r\n",
        "#tag ",
        "<script>",
        "supersedes: [a]\n",
        "mitigated-by: x\n",
        ": : :\n",
        "- - -\n",
        "\ufeff",
        "[[../../etc/passwd]]",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_crash_the_parser(data):
    note = parse_note(Path("/v/01_patterns/x.md"), "01_patterns/x.md", data, "pattern")
    assert note.id


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(MARKDOWN_BITS, st.text(max_size=40)), max_size=40).map("".join))
def test_markdown_like_text_never_crashes_the_parser(text):
    note = parse_note(Path("/v/01_patterns/x.md"), "01_patterns/x.md", text.encode("utf-8", "surrogatepass"), "pattern")
    for link in note.links:
        assert link.line >= 1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.lists(st.one_of(MARKDOWN_BITS, st.text(max_size=20)), max_size=25).map("".join), min_size=1, max_size=4)
)
def test_checker_never_crashes_and_never_writes(tmp_path_factory, texts):
    root = tmp_path_factory.mktemp("fuzz")
    files = {}
    for index, text in enumerate(texts):
        path = root / ("01_patterns" if index % 2 else "03_decisions") / f"n{index}.md"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        files[path] = path.read_bytes()
    report = check_vault(load_vault(root), today=dt.date(2026, 11, 21))
    assert report.notes == len(texts)
    assert all(p.line >= 1 and p.path.endswith(".md") for p in report.problems)
    assert {p: p.read_bytes() for p in files} == files
