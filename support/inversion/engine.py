"""The optimiser behind IG, WIIG and DIA: many inversion problems advanced together.

Each problem inverts one target gradient: a dummy batch ``x`` (normalised
space) and, for every dropout layer, a mask tensor with the activation's full
shape. The objective is the reference code's:

    1 - <grad(x, m), g> / (||grad(x, m)|| ||g|| + 1e-8)
      + tv * (mean |dx| + mean |dy|)
      + mask_reg * sum_l |(1 - mean(m_l)) - p|

``x`` takes signed-gradient Adam steps and is clipped to the box; the masks
take raw-gradient Adam steps (or none, when frozen) and are clipped to [0, 1].
Every problem keeps its own step size, schedule and stopping state:

- ``schedule="plateau"`` (the DIA reference code): step size x ``factor`` when
  the loss has not improved (relative threshold 1e-4, as torch's
  ``ReduceLROnPlateau``) for more than ``patience`` iterations;
- ``schedule="multistep"`` (Inverting Gradients): x 0.1 at the ``milestones``
  fractions of ``iterations``;
- early stopping after ``stop_patience`` iterations without improvement, or
  once the best loss is below ``stop_loss``.

The iterate with the lowest loss is returned with that loss and its
gradient-matching term (the iterate *at which* the loss was measured; the
reference code stores the iterate one step later).

Two strategies compute the per-problem gradients, with the same mathematics:
``"loop"`` (plain autograd, one problem at a time) and ``"vmap"`` (one
``torch.func.vmap`` over problems). ``"auto"`` picks vmap only for several
small problems, where it is faster (see ``bench/inversion.py``). The two agree
to float32 rounding, not bit for bit, and the attack is chaotic, so after many
iterations their trajectories can differ slightly (same basins); a loop run is
bit-identical whatever other problems share the run, a vmap run need not be.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.func import functional_call, grad, grad_and_value, vmap

from ..core.validate import check_int
from .masks import dropout_layers, set_mode, with_mask_dropout

SCHEDULES = ("plateau", "multistep", "constant")
STRATEGIES = ("auto", "loop", "vmap")
VMAP_MAX_PARAMS = 200_000  # above this the vmapped double backward was slower than a loop
VMAP_MIN_PROBLEMS = 4
_BETAS, _EPS = (0.9, 0.999), 1e-8


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


def _positive_float(name, value, allow_zero=False):
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (value == 0 and not allow_zero):
        need = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {need}, got {value!r}")
    return float(value)


@dataclass
class Settings:
    """Optimiser settings shared by all problems of one run (defaults: the DIA reference code).

    Attributes
    ----------
    iterations : int
        Maximum iterations (20 000 in the reference).
    lr : float
        Adam step size (0.1).
    tv : float
        Weight of the total-variation prior (1e-5).
    schedule : {"plateau", "multistep", "constant"}
        Step-size schedule (see module docstring).
    milestones : tuple of float
        Fractions of ``iterations`` where ``"multistep"`` multiplies the step by 0.1.
    factor, patience : float, int
        ``"plateau"``: multiplier and patience (0.1 and 800 in the reference).
    stop_patience : int or None
        Early stopping after this many iterations without improvement (4000); None: off.
    stop_loss : float or None
        Stop once the best loss is below this (1e-5); None: off.
    signed : bool
        Replace the image's gradient by its sign.
    box : (lo, hi) or None
        Per-channel bounds of the image, shape ``(C,)`` each.
    seed : int
        Seed of the masks a train-mode attacker draws.
    strategy : {"auto", "loop", "vmap"}
        How per-problem gradients are computed (see module docstring).
    """

    iterations: int = 20_000
    lr: float = 0.1
    tv: float = 1e-5
    schedule: str = "plateau"
    milestones: tuple[float, ...] = (3 / 8, 5 / 8, 7 / 8)
    factor: float = 0.1
    patience: int = 800
    stop_patience: int | None = 4000
    stop_loss: float | None = 1e-5
    signed: bool = True
    box: tuple[torch.Tensor, torch.Tensor] | None = None
    seed: int = 0
    strategy: str = "auto"

    def __post_init__(self):
        check_int("iterations", self.iterations)
        _positive_float("lr", self.lr)
        _positive_float("tv", self.tv, allow_zero=True)
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, got {self.schedule!r}")
        if self.strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {STRATEGIES}, got {self.strategy!r}")
        if not all(0 < f < 1 for f in self.milestones):
            raise ValueError(f"milestones must be fractions in (0, 1), got {self.milestones!r}")
        if not 0 < self.factor < 1:
            raise ValueError(f"factor must be in (0, 1), got {self.factor!r}")
        check_int("patience", self.patience)
        if self.stop_patience is not None:
            check_int("stop_patience", self.stop_patience)
        if self.stop_loss is not None:
            _positive_float("stop_loss", self.stop_loss)


@dataclass
class Result:
    """Outcome of :func:`run`: the returned iterate and history of every problem.

    ``best_loss`` and ``best_gradient_loss`` are the objective and its cosine
    term *at the returned iterate*; ``loss`` and ``gradient_loss`` are NaN
    after a problem stopped; ``stopped`` is the number of iterations it ran.
    """

    images: torch.Tensor  # (N, B, C, H, W), best-loss iterate, normalised space
    masks: dict[str, torch.Tensor]  # (N, ...) masks at the best iterate
    best_loss: torch.Tensor  # (N,)
    best_gradient_loss: torch.Tensor  # (N,)
    loss: torch.Tensor  # (N, T) total objective per iteration
    gradient_loss: torch.Tensor  # (N, T) the cosine term alone
    stopped: torch.Tensor  # (N,) iterations run
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


def _cosine_total(g, target, tnorm, x, masks, p, reg, tv):
    dot = sum((gi * ti).sum() for gi, ti in zip(g, target))
    # the floor keeps sqrt's derivative finite when every gradient entry is 0 (all units dropped)
    gnorm = torch.sqrt(sum((gi * gi).sum() for gi in g) + 1e-30)
    rec = 1 - dot / (gnorm * tnorm + 1e-8)
    total = rec + tv * total_variation(x)
    if masks:
        total = total + reg * sum(((1 - m.mean()) - p).abs() for m in masks)
    return total, rec


def objective(net: nn.Module):
    """The per-problem objective ``f(x, masks, scales, target, tnorm, y, p, reg, tv)`` for ``net``.

    Returns ``(total, cosine_term)``; written for one problem (functional), so
    that ``vmap`` batches it over problems.
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
        return _cosine_total(list(g.values()), target, tnorm, x, masks, p, reg, tv)

    return f


