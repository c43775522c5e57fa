"""One executor for every sweep: serial by default, a Ray cluster when asked.

A sweep is a list of independent cells (a batch of retrains, an attack, an
expert trajectory, a distillation run). Each cell is a mapping of plain
values, its *coordinates*; :func:`run_cells` calls ``fn(**cell)`` for each,
seeding every call from the cell's coordinates (never from the order cells
run in), so the serial and the Ray paths give identical results. Results are
cached per cell on the driver as they arrive, so an interrupted sweep, serial
or on a cluster, resumes where it stopped.

Choosing the backend: ``backend="serial"`` or ``"ray"`` explicitly, or
``"auto"`` (the default), which is Ray when ``$RAY_ADDRESS`` is set (a
cluster: ``ray://head:10001`` or ``auto`` on a node) or
``$SUPPORT_EXECUTOR=ray`` (a local Ray instance with
``$SUPPORT_RAY_CPUS`` CPUs), and serial otherwise. A serial sweep asked for
``workers > 1`` runs its cells on that many local processes instead
(``$SUPPORT_WORKERS`` overrides the number; 1 keeps everything in this
process); each cell's result does not depend on where it ran.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from .cache import Cache, key_hash
from .progress import progress
from .runtime import seed_everything
from .validate import check_int

BACKENDS = ("auto", "serial", "ray")


def cell_seed(cell: Mapping[str, Any], base: int = 0) -> int:
    """A 31-bit seed derived from a cell's coordinates and a base seed.

    Parameters
    ----------
    cell : mapping
        The cell's coordinates (plain values, dataclasses, arrays).
    base : int
        The run's base seed (the notebook's ``SEED``).
    """
    return int(key_hash({"cell": cell, "base": base})[:8], 16) & 0x7FFFFFFF


def choose_backend(backend: str = "auto") -> str:
    """Resolve ``"auto"`` from the environment; validate an explicit choice."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if backend != "auto":
        return backend
    if os.environ.get("RAY_ADDRESS") or os.environ.get("SUPPORT_EXECUTOR", "") == "ray":
        return "ray"
    executor = os.environ.get("SUPPORT_EXECUTOR", "")
    if executor not in ("", "serial"):
        raise ValueError(f"SUPPORT_EXECUTOR must be 'serial' or 'ray', got {executor!r}")
    return "serial"


def run_cells(
    fn: Callable[..., Any],
    cells: Sequence[Mapping[str, Any]],
    *,
    cache: Cache | None = None,
    desc: str = "cells",
    base_seed: int = 0,
    device: str = "cpu",
    backend: str = "auto",
    shared: Mapping[str, Any] | None = None,
    workers: int = 1,
) -> list[Any]:
    """Run ``fn(**cell, **shared)`` for every cell and return the results in cell order.

    Parameters
    ----------
    fn : callable
        A module-level function (so Ray can ship it to workers) taking the
        cell's coordinates as keyword arguments.
    cells : sequence of mappings
        The sweep's cells; each is also its cache key (with ``fn``'s name).
    cache : Cache, optional
        Where finished cells are stored; hits are not recomputed.
    desc : str
        Progress-bar label.
    base_seed : int
        Mixed with each cell's coordinates into the seed set before ``fn`` runs.
    device : str
        ``"cuda..."`` makes each Ray task ask for one GPU; otherwise one CPU.
    backend : {"auto", "serial", "ray"}
        See the module docstring.
    shared : mapping, optional
        Bulky inputs every cell receives as keyword arguments (a data set,
        expert trajectories). They are neither hashed nor mixed into the seed,
        so put a fingerprint of them in each cell; on Ray they are stored once
        in the object store, not shipped with every task.
    workers : int
        Local processes a serial sweep may use (>= 1; ``$SUPPORT_WORKERS``
        overrides it). With more than one, and more than one cell to compute,
        the cells run on spawned worker processes, each of which receives
        ``shared`` once.

    Returns
    -------
    list
        ``fn``'s result for each cell, in the order of ``cells``.
    """
    cells = [dict(c) for c in cells]
    shared = dict(shared or {})
    clash = sorted(set(shared).intersection(set().union(*cells)))
    if clash:
        raise ValueError(f"shared names {clash} are also cell coordinates; rename one of them")
    keys = [{"fn": f"{fn.__module__}.{fn.__qualname__}", "cell": c} for c in cells]
    results: dict[int, Any] = {}
    if cache is not None:
        for i, key in enumerate(keys):
            if key in cache:
                try:
                    results[i] = cache.load(key)
                except (EOFError, OSError, ValueError):
                    pass
    todo = [i for i in range(len(cells)) if i not in results]
    seeds = {i: cell_seed(cells[i], base_seed) for i in todo}

    def store(i: int, value: Any) -> None:
        results[i] = value
        if cache is not None:
            cache.save(keys[i], value)

    chosen = choose_backend(backend)
    workers = local_workers(workers)
    if chosen == "serial" and workers > 1 and len(todo) > 1:
        chosen = "processes"
    _log(chosen, fn, len(cells), len(todo))
    if todo and chosen == "processes":
        from . import process_backend

        jobs = [(i, cells[i], seeds[i]) for i in todo]
        for i, value in progress(
            process_backend.run(fn, jobs, shared, workers), desc=desc, total=len(todo)
        ):
            store(i, value)
    elif todo and chosen == "ray":
        from . import ray_backend

        for i, value in progress(
            ray_backend.run(fn, [(i, cells[i], seeds[i]) for i in todo], device, shared),
            desc=desc,
            total=len(todo),
        ):
            store(i, value)
    else:
        for i in progress(todo, desc=desc, total=len(todo)):
            with _caller_rng_preserved():
                store(i, seeded_call(fn, cells[i], seeds[i], shared))
    return [results[i] for i in range(len(cells))]


def local_workers(workers: int = 1) -> int:
    """The number of local processes a serial sweep uses: ``$SUPPORT_WORKERS`` if set, else ``workers``."""
    check_int("workers", workers)
    env = os.environ.get("SUPPORT_WORKERS", "")
    if not env:
        return workers
    if not env.isdigit() or int(env) < 1:
        raise ValueError(f"SUPPORT_WORKERS must be an integer >= 1, got {env!r}")
    return int(env)


def _log(backend: str, fn: Callable[..., Any], cells: int, computed: int) -> None:
    """Append one line per sweep to ``$SUPPORT_EXECUTOR_LOG`` (tests check the backend used)."""
    path = os.environ.get("SUPPORT_EXECUTOR_LOG", "")
    if path:
        with open(path, "a") as log:
            log.write(f"{backend} {fn.__module__}.{fn.__qualname__} {cells} {computed}\n")


@contextmanager
def _caller_rng_preserved():
    """Restore the caller's global RNG states after a serial cell, as a Ray task leaves them."""
    import torch

    states = random.getstate(), np.random.get_state(), torch.get_rng_state()  # noqa: NPY002
    try:
        yield
    finally:
        random.setstate(states[0])
        np.random.set_state(states[1])  # noqa: NPY002
        torch.set_rng_state(states[2])


def seeded_call(
    fn: Callable[..., Any],
    cell: Mapping[str, Any],
    seed: int,
    shared: Mapping[str, Any] | None = None,
) -> Any:
    """Seed every generator from ``seed``, then call ``fn(**cell, **shared)``."""
    seed_everything(seed)
    return fn(**cell, **(shared or {}))
