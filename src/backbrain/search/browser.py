"""The browser's search index: the CLI's own index terms, names and ranking knobs, as JSON.

The static site ranks in the browser (site/static/search.js) with the same algorithm as
backbrain.search.engine: BM25 with FTS5's formula over the same eight weighted fields, the same
stop words, Porter stems, common-word scoring, typo fixes, name bonuses and type prior. Everything
that decides a ranking is computed here, by the code `backbrain search` uses, and emitted as data:

- each note's fields come from documents.doc_from_note and store.fts_values (the exact text the
  SQLite index holds, symptom sections and relation partners' names included), counted per field
  into the terms FTS5 stores (`Tokens` reproduces the unicode61 tokenizer and asks SQLite's own
  Porter stemmer for each distinct word, so the counts equal the index's: tests compare them);
- each note's names and name terms come from documents.name_rows, as the index stores them;
- the ranking knobs (field weights, type prior, bonuses, stop words, light verbs) come from
  RankConfig, query.STOP_WORDS and query.LIGHT_WORDS.

The JavaScript only re-implements the arithmetic and the query parser, and stems query words with
a port of SQLite's Porter stemmer; tests/site/test_search_parity.py runs the whole evaluation set in
Chromium and requires the browser's top 3 to equal the CLI's for every query.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from backbrain.search.documents import RELATION_TEXT_KINDS, doc_from_note, name_rows, relation_text
from backbrain.search.query import LIGHT_WORDS, MAX_GRAM, MAX_QUERY_CHARS, MAX_TERMS, STOP_WORDS, stemmer
from backbrain.search.store import FTS_COLUMNS, fts_values

if TYPE_CHECKING:
    from backbrain.core.note import Note
    from backbrain.core.schema import Config
    from backbrain.core.vault import Vault

FORMAT_VERSION = 4
# What each note's array holds (named in the file, so other scripts, e.g. the link previews, find
# the slug, title, type and summary by name).
ENTRY_FIELDS = ["slug", "id", "title", "type", "summary", "length", "terms", "names", "nameTerms", "snippets"]
SNIPPET_CAPS = {"symptoms": 400, "summary": 240, "body": 280}  # characters kept per snippet field
_TOKEN = re.compile(r"[^\W_]+")  # unicode61: runs of letters and digits; '_' and the rest separate
_ASCII_SEPARATORS = str.maketrans({chr(c): " " for c in range(128) if not chr(c).isalnum()})  # _TOKEN on ASCII


class Tokens:
    """Text to FTS5 index terms, counted: SQLite's unicode61 tokenizer (folded case, diacritics
    removed) and its Porter stemmer, which is asked once per distinct word and remembered."""

    def __init__(self) -> None:
        self.stems: dict[str, str] = {}

    def words(self, text: str) -> list[str]:
        text = text.lower()
        if text.isascii():  # the common case, three times faster than the regex (same words)
            return text.translate(_ASCII_SEPARATORS).split()
        text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
        return _TOKEN.findall(text)

    def counts(self, texts: Iterable[str]) -> list[dict[str, int]]:
        """Per text, stem -> how many times the index holds it."""
        by_word = [Counter(self.words(text)) for text in texts]
        missing = list({w for words in by_word for w in words if w not in self.stems})
        if missing:
            self.stems.update(zip(missing, stemmer().stems(missing), strict=True))
        counted: list[dict[str, int]] = []
        for words in by_word:
            stems: dict[str, int] = {}
            for word, n in words.items():
                stem = self.stems[word]
                if stem:
                    stems[stem] = stems.get(stem, 0) + n
            counted.append(stems)
        return counted


def relation_texts(vault: Vault) -> dict[str, str]:
    """Note id -> the names of its typed-relation partners, in partner id order, from the vault's
    resolved edges: what the search index's graph step writes (tests compare the two)."""
    partners: dict[str, set[str]] = {}
    for edge in vault.edges:
        if edge.kind in RELATION_TEXT_KINDS and edge.source != edge.target:
            partners.setdefault(edge.source, set()).add(edge.target)
            partners.setdefault(edge.target, set()).add(edge.source)
    notes = vault.notes
    return {
        note_id: relation_text([(notes[o].title, list(notes[o].aliases)) for o in sorted(ids) if o in notes])
        for note_id, ids in partners.items()
        if note_id in notes
    }


