"""Ranking: BM25 over weighted fields, then a small re-rank that knows the knowledge base's names.

Each step below was kept because it moved the evaluation (the tuning sets in tests/eval/, numbers
in docs/search.md and docs/benchmarks.md): field weights put a note whose title or alias matches
above one that mentions the words in passing; stop words keep "why does my ... whenever ..." from
matching everything; typo correction against the notes' own titles and aliases rescues "circut
breaker"; a bonus for a name the query contains (or nearly contains) puts "singleflight" on its note
even when a longer note says the word more often; the thesaurus answers a paraphrase; coverage
prefers the note whose key fields name every part of the question over one repeating one word; and
the patterns that mitigate a top failure mode (or the failure a top pattern mitigates) follow it.

site/static/search.js is a port of this module; tests/site/test_search_parity.py holds them equal.
"""

from __future__ import annotations

import bisect
import itertools
import math
import sqlite3
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from backbrain.errors import UsageError
from backbrain.search.query import LIGHT_WORDS, MAX_GRAM, ParsedQuery, match_expression, parse_query, stemmer, words_of
from backbrain.search.store import FTS_COLUMNS, SearchIndex

HIGHLIGHT_START, HIGHLIGHT_END = "\x02", "\x03"
SNIPPET_COLUMNS = ("symptoms", "summary", "body")  # first one with a match is shown
COMMON_PRUNE_MIN_NOTES = 1000
BM25_K1 = 1.2
GRAPH_KINDS = ("mitigates",)  # typed relations whose partners lift each other (engine._graph_bonuses)


@dataclass(frozen=True)
class RankConfig:
    """The knobs the evaluation measures; the defaults are the shipped ranking."""

    weights: tuple[float, ...] = (2.0, 2.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0)  # FTS_COLUMNS order: names count double
    # What a person searching at 3 a.m. needs first: the failure mode, the pattern, the playbook.
    type_prior: tuple[tuple[str, float], ...] = (("failure-mode", 1.15), ("pattern", 1.1), ("playbook", 1.05))
    drop_stop_words: bool = True
    fix_typos: bool = True
    name_bonus: float = 1.0  # times the share of the query a note's names cover
    phrase_bonus: float = 0.3  # a whole multi-word name inside the query
    fuzzy_bonus: float = 1.0  # the whole query nearly spells a name (scaled from 80% to 100% alike)
    common_df: float = 0.5  # terms in more than this share of notes add nothing to BM25: not queried
    candidates: int = 60
    score_common: bool = True  # score words in over half the notes in Python (FTS5 gives them 0)
    synonym_weight: float = 0.4  # a thesaurus group's score relative to a word the query holds
    synonym_names: bool = True  # a name holding a thesaurus word counts towards the name bonus
    coverage_bonus: float = 0.5  # times the IDF-weighted share of the query's words a note holds
    coverage_columns: tuple[str, ...] = ("title", "aliases", "headings", "tags", "summary", "symptoms")
    coverage_synonym: float = 1.0  # a word counts this much as covered when the note holds a synonym
    graph_weight: float = 0.18  # a pattern mitigating a top failure mode gains this times the failure mode's score
    graph_back_weight: float = 0.1  # a failure mode a top pattern mitigates gains this times the pattern's score
    graph_top: int = 3  # how many top hits lend to their partners
    graph_kinds: tuple[str, ...] = GRAPH_KINDS  # a failure mode and the patterns that mitigate it
    pair_bonus: float = 0.2  # times the share of the query's adjacent word pairs a top note's title or summary holds
    pair_top: int = 20  # how many of the best notes are read for pairs
    superseded_prior: float = 0.8  # a decision another one supersedes: history, after the one in force
    light_weight: float = 0.3  # a light verb's ("went", "took") share of its IDF (query.LIGHT_WORDS)


@dataclass
class SearchHit:
    id: str
    title: str
    type: str
    score: float
    snippet: str
    highlights: list[tuple[int, int]] = field(default_factory=list)  # (start, end) in snippet
    rel: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "type": self.type, "score": self.score, "snippet": self.snippet}


@dataclass
class SearchResult:
    query: str
    hits: list[SearchHit]
    message: str | None = None  # why there are no results, or what was corrected
    corrections: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"query": self.query, "results": [hit.to_json() for hit in self.hits]}


