"""Free text to a safe FTS5 query: every term quoted, OR semantics, ranked rather than filtered.

What a person types at 3 a.m. ("why does p99 jump whenever a hot key expires?") is not FTS5
syntax, and FTS5 syntax errors on stray quotes, `AND OR`, `NEAR(`, `*` or a lone `-`. So the user's
text is never passed through: it is split into words, `"phrases"` and `prefix*` terms, common
words are dropped, and each remaining term is double-quoted (quotes inside doubled) before being
joined with OR. BM25 then ranks notes matching more (and rarer) terms first, which is what makes
a long natural-language query work where strict AND would find nothing.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field

TOKENIZER = "porter unicode61 remove_diacritics 2"  # the index's FTS5 tokenizer, shared with the stemmer
MAX_GRAM = 6  # names of up to this many words earn the phrase bonus when the query contains them
MAX_TERMS = 32  # a pasted stack trace or 10 KB of prose is cut to its first distinct terms
MAX_QUERY_CHARS = 4000
_WORD = re.compile(r"[^\W_]+")
_PIECE = re.compile(r'"([^"]*)"|([^\W_]+)(\*?)')

# Function words and conversational filler from natural-language questions. Domain words that
# look common ("down", "slow", "after", "lock") are deliberately absent: they carry the symptom.
_STOP_TEXT = """
a about again all also am an and any are as at be been being but by can could did do does doing
done during each either else ever every for from had has have having he her here hers him his
how i if in into is it its itself just me might mine more most much must my myself no nor not of
on once only or other our ours out own same shall she should so some such than that the their
theirs them then there these they this those though through to too until us very was we were what
whatever when whenever where whether which while who whom whose why will with within without would
yet you your yours yourself
anyone anything everything someone something thing things stuff way ways lot lots
get gets getting got keep keeps kept make makes seem seems seemed really actually basically
please help need want know tell explain mean means use using used best good bad like
happen happens happened happening occur occurs going go goes
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())

# Light verbs: they say that something happened, rarely what ("it went down", "took down",
# "started failing"). Dropping them loses the odd query that means them, and scoring them as
# content lets a rare one ("went" is in few notes) outweigh the symptom, so the ranking weighs
# them at `RankConfig.light_weight` of their IDF (engine._plan). Words with a domain sense of their
# own are not here: "put", "run", "gone", "stop", "try" (again), "see" (can't see), and "start" and
# "look" (where to start, where to look: what a playbook answers).
_LIGHT_TEXT = """
went come comes came coming take takes took taken taking give gives gave given giving
begin begins began begun beginning become becomes became becoming turn turns turned turning
say says said saying
"""
LIGHT_WORDS = frozenset(_LIGHT_TEXT.split())


@dataclass
class ParsedQuery:
    """The searchable parts of a user's text."""

    words: list[str] = field(default_factory=list)  # plain words, lowercased, stop words removed
    phrases: list[list[str]] = field(default_factory=list)  # "quoted phrases", as word lists
    prefixes: list[str] = field(default_factory=list)  # word* terms
    stop_words: list[str] = field(default_factory=list)  # what was dropped, for the message
    tokens: list[str] = field(default_factory=list)  # every word in order, stop words included

    @property
    def empty(self) -> bool:
        return not (self.words or self.phrases or self.prefixes)


def parse_query(text: str, *, drop_stop_words: bool = True) -> ParsedQuery:
    """Split text into words, phrases and prefixes; nothing here can be FTS5 syntax."""
    parsed = ParsedQuery()
    seen: set[str] = set()
    for match in _PIECE.finditer(text[:MAX_QUERY_CHARS]):
        phrase, word, star = match.groups()
        if phrase is not None:
            words = [w.lower() for w in _WORD.findall(phrase)]
            parsed.tokens.extend(words)
            if len(words) > 1:
                parsed.phrases.append(words)
            elif words and words[0] not in seen:
                seen.add(words[0])
                parsed.words.append(words[0])
            continue
        word = word.lower()
        parsed.tokens.append(word)
        if star and len(word) >= 2:
            parsed.prefixes.append(word)
        elif drop_stop_words and word in STOP_WORDS:
            parsed.stop_words.append(word)
        elif word not in seen:
            seen.add(word)
            parsed.words.append(word)
    parsed.words = parsed.words[:MAX_TERMS]
    parsed.phrases = parsed.phrases[:8]
    parsed.prefixes = parsed.prefixes[:8]
    return parsed


def quote(term: str) -> str:
    """An FTS5 string: double quotes inside are doubled, so any text is a literal term."""
    return '"' + term.replace('"', '""') + '"'


def match_expression(words: list[str], phrases: list[list[str]], prefixes: list[str]) -> str:
    """OR of quoted terms; '' when there is nothing to match."""
    parts = [quote(w) for w in words]
    parts += [quote(" ".join(p)) for p in phrases]
    parts += [quote(p) + "*" for p in prefixes]
    return " OR ".join(dict.fromkeys(parts))


class Stemmer:
    """Words to the index's own terms, using the same FTS5 tokenizer in a private in-memory table.

    Asking SQLite (rather than a Python Porter implementation) guarantees that "connections" maps
    to exactly the term the index stored, so document frequencies and typo checks are exact.
    """

    def __init__(self) -> None:
        self.conn = sqlite3.connect(":memory:", check_same_thread=False)
        self.conn.execute(f"CREATE VIRTUAL TABLE t USING fts5(x, tokenize='{TOKENIZER}')")
        self.conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
        self.cache: dict[str, str] = {}

    def stems(self, words: list[str]) -> list[str]:
        """The stem of each word ('' for a word the tokenizer drops entirely)."""
        missing = [w for w in dict.fromkeys(words) if w not in self.cache]
        if missing:
            with self.conn:
                self.conn.execute("DELETE FROM t")
                self.conn.executemany("INSERT INTO t(rowid, x) VALUES (?, ?)", list(enumerate(missing)))
                found = dict(self.conn.execute("SELECT doc, term FROM v WHERE offset = 0"))
            for i, word in enumerate(missing):
                self.cache[word] = found.get(i, "")
        return [self.cache[w] for w in words]


_stemmer: Stemmer | None = None


def stemmer() -> Stemmer:
    global _stemmer
    if _stemmer is None:
        _stemmer = Stemmer()
    return _stemmer


def words_of(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]
