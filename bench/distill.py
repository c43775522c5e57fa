"""Time and memory per distillation iteration against N (unrolled steps) and IPC, and the batching gain.

Memory is the size of the unrolled graph: the bytes autograd saves for the
backward pass through all N student steps (counted with saved-tensor hooks,
each storage once), which is what grows with N x batch_syn; on CUDA the peak
allocated memory is reported too. Expert trajectories are random walks (the
cost does not depend on their values).

    .venv/bin/python bench/distill.py [--device cuda] [--quick]
"""

from __future__ import annotations

import argparse
import time

import torch

from support.core.runtime import limit_threads, select_device
from support.distill.convnet import ConvNetSpec, init_params
from support.distill.distill import DistillConfig, Variant, distill
from support.distill.experts import ExpertSet, plain_experts


def fake_experts(spec: ConvNetSpec, epochs: int = 6) -> dict[str, ExpertSet]:
    gen = torch.Generator().manual_seed(0)
    start = init_params(spec, 2, gen)[:, None]
    traj = start + torch.cumsum(
        0.01 * torch.randn(2, epochs + 1, spec.num_params, generator=gen), 1
    )
    return {"plain": ExpertSet(traj, plain_experts(epochs), spec)}


def measure(spec, ipc, steps, batch_syn, members, device, iterations=3):
    """Seconds per iteration and graph MiB (and CUDA peak MiB) of one distillation with ``members`` runs."""
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(ipc * spec.classes * 2, spec.channels, spec.size, spec.size, generator=gen)
    y = torch.arange(spec.classes).repeat(ipc * 2)
    cfg = DistillConfig(
        ipc=ipc,
        iterations=iterations,
        syn_steps=steps,
        expert_epochs=2,
        max_start_epoch=2,
        lr_img=100.0,
        lr_lr=1e-5,
        batch_syn=batch_syn,
    )
    experts = fake_experts(spec)
    saved: dict[tuple, int] = {}

    def pack(t):
        try:
            key = (t.untyped_storage().data_ptr(), t.untyped_storage().nbytes())
            saved[key] = key[1]
        except RuntimeError:  # tensors without storage
            pass
        return t

    def run():
        return distill(
            spec,
            x,
            y,
            experts,
            [Variant("MTT")],
            cfg,
            seeds=range(members),
            device=device,
            progress=False,
        )

    run()  # warm-up
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    started = time.perf_counter()
    res = run()
    if device.type == "cuda":
        torch.cuda.synchronize()
    per_it = (time.perf_counter() - started) / iterations
    one = DistillConfig(**{**cfg.__dict__, "iterations": 1})
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        distill(
            spec,
            x,
            y,
            experts,
            [Variant("MTT")],
            one,
            seeds=range(members),
            device=device,
            progress=False,
        )
    peak = torch.cuda.max_memory_allocated() / 2**20 if device.type == "cuda" else float("nan")
    assert torch.isfinite(res.losses).all()
    return per_it, sum(saved.values()) / 2**20, peak


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--quick", action="store_true", help="fewer settings")
    args = parser.parse_args()
    device = select_device(args.device)
    if device.type == "cpu":
        limit_threads(1)  # small ops are much slower with 2 threads on a 2-core machine
    specs = {"digits 8x8 ConvNet-2 w16": ConvNetSpec(1, 8, 10, width=16, depth=2)}
    if device.type == "cuda" or not args.quick:
        specs["MNIST 28x28 ConvNet-3 w32"] = ConvNetSpec(1, 28, 10, width=32, depth=3)
    if device.type == "cuda":
        specs["CIFAR 32x32 ConvNet-3 w128"] = ConvNetSpec(3, 32, 10, width=128, depth=3)
    print(f"device {device}; one member unless stated; time = seconds per outer iteration")
    print(
        f"{'network':<28} {'IPC':>4} {'N':>4} {'batch_syn':>9} {'s/it':>8} {'graph MiB':>10} {'cuda peak MiB':>14}"
    )
    for name, spec in specs.items():
        small = spec.size <= 8
        grid = [(1, n, 0) for n in ((5, 10, 20, 40) if small else (5, 10, 20))]
        grid += [(10, 10, 0), (10, 10, 20)] if small else [(10, 10, 0), (10, 10, 20)]
        for ipc, steps, batch_syn in grid:
            t, mib, peak = measure(spec, ipc, steps, batch_syn, 1, device)
            print(
                f"{name:<28} {ipc:>4} {steps:>4} {batch_syn or 'all':>9} {t:>8.3f} {mib:>10.1f} {peak:>14.1f}"
            )
    spec = specs["digits 8x8 ConvNet-2 w16"]
    single, _, _ = measure(spec, 1, 10, 0, 1, device)
    batched, _, _ = measure(spec, 1, 10, 0, 21, device)
    print(
        f"\nbatching (digits, IPC 1, N=10): 21 members at once {batched:.3f} s/it vs 21 x one member "
        f"{21 * single:.3f} s/it -> {21 * single / batched:.1f}x faster"
    )


if __name__ == "__main__":
    main()