@dataclass
class _Names:
    """What a query needs about all notes' names, read from the index's name tables (filled when
    each note is indexed) as the query asks. The note count and the typo vocabulary are kept for
    as long as the index is unchanged (no commit by any process)."""

    conn: sqlite3.Connection
    key: tuple[int, int]
    total: int
    _vocabulary: list[str] | None = None
    _sorted: tuple[list[int], list[str], list[str]] | None = None  # every name's length, name, rowid
    _near_calls: int = 0
    _superseded: set[int] | None = None

    @property
    def superseded(self) -> set[int]:
        """Rowids of the notes a `supersedes` relation (declared on either end) replaces."""
        if self._superseded is None:
            sql = "SELECT n.rowid FROM notes n WHERE n.id IN (SELECT target FROM edges WHERE kind = 'supersedes')"
            self._superseded = {row[0] for row in self.conn.execute(sql)}
        return self._superseded

    @property
    def vocabulary(self) -> list[str]:
        """Distinct words of titles and aliases (3+ letters, not numbers), sorted: typo fixes."""
        if self._vocabulary is None:
            sql = "SELECT DISTINCT word FROM name_terms WHERE word IS NOT NULL ORDER BY word"
            self._vocabulary = [row[0] for row in self.conn.execute(sql)]
        return self._vocabulary

    def known_words(self, words: list[str]) -> set[str]:
        """The words that are words of some title or alias."""
        return {row[0] for row in _select_in(self.conn, "SELECT word FROM name_terms WHERE word IN ({})", words)}

    def by_stem(self, stems: list[str]) -> dict[str, set[int]]:
        """Stem of a name word -> rowids of the notes whose names contain it."""
        found: dict[str, set[int]] = {}
        for stem, rowid in _select_in(self.conn, "SELECT term, note FROM name_terms WHERE term IN ({})", stems):
            found.setdefault(stem, set()).add(rowid)
        return found

    def by_gram(self, grams: list[str]) -> dict[str, set[int]]:
        """A whole name's stems, space-joined -> rowids of the notes with that name."""
        found: dict[str, set[int]] = {}
        for gram, rowid in _select_in(self.conn, "SELECT gram, note FROM names WHERE gram IN ({})", grams):
            found.setdefault(gram, set()).add(rowid)
        return found

    def near_length(self, length: int) -> tuple[list[str], list[str]]:
        """Names (lowercase) and their rowids (as text) of the names whose length allows a
        rapidfuzz ratio of 80 with a text of this length (the ratio is at most 2·min/sum), ordered
        by length, name, note (the order decides ties among equally close names).

        A process's first query reads just that range, as two concatenated strings rather than
        rows (names never hold a newline, see documents.name_rows), which is what a new
        `backbrain search` process can afford; a second query on the same index version reads
        every name once and slices it from then on."""
        low, high = (2 * length) // 3 - 1, (3 * length + 1) // 2 + 1
        if self._sorted is None and not self._near_calls:
            self._near_calls += 1
            sql = "SELECT group_concat(name, char(10)), group_concat(note, ',') FROM names WHERE len BETWEEN ? AND ?"
            names, notes = self.conn.execute(sql, (low, high)).fetchone()
            return (names.split("\n"), notes.split(",")) if names is not None else ([], [])
        if self._sorted is None:
            sql = "SELECT len, name, note FROM names ORDER BY len, name, note, pos"
            rows = self.conn.execute(sql).fetchall()
            self._sorted = ([r[0] for r in rows], [r[1] for r in rows], [str(r[2]) for r in rows])
        lengths, names_sorted, notes_sorted = self._sorted
        start, end = bisect.bisect_left(lengths, low), bisect.bisect_right(lengths, high)
        return names_sorted[start:end], notes_sorted[start:end]

    def rows(self, rowids: Iterable[int]) -> dict[int, tuple[str, str, str, str]]:
        """rowid -> (id, title, type, rel) of the notes that exist."""
        sql = "SELECT rowid, id, title, type, rel FROM notes WHERE rowid IN ({})"
        return {row[0]: row[1:] for row in _select_in(self.conn, sql, list(rowids))}


_names_cache: weakref.WeakKeyDictionary[SearchIndex, _Names] = weakref.WeakKeyDictionary()


@dataclass
class _Plan:
    """What a query becomes: FTS5 terms, plus the weighted stems and tokens the re-rank compares."""

    words: list[str]  # sent to FTS5
    common: dict[str, float]  # stems in over half the notes -> smoothed IDF, scored in Python
    idf: dict[str, float]  # stem of each content word -> smoothed IDF (never zero, unlike FTS5's)
    tokens: list[str]  # the query's words in order, typos corrected, for name phrases
    names_only: bool = False  # match the words in titles and aliases only
    rare: set[str] = field(default_factory=set)  # stems in at most `common_df` of the notes
    expansion: list[list[tuple[str, ...]]] = field(default_factory=list)  # thesaurus groups' members
    expansion_weights: list[float] = field(default_factory=list)  # per group: synonym weight, or 1 (equivalents)
    synonyms_of: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)  # query stem -> members
    postings: dict[str, dict[int, tuple[float, int]]] = field(default_factory=dict)  # engine.Postings


