"""The eight simulations, one module each, in the order `backbrain lab list` shows them."""

from __future__ import annotations

from backbrain.labs.sims import (
    cache_stampede,
    circuit_breaker,
    consistent_hashing,
    db_connection_exhaustion,
    queueing,
    rate_limiters,
    retry_storm,
    thundering_herd,
)
from backbrain.labs.spec import Lab

ALL_LABS: tuple[Lab, ...] = (
    retry_storm.LAB,
    cache_stampede.LAB,
    thundering_herd.LAB,
    queueing.LAB,
    db_connection_exhaustion.LAB,
    rate_limiters.LAB,
    consistent_hashing.LAB,
    circuit_breaker.LAB,
)
