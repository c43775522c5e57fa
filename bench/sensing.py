"""Time one batched gradient-descent iteration against the dense-matrix-product limit.

One iteration of matrix sensing GD costs two products with the measurement
matrix (forward 𝒜 and adjoint 𝒜*), i.e. 2·R·m·n² multiply-adds for R runs;
everything else is O(R·n²·k). This script measures the achieved time per
iteration and divides it by the time this machine needs for the same number
of multiply-adds in one large float64 GEMM (the limit a dense implementation
can reach). A ratio near 1 means the iteration is as fast as its matrix
products allow.

Usage: python bench/sensing.py [--device cpu|cuda] [--threads N]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TQDM_DISABLE", "1")

import torch

from support.core.runtime import limit_threads, select_device
from support.sensing import descend, initial_factors, make_problem


def gemm_rate(device, dtype=torch.float64, size=1024, repeats=5) -> float:
    """Multiply-adds per second of a square GEMM on ``device``."""
    a = torch.randn(size, size, dtype=dtype, device=device)
    b = torch.randn(size, size, dtype=dtype, device=device)
    a @ b
    _sync(device)
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    _sync(device)
    return repeats * size**3 / (time.perf_counter() - start)


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_iteration(n, m, runs_per_problem, problems, k, device, iters=200) -> float:
    """Seconds per GD iteration for ``problems`` x ``runs_per_problem`` runs."""
    prob = make_problem(n, 3, m, (1.0, 0.75, 0.5), n_problems=problems, device=device)
    F0, G0 = initial_factors(
        prob.shape, k, [0.5] * runs_per_problem, list(range(problems)), 3, False, device=device
    )
    descend(prob, (F0, G0), 10, 0.2, record_every=10_000, tol=0)  # warm-up
    _sync(device)
    start = time.perf_counter()
    descend(prob, (F0, G0), iters, 0.2, record_every=10_000, tol=0)
    _sync(device)
    return (time.perf_counter() - start) / iters


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    device = select_device(args.device)
    threads = limit_threads(args.threads)
    peak = gemm_rate(device)
    print(
        f"device {device}, torch threads {threads}, float64 GEMM {peak / 1e9:.2f} G multiply-adds/s"
    )
    print(f"{'n':>4} {'m':>6} {'runs':>5} {'ms/iter':>9} {'limit ms':>9} {'ratio':>6}")
    sizes = [(20, 400, 4, 3), (30, 600, 4, 3), (50, 1500, 4, 3), (50, 1500, 10, 3)]
    if device.type == "cuda":
        sizes += [(100, 5000, 10, 3), (100, 5000, 10, 10)]
    for n, m, runs, problems in sizes:
        sec = time_iteration(n, m, runs, problems, 4, device)
        # the Gram path needs (n²)² multiply-adds per run, the A path 2·m·n²
        limit = (
            runs * problems * min(2 * m * n * n, n**4 if n * n <= 2 * m else 2 * m * n * n) / peak
        )
        print(
            f"{n:>4} {m:>6} {runs * problems:>5} {sec * 1e3:>9.3f} {limit * 1e3:>9.3f} {sec / limit:>6.2f}"
        )


if __name__ == "__main__":
    main()
