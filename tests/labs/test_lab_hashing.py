"""Unit tests for mod-N, the hash ring and jump consistent hash."""

from __future__ import annotations

import hashlib
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backbrain.labs.hashing import HashRing, jump_hash, key_hash, mod_n


@pytest.mark.parametrize(
    ("key", "buckets", "expected"),
    [
        # Values from the reference implementation's published test vectors (ClickHouse's
        # jumpConsistentHash tests, rust-jumphash), which follow the paper's C++ code exactly.
        (1, 1, 0),
        (42, 57, 43),
        (256, 1024, 520),
        (3735883980, 1, 0),
        (3735883980, 666, 361),
        (16045690984833335023, 255, 237),
        (123456, 1000, 984),
    ],
)
def test_jump_hash_matches_reference_vectors(key, buckets, expected):
    assert jump_hash(key, buckets) == expected


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=2**64 - 1), st.integers(min_value=1, max_value=500))
def test_jump_hash_only_moves_keys_to_the_new_bucket(key, n):
    before, after = jump_hash(key, n), jump_hash(key, n + 1)
    assert 0 <= before < n
    assert after in (before, n)


def test_jump_hash_spreads_evenly():
    rng = random.Random(1)
    counts = [0] * 10
    for _ in range(50_000):
        counts[jump_hash(rng.getrandbits(64), 10)] += 1
    assert max(counts) < 5_000 * 1.05 and min(counts) > 5_000 * 0.95


def test_key_hash_is_stable_across_processes():
    # A fixed value: Python's own hash() is salted per process and would break placement.
    assert key_hash("user:42") == key_hash(b"user:42")
    digest = hashlib.blake2b(b"user:42", digest_size=8).digest()
    assert key_hash("user:42") == int.from_bytes(digest, "big")


def test_mod_n_range_and_errors():
    assert all(0 <= mod_n(f"k{i}", 7) < 7 for i in range(100))
    with pytest.raises(ValueError):
        mod_n("k", 0)
    with pytest.raises(ValueError):
        jump_hash(1, 0)


def test_ring_adding_a_node_moves_keys_only_to_it():
    keys = [f"key-{i}" for i in range(5_000)]
    ring = HashRing([f"n{i}" for i in range(5)], vnodes=50)
    before = {k: ring.node_for(k) for k in keys}
    ring.add("n5")
    moved = [k for k in keys if ring.node_for(k) != before[k]]
    assert moved and all(ring.node_for(k) == "n5" for k in moved)
    assert len(moved) / len(keys) == pytest.approx(1 / 6, abs=0.05)


def test_ring_removing_a_node_moves_only_its_keys():
    keys = [f"key-{i}" for i in range(2_000)]
    ring = HashRing(["a", "b", "c"], vnodes=20)
    before = {k: ring.node_for(k) for k in keys}
    ring.remove("b")
    assert ring.nodes == {"a", "c"}
    for k in keys:
        if before[k] != "b":
            assert ring.node_for(k) == before[k]
        else:
            assert ring.node_for(k) in {"a", "c"}


def test_ring_shares_sum_to_one_and_even_out_with_virtual_nodes():
    nodes = [f"n{i}" for i in range(10)]
    one = HashRing(nodes, vnodes=1).shares()
    many = HashRing(nodes, vnodes=500).shares()
    assert sum(one.values()) == pytest.approx(1.0) and sum(many.values()) == pytest.approx(1.0)
    assert max(many.values()) / min(many.values()) < max(one.values()) / min(one.values())
    assert all(0.07 < s < 0.13 for s in many.values())


def test_ring_errors():
    with pytest.raises(LookupError):
        HashRing().node_for("k")
    ring = HashRing(["a"])
    with pytest.raises(ValueError):
        ring.add("a")
    with pytest.raises(KeyError):
        ring.remove("zzz")
    with pytest.raises(ValueError):
        HashRing(vnodes=0)