def search(
    index: SearchIndex,
    text: str,
    *,
    type_name: str | None = None,
    tag: str | None = None,
    progress: str | None = None,
    limit: int = 10,
    config: RankConfig | None = None,
) -> SearchResult:
    """The notes best matching free text, best first. Raises UsageError for an empty query."""
    config = config or RankConfig()
    if not text.strip():
        raise UsageError("Empty search query.", hint='Type what you see, e.g. backbrain search "too many connections"')
    limit = max(1, min(limit, 200))
    parsed = parse_query(text, drop_stop_words=config.drop_stop_words)
    if parsed.empty:
        message = (
            f"Only common words in the query ({', '.join(dict.fromkeys(parsed.stop_words))}); add a specific term."
            if parsed.stop_words
            else "Nothing searchable in the query (no letters or digits)."
        )
        return SearchResult(text, [], message)
    names = _names(index)
    result = SearchResult(text, [])
    plan = _plan(index, parsed, names, config, result)
    expression = match_expression(plan.words, parsed.phrases, parsed.prefixes)
    if expression and plan.names_only:
        expression = "{title aliases}: (" + expression + ")"
    filters = _filters(type_name, tag, progress)
    candidates = _candidates(index, expression, config, filters) if expression else {}
    matched_in_sql = set(candidates)
    if not plan.names_only:
        plan.expansion = _expansion(index, plan, names, config)
    stems = {s for group in plan.expansion for member in group for s in member} | set(plan.common)
    if config.coverage_bonus and not plan.names_only:
        stems |= set(_concepts(plan, names))
    plan.postings = _postings(index, stems, config.weights)
    for scores in (_common_term_scores(plan), _synonym_scores(plan, names, config)):
        for rowid, extra in scores.items():
            candidates[rowid] = candidates.get(rowid, 0.0) + extra
    scored = _rerank(candidates, plan, names, config)
    for rowid, bonus in _coverage_bonuses(plan, set(candidates), names, config).items():
        scored[rowid] = scored.get(rowid, 0.0) + bonus
    for rowid, bonus in _pair_bonuses(index, plan, scored, config).items():
        scored[rowid] += bonus
    for rowid in names.superseded & scored.keys() if config.superseded_prior != 1.0 else ():
        scored[rowid] *= config.superseded_prior
    for rowid, bonus in _graph_bonuses(index, scored, names, config).items():
        scored[rowid] = scored.get(rowid, 0.0) + bonus
    if filters[0]:  # notes found outside the filtered FTS5 query must pass the filters too
        allowed = matched_in_sql | _passing(index, set(scored) - matched_in_sql, filters)
        scored = {rowid: value for rowid, value in scored.items() if rowid in allowed}
    top = sorted(scored.items(), key=lambda item: -item[1])[:limit]
    result.hits = _hits(index, top, names, "" if plan.names_only else expression)
    if not result.hits and result.message is None:
        result.message = "No notes match. Try fewer or different words, or a prefix like `stamp*`."
    return result


