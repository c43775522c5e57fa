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

The cpu profile's settings are read from ``support.distill.config``: both of
its distillations (image size, channels, width, depth, IPC, N, ``batch_syn``)
at ``S = 1`` and at the members the notebook batches (variants x seeds). The
two sides are timed interleaved, best of ``--repeats``.

``--floor`` adds, for the cpu profile's settings, two floors of the plain loop:
the convolutions' FLOPs per iteration at this machine's one-thread GEMM rate
(a roofline for the convolutions alone), and the plain loop's best time per
image-step over larger batches (what batching runs into one network can reach
at best with these kernels).

    .venv/bin/python bench/distill.py [--device cuda] [--quick] [--repeats 3] [--floor]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch.func import functional_call
from torch.utils.flop_counter import FlopCounterMode

from support.core.runtime import limit_threads, select_device
from support.distill import augment as aug
from support.distill.ablation import ablation_variants
from support.distill.config import config
from support.distill.convnet import ConvNetSpec, init_params, module
from support.distill.data import class_names
from support.distill.distill import DistillConfig, Variant, distill, student_step
from support.distill.experts import ExpertSet, plain_experts
from support.distill.matching import matching_loss

FAMILIES = ("color", "crop", "cutout", "flip", "scale", "rotate")
CHANNELS = {"digits": 1, "animal_shapes": 1, "animal_shapes_m": 3, "mnist_5k": 1, "cifar10": 3}


@dataclass(frozen=True)
class Setting:
    """One bench row group: a network, a distillation's sizes and the member counts ``S`` to time."""

    name: str
    spec: ConvNetSpec
    ipc: int
    steps: int
    batch_syn: int  # 0 = all images
    runs: tuple[int, ...]
    augment: tuple[str, ...] = FAMILIES

    @property
    def batch(self) -> int:
        return self.batch_syn or self.ipc * self.spec.classes


def cpu_profile_settings() -> list[Setting]:
    """The cpu profile's distillations, at S = 1 and at the members the notebook batches together."""
    cfg = config("cpu")
    spec = ConvNetSpec(
        CHANNELS[cfg.dataset], cfg.image_size, len(class_names(cfg.dataset)), cfg.width, cfg.depth
    )
    out = []
    for run in cfg.runs:
        variants = ablation_variants() if run.ipc == cfg.ablation_ipc else cfg.extra_variants
        members = len(variants) * (run.seeds_per_batch or run.seeds or cfg.seeds)
        batch = run.batch_syn or "all"
        name = (
            f"{cfg.dataset} {spec.size}x{spec.size}x{spec.channels} ConvNet-{spec.depth} w{spec.width}, "
            f"IPC {run.ipc}, N {run.syn_steps}, batch {batch} (cpu profile)"
        )
        out.append(
            Setting(name, spec, run.ipc, run.syn_steps, run.batch_syn, (1, members), run.augment)
        )
    return out


def fake_experts(spec: ConvNetSpec, epochs: int = 6) -> dict[str, ExpertSet]:
    gen = torch.Generator().manual_seed(0)
    start = init_params(spec, 2, gen)[:, None]
    steps = 0.01 * torch.randn(2, epochs + 1, spec.num_params, generator=gen)
    return {"plain": ExpertSet(start + torch.cumsum(steps, 1), plain_experts(epochs), spec)}


def plain_iteration(net, syn, y, lr, start, target, steps, batch, g, families=FAMILIES):
    """One MTT iteration for one run: N unrolled steps through ``functional_call``, then backward."""
    names = [n for n, _ in net.named_parameters()]
    shapes = [p.shape for _, p in net.named_parameters()]
    sizes = [p.numel() for _, p in net.named_parameters()]
    theta = start.clone().requires_grad_(True)
    for _ in range(steps):
        idx = torch.randperm(syn.shape[0], generator=g)[:batch]
        x = aug.augment(syn[idx], families, generator=g)
        params = {n: t.view(s) for n, t, s in zip(names, theta.split(sizes), shapes)}
        loss = F.cross_entropy(functional_call(net, params, (x,)), y[idx])
        (grad,) = torch.autograd.grad(loss, theta, create_graph=True)
        theta = theta - lr * grad
    matching_loss(theta, start, target).backward()


def plain_runner(s: Setting, device, n_images: int = 0):
    """A closure running one plain iteration; ``n_images`` synthetic images (0 = IPC x classes)."""
    spec = s.spec
    net = module(spec).to(device)
    gen = torch.Generator().manual_seed(0)
    n = n_images or s.ipc * spec.classes
    syn = torch.randn(n, spec.channels, spec.size, spec.size, generator=gen)
    syn = syn.to(device).requires_grad_(True)
    y = (torch.arange(n) % spec.classes).to(device)
    lr = torch.tensor(0.01, device=device, requires_grad=True)
    traj = fake_experts(spec)["plain"].trajectories.to(device)
    batch = n if n_images else s.batch
    return lambda: plain_iteration(
        net, syn, y, lr, traj[0, 0], traj[0, 2], s.steps, batch, gen, s.augment
    )


