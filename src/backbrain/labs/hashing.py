"""Placing keys on nodes: mod-N, a consistent-hash ring with virtual nodes, and jump hash.

The question each answers differently is what happens when the node count changes:

- mod-N (hash % n) spreads keys evenly but moves almost all of them, n/(n+1), when a node is
  added: every cache goes cold at once.
- A hash ring moves only the keys the new node takes over, about 1/(n+1), but with one point per
  node the arcs are uneven (load spread around 100%); v virtual nodes per node average that out,
  shrinking the spread roughly as 1/sqrt(v), at the cost of a bigger ring to search.
- Jump consistent hash (Lamping and Veach, "A Fast, Minimal Memory, Consistent Hash Algorithm",
  2014) gets both an even spread and the minimal 1/(n+1) movement with no state at all, but its
  buckets are numbered 0..n-1, so it can only add or remove the last bucket.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterable

_MASK64 = (1 << 64) - 1


def key_hash(key: str | bytes) -> int:
    """A stable 64-bit hash (BLAKE2b); Python's hash() is salted per process, so unusable here."""
    data = key.encode("utf-8") if isinstance(key, str) else key
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")


def mod_n(key: str | bytes, n: int) -> int:
    """Bucket 0..n-1 by hash modulo n."""
    if n < 1:
        raise ValueError("n must be >= 1")
    return key_hash(key) % n


def jump_hash(key: int, num_buckets: int) -> int:
    """Jump consistent hash (Lamping and Veach 2014), a direct transcription of the paper's code.

    A 64-bit linear congruential generator seeded with the key decides, bucket count by bucket
    count, whether the key jumps forward; it jumps to bucket j with exactly the probability needed
    for an even spread, so growing from n to n+1 buckets moves 1/(n+1) of the keys, all to the
    new bucket.
    """
    if num_buckets < 1:
        raise ValueError("num_buckets must be >= 1")
    key &= _MASK64
    b, j = -1, 0
    while j < num_buckets:
        b = j
        key = (key * 2862933555777941757 + 1) & _MASK64
        j = int((b + 1) * (float(1 << 31) / float((key >> 33) + 1)))
    return b


class HashRing:
    """Consistent hashing on a 64-bit ring with `vnodes` points per node.

    A key belongs to the first node point clockwise from the key's hash. Adding a node inserts
    its points and takes over only the arcs just before them.
    """

    def __init__(self, nodes: Iterable[str] = (), vnodes: int = 100) -> None:
        if vnodes < 1:
            raise ValueError("vnodes must be >= 1")
        self.vnodes = vnodes
        self._points: list[int] = []
        self._owners: list[str] = []
        self._nodes: set[str] = set()
        for node in nodes:
            self.add(node)

    @property
    def nodes(self) -> frozenset[str]:
        return frozenset(self._nodes)

    def add(self, node: str) -> None:
        if node in self._nodes:
            raise ValueError(f"node {node!r} is already on the ring")
        self._nodes.add(node)
        for i in range(self.vnodes):
            point = key_hash(f"{node}#{i}")
            at = bisect.bisect_left(self._points, point)
            self._points.insert(at, point)
            self._owners.insert(at, node)

    def remove(self, node: str) -> None:
        if node not in self._nodes:
            raise KeyError(node)
        self._nodes.discard(node)
        kept = [(p, o) for p, o in zip(self._points, self._owners, strict=True) if o != node]
        self._points = [p for p, _ in kept]
        self._owners = [o for _, o in kept]

    def node_for(self, key: str | bytes) -> str:
        return self.node_for_hash(key_hash(key))

    def node_for_hash(self, h: int) -> str:
        if not self._points:
            raise LookupError("the ring has no nodes")
        at = bisect.bisect_right(self._points, h)
        return self._owners[at % len(self._points)]

    def shares(self) -> dict[str, float]:
        """Fraction of the ring each node owns: the load it gets from uniformly hashed keys."""
        if not self._points:
            return {}
        out = dict.fromkeys(self._nodes, 0.0)
        span = float(1 << 64)
        prev = self._points[-1] - (1 << 64)
        for point, owner in zip(self._points, self._owners, strict=True):
            out[owner] += (point - prev) / span
            prev = point
        return out
