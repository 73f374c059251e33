"""In-place front matter edits change only the intended keys: every other byte stays as it was."""

from __future__ import annotations

import json

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backbrain.core.frontmatter import parse_front_matter
from backbrain.errors import RefusedError
from backbrain.learn.progress import FrontMatterEditError, set_front_matter_values

COMMENTED = """\
---
# the note's own comment
title: "Caching"   # quoted, with a comment
tags: [a, "b c"]   # flow style
progress: not-started  # keep this comment
phase: study
---

# Caching

progress: this line is in the body and must not change
"""


def test_changes_only_the_value_and_keeps_comments_and_quoting():
    result = set_front_matter_values(COMMENTED, {"progress": "in-progress", "phase": "build"})
    assert result == COMMENTED.replace("progress: not-started  #", "progress: in-progress  #").replace(
        "phase: study", "phase: build"
    )


def test_crlf_endings_survive_and_inserted_keys_use_them():
    text = "---\r\ntitle: A\r\nprogress: 'not-started'\r\n---\r\nbody\r\n"
    result = set_front_matter_values(text, {"progress": "completed", "phase": "audit"})
    assert result == "---\r\ntitle: A\r\nprogress: 'completed'\r\nphase: audit\r\n---\r\nbody\r\n"


def test_double_quoted_value_stays_double_quoted():
    text = '---\ntitle: A\nprogress: "in-progress"\n---\n'
    assert set_front_matter_values(text, {"progress": "completed"}) == '---\ntitle: A\nprogress: "completed"\n---\n'


def test_absent_key_is_inserted_before_the_closing_delimiter():
    text = "---\ntitle: A\nsummary: |\n  two\n  lines\n---\nbody\n"
    result = set_front_matter_values(text, {"progress": "completed"})
    assert result == "---\ntitle: A\nsummary: |\n  two\n  lines\nprogress: completed\n---\nbody\n"


def test_anchors_and_aliases_elsewhere_are_kept():
    text = "---\nbase: &who {name: ann}\nowner: *who\ntitle: &t A\nprogress: &p not-started\n---\n"
    result = set_front_matter_values(text, {"progress": "completed"})
    assert result == text.replace("&p not-started", "&p completed")


def test_an_anchor_used_elsewhere_is_refused_rather_than_changing_another_key():
    text = "---\ntitle: A\nprogress: &p in-progress\nstatus_copy: *p\n---\n"
    with pytest.raises(FrontMatterEditError, match="status_copy"):
        set_front_matter_values(text, {"progress": "completed"})


def test_multiline_and_block_values_are_replaced_whole():
    text = "---\ntitle: A\nprogress:\n  in-progress\n\nphase: >\n  study\nz: 1\n---\n"
    result = set_front_matter_values(text, {"progress": "completed", "phase": "build"})
    assert result == "---\ntitle: A\nprogress: completed\n\nphase: build\nz: 1\n---\n"


def test_duplicate_keys_change_the_one_yaml_uses():
    text = "---\nprogress: completed\ntitle: A\nprogress: not-started\n---\n"
    result = set_front_matter_values(text, {"progress": "in-progress"})
    assert result == "---\nprogress: completed\ntitle: A\nprogress: in-progress\n---\n"


def test_lists_are_written_in_flow_style_replacing_a_block_list():
    text = "---\ntitle: A\nsupersedes:\n- old-one\n# trailing comment\nz: 1\n---\n"
    result = set_front_matter_values(text, {"supersedes": ["old-one", "older"]})
    assert result == "---\ntitle: A\nsupersedes: [old-one, older]\n# trailing comment\nz: 1\n---\n"


def test_bom_and_missing_front_matter():
    assert set_front_matter_values("\ufeff---\nprogress: a\n---\n", {"progress": "completed"}) == (
        "\ufeff---\nprogress: completed\n---\n"
    )
    assert set_front_matter_values("# Plain\n", {"progress": "completed"}) == "---\nprogress: completed\n---\n# Plain\n"


@pytest.mark.parametrize(
    "text",
    [
        "---\ntitle: [unclosed\n---\n",  # invalid YAML
        "---\ntitle: A\n",  # not closed
        "---\n- a list\n---\n",  # not a mapping
    ],
)
def test_invalid_front_matter_is_refused(text: str):
    with pytest.raises(RefusedError):
        set_front_matter_values(text, {"progress": "completed"})


def test_flow_style_front_matter_is_refused_not_rewritten():
    with pytest.raises(FrontMatterEditError):
        set_front_matter_values("---\n{title: A, progress: not-started}\n---\n", {"progress": "completed"})


keys = st.from_regex(r"[a-z][a-z_]{0,8}", fullmatch=True).filter(lambda k: k not in ("progress", "phase"))
scalars = st.one_of(
    st.integers(-5, 5),
    st.booleans(),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc", "Zl", "Zp"]), max_size=12),
    st.lists(st.text("abc xyz", max_size=4), max_size=3),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(keys, scalars, max_size=6),
    st.sampled_from(["not-started", "in-progress", "completed"]),
    st.booleans(),
    st.booleans(),
)
def test_any_front_matter_gets_exactly_the_new_value(meta, status, flow, crlf):
    if flow:  # values in JSON (YAML flow) style, one key a line
        front = "".join(f"{key}: {json.dumps(value, ensure_ascii=False)}\n" for key, value in meta.items())
    else:
        front = yaml.safe_dump(meta, default_flow_style=False, allow_unicode=True, sort_keys=False) if meta else ""
    text = "---\n" + front + "---\nbody\n"
    if crlf:
        text = text.replace("\n", "\r\n")
    if parse_front_matter(text).error:
        return
    result = set_front_matter_values(text, {"progress": status})
    after = parse_front_matter(result)
    assert after.data == {**parse_front_matter(text).data, "progress": status}
    assert after.body == parse_front_matter(text).body
    assert result.count("\r\n") == text.count("\r\n") + (1 if crlf else 0)