def _stack(problems: list[Problem], layers: list[str], device) -> dict:
    f32 = dict(device=device, dtype=torch.float32)
    n_params = len(problems[0].target)
    for i, pr in enumerate(problems):
        if len(pr.target) != n_params:
            raise ValueError(
                f"problem {i}: target has {len(pr.target)} tensors, problem 0 has {n_params}"
            )
        if pr.x0.shape != problems[0].x0.shape:
            raise ValueError(
                f"problem {i}: x0 has shape {tuple(pr.x0.shape)}, problem 0 {tuple(problems[0].x0.shape)}"
            )
        if not all(bool(torch.isfinite(t).all()) for t in pr.target):
            raise ValueError(f"problem {i}: target gradient holds NaN or inf values")
    target = tuple(
        torch.stack([pr.target[k] for pr in problems]).to(**f32) for k in range(n_params)
    )
    tnorm = torch.sqrt(sum((t.flatten(1) ** 2).sum(1) for t in target))
    if bool((tnorm == 0).any()):
        raise ValueError("a target gradient is all zeros: there is nothing to invert")
    return dict(
        x=torch.stack([pr.x0 for pr in problems]).to(**f32),
        masks=[torch.stack([pr.masks0[l] for pr in problems]).to(**f32) for l in layers],
        scales=tuple(torch.tensor([pr.scales[l] for pr in problems], **f32) for l in layers),
        target=target,
        tnorm=tnorm,
        y=torch.stack([pr.labels for pr in problems]).to(device),
        p=torch.tensor([pr.p for pr in problems], **f32),
        reg=torch.tensor([pr.mask_reg for pr in problems], **f32),
        learn=torch.tensor([pr.learn_masks for pr in problems], device=device),
        resample=torch.tensor([pr.resample for pr in problems], device=device),
    )


