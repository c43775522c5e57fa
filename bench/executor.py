"""Overhead of the local-process and Ray executors against the serial one on the same sweep.

Runs the same sweep of cells (each a fixed amount of single-threaded torch
work) through ``support.core.executor.run_cells`` serially, on ``--cpus``
local processes (``workers``) and on a local Ray instance, in one process;
checks the results are identical, and prints the wall time of each, Ray's
start-up time, and the overhead per cell (``(parallel - serial / workers) /
cells``). On a 2-core machine either can at best halve the time; on a
cluster, Ray spreads cells over its workers.

Usage: python bench/executor.py [--cells 16] [--work-ms 200] [--cpus 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from executor_cells import busy_cell  # noqa: E402

from support.core.executor import run_cells  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=16)
    parser.add_argument("--work-ms", type=float, default=200.0)
    parser.add_argument("--cpus", type=int, default=2)
    args = parser.parse_args()
    cells = [{"index": i, "work_ms": args.work_ms} for i in range(args.cells)]

    start = time.perf_counter()
    serial = run_cells(busy_cell, cells, backend="serial")
    t_serial = time.perf_counter() - start

    start = time.perf_counter()
    local = run_cells(busy_cell, cells, backend="serial", workers=args.cpus)
    t_local = time.perf_counter() - start

    import ray

    from support.core import ray_backend

    os.environ["SUPPORT_RAY_CPUS"] = str(args.cpus)
    os.environ.pop("RAY_ADDRESS", None)
    start = time.perf_counter()
    ray_backend.connect()
    t_start = time.perf_counter() - start
    start = time.perf_counter()
    parallel = run_cells(busy_cell, cells, backend="ray")
    t_ray = time.perf_counter() - start
    ray.shutdown()

    assert [r["value"] for r in serial] == [r["value"] for r in parallel], "Ray != serial"
    assert [r["value"] for r in serial] == [r["value"] for r in local], "processes != serial"
    ideal = t_serial / args.cpus
    print(f"cells={args.cells} work={args.work_ms:.0f} ms/cell cpus={args.cpus}")
    print(f"serial            {t_serial:7.2f} s  ({t_serial / args.cells * 1e3:.0f} ms/cell)")
    print(f"processes sweep   {t_local:7.2f} s  (ideal {ideal:.2f} s, start-up included)")
    print(f"overhead per cell {(t_local - ideal) / args.cells:7.3f} s  (processes)")
    print(f"ratio serial/proc {t_serial / t_local:7.2f}x")
    print(f"ray start-up      {t_start:7.2f} s  (once per process)")
    print(f"ray sweep         {t_ray:7.2f} s  (ideal {ideal:.2f} s on {args.cpus} CPUs)")
    print(f"overhead per cell {(t_ray - ideal) / args.cells:7.3f} s")
    print(f"ratio serial/ray  {t_serial / t_ray:7.2f}x (start-up excluded)")
    print(f"ratio serial/ray  {t_serial / (t_ray + t_start):7.2f}x (start-up included)")
    print("results identical: True")


if __name__ == "__main__":
    main()
