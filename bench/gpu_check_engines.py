"""Engine timings for ``bench/gpu_check.py``: DIA and IG, one MTT iteration, the sensing descent.

Each timing builds its inputs on the device, runs the engine once to warm up,
then times up to ``repeats`` runs (``torch.cuda.synchronize`` around each) and
keeps the best; it stops repeating early once the deadline has passed (at least
one timed run is always kept). Peak memory is ``torch.cuda.max_memory_allocated``
since a reset just before the warm-up. Every timing checks that its tensors
lived on the requested device and raises :class:`DeviceMismatch` otherwise.

Sizes: ``paper`` (the issue's: 64 problems at 3x32x32; ConvNet-3 width 128 at
IPC 10 and 50; the paper symmetric sensing sweep) or ``tiny`` (the same code
paths at sizes a CPU runs in seconds, for CI).
"""

from __future__ import annotations

import time
from dataclasses import replace

import torch

from bench.distill import FAMILIES, fake_experts
from bench.inversion import MODELS
from bench.sensing import SHAPES

# (label in bench/inversion.py's MODELS) of the paper-size models the issue names
PAPER_MODELS = {
    "mlp": "mlp (w512, 3x32x32) [paper]",
    "vit": "vit (d256x4, 3x32x32)",
    "resnet18": "resnet18-gn (3x32x32)",
}
TINY_MODELS = {
    "mlp": ("mlp", (3, 8, 8), dict(width=16)),
    "vit": ("vit", (3, 8, 8), dict(dim=16, depth=1, heads=2, mlp_dim=16)),
    "resnet18": ("resnet18", (3, 16, 16), dict(width=4)),  # GroupNorm needs >1 value at 2x2
}


class DeviceMismatch(RuntimeError):
    """A timed tensor or parameter was not on the requested device (a silent CPU fallback)."""


def timings(tiny: bool) -> list[tuple[str, callable, dict]]:
    """The engine timings as (name, function, keyword arguments), in the order they run."""
    out = []
    problems, iters = (2, 2) if tiny else (64, 5)
    for attack in ("dia", "ig"):
        for key in ("mlp", "vit", "resnet18"):
            arch, shape, kw = TINY_MODELS[key] if tiny else MODELS[PAPER_MODELS[key]]
            out.append(
                (
                    f"{attack} {key}",
                    time_attack,
                    dict(attack=attack, arch=arch, shape=shape, kw=kw, n=problems, iters=iters),
                )
            )
    for ipc in (1, 2) if tiny else (10, 50):
        out.append((f"mtt ipc{ipc}", time_distill, dict(ipc=ipc, tiny=tiny)))
    out.append(("sensing descent", time_sensing, dict(tiny=tiny)))
    return out


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def best_of(fn, device, repeats: int, deadline: float) -> dict:
    """Warm up with ``fn()``, then time up to ``repeats`` calls; ``fn`` may return its own seconds."""
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
    fn()
    times = []
    for _ in range(repeats):
        if times and time.monotonic() > deadline:
            break
        sync(device)
        start = time.perf_counter()
        own = fn()
        sync(device)
        times.append(own if own is not None else time.perf_counter() - start)
    peak = torch.cuda.max_memory_allocated(device) if device.type == "cuda" else None
    return {
        "best_s": min(times),
        "times_s": [round(t, 6) for t in times],
        "repeats": len(times),
        "peak_mib": None if peak is None else round(peak / 2**20, 1),
    }


def check_device(what: str, tensors, device: torch.device) -> str:
    """Raise :class:`DeviceMismatch` unless every tensor lives on ``device``'s type; return it."""
    found = sorted({t.device.type for t in tensors})
    if found != [device.type]:
        raise DeviceMismatch(
            f"{what}: tensors on {found}, expected only {device.type} (a CPU fallback?)"
        )
    return device.type


def time_attack(attack, arch, shape, kw, n, iters, device, repeats, deadline) -> dict:
    """Seconds per engine iteration of ``attack`` ("dia" or "ig") on ``n`` problems (no early stop)."""
    from support.inversion.attacks import make_attack
    from support.inversion.client import client_update
    from support.inversion.engine import choose_strategy, prepare, run
    from support.inversion.models import build_model

    model = build_model(arch, shape, p=0.25, seed=0, **kw).to(device)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(1, *shape, generator=gen).to(device)
    upd = client_update(model, x, torch.tensor([1], device=device), seed=0)
    atk = make_attack(
        attack, iterations=iters + 1, restarts=n, stop_patience=None, stop_loss=None, box=(-3, 3)
    )
    net = prepare(model)
    probs = atk.problems(net, upd.gradients, upd.labels, (1, *shape), generator=gen)
    settings = atk.settings(shape[0])
    results = []

    def once():
        stamps = []

        def stamp(it):  # after iterations 0 and iters: times iterations 1..iters
            if it in (0, iters):
                sync(device)
                stamps.append(time.perf_counter())

        results[:] = [run(net, probs, settings, callback=stamp)]
        return (stamps[1] - stamps[0]) / iters

    out = best_of(once, device, repeats, deadline)
    res = results[0]
    where = check_device(
        f"{attack} {arch}", [*net.parameters(), *upd.gradients, res.images], device
    )
    if not bool(torch.isfinite(res.best_loss).all()):
        raise RuntimeError(f"{attack} {arch}: non-finite loss")
    return {
        **out,
        "unit": "per iteration (all problems)",
        "problem_iterations_per_s": round(n / out["best_s"], 1),
        "size": f"{n} problems, {'x'.join(map(str, shape))}, {arch} "
        f"{' '.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}, {iters} iterations",
        "strategy": choose_strategy(net, n),
        "tensors_on": where,
    }