def _plan(index: SearchIndex, parsed: ParsedQuery, names: _Names, config: RankConfig, result: SearchResult) -> _Plan:
    """Correct misspellings, weigh each word by rarity, and pick the words worth an FTS5 lookup."""
    words = list(parsed.words)
    tokens = list(parsed.tokens)
    if config.fix_typos:
        words, tokens = _join_compounds(words, tokens, names)
    stems = stemmer().stems(words)
    frequencies = _doc_frequencies(index, stems)
    total = max(names.total, 1)
    kept: list[str] = []
    for word, stem in zip(words, stems, strict=True):
        if frequencies.get(stem, 0) == 0 and config.fix_typos:
            fixed = _correct(word, names)
            if fixed:
                result.corrections[word] = fixed
                tokens = [fixed if t == word else t for t in tokens]
                kept.extend(words_of(fixed))
            continue
        kept.append(word)
    kept = list(dict.fromkeys(kept))
    kept_stems = stemmer().stems(kept)
    names_only = False
    frequencies.update(_doc_frequencies(index, [s for s in kept_stems if s not in frequencies]))
    idf = {s: _idf(total, frequencies.get(s, 0)) for s in kept_stems if s}
    # FTS5's BM25 gives a term in over half the notes no weight, so at scale it is not worth reading.
    is_common = {s: frequencies.get(s, 0) > config.common_df * total for s in kept_stems}
    rare = [w for w, s in zip(kept, kept_stems, strict=True) if s and not is_common[s]]
    common: dict[str, float] = {}
    if total < COMMON_PRUNE_MIN_NOTES and config.score_common:
        common = {s: idf[s] for s in kept_stems if s and is_common[s]}
        fts_words = rare
    elif rare or total < COMMON_PRUNE_MIN_NOTES:
        fts_words = rare or kept
    else:  # every word is in most notes: at this size they only tell notes apart by naming them
        fts_words, names_only = kept, True
    if result.corrections:
        result.message = "Showing results for: " + ", ".join(f"{k} → {v}" for k, v in result.corrections.items())
    if not names_only:
        fts_words = _weigh_light_words(kept, kept_stems, idf, common, fts_words, config)
    words = [w for w, s in zip(fts_words, stemmer().stems(fts_words), strict=True) if s]
    rare_stems = {s for s in kept_stems if s and not is_common[s]}
    return _Plan(words, common, idf, tokens, names_only, rare_stems)


def _weigh_light_words(
    kept: list[str],
    stems: list[str],
    idf: dict[str, float],
    common: dict[str, float],
    fts_words: list[str],
    config: RankConfig,
) -> list[str]:
    """Light verbs ("went", "took", "started") at `light_weight` of their IDF, everywhere the IDF
    counts (BM25, names, coverage). FTS5's bm25() cannot weigh one term, so when the query has other
    words for FTS5 to match they are scored in Python like common words (from their postings, which
    are short: a word in over half the notes is a common word already). Returns the FTS5 words."""
    light = {s for w, s in zip(kept, stems, strict=True) if s and w in LIGHT_WORDS}
    if config.light_weight == 1.0 or not light:
        return fts_words
    for stem in light:
        idf[stem] *= config.light_weight
    others = [w for w, s in zip(fts_words, stemmer().stems(fts_words), strict=True) if s and s not in light]
    for stem in light if others else light & common.keys():  # scored in Python from now on
        common[stem] = idf[stem]
    return others or fts_words


Member = tuple[str, ...]  # a thesaurus member's stems: a note holds it when it holds all of them


def _expansion(index: SearchIndex, plan: _Plan, names: _Names, config: RankConfig) -> list[list[Member]]:
    """The thesaurus's members for this query, per group, that the index holds and that tell notes
    apart (a member's rarest word in at most `common_df` of the notes); `plan.synonyms_of` maps
    each query stem that matched a group to the group's kept members."""
    if not config.synonym_weight:
        return []
    from backbrain.search.store import synonyms
    from backbrain.search.thesaurus import thesaurus

    query_stems = {s for s in stemmer().stems(plan.tokens) if s} | set(plan.idf)
    matches = thesaurus(synonyms(index)).matches(query_stems)
    frequencies = _doc_frequencies(index, [s for match in matches for member in match.members for s in member])
    limit = config.common_df * max(names.total, 1)
    groups: list[list[Member]] = []
    for match in matches:
        kept = [m for m in match.members if min(frequencies.get(s, 0) for s in m) > 0]
        kept = [m for m in kept if min(frequencies[s] for s in m) <= limit]
        for trigger in match.triggers:
            plan.synonyms_of.setdefault(trigger, []).extend(kept)
        if kept:
            groups.append(kept)
            plan.expansion_weights.append(1.0 if match.exact else config.synonym_weight)
    return groups


Postings = dict[str, dict[int, tuple[float, int]]]  # stem -> rowid -> (weighted count, column bits)


def _postings(index: SearchIndex, stems: Iterable[str], weights: tuple[float, ...]) -> Postings:
    """stem -> rowid -> (the note's count of it, field-weighted, and a bit per column holding it),
    read once per query from FTS5's own postings (`fts5vocab` instance table)."""
    wanted = sorted(set(stems))
    found: Postings = {}
    if not wanted:
        return found
    index.conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.postings USING fts5vocab(main, fts, 'instance')")
    marks = ",".join("?" * len(wanted))
    sql = f"SELECT doc, term, col, count(*) FROM temp.postings WHERE term IN ({marks}) GROUP BY doc, term, col"
    for doc, term, col, count in index.conn.execute(sql, wanted):
        column = FTS_COLUMNS.index(col)
        tf, bits = found.setdefault(term, {}).get(doc, (0.0, 0))
        found[term][doc] = (tf + weights[column] * count, bits | 1 << column)
    return found


