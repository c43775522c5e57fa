"""The batched optimiser behind IG, WIIG and DIA: many inversion problems in one vectorised loop.

Each problem inverts one target gradient: a dummy batch ``x`` (normalised
space) and, for every dropout layer, a mask tensor with the activation's full
shape. The objective is the reference code's:

    1 - <grad(x, m), g> / (||grad(x, m)|| ||g|| + 1e-8)
      + tv * (mean |dx| + mean |dy|)
      + mask_reg * sum_l |(1 - mean(m_l)) - p|

``x`` takes signed-gradient Adam steps and is clipped to the box; the masks
take raw-gradient Adam steps (or none, when frozen) and are clipped to [0, 1].
Problems are independent, so one ``torch.func.vmap`` over problems computes
every per-problem gradient at once, and Adam's element-wise update makes the
batched run identical to running the problems one by one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn
from torch.func import functional_call, grad, grad_and_value, vmap

from .masks import dropout_layers, set_mode, with_mask_dropout


@dataclass
class Problem:
    """One inversion problem.

    Attributes
    ----------
    target : list of torch.Tensor
        The observed gradient, one tensor per parameter in ``model.parameters()`` order.
    labels : torch.Tensor
        ``(B,)`` integer labels.
    x0 : torch.Tensor
        ``(B, C, H, W)`` initial dummy images (normalised space).
    masks0 : dict of str to torch.Tensor
        Initial mask of every dropout layer (activation shape including batch).
    scales : dict of str to float
        Multiplier after the mask: ``1 / (1 - p)`` with a mask, 1 for an eval-mode attacker.
    p : float
        Dropout rate the attacker assumes (mask regulariser and resampling).
    learn_masks : bool
        Optimise the masks (DIA) or keep them (IG, WIIG, frozen ablation).
    resample : bool
        Draw fresh Bernoulli(1 - p) masks every iteration (a train-mode attacker).
    mask_reg : float
        Weight of the mask-rate regulariser.
    tag : dict
        Free-form bookkeeping (attack, image index, seed...).
    """

    target: list[torch.Tensor]
    labels: torch.Tensor
    x0: torch.Tensor
    masks0: dict[str, torch.Tensor]
    scales: dict[str, float]
    p: float = 0.0
    learn_masks: bool = False
    resample: bool = False
    mask_reg: float = 0.0
    tag: dict = field(default_factory=dict)


@dataclass
class Settings:
    """Optimiser settings shared by all problems of one run (defaults: the DIA reference code).

    ``milestones`` are fractions of ``iterations`` at which the step size is
    multiplied by 0.1 (breaching's IG schedule at 3/8, 5/8, 7/8).
    """

    iterations: int = 4000
    lr: float = 0.1
    tv: float = 1e-5
    milestones: tuple[float, ...] = (3 / 8, 5 / 8, 7 / 8)
    signed: bool = True
    box: tuple[torch.Tensor, torch.Tensor] | None = None  # per-channel (lo, hi), shape (C,)
    seed: int = 0  # of the masks a train-mode attacker draws


@dataclass
class Result:
    """Outcome of :func:`run`: best iterate and history of every problem."""

    images: torch.Tensor  # (N, B, C, H, W), best-loss iterate, normalised space
    masks: dict[str, torch.Tensor]  # (N, ...) masks at the best iterate
    best_loss: torch.Tensor  # (N,)
    loss: torch.Tensor  # (N, T) total objective per iteration
    gradient_loss: torch.Tensor  # (N, T) the cosine term alone
    problems: list[Problem]


def total_variation(x: torch.Tensor) -> torch.Tensor:
    """Anisotropic mean total variation ``mean|dx| + mean|dy|`` of a (..., H, W) tensor."""
    return (x[..., :, 1:] - x[..., :, :-1]).abs().mean() + (
        x[..., 1:, :] - x[..., :-1, :]
    ).abs().mean()


def prepare(model: nn.Module) -> nn.Module:
    """A copy of ``model`` with mask-carrying dropout in ``"mask"`` mode, frozen, for the attacker."""
    net = set_mode(with_mask_dropout(model), "mask").eval()
    for q in net.parameters():
        q.requires_grad_(False)
    return net


def objective(net: nn.Module):
    """The per-problem objective ``f(x, masks, scales, target, tnorm, y, p, reg, tv)`` for ``net``.

    Returns ``(total, cosine_term)``; written for one problem, so that
    ``vmap`` batches it over problems.
    """
    params = {n: q.detach() for n, q in net.named_parameters()}
    layers = list(dropout_layers(net))
    buffers = {
        n: b
        for n, b in net.named_buffers()
        if not any(n in (f"{l}.mask", f"{l}.scale") for l in layers)
    }

    def f(x, masks, scales, target, tnorm, y, p, reg, tv):
        bufs = dict(buffers)
        for l, m, s in zip(layers, masks, scales):
            bufs[f"{l}.mask"] = m
            bufs[f"{l}.scale"] = s

        def ce(prm):
            return nn.functional.cross_entropy(functional_call(net, (prm, bufs), (x,)), y)

        g = grad(ce)(params)
        dot = sum((gi * ti).sum() for gi, ti in zip(g.values(), target))
        gnorm = torch.sqrt(sum((gi * gi).sum() for gi in g.values()))
        rec = 1 - dot / (gnorm * tnorm + 1e-8)
        total = rec + tv * total_variation(x)
        if masks:
            total = total + reg * sum(((1 - m.mean()) - p).abs() for m in masks)
        return total, rec

    return f


def _stack(problems: list[Problem], layers: list[str], device) -> dict:
    f32 = dict(device=device, dtype=torch.float32)
    n_params = len(problems[0].target)
    for i, pr in enumerate(problems):
        if len(pr.target) != n_params:
            raise ValueError(
                f"problem {i}: target has {len(pr.target)} tensors, problem 0 has {n_params}"
            )
    target = tuple(
        torch.stack([pr.target[k] for pr in problems]).to(**f32) for k in range(n_params)
    )
    tnorm = torch.sqrt(sum((t.flatten(1) ** 2).sum(1) for t in target))
    return dict(
        x=torch.stack([pr.x0 for pr in problems]).to(**f32),
        masks=[torch.stack([pr.masks0[l] for pr in problems]).to(**f32) for l in layers],
        scales=tuple(torch.tensor([pr.scales[l] for pr in problems], **f32) for l in layers),
        target=target,
        tnorm=tnorm,
        y=torch.stack([pr.labels for pr in problems]).to(device),
        p=torch.tensor([pr.p for pr in problems], **f32),
        reg=torch.tensor([pr.mask_reg for pr in problems], **f32),
        learn=torch.tensor([float(pr.learn_masks) for pr in problems], **f32),
        resample=torch.tensor([pr.resample for pr in problems], device=device),
    )


def run(net: nn.Module, problems: list[Problem], settings: Settings, callback=None) -> Result:
    """Optimise every problem jointly (one vmapped forward/backward per iteration).

    Parameters
    ----------
    net : nn.Module
        The attacker's model from :func:`prepare`.
    problems : list of Problem
        All must share the image shape, batch size and model.
    settings : Settings
    callback : callable, optional
        Called as ``callback(iteration)`` after each step (progress bars).
    """
    if not problems:
        raise ValueError("problems is empty")
    device = next(net.parameters()).device
    layers = list(dropout_layers(net))
    s = _stack(problems, layers, device)
    n = len(problems)
    x = s["x"].clone().requires_grad_(True)
    masks = [m.clone().requires_grad_(True) for m in s["masks"]]
    opt = torch.optim.Adam([x, *masks], lr=settings.lr)
    steps = sorted({int(round(f * settings.iterations)) for f in settings.milestones})
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=steps, gamma=0.1)
    f = objective(net)
    tv = torch.tensor(settings.tv, device=device)
    step = vmap(
        grad_and_value(lambda x_, m_, *rest: f(x_, m_, *rest), argnums=(0, 1), has_aux=True),
        in_dims=(0, 0, 0, 0, 0, 0, 0, 0, None),
    )
    lo = hi = None
    if settings.box is not None:
        lo, hi = (b.to(device).reshape(1, 1, -1, 1, 1) for b in settings.box)
    best = torch.full((n,), float("inf"), device=device)
    best_x = x.detach().clone()
    best_m = [m.detach().clone() for m in masks]
    losses, recs = [], []
    gen = torch.Generator(device=device).manual_seed(settings.seed)
    view = lambda t, like: t.reshape(-1, *([1] * (like.ndim - 1)))  # noqa: E731
    for it in range(settings.iterations):
        if bool(s["resample"].any()):
            with torch.no_grad():
                for m in masks:
                    fresh = torch.bernoulli((1 - view(s["p"], m)).expand_as(m), generator=gen)
                    m.copy_(torch.where(view(s["resample"], m), fresh, m))
        (gx, gm), (total, rec) = step(
            x, tuple(masks), s["scales"], s["target"], s["tnorm"], s["y"], s["p"], s["reg"], tv
        )
        with torch.no_grad():
            improved = total < best
            best = torch.where(improved, total, best)
            best_x[improved] = x[improved]
            for bm, m in zip(best_m, masks):
                bm[improved] = m[improved]
            losses.append(total.detach())
            recs.append(rec.detach())
        x.grad = gx.sign() if settings.signed else gx
        for m, g in zip(masks, gm):
            m.grad = g * view(s["learn"], g)
        opt.step()
        sched.step()
        with torch.no_grad():
            if lo is not None:
                x.copy_(torch.maximum(torch.minimum(x, hi), lo))
            for m in masks:
                m.clamp_(0, 1)
        if callback is not None:
            callback(it)
    return Result(
        images=best_x,
        masks=dict(zip(layers, best_m)),
        best_loss=best,
        loss=torch.stack(losses, 1) if losses else torch.empty(n, 0),
        gradient_loss=torch.stack(recs, 1) if recs else torch.empty(n, 0),
        problems=problems,
    )