def time_distill(ipc, tiny, device, repeats, deadline) -> dict:
    """Seconds per outer iteration of one MTT distillation (one member) at ``ipc``."""
    from support.distill.config import PROFILES
    from support.distill.convnet import ConvNetSpec
    from support.distill.distill import DistillConfig, Variant, distill

    iterations = 1 if tiny else 2
    if tiny:
        spec = ConvNetSpec(3, 8, 10, 4, 3)
        cfg = DistillConfig(
            ipc=ipc, iterations=iterations, syn_steps=2, expert_epochs=2, max_start_epoch=2,
            lr_img=100.0, lr_lr=1e-5, augment=FAMILIES,
        )  # fmt: skip
    else:  # the paper profile's run at this IPC; the start epoch does not change the cost
        spec = ConvNetSpec(3, 32, 10, 128, 3)
        (paper,) = [r for r in PROFILES["paper"].runs if r.ipc == ipc]
        cfg = replace(paper, iterations=iterations, max_start_epoch=2)
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(ipc * spec.classes * 2, spec.channels, spec.size, spec.size, generator=gen)
    y = torch.arange(spec.classes).repeat(ipc * 2)
    experts = fake_experts(spec)
    results = []

    def once():
        start = time.perf_counter()
        results[:] = [
            distill(spec, x, y, experts, [Variant("MTT")], cfg, device=device, progress=False)
        ]
        sync(device)
        return (time.perf_counter() - start) / iterations

    out = best_of(once, device, repeats, deadline)
    if not bool(torch.isfinite(results[0].losses).all()):
        raise RuntimeError(f"mtt ipc{ipc}: non-finite matching loss")
    # distill() returns CPU copies; the evidence that it ran on CUDA is CUDA memory at least
    # the size of the synthetic set it optimised there.
    syn_mib = results[0].images.numel() * 4 / 2**20
    if device.type == "cuda" and not out["peak_mib"] >= syn_mib:
        raise DeviceMismatch(
            f"mtt ipc{ipc}: peak CUDA memory {out['peak_mib']} MiB is below the synthetic set's "
            f"{syn_mib:.2f} MiB: the distillation did not run on CUDA"
        )
    return {
        **out,
        "unit": "per outer iteration (1 run)",
        "size": f"ConvNet-{spec.depth} w{spec.width} {spec.size}x{spec.size}, IPC {ipc}, "
        f"N={cfg.syn_steps}, batch_syn={cfg.batch_syn or 'all'}",
        "tensors_on": "cuda (peak memory)" if device.type == "cuda" else "cpu",
    }


def time_sensing(tiny, device, repeats, deadline) -> dict:
    """Seconds per iteration of ``descend`` (asymmetric GD) on the paper's symmetric-sweep shape."""
    from support.sensing import descend, initial_factors, make_problem

    if tiny:
        label, n, m, P, R, k, iters = "tiny", 10, 100, 2, 2, 4, 5
    else:
        (label, n, m, P, R, k) = [s for s in SHAPES if s[0] == "paper sym sweep"][0]
        iters = 100
    prob = make_problem(n, 3, m, (1.0, 0.75, 0.5), n_problems=P, device=device)
    F0, G0 = initial_factors(prob.shape, k, [0.5] * R, list(range(P)), 3, False, device=device)
    traces = []

    def once():
        start = time.perf_counter()
        traces[:] = [descend(prob, (F0, G0), iters, 0.2, record_every=10 * iters, tol=0)]
        sync(device)
        return (time.perf_counter() - start) / (iters + 1)

    out = best_of(once, device, repeats, deadline)
    tensors = [t for t in (prob.A, prob.gram, prob.M_star, F0, G0) if t is not None]
    last = getattr(traces[0], "factors", None)
    tensors += [t for t in (last if isinstance(last, tuple) else (last,)) if t is not None]
    where = check_device("sensing descent", tensors, device)
    return {
        **out,
        "unit": "per iteration (all runs)",
        "size": f"{label}: n={n}, m={m}, P x R = {P} x {R}, k={k}, {iters} iterations",
        "tensors_on": where,
    }