def _member_counts(member: Member, postings: Postings, mask: int = 0) -> dict[int, float]:
    """rowid -> field-weighted count of a member in each note holding all its stems: the scarcest
    stem's (how the browser counts a phrase). With `mask` (column bits), 1 for each note holding
    every stem in one of those columns."""
    lists = [postings.get(s, {}) for s in member]
    if len(lists) == 1:
        if mask:
            return {doc: 1.0 for doc, (_, bits) in lists[0].items() if bits & mask}
        return {doc: tf for doc, (tf, _) in lists[0].items()}
    counts: dict[int, float] = {}
    for doc in set(lists[0]).intersection(*lists[1:]):
        held = [found[doc] for found in lists]
        if not mask:
            counts[doc] = min(tf for tf, _ in held)
        elif all(bits & mask for _, bits in held):
            counts[doc] = 1.0
    return counts


def _synonym_scores(plan: _Plan, names: _Names, config: RankConfig) -> dict[int, float]:
    """Each group of expansion members scored as one term: field-weighted counts summed over the
    group's members, saturated like BM25's (without length normalization), times the IDF of the
    notes holding any of them, times `synonym_weight`."""
    total = max(names.total, 1)
    scores: dict[int, float] = {}
    for group, weight in zip(plan.expansion, plan.expansion_weights, strict=True):
        tf_of: dict[int, float] = {}
        for member in group:
            for doc, tf in _member_counts(member, plan.postings).items():
                tf_of[doc] = tf_of.get(doc, 0.0) + tf
        idf = _idf(total, len(tf_of))
        for doc in sorted(tf_of):
            tf = tf_of[doc]
            scores[doc] = scores.get(doc, 0.0) + weight * idf * tf * (BM25_K1 + 1) / (tf + BM25_K1)
    return scores


def _coverage_bonuses(plan: _Plan, rowids: set[int], names: _Names, config: RankConfig) -> dict[int, float]:
    """How much of the query a note's key fields answer: the IDF-weighted share of the query's
    words each candidate holds in `coverage_columns` (a word counts `coverage_synonym` when only a
    thesaurus synonym of it is there), times `coverage_bonus`. BM25 over OR lets a note that
    repeats one word beat one that names every part of the problem; this counts the parts."""
    concepts = _concepts(plan, names)
    if not config.coverage_bonus or not concepts or not rowids:
        return {}
    mask = sum(1 << FTS_COLUMNS.index(c) for c in config.coverage_columns)

    def holders(member: Member) -> set[int]:
        return set(_member_counts(member, plan.postings, mask)) & rowids

    weight_sum = sum(concepts.values())
    covered: dict[int, float] = {}
    for stem, weight in concepts.items():
        direct = holders((stem,))
        by_synonym = {doc for member in plan.synonyms_of.get(stem, ()) for doc in holders(member)} - direct
        for doc in direct:
            covered[doc] = covered.get(doc, 0.0) + weight
        for doc in by_synonym:
            covered[doc] = covered.get(doc, 0.0) + config.coverage_synonym * weight
    return {doc: config.coverage_bonus * value / weight_sum for doc, value in sorted(covered.items())}


def _concepts(plan: _Plan, names: _Names) -> dict[str, float]:
    """The query's stems that coverage counts, with their IDF: all of them in a small vault; at
    scale the words in most notes are left out (their postings are long and they tell little)."""
    if names.total < COMMON_PRUNE_MIN_NOTES:
        return dict(plan.idf)
    return {s: w for s, w in plan.idf.items() if s not in plan.common and s in plan.rare}


def _pair_bonuses(index: SearchIndex, plan: _Plan, scored: dict[int, float], config: RankConfig) -> dict[int, float]:
    """Word order, where it says most: each of the `pair_top` best notes gains `pair_bonus` times the
    share of the query's adjacent word pairs (neither a stop word) that its title or summary holds
    adjacent, stemmed ("stop calling" in "... stop calling it for a while"). The summary is read as
    the browser holds it (its first 240 characters), so both rank alike."""
    from backbrain.search.browser import SNIPPET_CAPS, Tokens, _cap
    from backbrain.search.query import STOP_WORDS

    tokens = [t for t in plan.tokens if t]
    stems = stemmer().stems(tokens)
    pairs = {
        (a, b)
        for (word_a, a), (word_b, b) in itertools.pairwise(zip(tokens, stems, strict=True))
        if a and b and word_a not in STOP_WORDS and word_b not in STOP_WORDS
    }
    if not config.pair_bonus or not pairs or not scored:
        return {}
    top = [rowid for rowid, _ in sorted(scored.items(), key=lambda item: -item[1])[: config.pair_top]]
    reader = Tokens()
    bonuses: dict[int, float] = {}
    sql = "SELECT rowid, title, summary FROM fts WHERE rowid IN ({})"
    for rowid, title, summary in _select_in(index.conn, sql, top):
        found: set[tuple[str, str]] = set()
        for text in (title or "", _cap(" ".join((summary or "").split()), SNIPPET_CAPS["summary"])):
            found |= set(itertools.pairwise(stemmer().stems(reader.words(text))))
        if pairs & found:
            bonuses[rowid] = config.pair_bonus * len(pairs & found) / len(pairs)
    return bonuses


