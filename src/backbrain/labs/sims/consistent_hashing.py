"""consistent-hashing: how evenly keys spread, and how many move when a node joins.

`keys` random keys are placed on `nodes` nodes by each scheme, then a node is added and the
placement recomputed. Two numbers per scheme:

- load_stddev_pct: the standard deviation of keys per node as a percentage of the mean. With
  K keys even a perfect scheme shows sampling noise of about sqrt(n / K) (1% at the defaults);
  anything above that is the scheme's own unevenness.
- keys_moved_pct: the share of keys whose node changed. The minimum possible is 1/(n+1), the
  keys the new node must take: 9.09% from 10 to 11 nodes.

mod-N is even but moves n/(n+1) of the keys. A ring with one point per node moves few keys but
its arcs differ wildly in length; v virtual nodes per node shrink the spread roughly as
1/sqrt(v). Jump hash is even and minimal at once.

There is no time in this lab, so it is a plain computation rather than a SimPy model.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from backbrain.labs.hashing import HashRing, jump_hash, key_hash
from backbrain.labs.spec import Lab, LabInfo, Metric, Number, Outcome, Param, ProgressFn, SeriesPlot, stepper
from backbrain.labs.stats import rounded, seeded, stddev_pct

VARIANTS = ("mod-n", "ring-1", "ring-100", "ring-1000", "jump")

INFO = LabInfo(
    name="consistent-hashing",
    title="Consistent hashing: load spread and keys moved",
    description=(
        "Keys placed on nodes by mod-N, a hash ring with 1, 100 and 1000 virtual nodes per node, "
        "and jump consistent hash; then one node is added. mod-N moves almost every key, rings "
        "trade evenness for ring size, jump hash is both even and minimal."
    ),
    params=(
        Param("nodes", "int", 10, "nodes before one is added", 1, 1000),
        Param("keys", "int", 100000, "keys placed", 100, 5000000),
    ),
    variants=VARIANTS,
    metrics=(
        Metric("load_stddev_pct", "standard deviation of keys per node, % of the mean (before the node is added)"),
        Metric("keys_moved_pct", "% of keys that change node when one node is added"),
    ),
    notes=("consistent-hashing", "sharding"),
    source=(
        'D. Karger et al., "Consistent Hashing and Random Trees", STOC 1997; J. Lamping, E. Veach, '
        '"A Fast, Minimal Memory, Consistent Hash Algorithm", arXiv:1406.2294, 2014'
    ),
    checked_against="theory",
    checked_how=(
        "keys moved within 1 point of 1/(n+1) (jump) and n/(n+1) (mod-N), ring spread about 1/sqrt(virtual nodes)"
    ),
)

Placer = Callable[[int], int]  # key hash -> node index


def _placer(variant: str, n: int) -> Placer:
    if variant == "mod-n":
        return lambda h: h % n
    if variant == "jump":
        return lambda h: jump_hash(h, n)
    ring = HashRing((f"node-{i}" for i in range(n)), vnodes=int(variant.split("-")[1]))
    index = {f"node-{i}": i for i in range(n)}
    return lambda h: index[ring.node_for_hash(h)]


def place(variant: str, n: int, hashes: list[int]) -> list[int]:
    placer = _placer(variant, n)
    return [placer(h) for h in hashes]


def run(p: Mapping[str, Any], seed: int, progress: ProgressFn) -> Outcome:
    n = p["nodes"]
    rng = seeded(seed, INFO.name, "keys")
    hashes = [key_hash(f"key-{rng.getrandbits(64):016x}") for _ in range(p["keys"])]
    advance = stepper(progress, 2 * len(VARIANTS))
    variants: dict[str, dict[str, Number]] = {}
    lines: dict[str, list[tuple[float, float]]] = {}
    for i, name in enumerate(VARIANTS):
        before = place(name, n, hashes)
        advance(2 * i + 1)
        after = place(name, n + 1, hashes)
        counts = Counter(before)
        loads = [counts.get(node, 0) for node in range(n)]
        moved = sum(1 for a, b in zip(before, after, strict=True) if a != b)
        variants[name] = {
            "load_stddev_pct": rounded(stddev_pct(loads), 2),
            "keys_moved_pct": rounded(100.0 * moved / len(hashes), 2),
        }
        mean_load = len(hashes) / n
        lines[name] = [(float(node), 100.0 * load / mean_load) for node, load in enumerate(loads)]
        advance(2 * i + 2)
    plot = SeriesPlot(
        title=f"Keys per node as % of the mean ({p['keys']:,} keys on {n} nodes)",
        xlabel="node",
        ylabel="% of mean load",
        lines=lines,
        style=dict.fromkeys(VARIANTS, "o-"),
    )
    return Outcome(variants, plot)


LAB = Lab(INFO, run, lambda p: p["keys"] * 10 + p["nodes"] * 2200)
