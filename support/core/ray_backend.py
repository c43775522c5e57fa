"""The Ray side of :mod:`support.core.executor` (imported only when Ray is used).

Install with ``pip install -e .[cluster]``. ``$RAY_ADDRESS`` names a running
cluster; without it, ``$SUPPORT_EXECUTOR=ray`` starts a local instance with
``$SUPPORT_RAY_CPUS`` CPUs (default: all), listening on 127.0.0.1 only. A real
cluster is reached over a private network or an SSH tunnel (README).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any


def connect():
    """Connect to ``$RAY_ADDRESS`` (or start a local instance) once per process."""
    address = os.environ.get("RAY_ADDRESS", "")
    if not address:
        # A local instance listens on loopback only: Ray's services would otherwise bind every
        # interface, and anyone on the network could run code through them.
        os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    try:
        import ray
    except ImportError as err:
        raise ImportError(
            "the Ray executor needs ray: pip install -e '.[cluster]' (or unset "
            "RAY_ADDRESS / SUPPORT_EXECUTOR to run serially)"
        ) from err
    if ray.is_initialized():
        return ray
    threads = os.environ.get("SUPPORT_THREADS", "1")
    runtime_env = {
        "env_vars": {k: threads for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "SUPPORT_THREADS")}
    }
    options = dict(runtime_env=runtime_env, include_dashboard=False, log_to_driver=False)
    if address:
        _check_reachable(address)
        try:
            ray.init(address=address, **options)
        except (ConnectionError, RuntimeError, TimeoutError, ValueError) as err:
            raise ConnectionError(
                f"RAY_ADDRESS={address!r}: no Ray cluster answered there ({err}); start one "
                "with `ray start --head` or unset RAY_ADDRESS to run serially"
            ) from err
    else:
        from ray._private import ray_constants

        ray_constants.ENABLE_RAY_CLUSTER = False  # read at start-up, even if ray was imported
        cpus = os.environ.get("SUPPORT_RAY_CPUS", "")
        ray.init(num_cpus=int(cpus) if cpus else None, _node_ip_address="127.0.0.1", **options)
    return ray


def _check_reachable(address: str, timeout_s: float = 5.0) -> None:
    """Fail fast when ``host:port`` refuses connections (Ray itself retries for minutes)."""
    import socket

    target = address.removeprefix("ray://")
    if target == "auto" or ":" not in target:
        return
    host, _, port = target.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout_s):
            return
    except (OSError, ValueError) as err:
        raise ConnectionError(
            f"RAY_ADDRESS={address!r}: no Ray cluster answered there ({err}); start one with "
            "`ray start --head` or unset RAY_ADDRESS to run serially"
        ) from err


def run(
    fn: Callable[..., Any],
    jobs: Sequence[tuple[int, dict, int]],
    device: str,
    shared: dict | None = None,
) -> Iterator[tuple[int, Any]]:
    """Submit one task per ``(index, cell, seed)``; yield ``(index, result)`` as each finishes.

    A task asks for one GPU when ``device`` is CUDA and one CPU otherwise.
    ``shared`` is put in the object store once; Ray hands every task its value.
    """
    ray = connect()
    from .executor import seeded_call

    resources = {"num_gpus": 1} if str(device).startswith("cuda") else {"num_cpus": 1}
    remote = ray.remote(**resources)(_task)
    shared_ref = ray.put(dict(shared or {}))
    pending = {remote.remote(fn, cell, seed, seeded_call, shared_ref): i for i, cell, seed in jobs}
    while pending:
        done, _ = ray.wait(list(pending), num_returns=1)
        for ref in done:
            yield pending.pop(ref), ray.get(ref)


def _task(fn, cell, seed, call, shared):
    from .runtime import limit_threads

    limit_threads(int(os.environ.get("SUPPORT_THREADS", "1")))
    return call(fn, cell, seed, shared)