def ours_runner(s: Setting, runs: int, device, iterations: int = 2):
    """A closure running ``iterations`` outer iterations of ``runs`` batched distillations."""
    spec = s.spec
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(s.ipc * spec.classes * 2, spec.channels, spec.size, spec.size, generator=gen)
    y = torch.arange(spec.classes).repeat(s.ipc * 2)
    cfg = DistillConfig(
        ipc=s.ipc, iterations=iterations, syn_steps=s.steps, expert_epochs=2, max_start_epoch=2,
        lr_img=100.0, lr_lr=1e-5, batch_syn=s.batch_syn, augment=s.augment,
    )  # fmt: skip
    experts = fake_experts(spec)

    def run():
        res = distill(spec, x, y, experts, [Variant("MTT")], cfg, range(runs), device, False)
        assert torch.isfinite(res.losses).all()

    return run


def time_pair(s: Setting, runs: int, device, repeats: int, iterations: int = 2):
    """Seconds per outer iteration of ``runs`` distillations, (plain, ours), interleaved, best of ``repeats``."""
    plain, ours = plain_runner(s, device), ours_runner(s, runs, device, iterations)
    plain()  # warm-up
    ours()
    best = [float("inf"), float("inf")]
    for _ in range(repeats):
        for i, fn in enumerate((lambda: [plain() for _ in range(runs * iterations)], ours)):
            best[i] = min(best[i], _timed(fn, device) / iterations)
    return best[0], best[1]


def memory_pair(s: Setting, runs: int, device) -> tuple[float, float]:
    """MiB autograd saves per distillation, (plain, ours)."""
    one = ours_runner(s, runs, device, iterations=1)
    return graph_mib(plain_runner(s, device)), graph_mib(one) / runs


def _timed(fn, device) -> float:
    started = time.perf_counter()
    fn()
    _sync(device)
    return time.perf_counter() - started


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


def iteration_flops(s: Setting) -> float:
    """FLOPs of one plain iteration (convolutions and matrix products, forward, backward, double backward)."""
    with FlopCounterMode(display=False) as counter:
        plain_runner(s, torch.device("cpu"))()
    return float(counter.get_total_flops())


