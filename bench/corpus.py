"""The generated corpora every benchmark measures on: ../shared/bench/gen_corpus.py's notes, made once
per size and kept under bench/.corpora/ (a `.done` marker means the generator finished)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
GEN = HERE.parent.parent / "shared" / "bench" / "gen_corpus.py"
CORPORA = HERE / ".corpora"


def corpus(n: int) -> Path:
    out = CORPORA / f"c{n}"
    if not (out / ".done").exists():
        shutil.rmtree(out, ignore_errors=True)
        subprocess.run([sys.executable, str(GEN), str(out), str(n)], check=True)
        (out / ".done").write_text("ok")
    return out
