"""The domain thesaurus: synonym groups shipped as data, plus the vault's own from backbrain.toml.

People describe a symptom in their own words ("add a server without remapping most keys") while
the note says "nodes" and "rebalancing". A query that holds a member of a group (every word of it,
in any order) is expanded with the words of the group's other members; the engine scores each
group's words as one term (their counts summed, as Lucene's synonym query does, so a note naming five
synonyms counts like one naming the word five times), at `RankConfig.synonym_weight` of a word the
query holds: an expansion can lift a note but hardly outrank one that matches what was typed.

The shipped groups are thesaurus.toml beside this file; a vault adds groups with
`[search] synonyms = [[...], ...]` in backbrain.toml (validated by backbrain.core.schema). The
browser gets the same groups, stemmed here, in the site's search index.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backbrain.search.query import STOP_WORDS, stemmer, words_of

SHIPPED = Path(__file__).with_name("thesaurus.toml")


@functools.cache
def _shipped() -> dict[str, Any]:
    """thesaurus.toml (part of the package, so a broken file is a bug, not input)."""
    return tomllib.loads(SHIPPED.read_text(encoding="utf-8"))


def shipped_groups() -> tuple[tuple[str, ...], ...]:
    """The synonym groups in thesaurus.toml."""
    return tuple(tuple(group) for group in _shipped()["synonyms"]["groups"])


def shipped_abbreviations() -> tuple[tuple[str, str], ...]:
    """(short form, long form) pairs: the short form searches the long one, not the other way."""
    return tuple(_shipped()["abbreviations"].items())


def shipped_variants() -> tuple[tuple[str, ...], ...]:
    """Groups of one word written several ways."""
    return tuple(tuple(group) for group in _shipped()["variants"]["groups"])


@dataclass(frozen=True)
class Member:
    """One word or phrase of a group, with the stems the index would store for its words."""

    words: tuple[str, ...]
    stems: tuple[str, ...]


@dataclass(frozen=True)
class Match:
    """A group the query brings in: the query stems that matched it and its other members, each a
    tuple of stems that a note must all hold to hold the member (a phrase member's words need
    not be adjacent: the browser's index keeps counts, not positions)."""

    triggers: list[str]
    members: list[tuple[str, ...]]
    exact: bool = False  # an equivalents group: searched at the full weight of the query's word


class Thesaurus:
    """Groups of members; `expand` gives the words a query's matched members bring in."""

    def __init__(
        self,
        groups: Iterable[Iterable[str]],
        abbreviations: Iterable[tuple[str, str]] = (),
        variants: Iterable[Iterable[str]] = (),
    ) -> None:
        one_way = [[words_of(short), words_of(long)] for short, long in abbreviations]
        exact = one_way + [[words_of(member) for member in group] for group in variants]
        texts = exact + [[words_of(member) for member in group] for group in groups]
        vocabulary = sorted({w for group in texts for words in group for w in words})
        stems = dict(zip(vocabulary, stemmer().stems(vocabulary), strict=True))
        built = [[Member(tuple(words), tuple(stems[w] for w in words)) for words in group if words] for group in texts]
        kept = [number for number, group in enumerate(built) if len(group) > 1]
        self.groups: list[list[Member]] = [built[n] for n in kept]
        self.exact = sum(1 for n in kept if n < len(exact))  # the first `exact` groups: full weight
        self.one_way = sum(1 for n in kept if n < len(one_way))  # the first `one_way`: only member 0 triggers
        self._by_stem: dict[str, list[int]] = {}  # stem -> the groups a member holding it is in
        for number, group in enumerate(self.groups):
            for stem in dict.fromkeys(s for member in group for s in member.stems if s):
                self._by_stem.setdefault(stem, []).append(number)

    def matches(self, query_stems: set[str]) -> list[Match]:
        """Per group one of whose members the query holds whole: the query's stems that make up the
        matched members, and the group's other members as stem tuples (stop words left out; a
        member the query already holds, or an earlier group already brought in, is skipped)."""
        found: list[Match] = []
        seen: set[tuple[str, ...]] = set()
        numbers = sorted({n for stem in query_stems for n in self._by_stem.get(stem, ())})
        for number, group in ((n, self.groups[n]) for n in numbers):
            matched = [all(s and s in query_stems for s in m.stems) for m in group]
            if number < self.one_way:
                matched = [matched[0], *(False for _ in group[1:])]
            if not any(matched):
                continue
            triggers = list(dict.fromkeys(s for m, hit in zip(group, matched, strict=True) if hit for s in m.stems))
            members: list[tuple[str, ...]] = []
            for member, hit in zip(group, matched, strict=True):
                pairs = zip(member.words, member.stems, strict=True)
                stems = tuple(dict.fromkeys(s for w, s in pairs if s and w not in STOP_WORDS))
                if hit or not stems or set(stems) <= query_stems or stems in seen:
                    continue
                if len(member.words) > 1 and len(stems) < 2:
                    continue  # "roll out" is not "roll": a phrase left with one word only triggers
                seen.add(stems)
                members.append(stems)
            if members:
                found.append(Match(triggers, members, number < self.exact))
        return found

    def data(self) -> list[list[list[list[str]]]]:
        """The groups for the browser: each member as [words, stems]."""
        return [[[list(m.words), list(m.stems)] for m in group] for group in self.groups]


@functools.lru_cache(maxsize=8)
def thesaurus(extra: tuple[tuple[str, ...], ...] = ()) -> Thesaurus:
    """The shipped groups plus a vault's own (from backbrain.toml's [search] synonyms)."""
    return Thesaurus([*shipped_groups(), *extra], shipped_abbreviations(), shipped_variants())