def gemm_rate(repeats: int, n: int = 1024) -> float:
    """This machine's float32 GEMM rate (FLOP/s) on the current threads: an ``n``-cube product, best of ``repeats``."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    best = min(_timed(lambda: torch.mm(a, b), torch.device("cpu")) for _ in range(repeats))
    return 2 * n**3 / best


def conv_rate(s: Setting, repeats: int) -> float:
    """FLOP/s of the ConvNet's own convolutions at the loop's batch: forward and backward of conv layers alone."""
    net = module(s.spec)
    convs = [m for m in net if isinstance(m, torch.nn.Conv2d)]
    x = torch.randn(s.batch, s.spec.channels, s.spec.size, s.spec.size, requires_grad=True)
    inputs = [x]
    for conv in convs[:-1]:
        inputs.append(F.avg_pool2d(conv(inputs[-1]), 2).detach().requires_grad_(True))

    def step():
        for conv, h in zip(convs, inputs):
            conv(h).sum().backward()

    with FlopCounterMode(display=False) as counter:
        step()
    best = min(_timed(step, torch.device("cpu")) for _ in range(repeats))
    return counter.get_total_flops() / best


def batching_floor(s: Setting, repeats: int, factors=(1, 2, 5, 10)) -> dict[int, float]:
    """Seconds per image-step of one plain network at ``batch x factor`` images a step, best of ``repeats``."""
    runners = {k: plain_runner(s, torch.device("cpu"), s.batch * k) for k in factors}
    for fn in runners.values():
        fn()
    best = dict.fromkeys(factors, float("inf"))
    for _ in range(repeats):
        for k, fn in runners.items():
            best[k] = min(best[k], _timed(fn, torch.device("cpu")))
    return {k: t / (s.steps * s.batch * k) for k, t in best.items()}


def network_pair(s: Setting, runs: int, repeats: int) -> tuple[float, float]:
    """Seconds per student step of the network alone (forward, gradient, double backward; no augmentation):
    ours on ``runs`` members of ``batch`` images, and one shared-weight network on all ``runs x batch``
    images (what batching could reach if members shared weights), best of ``repeats``."""
    spec, steps = s.spec, 5
    gen = torch.Generator().manual_seed(0)
    theta0 = init_params(spec, runs, gen)
    x = torch.randn(runs, s.batch, spec.channels, spec.size, spec.size, generator=gen)
    y = torch.randint(spec.classes, (runs, s.batch), generator=gen)
    lr = torch.full((runs,), 0.01)

    def ours():
        theta = theta0.clone().requires_grad_(True)
        start, buf = theta, torch.zeros_like(theta)
        for _ in range(steps):
            theta, buf = student_step(spec, theta, buf, x, y, lr)
        (theta - start).square().sum().backward()

    def shared():
        theta = theta0[:1].clone().requires_grad_(True)
        start, buf = theta, torch.zeros_like(theta)
        xs, ys = x.reshape(1, -1, *x.shape[2:]), y.reshape(1, -1)
        for _ in range(steps):
            theta, buf = student_step(spec, theta, buf, xs, ys, lr[:1])
        (theta - start).square().sum().backward()

    ours()
    shared()
    best = [float("inf"), float("inf")]
    for _ in range(repeats):
        for i, fn in enumerate((ours, shared)):
            best[i] = min(best[i], _timed(fn, torch.device("cpu")) / steps)
    return best[0], best[1]


def print_floor(s: Setting, plain_s: float, ours_s: float, runs: int, repeats: int) -> None:
    """The two floors of ``s`` and both sides' times per distillation as multiples of them."""
    plain_s, ours_s = plain_s / runs, ours_s / runs
    flops = iteration_flops(s)
    peak, conv = gemm_rate(repeats), conv_rate(s, repeats)
    per_image = batching_floor(s, repeats)
    best_k = min(per_image, key=per_image.get)
    floor_batch = per_image[best_k] * s.steps * s.batch
    print(f"\nfloor, {s.name}")
    print(
        f"  conv+matmul FLOPs per plain iteration: {flops / 1e9:.3f} GFLOP ({flops / s.steps / 1e6:.1f} MFLOP a step)"
    )
    print(
        f"  one-thread GEMM rate (1024^3 sgemm): {peak / 1e9:.1f} GFLOP/s; the ConvNet's convs alone at batch {s.batch}: {conv / 1e9:.1f} GFLOP/s"
    )
    for name, rate in (("GEMM", peak), ("conv", conv)):
        floor = flops / rate
        print(
            f"  FLOP floor at the {name} rate: {floor * 1e3:.1f} ms a distillation; plain {plain_s / floor:.1f}x it, "
            f"ours (S={runs}) {ours_s / floor:.1f}x it"
        )
    ks = ", ".join(f"x{k}: {t * 1e6:.0f}" for k, t in per_image.items())
    print(f"  plain loop, us per image-step at batch {s.batch} times {ks}")
    print(
        f"  batching floor (batch x{best_k}): {floor_batch * 1e3:.1f} ms a distillation; plain {plain_s / floor_batch:.2f}x it, "
        f"ours (S={runs}) {ours_s / floor_batch:.2f}x it"
    )
    grouped, shared = network_pair(s, runs, repeats)
    print(
        f"  network alone, ms a student step of {runs} x {s.batch} images: ours (grouped, S={runs}) "
        f"{grouped * 1e3:.2f}, one shared-weight network {shared * 1e3:.2f} ({grouped / shared:.2f}x)"
    )


def settings(device, quick: bool) -> list[Setting]:
    out = cpu_profile_settings()
    if quick:
        return out[-1:]
    out.append(
        Setting(
            "digits 8x8 ConvNet-2 w16, IPC 1", ConvNetSpec(1, 8, 10, 16, 2), 1, 10, 0, (1, 8, 24)
        )
    )
    if device.type == "cuda":
        out.append(
            Setting(
                "CIFAR 32x32 ConvNet-3 w128, IPC 10",
                ConvNetSpec(3, 32, 10, 128, 3),
                10,
                30,
                0,
                (1, 8, 24),
            )
        )
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument(
        "--quick", action="store_true", help="the cpu profile's IPC-10 setting only"
    )
    parser.add_argument("--repeats", type=int, default=3, help="interleaved timings, best kept")
    parser.add_argument("--floor", action="store_true", help="floors of the cpu profile's settings")
    args = parser.parse_args()
    device = select_device(args.device)
    if device.type == "cpu":
        limit_threads(1)  # small ops are much slower with 2 threads on a 2-core machine
    print(
        f"device {device}; time = seconds per outer iteration of S distillations, best of {args.repeats}"
    )
    print(
        f"{'setting':<84} {'S':>3} {'plain s':>8} {'ours s':>8} {'ratio':>6} {'MiB/run plain':>13} {'ours':>6}"
    )
    for s in settings(device, args.quick):
        for runs in s.runs:
            tp, to = time_pair(s, runs, device, args.repeats)
            mp, mo = memory_pair(s, runs, device)
            print(
                f"{s.name:<84} {runs:>3} {tp:>8.3f} {to:>8.3f} {tp / to:>5.2f}x {mp:>13.2f} {mo:>6.2f}",
                flush=True,
            )
        if args.floor and device.type == "cpu" and "cpu profile" in s.name:
            print_floor(s, tp, to, runs, args.repeats)


if __name__ == "__main__":
    main()
