"""The local-processes side of :mod:`support.core.executor`: cells on the machine's other cores.

Each worker is a fresh (spawned) Python process with one torch thread
(``$SUPPORT_THREADS``); it receives the sweep's ``shared`` inputs once, when
it starts, and then runs cells with :func:`~.executor.seeded_call`, exactly
as the serial path does, so the results are the same.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

_SHARED: dict = {}


def run(
    fn: Callable[..., Any],
    jobs: Sequence[tuple[int, dict, int]],
    shared: dict | None,
    workers: int,
) -> Iterator[tuple[int, Any]]:
    """Run one task per ``(index, cell, seed)`` on ``workers`` processes; yield ``(index, result)`` as each ends.

    A cell that raises stops the sweep: its exception is re-raised here, and the
    cells not yet started are cancelled.
    """
    threads = int(os.environ.get("SUPPORT_THREADS", 0) or 1)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=min(workers, len(jobs)),
        mp_context=context,
        initializer=_start_worker,
        initargs=(dict(shared or {}), threads),
    ) as pool:
        futures = {pool.submit(_task, fn, cell, seed): i for i, cell, seed in jobs}
        try:
            for future in as_completed(futures):
                yield futures[future], future.result()
        finally:
            for future in futures:
                future.cancel()


def _start_worker(shared: dict, threads: int) -> None:
    from .runtime import limit_threads

    limit_threads(threads)
    _SHARED.update(shared)


def _task(fn, cell, seed):
    from .executor import seeded_call

    return seeded_call(fn, cell, seed, _SHARED)