def choose_strategy(net: nn.Module, n_active: int, strategy: str = "auto") -> str:
    """``"vmap"`` for at least ``VMAP_MIN_PROBLEMS`` problems on a model of at most ``VMAP_MAX_PARAMS`` parameters, else ``"loop"``."""
    if strategy != "auto":
        return strategy
    n_params = sum(q.numel() for q in net.parameters())
    small = n_params <= VMAP_MAX_PARAMS
    return "vmap" if small and n_active >= VMAP_MIN_PROBLEMS else "loop"


class _Gradients:
    """Per-problem gradients of the objective for a subset of problems, by either strategy."""

    def __init__(self, net, s, tv):
        self.s, self.tv, self.net = s, tv, net
        f = objective(net)
        self.vmapped = vmap(
            grad_and_value(f, argnums=(0, 1), has_aux=True),
            in_dims=(0, 0, 0, 0, 0, 0, 0, 0, None),
        )
        self.plain = copy.deepcopy(net)  # its own parameters require grad (plain autograd loop)
        self.params = [q.requires_grad_(True) for q in self.plain.parameters()]
        self.layers = list(dropout_layers(self.plain).values())

    def __call__(self, strategy, idx, x, masks):
        s = self.s
        if strategy == "vmap":
            (gx, gm), (total, rec) = self.vmapped(
                x,
                tuple(masks),
                tuple(t[idx] for t in s["scales"]),
                tuple(t[idx] for t in s["target"]),
                s["tnorm"][idx],
                s["y"][idx],
                s["p"][idx],
                s["reg"][idx],
                self.tv,
            )
            return gx, list(gm), total.detach(), rec.detach()
        out = [self._one(int(i), x[k], [m[k] for m in masks]) for k, i in enumerate(idx)]
        gx = torch.stack([o[0] for o in out])
        gm = [torch.stack([o[1][j] for o in out]) for j in range(len(masks))]
        return gx, gm, torch.stack([o[2] for o in out]), torch.stack([o[3] for o in out])

    def _one(self, i, x, masks):
        s = self.s
        x = x.detach().requires_grad_(True)
        masks = [m.detach().requires_grad_(True) for m in masks]
        for layer, m, sc in zip(self.layers, masks, s["scales"]):
            layer.mask, layer.scale = m, sc[i]
        ce = nn.functional.cross_entropy(self.plain(x), s["y"][i])
        g = torch.autograd.grad(ce, self.params, create_graph=True)
        target = [t[i] for t in s["target"]]
        total, rec = _cosine_total(
            g, target, s["tnorm"][i], x, masks, s["p"][i], s["reg"][i], self.tv
        )
        grads = torch.autograd.grad(total, [x, *masks], allow_unused=True)
        grads = [torch.zeros_like(v) if g_ is None else g_ for g_, v in zip(grads, [x, *masks])]
        return grads[0], grads[1:], total.detach(), rec.detach()


