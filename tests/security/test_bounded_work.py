"""Work stays proportional to the input: a 20 MB note of 20,000 sections with non-ASCII text is
indexed for search in seconds (each section's end used to be found by searching, and its character
offset by decoding, everything before it: hours at this size), and 100,000 links on one line build."""

from __future__ import annotations

import time
from pathlib import Path

from hostile import assert_no_traceback, base_vault, cli

PARAGRAPH = "Le cache évite la requête: retry, queue, shard, index. " * 18
HEAD = "---\ntitle: Big\ntype: pattern\n---\n\n# Big\n\n## Problem\n\n"


def test_a_20_mb_note_of_many_sections_is_indexed_in_linear_time(tmp_path: Path):
    body = "\n\n".join(f"## Section {i}\n\n{PARAGRAPH}" for i in range(20_000))
    vault = base_vault(tmp_path / "v", {"01_patterns/big.md": HEAD + body + "\n"})
    assert (vault / "01_patterns/big.md").stat().st_size > 20_000_000
    began = time.monotonic()
    result = cli("search", "évite", "--vault", str(vault), home=tmp_path, timeout=120)
    assert_no_traceback(result)
    assert result.returncode == 0 and "(big)" in result.stdout
    assert time.monotonic() - began < 60  # about 5 s here; the quadratic code did not finish in 60


def test_100000_links_on_one_line_build_in_linear_time(tmp_path: Path):
    body = " ".join(f"[[n{i}]]" for i in range(100_000))
    vault = base_vault(tmp_path / "v", {"01_patterns/big.md": HEAD + body + "\n"})
    began = time.monotonic()
    result = cli("build", "--vault", str(vault), home=tmp_path, timeout=120)
    assert_no_traceback(result)
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - began < 60  # about 10 s here
