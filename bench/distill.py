"""One distillation iteration: ours (batched members) against a plain MTT inner loop, as a time ratio.

The plain loop is MTT's structure written directly: one run at a time, the
flat parameter vector unflattened into an ``nn.Module`` with
``torch.func.functional_call`` (MTT's ``ReparamModule``), N differentiable SGD
steps on DSA-augmented synthetic mini-batches, the normalised matching loss,
one backward into pixels and rate. Ours runs ``S`` independent distillations
(seeds or variants) as one batched network. Memory per distillation is equal
(same IPC, N and ``batch_syn``); it is measured as the bytes autograd saves for
the backward pass (each storage once). Expert trajectories are random walks:
the cost does not depend on their values.

    .venv/bin/python bench/distill.py [--device cuda] [--quick]
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F
from torch.func import functional_call

from support.core.runtime import limit_threads, select_device
from support.distill import augment as aug
from support.distill.convnet import ConvNetSpec, init_params, module
from support.distill.distill import DistillConfig, Variant, distill
from support.distill.experts import ExpertSet, plain_experts
from support.distill.matching import matching_loss

FAMILIES = ("color", "crop", "cutout", "flip", "scale", "rotate")


def fake_experts(spec: ConvNetSpec, epochs: int = 6) -> dict[str, ExpertSet]:
    gen = torch.Generator().manual_seed(0)
    start = init_params(spec, 2, gen)[:, None]
    steps = 0.01 * torch.randn(2, epochs + 1, spec.num_params, generator=gen)
    return {"plain": ExpertSet(start + torch.cumsum(steps, 1), plain_experts(epochs), spec)}


def plain_iteration(spec, net, syn, y, lr, start, target, steps, batch, g):
    """One MTT iteration for one run: N unrolled steps through ``functional_call``, then backward."""
    names = [n for n, _ in net.named_parameters()]
    shapes = [p.shape for _, p in net.named_parameters()]
    sizes = [p.numel() for _, p in net.named_parameters()]
    theta = start.clone().requires_grad_(True)
    for _ in range(steps):
        idx = torch.randperm(syn.shape[0], generator=g)[:batch]
        x = aug.augment(syn[idx], FAMILIES, generator=g)
        params = {n: t.view(s) for n, t, s in zip(names, theta.split(sizes), shapes)}
        loss = F.cross_entropy(functional_call(net, params, (x,)), y[idx])
        (grad,) = torch.autograd.grad(loss, theta, create_graph=True)
        theta = theta - lr * grad
    matching_loss(theta, start, target).backward()


def time_plain(spec, ipc, steps, batch, runs, device, iterations=2):
    net = module(spec).to(device)
    gen = torch.Generator().manual_seed(0)
    syn = torch.randn(ipc * spec.classes, spec.channels, spec.size, spec.size, generator=gen)
    syn = syn.to(device).requires_grad_(True)
    y = torch.arange(spec.classes).repeat_interleave(ipc).to(device)
    lr = torch.tensor(0.01, device=device, requires_grad=True)
    traj = fake_experts(spec)["plain"].trajectories.to(device)
    one = lambda: plain_iteration(spec, net, syn, y, lr, traj[0, 0], traj[0, 2], steps, batch, gen)  # noqa: E731
    one()  # warm-up
    started = time.perf_counter()
    for _ in range(iterations * runs):
        one()
    _sync(device)
    return (time.perf_counter() - started) / iterations, graph_mib(one)


def time_ours(spec, ipc, steps, batch, runs, device, iterations=2):
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(ipc * spec.classes * 2, spec.channels, spec.size, spec.size, generator=gen)
    y = torch.arange(spec.classes).repeat(ipc * 2)
    cfg = DistillConfig(
        ipc=ipc, iterations=iterations, syn_steps=steps, expert_epochs=2, max_start_epoch=2,
        lr_img=100.0, lr_lr=1e-5, batch_syn=batch, augment=FAMILIES,
    )  # fmt: skip
    experts = fake_experts(spec)
    run = lambda c: distill(  # noqa: E731
        spec, x, y, experts, [Variant("MTT")], c, seeds=range(runs), device=device, progress=False
    )
    run(cfg)  # warm-up
    started = time.perf_counter()
    res = run(cfg)
    _sync(device)
    assert torch.isfinite(res.losses).all()
    one = DistillConfig(**{**cfg.__dict__, "iterations": 1})
    return (time.perf_counter() - started) / iterations, graph_mib(lambda: run(one)) / runs


def graph_mib(fn) -> float:
    """MiB autograd saves for backward while ``fn`` runs (each storage counted once)."""
    saved: dict[tuple, int] = {}

    def pack(t):
        try:
            key = (t.untyped_storage().data_ptr(), t.untyped_storage().nbytes())
            saved[key] = key[1]
        except RuntimeError:
            pass
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn()
    return sum(saved.values()) / 2**20


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--quick", action="store_true", help="one setting")
    args = parser.parse_args()
    device = select_device(args.device)
    if device.type == "cpu":
        limit_threads(1)  # small ops are much slower with 2 threads on a 2-core machine
    settings = [
        (
            "animal shapes 16x16 ConvNet-2 w16 (cpu profile)",
            ConvNetSpec(1, 16, 10, 16, 2),
            10,
            10,
            25,
        )
    ]
    if not args.quick:
        settings.append(("digits 8x8 ConvNet-2 w16, IPC 1", ConvNetSpec(1, 8, 10, 16, 2), 1, 10, 0))
    if device.type == "cuda":
        settings.append(
            ("CIFAR 32x32 ConvNet-3 w128, IPC 10", ConvNetSpec(3, 32, 10, 128, 3), 10, 30, 0)
        )
    print(f"device {device}; time = seconds per outer iteration of S distillations")
    print(
        f"{'setting':<46} {'S':>3} {'plain s':>8} {'ours s':>8} {'ratio':>6} {'MiB/run plain':>13} {'ours':>6}"
    )
    for name, spec, ipc, steps, batch in settings:
        for runs in (1, 8, 24):
            tp, mp = time_plain(spec, ipc, steps, batch or ipc * spec.classes, runs, device)
            to, mo = time_ours(spec, ipc, steps, batch, runs, device)
            print(
                f"{name:<46} {runs:>3} {tp:>8.3f} {to:>8.3f} {tp / to:>5.2f}x {mp:>13.2f} {mo:>6.2f}"
            )


if __name__ == "__main__":
    main()
