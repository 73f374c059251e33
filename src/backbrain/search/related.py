"""More like this: the notes nearest one note, by its distinctive words and by its graph.

Text alone finds notes that talk alike; the graph knows what the author said is connected (a
failure mode and the patterns that mitigate it rarely share a vocabulary). So the score is the
normalized BM25 of an OR query over the note's most distinctive words (tf-idf, from the index's
own vocabulary) plus a bonus per kind of edge: typed relations first, `related`, then wikilinks.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from backbrain.errors import NotFoundError
from backbrain.search.query import STOP_WORDS, match_expression, stemmer, words_of
from backbrain.search.store import FTS_COLUMNS, SearchIndex

EDGE_WEIGHTS = {"link": 0.4, "related": 0.6}
TYPED_EDGE_WEIGHT = 0.8
EXTRA_EDGE_WEIGHT = 0.1
MLT_TERMS = 25
TEXT_COLUMNS = ("title", "aliases", "headings", "summary", "symptoms", "body")


@dataclass
class RelatedHit:
    id: str
    title: str
    type: str
    score: float
    reasons: list[str] = field(default_factory=list)  # e.g. ["mitigated-by", "similar text"]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "type": self.type, "score": self.score, "reasons": self.reasons}


def related(index: SearchIndex, note_ref: str, *, limit: int = 10) -> tuple[str, list[RelatedHit]]:
    """(the note's id, the notes most like it, best first). NotFoundError names close matches."""
    rowid, note_id = resolve_note(index, note_ref)
    scores: dict[str, float] = {}
    reasons: dict[str, list[str]] = {}
    strongest: dict[str, float] = {}
    for other, label, weight in _graph_neighbours(index, note_id):
        strongest[other] = max(strongest.get(other, 0.0), weight)
        reasons.setdefault(other, []).append(label)
    for other, weight in strongest.items():  # the strongest edge, plus a little for each other kind
        scores[other] = weight + EXTRA_EDGE_WEIGHT * (len(set(reasons[other])) - 1)
    for other, value in _similar_text(index, rowid, note_id).items():
        scores[other] = scores.get(other, 0.0) + value
        if value >= 0.2:
            reasons.setdefault(other, []).append("similar text")
    scores.pop(note_id, None)
    top = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[: max(1, limit)]
    info = _titles(index, [other for other, _ in top])
    hits = [
        RelatedHit(other, *info.get(other, (other, "?")), round(score, 4), list(dict.fromkeys(reasons.get(other, []))))
        for other, score in top
    ]
    return note_id, hits


def resolve_note(index: SearchIndex, ref: str) -> tuple[int, str]:
    """A note by any name core/resolver accepts (id, path, file name, alias, title), as `show` finds it."""
    from backbrain.search.store import stored_resolver

    note_id = stored_resolver(index.conn).find(ref)
    row = index.conn.execute("SELECT rowid, id FROM notes WHERE id = ? ORDER BY rel LIMIT 1", (note_id,)).fetchone()
    if note_id is None or row is None:
        raise NotFoundError(f"No note '{ref}' in {index.root}.", hint=_suggest(index, ref))
    return int(row[0]), str(row[1])


def _suggest(index: SearchIndex, ref: str) -> str:
    from rapidfuzz import process

    choices = {note_id: f"{note_id} {title}" for note_id, title in index.conn.execute("SELECT id, title FROM notes")}
    best = process.extract(ref, choices, limit=3, score_cutoff=50)
    if best:
        return "Did you mean: " + ", ".join(str(match[2]) for match in best) + "?"
    return "List the notes with `backbrain list`, or search with `backbrain search WORDS`."


def _graph_neighbours(index: SearchIndex, note_id: str) -> list[tuple[str, str, float]]:
    from backbrain.core.schema import RELATIONS

    found = []
    for source, kind, target in index.conn.execute(
        "SELECT DISTINCT source, kind, target FROM edges WHERE source = ? OR target = ?", (note_id, note_id)
    ):
        outgoing = source == note_id
        other = target if outgoing else source
        if kind == "link":
            label = "links to" if outgoing else "linked from"
        else:
            label = RELATIONS[kind].name if outgoing else RELATIONS[kind].inverse
        found.append((other, label, EDGE_WEIGHTS.get(kind, TYPED_EDGE_WEIGHT)))
    return found


def _similar_text(index: SearchIndex, rowid: int, note_id: str) -> dict[str, float]:
    """Normalized BM25 of the note's most distinctive words against every other note."""
    columns = ", ".join(TEXT_COLUMNS)
    row = index.conn.execute(f"SELECT {columns} FROM fts WHERE rowid = ?", (rowid,)).fetchone()
    if row is None:
        return {}
    words = [w for w in words_of(" ".join(t or "" for t in row)) if len(w) > 2 and w not in STOP_WORDS]
    terms = _distinctive(index, Counter(words))
    if not terms:
        return {}
    weights = ", ".join("2" if c in ("title", "aliases") else "1" for c in FTS_COLUMNS)
    sql = (
        f"SELECT n.id, bm25(fts, {weights}) AS s FROM fts JOIN notes n ON n.rowid = fts.rowid"
        " WHERE fts MATCH ? AND fts.rowid != ? ORDER BY s LIMIT 30"
    )
    rows = index.conn.execute(sql, (match_expression(terms, [], []), rowid)).fetchall()
    best = max((-score for _, score in rows), default=0.0) or 1.0
    scores: dict[str, float] = {}
    for other, score in rows:
        if other != note_id:
            scores[other] = max(scores.get(other, 0.0), -score / best)
    return scores


def _distinctive(index: SearchIndex, counts: Counter[str]) -> list[str]:
    """The words with the highest tf-idf, one surface form per stem."""
    surface = list(counts)
    stems = stemmer().stems(surface)
    by_stem: dict[str, tuple[int, str]] = {}
    for word, stem in zip(surface, stems, strict=True):
        if not stem:
            continue
        total, best = by_stem.get(stem, (0, word))
        best = word if counts[word] > counts.get(best, 0) else best
        by_stem[stem] = (total + counts[word], best)
    if not by_stem:
        return []
    marks = ",".join("?" * len(by_stem))
    df = dict(index.conn.execute(f"SELECT term, doc FROM vocab WHERE term IN ({marks})", list(by_stem)))
    n = max(index.count(), 1)
    ranked = sorted(
        by_stem.items(), key=lambda item: -(1 + math.log(item[1][0])) * math.log(1 + n / (df.get(item[0], 0) + 1))
    )
    return [word for _, (_, word) in ranked[:MLT_TERMS]]


def _titles(index: SearchIndex, ids: list[str]) -> dict[str, tuple[str, str]]:
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = index.conn.execute(f"SELECT id, title, type FROM notes WHERE id IN ({marks}) ORDER BY rel DESC", ids)
    return {note_id: (title, type_name) for note_id, title, type_name in rows}
