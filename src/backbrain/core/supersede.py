"""Which decision replaced which: the supersede relation walked in one place.

check (conflicts and cycles), `decision supersede` (refusing to make a decision its own ancestor),
`decision timeline` and the site's timeline (the line of decisions through one) all follow the same
edges; the walks live here so that they cannot disagree, and every walk is bounded by the set of
notes it has seen, so a hand-written cycle cannot loop.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class Supersessions:
    older: dict[str, list[str]] = field(default_factory=dict)  # id -> the ids it supersedes, sorted
    newer: dict[str, list[str]] = field(default_factory=dict)  # id -> the ids that supersede it, sorted

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, str]]) -> Supersessions:
        """From (newer id, older id) pairs: the `supersedes` edges of a vault."""
        older: dict[str, set[str]] = {}
        newer: dict[str, set[str]] = {}
        for new, old in pairs:
            older.setdefault(new, set()).add(old)
            newer.setdefault(old, set()).add(new)
        return cls({k: sorted(v) for k, v in older.items()}, {k: sorted(v) for k, v in newer.items()})

    def ancestors(self, start: str) -> set[str]:
        """Every decision `start` replaces, directly or through others."""
        seen: set[str] = set()
        stack = [start]
        while stack:
            for old in self.older.get(stack.pop(), []):
                if old not in seen:
                    seen.add(old)
                    stack.append(old)
        return seen

    def _follow(self, start: str, step: dict[str, list[str]], avoid: set[str]) -> list[str]:
        """From `start`, repeatedly the first id in `step` not seen yet (start excluded)."""
        path: list[str] = []
        current = start
        while step.get(current):
            current = step[current][0]
            if current in avoid or current in path or current == start:
                break
            path.append(current)
        return path

    def line(self, start: str) -> list[str]:
        """The line of decisions through `start`, oldest first (empty when it takes part in none)."""
        if start not in self.older and start not in self.newer:
            return []
        back = self._follow(start, self.older, set())
        forward = self._follow(start, self.newer, set(back))
        return [*reversed(back), start, *forward]

    def chains(self, order: Iterable[str]) -> list[list[str]]:
        """One line per decision (in `order`) that supersedes nothing and is superseded by something."""
        return [
            [root, *self._follow(root, self.newer, set())]
            for root in order
            if root in self.newer and root not in self.older
        ]

    def cycles(self) -> list[list[str]]:
        """Each cycle once, as the ids around it with the first repeated at the end."""
        found: list[list[str]] = []
        reported: set[str] = set()
        for start in sorted(self.newer):
            path = [start, *self._follow(start, self.newer, set())]
            last = self.newer.get(path[-1], [])
            closing = next((n for n in last[:1] if n in path), None)
            if closing is not None:
                cycle = [*path[path.index(closing) :], closing]
                if not reported & set(cycle):
                    reported.update(cycle)
                    found.append(cycle)
        return found