class _Adam:
    """Element-wise Adam (torch's update) with a step size and step count per problem."""

    def __init__(self, tensors):
        self.m = [torch.zeros_like(t) for t in tensors]
        self.v = [torch.zeros_like(t) for t in tensors]

    def step(self, rows, tensors, grads, lr, t):
        """Update ``tensors[k][rows]`` with ``grads[k]``; ``rows`` a slice (all, in place) or an index."""
        b1, b2 = _BETAS
        c1, c2 = 1 - b1**t, 1 - b2**t
        c2s, size = c2.sqrt(), lr / c1
        for k, (p, g) in enumerate(zip(tensors, grads)):
            view = (-1, *([1] * (p.ndim - 1)))
            if isinstance(rows, slice):
                m = self.m[k].mul_(b1).add_(g, alpha=1 - b1)
                v = self.v[k].mul_(b2).addcmul_(g, g, value=1 - b2)
                p.sub_(size.reshape(view) * m / (v.sqrt() / c2s.reshape(view)).add_(_EPS))
                continue
            m = self.m[k][rows].mul_(b1).add_(g, alpha=1 - b1)
            v = self.v[k][rows].mul_(b2).addcmul_(g, g, value=1 - b2)
            self.m[k][rows], self.v[k][rows] = m, v
            denom = (v.sqrt() / c2s.reshape(view)).add_(_EPS)
            p[rows] = p[rows] - size.reshape(view) * m / denom


def _validate_run(net, problems, settings):
    if not isinstance(settings, Settings):
        raise TypeError(f"settings must be a Settings, got {type(settings).__name__}")
    if not problems:
        raise ValueError("problems is empty")
    if not dropout_layers(net) and any(pr.masks0 for pr in problems):
        raise ValueError("problems carry masks but net has no MaskDropout layer (use prepare)")


def run(net: nn.Module, problems: list[Problem], settings: Settings, callback=None) -> Result:
    """Optimise every problem (each with its own schedule and stopping state).

    Parameters
    ----------
    net : nn.Module
        The attacker's model from :func:`prepare`.
    problems : list of Problem
        All must share the image shape, batch size and model.
    settings : Settings
    callback : callable, optional
        Called as ``callback(iteration)`` after each iteration (progress bars).

    Raises
    ------
    ValueError
        If a target gradient holds NaN or inf values or the optimisation
        produces a non-finite loss.
    """
    _validate_run(net, problems, settings)
    device = next(net.parameters()).device
    layers = list(dropout_layers(net))
    s = _stack(problems, layers, device)
    n, T = len(problems), settings.iterations
    x, masks = s["x"].clone(), [m.clone() for m in s["masks"]]
    adam = _Adam([x, *masks])
    grads = _Gradients(net, s, torch.tensor(settings.tv, device=device))
    st = _State(n, T, settings, device)
    best_x, best_m = x.clone(), [m.clone() for m in masks]
    gen = torch.Generator(device=device).manual_seed(settings.seed)
    box = None
    if settings.box is not None:
        box = [b.to(device).reshape(1, 1, -1, 1, 1) for b in settings.box]
    for it in range(T):
        idx = torch.nonzero(st.active).flatten()
        if len(idx) == 0:
            break
        _resample(s, masks, idx, gen)
        rows = slice(None) if len(idx) == n else idx  # views, not copies, while all are active
        xi, mi = x[rows], [m[rows] for m in masks]
        strategy = choose_strategy(net, len(idx), settings.strategy)
        gx, gm, total, rec = grads(strategy, idx, xi, mi)
        if not bool(torch.isfinite(total).all()):
            raise ValueError(f"non-finite loss at iteration {it}; check the target gradient")
        improved = st.record(idx, it, total, rec)
        sel = idx[improved]
        if len(sel):
            best_x[sel] = xi[improved]
            for bm, m in zip(best_m, mi):
                bm[sel] = m[improved]
        if settings.signed:
            gx = gx.sign()
        learn = s["learn"][idx]
        if not bool(learn.all()):
            gm = [g * learn.reshape(-1, *([1] * (g.ndim - 1))) for g in gm]
        st.t[idx] += 1
        adam.step(rows, [x, *masks], [gx, *gm], st.lr[idx], st.t[idx].to(x.dtype))
        _project(x, masks, rows, box, settings.box is not None)
        st.schedule(idx, it, total)
        if callback is not None:
            callback(it)
    return Result(
        images=best_x,
        masks=dict(zip(layers, best_m)),
        best_loss=st.best,
        best_gradient_loss=st.best_rec,
        loss=st.losses,
        gradient_loss=st.recs,
        stopped=st.ran,
        problems=problems,
    )


