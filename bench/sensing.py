"""Time one batched gradient-descent iteration against its roofline.

One iteration of matrix sensing GD for R runs on each of P problems applies
the operator forward and adjoint: 2·P·R·m·n² multiply-adds (P·R·n⁴ on the
Gram path, used when n² <= 2m), plus 3·P·R·n²·k for the factor products.
The roofline is the larger of

* the compute bound: those multiply-adds at this machine's float64 GEMM rate
  (the better of NumPy's and torch's BLAS on a 1024² product), and
* the memory bound: the operator (P·m·n² numbers, or P·n⁴ for the Gram
  matrix) read once, at the read bandwidth of a reduction over an array of
  the same size.

One read of the operator is a true lower bound, not two: r_i = <A_i, E>
needs only row i of A (E is known when the iteration starts), so a block of
rows can serve the forward product and then, still in cache, its share
Σ r_i A_i of the adjoint; the package's CPU kernel does exactly that.

The script times a whole iteration of ``descend`` (with the operator kernel
the package picks on this device) and, for the kernel alone, NumPy's blocked
one-pass product against torch's two batched products; the package uses the
faster on CPU. It also prints the kernel's own ratio to the compute bound
of its multiply-adds and the rest of the iteration (ms/iter minus the
kernel): the factor products, norms and updates, torch calls on small
tensors. The GEMM rate is measured before and after every shape and the
best is used, since a rate taken while a neighbour holds the core would
flatter the ratios. Every time is the best of several interleaved repeats, so a
shared machine's noise inflates the ratios rather than flattering them.

Usage: python bench/sensing.py [--device cpu|cuda] [--threads N] [--repeats R]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TQDM_DISABLE", "1")

import torch

from support.core.runtime import limit_threads, select_device
from support.sensing import descend, initial_factors, make_problem

# (label, n, m, problems P, runs per problem R, width k): the notebook's heaviest units
SHAPES = [
    ("cpu sym sweep", 40, 480, 3, 8, 8),
    ("cpu asym sweep", 40, 480, 3, 4, 4),
    ("cpu m=1920 (Gram)", 40, 1920, 3, 1, 4),
    ("paper sym sweep", 50, 600, 10, 6, 8),
]


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _best(fn, device, repeats, inner):
    best = float("inf")
    for _ in range(repeats):
        fn()
        _sync(device)
        start = time.perf_counter()
        for _ in range(inner):
            fn()
        _sync(device)
        best = min(best, (time.perf_counter() - start) / inner)
    return best


def gemm_rate(device, repeats: int, size: int = 1024) -> float:
    """Multiply-adds per second of a square float64 GEMM (best of NumPy and torch on CPU)."""
    a = torch.randn(size, size, dtype=torch.float64, device=device)
    rates = [size**3 / _best(lambda: a @ a, device, repeats, 3)]
    if device.type == "cpu":
        x = a.numpy()
        rates.append(size**3 / _best(lambda: x @ x, device, repeats, 3))
    return max(rates)


def read_bandwidth(nbytes: int, device, repeats: int) -> float:
    """Bytes per second read by a reduction over an array of ``nbytes`` (best of NumPy and torch)."""
    a = torch.randn(max(1, nbytes // 8), dtype=torch.float64, device=device)
    rates = [nbytes / _best(lambda: a.sum(), device, repeats, 5)]
    if device.type == "cpu":
        x = a.numpy()
        rates.append(nbytes / _best(lambda: x.sum(), device, repeats, 5))
    return max(rates)


def roofline(n, m, P, R, k, gemm, bandwidth) -> tuple[float, float, str]:
    """(compute bound, memory bound, path) in seconds per iteration."""
    N = n * n
    gram = N <= 2 * m
    madds = P * R * (N * N if gram else 2 * m * N) + 3 * P * R * N * k
    nbytes = 8 * P * (N * N if gram else m * N)
    return madds / gemm, nbytes / bandwidth, "Gram" if gram else "A, one pass"


def time_iteration(n, m, P, R, k, device, repeats, iters=50) -> float:
    """Seconds per iteration of ``descend`` (asymmetric GD, R runs on each of P problems)."""
    prob = make_problem(n, 3, m, (1.0, 0.75, 0.5), n_problems=P, device=device)
    F0, G0 = initial_factors(prob.shape, k, [0.5] * R, list(range(P)), 3, False, device=device)

    def run():
        descend(prob, (F0, G0), iters, 0.2, record_every=10 * iters, tol=0)

    return _best(run, device, repeats, 1) / (iters + 1)


def time_kernels(n, m, P, R, device, repeats) -> dict[str, float]:
    """Seconds per operator application 𝒜*𝒜(E), per implementation available on ``device``."""
    prob = make_problem(n, 3, m, (1.0, 0.75, 0.5), n_problems=P, device=device)
    E = torch.randn(P, R, n, n, dtype=torch.float64, device=device)
    out = {"package": _best(lambda: prob.gradient_matrix(E), device, repeats, 10)}
    if prob.gram is None:

        def two_pass():
            r = prob.residual(E)
            return prob.adjoint(r), r.norm(dim=-1)

        out["torch two-pass"] = _best(two_pass, device, repeats, 10)
    return out


def measure(shape, device, repeats) -> dict:
    """Timings of one shape: iteration, kernels, read bandwidth and a fresh GEMM rate."""
    label, n, m, P, R, k = shape
    N = n * n
    return dict(
        bandwidth=read_bandwidth(8 * P * (N * N if N <= 2 * m else m * N), device, repeats),
        sec=time_iteration(n, m, P, R, k, device, repeats),
        kernels=time_kernels(n, m, P, R, device, repeats),
        gemm=gemm_rate(device, repeats),
    )


def report(shape, timing: dict, gemm: float) -> str:
    """One table row: roofline parts, ms/iter and ratio, kernel times, the rest of the iteration."""
    label, n, m, P, R, k = shape
    N, sec, kernels = n * n, timing["sec"], timing["kernels"]
    compute, memory, path = roofline(n, m, P, R, k, gemm, timing["bandwidth"])
    bound = max(compute, memory)
    kern = " / ".join(f"{v * 1e3:.2f}" for v in kernels.values())
    kernel_bound = P * R * (N * N if N <= 2 * m else 2 * m * N) / gemm
    return (
        f"{label:<19} {n:>3} {m:>5} {P * R:>5} {path:<12} {compute * 1e3:>7.2f} "
        f"{memory * 1e3:>7.2f} {bound * 1e3:>8.2f} {sec * 1e3:>8.2f} {sec / bound:>5.2f}  "
        f"{kern} ms (read {timing['bandwidth'] / 1e9:.1f} GB/s), "
        f"kernel {kernels['package'] / kernel_bound:.2f}x, "
        f"rest {(sec - kernels['package']) * 1e3:.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    device = select_device(args.device)
    threads = limit_threads(args.threads)
    gemm = gemm_rate(device, args.repeats)
    timings = [measure(shape, device, args.repeats) for shape in SHAPES]
    # a GEMM rate measured while a neighbour holds the core would raise the compute
    # bound and flatter every ratio: the bound uses the best rate seen in the run
    gemm = max([gemm] + [t["gemm"] for t in timings])
    print(f"device {device}, threads {threads}, float64 GEMM {gemm / 1e9:.2f} G multiply-adds/s")
    header = f"{'shape':<19} {'n':>3} {'m':>5} {'P×R':>5} {'path':<12}"
    print(
        header + " compute  memory roofline  ms/iter ratio  kernel: package / torch 2-pass,"
        " package vs its compute bound, rest of the iteration"
    )
    for shape, timing in zip(SHAPES, timings):
        print(report(shape, timing, gemm))


if __name__ == "__main__":
    main()
