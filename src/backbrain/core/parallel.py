"""The one way backbrain spreads CPU-bound work over cores.

Parsing notes, reading changed files for the search index and rendering pages are pure Python, so
threads do not help and a pool of processes does. Forking (not spawning) keeps the start cheap: a
child inherits the imported package and the parsed configuration instead of importing them again.
Forking is unsafe from any thread but the main one (another thread may hold a lock the child then
inherits locked, e.g. inside logging or the allocator), so off the main thread, on one core, on a
platform without fork, or for small inputs where starting a process costs more than it saves, the
work runs in this process and gives the same result. A worker that dies (killed, out of memory) does
not hang the caller: what it was given is done in this process instead, so the work must be safe to
run twice (parsing is pure; a page written twice has the same bytes).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

MAX_WORKERS = 4  # beyond this the parent's merging and the kernel's page faults dominate


def worker_count(limit: int = MAX_WORKERS) -> int:
    """How many processes may work at once here (1 means: do not fork)."""
    if not hasattr(os, "fork"):
        return 1
    if threading.current_thread() is not threading.main_thread():
        return 1
    return max(1, min(os.cpu_count() or 1, limit))


def split_map(work: Callable[[Sequence[T]], list[R]], items: Sequence[T], *, min_items: int) -> list[R]:
    """`work` applied to shares of `items`, results concatenated in input order.

    This process works on the first share while forked workers do the others, so two cores nearly
    halve the wall time without a process sitting idle waiting for results.
    """
    workers = worker_count()
    if workers < 2 or len(items) < min_items:
        return work(items)
    size = -(-len(items) // workers)
    shares = [items[i : i + size] for i in range(0, len(items), size)]
    with _pool(len(shares) - 1) as pool:
        pending = [pool.submit(work, share) for share in shares[1:]]
        first = work(shares[0])
        rest = [_result_or_here(future, work, share) for future, share in zip(pending, shares[1:], strict=True)]
    return [item for part in (first, *rest) for item in part]


def ordered_map(fn: Callable[[T], R], items: Sequence[T], *, min_items: int, chunksize: int = 32) -> Iterator[R]:
    """`fn` over `items`, yielded in order as results arrive (for callers that stream into a database)."""
    workers = worker_count()
    if workers < 2 or len(items) < min_items:
        yield from map(fn, items)
        return
    done = 0
    pool = _pool(workers)
    try:
        for result in pool.map(fn, items, chunksize=chunksize):
            yield result
            done += 1
    except BrokenProcessPool:
        yield from map(fn, items[done:])  # a worker died: the rest is done here
    finally:  # also when the caller stops early: chunks not started yet are dropped, not computed
        pool.shutdown(wait=True, cancel_futures=True)


def _pool(workers: int) -> ProcessPoolExecutor:
    """Forked workers; unlike multiprocessing.Pool, a worker that dies (killed, out of memory) makes
    its results fail with BrokenProcessPool instead of leaving the caller waiting for ever."""
    import multiprocessing  # only when forking: a search on an unchanged vault must not pay for it

    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))


def _result_or_here(future: Future[list[R]], work: Callable[[Sequence[T]], list[R]], share: Sequence[T]) -> list[R]:
    """The worker's result for a share, or the share done in this process if the worker died."""
    try:
        return future.result()
    except BrokenProcessPool:
        return work(share)