def _resample(s, masks, idx, gen):
    sel = s["resample"][idx]
    if not bool(sel.any()):
        return
    rows = idx[sel]
    for m in masks:
        keep = (1 - s["p"][rows]).reshape(-1, *([1] * (m.ndim - 1))).expand_as(m[rows])
        m[rows] = torch.bernoulli(keep.contiguous(), generator=gen)


def _project(x, masks, rows, box, boxed):
    with torch.no_grad():
        if isinstance(rows, slice):  # all problems active: in place
            if boxed:
                torch.minimum(x, box[1], out=x)
                torch.maximum(x, box[0], out=x)
            for m in masks:
                m.clamp_(0, 1)
            return
        if boxed:
            x[rows] = torch.maximum(torch.minimum(x[rows], box[1]), box[0])
        for m in masks:
            m[rows] = m[rows].clamp(0, 1)


class _State:
    """Per-problem step sizes, plateau and early-stopping counters, best loss and history."""

    def __init__(self, n, T, settings, device):
        self.cfg = settings
        self.lr = torch.full((n,), settings.lr, device=device)
        self.t = torch.zeros(n, dtype=torch.long, device=device)
        self.active = torch.ones(n, dtype=torch.bool, device=device)
        self.best = torch.full((n,), float("inf"), device=device)
        self.best_rec = torch.full((n,), float("inf"), device=device)
        self.plateau_best = torch.full((n,), float("inf"), device=device)
        self.bad = torch.zeros(n, dtype=torch.long, device=device)
        self.since = torch.zeros(n, dtype=torch.long, device=device)
        self.ran = torch.zeros(n, dtype=torch.long, device=device)
        self.losses = torch.full((n, T), float("nan"), device=device)
        self.recs = torch.full((n, T), float("nan"), device=device)
        self.steps = sorted({int(round(f * T)) for f in settings.milestones})

    def record(self, idx, it, total, rec):
        """Store the losses; return which problems improved on their best (strictly)."""
        self.losses[idx, it], self.recs[idx, it] = total, rec
        self.ran[idx] = it + 1
        improved = total < self.best[idx]
        self.best[idx] = torch.where(improved, total, self.best[idx])
        self.best_rec[idx] = torch.where(improved, rec, self.best_rec[idx])
        self.since[idx] = torch.where(improved, 0, self.since[idx] + 1)
        return improved

    def schedule(self, idx, it, total):
        """Step sizes for the next iteration, then which problems stop."""
        cfg = self.cfg
        if cfg.schedule == "multistep":
            self.lr[idx] = cfg.lr * 0.1 ** sum(it + 1 >= s for s in self.steps)
        elif cfg.schedule == "plateau":
            better = total < self.plateau_best[idx] * (1 - 1e-4)
            self.plateau_best[idx] = torch.where(better, total, self.plateau_best[idx])
            bad = torch.where(better, 0, self.bad[idx] + 1)
            cut = bad > cfg.patience
            self.lr[idx] = torch.where(cut, self.lr[idx] * cfg.factor, self.lr[idx])
            self.bad[idx] = torch.where(cut, 0, bad)
        stop = torch.zeros_like(idx, dtype=torch.bool)
        if cfg.stop_patience is not None:
            stop |= self.since[idx] >= cfg.stop_patience
        if cfg.stop_loss is not None:
            stop |= self.best[idx] < cfg.stop_loss
        self.active[idx[stop]] = False
