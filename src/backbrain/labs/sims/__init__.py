"""The simulations, one module each, in the order `backbrain lab list` shows them."""

from __future__ import annotations

from backbrain.labs.sims import (
    bulkhead,
    cache_stampede,
    circuit_breaker,
    consistent_hashing,
    db_connection_exhaustion,
    hedged_requests,
    load_balancing,
    load_shedding,
    queueing,
    rate_limiters,
    retry_collapse,
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
    load_shedding.LAB,
    retry_collapse.LAB,
    bulkhead.LAB,
    hedged_requests.LAB,
    load_balancing.LAB,
)