def _graph_bonuses(index: SearchIndex, scored: dict[int, float], names: _Names, config: RankConfig) -> dict[int, float]:
    """The typed-relation partners of the `graph_top` best hits follow them: a pattern that mitigates
    a top failure mode gains `graph_weight` times the failure mode's score, a failure mode a top
    pattern mitigates `graph_back_weight` times the pattern's. The lift grows with the hit's own score
    (not its share of the best), so the fixes of a failure mode the query clearly describes rise with
    it, and it is stronger towards the fix than back towards the problem."""
    if not (config.graph_weight or config.graph_back_weight) or not scored:
        return {}
    top = sorted(scored.items(), key=lambda item: -item[1])[: config.graph_top]
    rows = names.rows(r for r, _ in top)
    lenders = {rows[r][0]: v for r, v in top if r in rows}
    marks = ",".join("?" * len(lenders))
    kinds = ",".join("?" * len(config.graph_kinds))
    sql = f"SELECT source, target FROM edges WHERE kind IN ({kinds}) AND (source IN ({marks}) OR target IN ({marks}))"
    lent: dict[str, float] = {}
    for source, target in index.conn.execute(sql, [*config.graph_kinds, *lenders, *lenders]):
        # source mitigates target: the failure mode (target) lends to its fix, the fix back to it
        for hit, partner, weight in ((target, source, config.graph_weight), (source, target, config.graph_back_weight)):
            if hit in lenders and partner != hit:
                lent[partner] = max(lent.get(partner, 0.0), weight * lenders[hit])
    if not lent:
        return {}
    marks = ",".join("?" * len(lent))
    bonuses: dict[int, float] = {}
    for rowid, note_id in index.conn.execute(f"SELECT rowid, id FROM notes WHERE id IN ({marks})", list(lent)):
        if rowid in scored:  # only a note that matches the query itself
            bonuses[rowid] = lent[note_id]
    return bonuses


def _idf(total: int, df: int) -> float:
    """Lucene's BM25 IDF: like FTS5's, but never zero for a word in more than half the notes."""
    return math.log(1 + (total - df + 0.5) / (df + 0.5))


def _common_term_scores(plan: _Plan) -> dict[int, float]:
    """BM25 (field-weighted, without length normalization) for the words FTS5 would weigh zero.

    In a small vault the domain's own words ("cache", "retry", "database") are in most notes, and
    FTS5's BM25 then ignores them entirely, titles included. Only done below a size where reading
    their postings is cheap; at scale such words are dropped (they barely separate notes).
    """
    scores: dict[int, float] = {}
    for term in sorted(plan.common):
        for doc, (tf, _) in sorted(plan.postings.get(term, {}).items()):
            scores[doc] = scores.get(doc, 0.0) + plan.common[term] * tf * (BM25_K1 + 1) / (tf + BM25_K1)
    return scores


def _join_compounds(words: list[str], tokens: list[str], names: _Names) -> tuple[list[str], list[str]]:
    """'bulk head' -> 'bulkhead' when the joined word is a note's name word: a split-word typo."""
    pairs = [a + b for a, b in itertools.pairwise(tokens)]
    known = names.known_words(pairs) if pairs else set()
    joined = [w for w in pairs if w in known]
    return words + [w for w in joined if w not in words], tokens + joined


def _doc_frequencies(index: SearchIndex, stems: list[str]) -> dict[str, int]:
    wanted = [s for s in dict.fromkeys(stems) if s]
    if not wanted:
        return {}
    marks = ",".join("?" * len(wanted))
    return dict(index.conn.execute(f"SELECT term, doc FROM vocab WHERE term IN ({marks})", wanted))


