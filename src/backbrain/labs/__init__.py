"""Labs: runnable simulations that make failure modes happen and show mitigations working.

Each lab is a SimPy model of one failure mode (retry storms, cache stampedes, thundering herds,
queueing near saturation, connection-pool exhaustion, rate-limiter bursts, key reshuffles,
cascading failures) run once per variant: without protection, then with each mitigation. The
mechanisms themselves (rate limiters, circuit breaker, XFetch, single-flight, hash rings, backoff,
retry budgets) are ordinary library code in sibling modules, usable outside the simulations.

    from backbrain.labs import list_labs, run_lab, write_lab_outputs
    result = run_lab("retry-storm", {"clients": "50"}, seed=7)
    result.to_dict()  # {"lab": ..., "params": ..., "seed": 7, "variants": {...}}

This package never imports click, rich or the CLI; matplotlib is optional and imported lazily.
"""

from __future__ import annotations

from backbrain.labs.outputs import WrittenOutputs, lab_dir, render_json, write_lab_outputs
from backbrain.labs.registry import DEFAULT_SEED, LabResult, get_lab, list_labs, params_help, run_lab
from backbrain.labs.spec import LabInfo, Metric, Param

__all__ = [
    "DEFAULT_SEED",
    "LabInfo",
    "LabResult",
    "Metric",
    "Param",
    "WrittenOutputs",
    "get_lab",
    "lab_dir",
    "list_labs",
    "params_help",
    "render_json",
    "run_lab",
    "write_lab_outputs",
]
