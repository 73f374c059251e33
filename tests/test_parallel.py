"""core/parallel: the same answer in one process or several, and never a fork off the main thread."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

from backbrain.core import parallel


def pids(items: Sequence[int]) -> list[tuple[int, int]]:
    return [(item * 2, os.getpid()) for item in items]


def test_split_map_keeps_order_and_uses_another_process_on_big_inputs() -> None:
    result = parallel.split_map(pids, list(range(100)), min_items=10)
    assert [value for value, _ in result] == [i * 2 for i in range(100)]
    if parallel.worker_count() > 1:
        assert len({pid for _, pid in result}) > 1


def test_small_inputs_stay_in_this_process() -> None:
    assert {pid for _, pid in parallel.split_map(pids, list(range(5)), min_items=10)} == {os.getpid()}


def test_ordered_map_streams_in_order() -> None:
    assert list(parallel.ordered_map(abs, [-3, 2, -1] * 50, min_items=10, chunksize=7)) == [3, 2, 1] * 50


def test_never_forks_off_the_main_thread() -> None:
    seen: list[set[int]] = []
    worker = threading.Thread(
        target=lambda: seen.append({pid for _, pid in parallel.split_map(pids, list(range(100)), min_items=10)})
    )
    worker.start()
    worker.join()
    assert seen == [{os.getpid()}]


PARENT = os.getpid()


def dies_in_a_worker(items: Sequence[int]) -> list[tuple[int, int]]:
    if os.getpid() != PARENT:
        os._exit(9)  # as if the kernel's OOM killer took the worker
    return pids(items)


def test_a_worker_that_dies_does_not_hang_and_its_share_is_done_here() -> None:
    result = parallel.split_map(dies_in_a_worker, list(range(100)), min_items=10)
    assert result == [(i * 2, PARENT) for i in range(100)]


def double_or_die(item: int) -> int:
    if os.getpid() != PARENT and item >= 30:
        os._exit(9)
    return item * 2


def test_ordered_map_finishes_in_this_process_when_a_worker_dies() -> None:
    assert list(parallel.ordered_map(double_or_die, list(range(100)), min_items=10, chunksize=5)) == [
        i * 2 for i in range(100)
    ]


def slow_square(item: int) -> int:
    import time

    time.sleep(0.05)
    return item * item


def test_a_caller_that_stops_early_does_not_wait_for_the_rest() -> None:
    import time

    started = time.perf_counter()
    stream = parallel.ordered_map(slow_square, list(range(400)), min_items=10, chunksize=1)
    assert [next(stream) for _ in range(3)] == [0, 1, 4]
    stream.close()
    assert time.perf_counter() - started < 5  # all 400 would take 10 s on two workers