def _correct(word: str, names: _Names) -> str | None:
    """The closest word of a title or alias, for a word no note contains (typos, not new words)."""
    if len(word) < 4 or word.isdigit():
        return None
    from rapidfuzz import fuzz, process

    best = process.extractOne(word, names.vocabulary, scorer=fuzz.ratio, score_cutoff=75)
    return str(best[0]) if best else None


def _filters(type_name: str | None, tag: str | None, progress: str | None) -> tuple[str, list[Any]]:
    clauses, params = [], []
    if type_name:
        clauses.append("n.type = ?")
        params.append(type_name)
    if progress:
        clauses.append("n.progress = ?")
        params.append(progress)
    if tag:
        clauses.append("EXISTS (SELECT 1 FROM json_each(n.tags) WHERE value = ?)")
        params.append(tag.lower().lstrip("#"))
    return "".join(f" AND {c}" for c in clauses), params


def _candidates(
    index: SearchIndex, expression: str, config: RankConfig, filters: tuple[str, list[Any]]
) -> dict[int, float]:
    """rowid -> BM25 score (positive, higher is better) of the best `candidates` matches."""
    weights = ", ".join(f"{w:g}" for w in config.weights)
    join = " JOIN notes n ON n.rowid = fts.rowid" if filters[0] else ""  # a lookup per match: only to filter
    sql = f"SELECT fts.rowid, bm25(fts, {weights}) AS s FROM fts{join} WHERE fts MATCH ?{filters[0]} ORDER BY s LIMIT ?"
    try:
        rows = index.conn.execute(sql, [expression, *filters[1], config.candidates]).fetchall()
    except sqlite3.OperationalError as exc:
        if "fts5" not in str(exc) and "syntax" not in str(exc):
            raise
        return {}  # never expected (every term is quoted); no results beats a traceback
    return {rowid: -score for rowid, score in rows}


def _rerank(candidates: dict[int, float], plan: _Plan, names: _Names, config: RankConfig) -> dict[int, float]:
    """Normalized BM25 times a type prior, plus how much of the query the note's names cover."""
    top = max(candidates.values(), default=0.0) or 1.0
    priors = dict(config.type_prior)
    rows = names.rows(candidates)
    scored = {r: v / top * priors.get(rows[r][2], 1.0) for r, v in candidates.items() if r in rows}
    for rowid, bonus in _name_bonuses(plan, names, config).items():
        scored[rowid] = scored.get(rowid, 0.0) + bonus
    return scored


def _name_bonuses(plan: _Plan, names: _Names, config: RankConfig) -> dict[int, float]:
    """Share of the query's (IDF-weighted) words found in a note's title or aliases, whole names
    contained in the query, and names the whole query nearly spells."""
    bonuses: dict[int, float] = {}
    total = sum(plan.idf.values())
    if total and config.name_bonus:
        covered: dict[int, float] = {}
        by_stem = names.by_stem(list(plan.idf))
        for stem, weight in plan.idf.items():
            for rowid in sorted(by_stem.get(stem, ())):
                covered[rowid] = covered.get(rowid, 0.0) + weight
        if config.synonym_names and plan.expansion:  # "virtual nodes" answers "add a server"
            rarest = max(plan.idf.values())  # a group is worth its weight times the rarest word
            by_member_stem = names.by_stem(sorted({s for group in plan.expansion for m in group for s in m}))
            for group, weight in zip(plan.expansion, plan.expansion_weights, strict=True):
                holders = {r for m in group for r in set.intersection(*(by_member_stem.get(s, set()) for s in m))}
                for rowid in sorted(holders):
                    covered[rowid] = covered.get(rowid, 0.0) + weight * rarest
        for rowid, weight in covered.items():
            bonuses[rowid] = config.name_bonus * weight / total
    tokens = [s for s in stemmer().stems(plan.tokens) if s]
    windows = [
        " ".join(tokens[start : start + size])
        for size in range(min(len(tokens), MAX_GRAM), 1, -1)
        for start in range(len(tokens) - size + 1)
    ]
    by_gram = names.by_gram(windows) if windows else {}
    for window in windows:
        for rowid in sorted(by_gram.get(window, ())):
            bonuses[rowid] = bonuses.get(rowid, 0.0) + config.phrase_bonus
    if config.fuzzy_bonus and 0 < len(plan.tokens) <= 6:
        text = " ".join(plan.tokens)
        strings, rowids = names.near_length(len(text))
        from rapidfuzz import fuzz, process

        for _, score, position in process.extract(text, strings, scorer=fuzz.ratio, score_cutoff=80, limit=5):
            rowid = int(rowids[position])
            bonuses[rowid] = bonuses.get(rowid, 0.0) + config.fuzzy_bonus * (score - 80) / 20
    return bonuses


