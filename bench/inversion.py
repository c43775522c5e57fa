"""DIA problem-iterations per second: our engine vs a plain per-problem autograd loop, 1 and N problems.

The reference implementation (dAI-SY-Group/DropoutInversionAttack) is not
installable here; its inner loop is plain autograd, one problem at a time
(forward, ``autograd.grad(create_graph=True)``, cosine loss + TV + mask prior,
backward, signed Adam, clipping, ``ReduceLROnPlateau``, a copy of the best iterate).
``reference_loop`` re-creates that loop on the same model so both are timed on
the same inputs. Ours picks its strategy per size (``engine.choose_strategy``:
a loop for one problem or a large model, one ``vmap`` over several small
problems). Printed: both ratios (ours / loop) for one problem and for N.

Usage: .venv/bin/python bench/inversion.py [--device cpu|cuda] [--iters 10] [--problems 16]
       [--repeats 3] [--models "cpu;paper"]
"""

from __future__ import annotations

import argparse
import time

import torch
from torch import nn

from support.inversion.client import client_update
from support.inversion.engine import (
    Problem,
    Settings,
    choose_strategy,
    prepare,
    run,
    total_variation,
)
from support.inversion.masks import dropout_layers, mask_shapes
from support.inversion.models import build_model

MODELS = {
    "mlp (w64, 1x28x28) [cpu]": ("mlp", (1, 28, 28), dict(width=64)),
    "mlp (w64, 3x32x32) [cpu]": ("mlp", (3, 32, 32), dict(width=64)),
    "cnn (16/32, 3x16x16) [cpu]": ("cnn", (3, 16, 16), dict(channels=(16, 32))),
    "mlp (w128, 3x16x16)": ("mlp", (3, 16, 16), dict(width=128)),
    "mlp (w512, 3x32x32) [paper]": ("mlp", (3, 32, 32), dict(width=512)),
    "mlp (w512, 1x28x28)": ("mlp", (1, 28, 28), dict(width=512)),
    "cnn (16/32/64, 3x32x32)": ("cnn", (3, 32, 32), dict(channels=(16, 32, 64))),
    "vit (d256x4, 3x32x32)": ("vit", (3, 32, 32), {}),
    "resnet18-gn (3x32x32)": ("resnet18", (3, 32, 32), {}),
}


def _problems(model, shape, n, device, p):
    x = torch.randn(1, *shape, device=device)
    upd = client_update(model, x, torch.tensor([1], device=device), seed=0)
    net = prepare(model)
    shapes = mask_shapes(net, (1, *shape))
    probs = [
        Problem(
            upd.gradients,
            upd.labels,
            torch.randn(1, *shape),
            {k: torch.bernoulli(torch.full(s, 1 - p)) for k, s in shapes.items()},
            {k: 1 / (1 - p) for k in shapes},
            p=p,
            learn_masks=True,
            mask_reg=1e-4,
        )
        for _ in range(n)
    ]
    return net, probs, upd


def ours(model, shape, n, iters, device, p=0.25):
    """Problem-iterations per second of the engine on ``n`` problems (no early stopping)."""
    net, probs, _ = _problems(model, shape, n, device, p)
    box = (torch.full((shape[0],), -3.0), torch.full((shape[0],), 3.0))
    kw = dict(stop_patience=None, stop_loss=None, box=box)
    run(net, probs, Settings(iterations=2, **kw))  # warm-up
    stamps = []

    def stamp(it):  # after iterations 0 and iters: times iterations 1..iters, as the loop's
        if it in (0, iters):
            _sync(device)
            stamps.append(time.perf_counter())

    run(net, probs, Settings(iterations=iters + 1, **kw), callback=stamp)
    return n * iters / (stamps[1] - stamps[0]), choose_strategy(net, n)


def reference_loop(model, shape, n, iters, device, p=0.25):
    """Per-problem plain-autograd DIA loop (the reference code's structure): problem-iterations per second."""
    net, probs, upd = _problems(model, shape, 1, device, p)
    layers = dropout_layers(net)
    params = [q for q in net.parameters()]
    for q in params:
        q.requires_grad_(True)
    target = upd.gradients
    tnorm = torch.sqrt(sum((t**2).sum() for t in target))
    x = probs[0].x0.to(device).requires_grad_(True)
    masks = [probs[0].masks0[k].to(device).requires_grad_(True) for k in layers]
    for m in layers.values():
        m.scale = torch.tensor(1 / (1 - p), device=device)
    opt = torch.optim.Adam([x, *masks], lr=0.1)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.1, patience=800)
    best = {"loss": float("inf")}

    def step():  # as src/attacks.py: closure, sign, Adam, clip, scheduler, early stopper, best copy
        for m, mk in zip(layers.values(), masks):
            m.mask = mk
        loss = nn.functional.cross_entropy(net(x), upd.labels)
        g = torch.autograd.grad(loss, params, create_graph=True)
        dot = sum((a * b).sum() for a, b in zip(g, target))
        norm = torch.sqrt(sum((a * a).sum() for a in g))
        obj = (
            1
            - dot / (norm * tnorm + 1e-8)
            + 1e-5 * total_variation(x)
            + 1e-4 * sum(((1 - m.mean()) - p).abs() for m in masks)
        )
        opt.zero_grad()
        obj.backward()
        x.grad.sign_()
        opt.step()
        with torch.no_grad():
            x.clamp_(-3.0, 3.0)
            for m in masks:
                m.clamp_(0, 1)
        value = obj.item()
        sched.step(value)
        if value < best["loss"]:
            best.update(loss=value, x=x.detach().clone(), m=[m.detach().clone() for m in masks])

    step()
    _sync(device)
    t = time.perf_counter()
    for _ in range(iters * n):
        step()
    _sync(device)
    return n * iters / (time.perf_counter() - t)


def _sync(device):
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--problems", type=int, default=16)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3, help="interleaved repeats; the best is kept")
    ap.add_argument("--models", default="", help="';'-separated substrings of the model labels")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    n = args.problems
    print(
        f"device {args.device}, torch {torch.__version__}, threads {torch.get_num_threads()}, "
        f"DIA problems (batch size 1, p=0.25), {args.iters} iterations; problem-iterations per second"
    )
    print(
        f"{'model':28s} {'ours 1':>8s} {'loop 1':>8s} {'ratio 1':>8s} "
        f"{'ours ' + str(n):>9s} {'loop ' + str(n):>9s} {'ratio ' + str(n):>9s}  strategy (1 / {n})"
    )
    wanted = [w for w in args.models.split(";") if w]
    for label, (arch, shape, kw) in MODELS.items():
        if wanted and not any(w in label for w in wanted):
            continue
        model = build_model(arch, shape, p=0.25, seed=0, **kw).to(args.device)
        one, ref1, many, refn = (0.0,) * 4
        for _ in range(args.repeats):  # interleaved; best of each (a shared machine's load varies)
            (r1, s1), (rn, sn) = (ours(model, shape, k, args.iters, args.device) for k in (1, n))
            one, many = max(one, r1), max(many, rn)
            ref1 = max(ref1, reference_loop(model, shape, 1, args.iters, args.device))
            refn = max(refn, reference_loop(model, shape, n, args.iters, args.device))
        print(
            f"{label:28s} {one:8.1f} {ref1:8.1f} {one / ref1:7.2f}x "
            f"{many:9.1f} {refn:9.1f} {many / refn:8.2f}x  {s1} / {sn}"
        )


if __name__ == "__main__":
    main()