def note_entry(note: Note, config: Config, relations: str, slug: str, tokens: Tokens) -> list[Any]:
    """ENTRY_FIELDS: [slug, id, title, type, summary, token count, per-field terms, names, name terms,
    [symptoms, body] snippet texts].

    Per-field terms are "stem" or "stem:count" words joined by spaces, in FTS_COLUMNS order."""
    doc = doc_from_note(note, config, 0, 0, "")
    doc.relations = relations
    columns = fts_values(doc)
    counted = tokens.counts(columns)
    fields = [" ".join(s if n == 1 else f"{s}:{n}" for s, n in sorted(c.items())) for c in counted]
    names = name_rows(doc.title, doc.aliases)
    symptoms, summary, body = (_cap(" ".join(getattr(doc, name).split()), cap) for name, cap in SNIPPET_CAPS.items())
    return [
        slug,
        doc.id,
        doc.title,
        doc.type,
        summary,
        sum(sum(c.values()) for c in counted),
        fields,
        [[name, gram] for _, name, _, gram in names.names],
        [[term, word] for term, word in names.terms],
        [symptoms, body],
    ]


def _cap(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit] + " …"


def entry_json(note: Note, config: Config, relations: str, slug: str, tokens: Tokens) -> str:
    return json.dumps(note_entry(note, config, relations, slug, tokens), ensure_ascii=False, separators=(",", ":"))


def graph(vault: Vault, ids: list[str]) -> dict[str, list[Any]]:
    """What the ranking reads from the edges table, by positions in `ids` (the order of the index's
    notes), a few bytes per edge: "mitigates", the [source, target] pairs whose partners lift each
    other, [fix, problem] as the relation reads (engine.GRAPH_KINDS, engine._graph_bonuses);
    "superseded", the notes a `supersedes` relation replaces (engine._superseded)."""
    from backbrain.search.engine import GRAPH_KINDS

    position = {note_id: i for i, note_id in enumerate(ids)}
    edges = [e for e in vault.edges if e.source != e.target and e.source in position and e.target in position]
    pairs = {(position[e.source], position[e.target]) for e in edges if e.kind in GRAPH_KINDS}
    superseded = {position[e.target] for e in edges if e.kind == "supersedes"}
    return {"mitigates": [list(pair) for pair in sorted(pairs)], "superseded": sorted(superseded)}


def settings(synonyms: Iterable[Iterable[str]] = ()) -> dict[str, Any]:
    """The ranking knobs and query rules, taken from the code the CLI runs; `synonyms` are the
    vault's own thesaurus groups (backbrain.toml [search] synonyms)."""
    from backbrain.search.engine import BM25_K1, COMMON_PRUNE_MIN_NOTES, SNIPPET_COLUMNS, RankConfig
    from backbrain.search.thesaurus import thesaurus

    rank = RankConfig()
    groups = thesaurus(tuple(tuple(group) for group in synonyms))
    return {
        "columns": list(FTS_COLUMNS),
        "weights": list(rank.weights),
        "typePrior": dict(rank.type_prior),
        "stopWords": sorted(STOP_WORDS),
        "lightWords": sorted(LIGHT_WORDS),
        "lightWeight": rank.light_weight,
        "dropStopWords": rank.drop_stop_words,
        "fixTypos": rank.fix_typos,
        "nameBonus": rank.name_bonus,
        "phraseBonus": rank.phrase_bonus,
        "fuzzyBonus": rank.fuzzy_bonus,
        "commonDf": rank.common_df,
        "candidates": rank.candidates,
        "scoreCommon": rank.score_common,
        "commonPruneMinNotes": COMMON_PRUNE_MIN_NOTES,
        "k1": BM25_K1,
        "b": 0.75,
        "maxGram": MAX_GRAM,
        "maxTerms": MAX_TERMS,
        "maxQueryChars": MAX_QUERY_CHARS,
        "snippetColumns": list(SNIPPET_COLUMNS),
        "synonymWeight": rank.synonym_weight,
        "synonymNames": rank.synonym_names,
        "coverageBonus": rank.coverage_bonus,
        "coverageColumns": [FTS_COLUMNS.index(c) for c in rank.coverage_columns],
        "coverageSynonym": rank.coverage_synonym,
        "graphWeight": rank.graph_weight,
        "graphBackWeight": rank.graph_back_weight,
        "graphTop": rank.graph_top,
        "supersededPrior": rank.superseded_prior,
        "pairBonus": rank.pair_bonus,
        "pairTop": rank.pair_top,
        "thesaurus": groups.data(),
        "thesaurusExact": groups.exact,
        "thesaurusOneWay": groups.one_way,
    }


def index_json(
    entries: list[str], synonyms: Iterable[Iterable[str]] = (), edges: dict[str, list[Any]] | None = None
) -> str:
    """The whole index from pre-serialized entries (an incremental build re-serializes only the
    notes that changed), with the ranking settings and the edges the ranking reads (`graph`) in front."""
    head = json.dumps(
        {
            "v": FORMAT_VERSION,
            "fields": ENTRY_FIELDS,
            "settings": settings(synonyms),
            "graph": edges or {"mitigates": [], "superseded": []},
        },
        separators=(",", ":"),
    )
    return head[:-1] + ',"notes":[' + ",".join(entries) + "]}"