def _passing(index: SearchIndex, rowids: set[int], filters: tuple[str, list[Any]]) -> set[int]:
    """The rowids that pass the filters, for notes not found by the filtered FTS5 query."""
    if not rowids:
        return set()
    marks = ",".join("?" * len(rowids))
    sql = f"SELECT n.rowid FROM notes n WHERE n.rowid IN ({marks}){filters[0]}"
    return {row[0] for row in index.conn.execute(sql, [*rowids, *filters[1]])}


def _hits(index: SearchIndex, top: list[tuple[int, float]], names: _Names, expression: str) -> list[SearchHit]:
    snippets = _snippets(index, [rowid for rowid, _ in top], expression)
    rows = names.rows(rowid for rowid, _ in top)
    hits = []
    for rowid, score in top:
        if rowid not in rows:
            continue  # removed by another process since it was scored
        note_id, title, type_name, rel = rows[rowid]
        text, spans = snippets.get(rowid, ("", []))
        hits.append(SearchHit(note_id, title, type_name, round(score, 4), text, spans, rel))
    return hits


SNIPPET_MAX_BODY = 1_000_000  # characters; larger notes get their summary or opening as the snippet


def _snippets(index: SearchIndex, rowids: list[int], expression: str) -> dict[int, tuple[str, list[tuple[int, int]]]]:
    if not rowids:
        return {}
    columns = [FTS_COLUMNS.index(name) for name in SNIPPET_COLUMNS]
    parts = ", ".join(f"snippet(fts, {c}, '{HIGHLIGHT_START}', '{HIGHLIGHT_END}', '…', 20)" for c in columns)
    marks = ",".join("?" * len(rowids))
    found: dict[int, tuple[str, list[tuple[int, int]]]] = {}
    # FTS5's snippet() weighs every phrase instance against the others: a 20 MB note with the term
    # 360,000 times took minutes. Notes that large get the plain fallback snippet below instead.
    sized = index.conn.execute(f"SELECT rowid, length(body) FROM fts WHERE rowid IN ({marks})", rowids)
    small = [rowid for rowid, size in sized if (size or 0) <= SNIPPET_MAX_BODY]
    if expression and small:
        marks = ",".join("?" * len(small))
        sql = f"SELECT rowid, {parts} FROM fts WHERE fts MATCH ? AND rowid IN ({marks})"
        for rowid, *texts in index.conn.execute(sql, [expression, *small]):
            chosen = next((t for t in texts if t and HIGHLIGHT_START in t), None)
            if chosen:
                found[rowid] = split_highlights(chosen)
    missing = [r for r in rowids if r not in found]
    if missing:
        marks = ",".join("?" * len(missing))
        for rowid, summary, body in index.conn.execute(
            f"SELECT rowid, summary, substr(body, 1, 200) FROM fts WHERE rowid IN ({marks})", missing
        ):
            found[rowid] = (" ".join((summary or body or "").split())[:200], [])
    return found


def split_highlights(snippet: str) -> tuple[str, list[tuple[int, int]]]:
    """Snippet text without markers, and the (start, end) spans the markers enclosed."""
    text: list[str] = []
    spans: list[tuple[int, int]] = []
    start: int | None = None
    length = 0
    for piece in (
        " ".join(snippet.split()).replace(HIGHLIGHT_END, HIGHLIGHT_START + HIGHLIGHT_END).split(HIGHLIGHT_START)
    ):
        if piece.startswith(HIGHLIGHT_END):
            if start is not None:
                spans.append((start, length))
            start = None
            piece = piece[1:]
        elif start is None and text:
            start = length
        text.append(piece)
        length += len(piece)
    return "".join(text), spans


def _names(index: SearchIndex) -> _Names:
    """The names view of an index, renewed when the index changed (any process's commit)."""
    key = (int(index.conn.execute("PRAGMA data_version").fetchone()[0]), index.conn.total_changes)
    cached = _names_cache.get(index)
    if cached is not None and cached.key == key and cached.conn is index.conn:
        return cached
    total = int(index.conn.execute("SELECT count(*) FROM notes").fetchone()[0])
    names = _names_cache[index] = _Names(index.conn, key, total)
    return names


def _select_in(conn: sqlite3.Connection, sql: str, values: list[Any]) -> Iterator[tuple[Any, ...]]:
    """Rows of `sql` with its `IN ({})` filled with placeholders for values, 500 at a time."""
    unique = list(dict.fromkeys(values))
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        yield from conn.execute(sql.format(",".join("?" * len(chunk))), chunk)
