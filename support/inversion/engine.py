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
import functools
import math
import operator
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.autograd.function import once_differentiable
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
        if self.box is not None:
            _check_box(self.box)


def _check_box(box):
    lo, hi = box
    ok = isinstance(lo, torch.Tensor) and isinstance(hi, torch.Tensor) and lo.shape == hi.shape
    if not ok or lo.ndim != 1 or bool((lo > hi).any()):
        raise ValueError(
            f"box must be two (C,) tensors (lo, hi) with lo <= hi per channel, got {box!r}"
        )


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


def _sum(terms):
    """``sum`` without Python's leading ``0 +`` (one operation and one autograd node fewer)."""
    return functools.reduce(operator.add, terms)


def _products(g, target):
    """``(sum_i <g_i, t_i>, sum_i <g_i, g_i>)`` in plain operations (any ``torch.func`` transform traces them)."""
    return _sum((gi * ti).sum() for gi, ti in zip(g, target)), _sum((gi * gi).sum() for gi in g)


class _FusedProducts(torch.autograd.Function):
    """:func:`_products` with the same bits and a lighter backward (the loop strategy).

    Autograd's backward of those sums makes three products and two additions
    per parameter tensor, each a fresh parameter-sized allocation (page faults
    on a large model). This one writes into ``scratch``, two buffers
    per parameter, and returns ``gdot * t_i + 2 (gsq * g_i)``, adding in
    autograd's order. The returned buffers are overwritten by the next call:
    they are each ``g_i``'s only gradient, consumed within the backward pass.
    """

    @staticmethod
    def forward(ctx, scratch, target, *g):
        dot = _sum(torch.mul(gi, ti, out=s[0]).sum() for gi, ti, s in zip(g, target, scratch))
        sq = _sum(torch.mul(gi, gi, out=s[0]).sum() for gi, s in zip(g, scratch))
        ctx.save_for_backward(*g)
        ctx.scratch, ctx.target = scratch, target
        return dot, sq

    @staticmethod
    @once_differentiable
    def backward(ctx, gdot, gsq):
        gsq2 = 2 * gsq  # 2 (gsq * g_i) == (2 gsq) * g_i exactly: a power of two
        out = []
        for gi, ti, (a, b) in zip(ctx.saved_tensors, ctx.target, ctx.scratch):
            out.append(torch.mul(ti, gdot, out=b).add_(torch.mul(gi, gsq2, out=a)))
        return None, None, *out


def _cosine_total(g, target, tnorm, x, masks, p, reg, tv, products=_products):
    dot, sq = products(g, target)
    # the floor keeps sqrt's derivative finite when every gradient entry is 0 (all units dropped)
    gnorm = torch.sqrt(sq + 1e-30)
    rec = 1 - dot / (gnorm * tnorm + 1e-8)
    total = rec + tv * total_variation(x)
    if masks:
        total = total + reg * _sum(((1 - m.mean()) - p).abs() for m in masks)
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


def _constants(s: dict, i: int) -> dict:
    """Problem ``i``'s slices of the stacked inputs (views, made once rather than every step)."""
    return dict(
        target=[t[i] for t in s["target"]],
        tnorm=s["tnorm"][i],
        y=s["y"][i],
        p=s["p"][i],
        reg=s["reg"][i],
        scales=[sc[i] for sc in s["scales"]],
    )


class _Gradients:
    """Per-problem gradients of the objective for the running problems, by either strategy.

    A call returns ``(blocks, total, rec)``: ``blocks`` holds the image's
    gradient, then each mask's, as lists of tensors with a leading problem
    dimension (one per problem for the loop, one for all with vmap).
    """

    def __init__(self, net, s, tv, var):
        self.s, self.tv, self.var = s, tv, var
        f = objective(net)
        self.vmapped = vmap(
            grad_and_value(f, argnums=(0, 1), has_aux=True),
            in_dims=(0, 0, 0, 0, 0, 0, 0, 0, None),
        )
        self.plain = copy.deepcopy(net)  # its own parameters require grad (plain autograd loop)
        self.params = [q.requires_grad_(True) for q in self.plain.parameters()]
        self.scratch = [(torch.empty_like(q), torch.empty_like(q)) for q in self.params]
        self.layers = list(dropout_layers(self.plain).values())
        self.constants = [_constants(s, i) for i in range(len(s["tnorm"]))]
        # problem i's image and masks: views of the live buffer, which is updated in place
        self.views = [(var.x[i], [m[i] for m in var.masks]) for i in range(len(var.x))]

    def __call__(self, strategy, rows, ids):
        if strategy == "vmap":
            return self._vmap(rows)
        out = [self._one(i, *inputs) for i, inputs in zip(ids, self._inputs(rows))]
        blocks = [[o[0][j] for o in out] for j in range(1 + len(self.var.masks))]
        return blocks, torch.stack([o[1] for o in out]), torch.stack([o[2] for o in out])

    def _products(self, g, target):
        return _FusedProducts.apply(self.scratch, target, *g)

    def _inputs(self, rows):
        """Each running problem's ``(x, masks)``: views while all run, else compacted copies.

        The copies are what the loop has always read once a problem stopped:
        the model's products can round differently at another memory alignment.
        """
        if isinstance(rows, slice):
            return self.views
        x, masks = self.var.x[rows], [m[rows] for m in self.var.masks]
        return [(x[k], [m[k] for m in masks]) for k in range(len(x))]

    def _vmap(self, rows):
        s, var = self.s, self.var
        (gx, gm), (total, rec) = self.vmapped(
            var.x[rows],
            tuple(m[rows] for m in var.masks),
            tuple(t[rows] for t in s["scales"]),
            tuple(t[rows] for t in s["target"]),
            s["tnorm"][rows],
            s["y"][rows],
            s["p"][rows],
            s["reg"][rows],
            self.tv,
        )
        return [[gx], *([g] for g in gm)], total.detach(), rec.detach()

    def _one(self, i, x, masks):
        c = self.constants[i]
        x = x.detach().requires_grad_(True)
        masks = [m.detach().requires_grad_(True) for m in masks]
        for layer, m, sc in zip(self.layers, masks, c["scales"]):
            layer.supply(m, sc)
        ce = nn.functional.cross_entropy(self.plain(x), c["y"])
        g = torch.autograd.grad(ce, self.params, create_graph=True)
        total, rec = _cosine_total(
            g, c["target"], c["tnorm"], x, masks, c["p"], c["reg"], self.tv, self._products
        )
        grads = torch.autograd.grad(total, [x, *masks], allow_unused=True)
        grads = [torch.zeros_like(v) if g_ is None else g_ for g_, v in zip(grads, [x, *masks])]
        return [g_[None] for g_ in grads], total.detach(), rec.detach()


class _Packed:
    """The images and masks of all problems in one flat buffer, block after block.

    ``x`` and ``masks`` are views of the buffer with their stacked shapes, the
    images first (laid out as a plain stacked tensor). Adam, clipping and the
    best-iterate copy act on the whole buffer: a few operations a step rather
    than a few per tensor. ``row[e]`` is the problem of element ``e``.
    """

    def __init__(self, x, masks):
        blocks = [x, *masks]
        self.shapes = [b.shape for b in blocks]
        self.data = torch.cat([b.reshape(-1) for b in blocks])
        self.x, self.masks = self.views(self.data)
        self.n_x = x.numel()
        problems = torch.arange(len(x), device=x.device)
        self.row = torch.cat([problems.repeat_interleave(b[0].numel()) for b in blocks])

    def per_element(self, values):
        """Per-problem ``values`` ``(n,)`` spread over the buffer's elements (broadcast for one problem)."""
        return values if len(values) == 1 else values[self.row]

    def views(self, data):
        """``(x, masks)``: views of a buffer laid out as ``data``."""
        sizes = [math.prod(shape) for shape in self.shapes]
        views = [v.view(shape) for v, shape in zip(data.split(sizes), self.shapes)]
        return views[0], views[1:]

    def gradient(self, blocks, idx, everyone):
        """A buffer holding ``blocks`` (see :class:`_Gradients`) at problems ``idx``, zeros elsewhere."""
        if everyone:
            return torch.cat([t.reshape(-1) for block in blocks for t in block])
        g = torch.zeros_like(self.data)
        gx, gm = self.views(g)
        for view, block in zip([gx, *gm], blocks):
            view[idx] = torch.cat(block)
        return g

    def bounds(self, box):
        """Per-element ``(lo, hi)``: ``box``'s ``(C,)`` bounds on the images (none if None), [0, 1] on the masks."""
        if box is None:
            lo, hi = torch.full_like(self.x, -math.inf), torch.full_like(self.x, math.inf)
        else:
            lo, hi = (b.reshape(1, 1, -1, 1, 1).expand_as(self.x) for b in box)
        zeros = self.data.new_zeros(self.data.numel() - self.n_x)
        return torch.cat([lo.reshape(-1), zeros]), torch.cat([hi.reshape(-1), zeros + 1])

    def project(self, lo, hi):
        """Clip the buffer to per-element bounds (see :meth:`bounds`), in place.

        ``clamp`` equals ``max(min(x, hi), lo)`` as ``lo <= hi``. Stopped
        problems are clipped again too: they were clipped when they last
        moved, so it leaves them as they are.
        """
        self.data.clamp_(lo, hi)


class _Adam:
    """Element-wise Adam (torch's update) on one buffer, with a step size and step count per problem."""

    def __init__(self, data):
        self.m, self.v = torch.zeros_like(data), torch.zeros_like(data)

    def step(self, p, g, size, c2s):
        """``p -= size * m / (sqrt(v) / c2s + eps)`` after the moment updates; ``size``, ``c2s`` per element.

        A stopped problem has a zero gradient and ``size`` 0: it keeps its
        iterate (its moments decay, but are never used again).
        """
        b1, b2 = _BETAS
        self.m.mul_(b1).add_(g, alpha=1 - b1)
        self.v.mul_(b2).addcmul_(g, g, value=1 - b2)
        p.sub_(size * self.m / (self.v.sqrt() / c2s).add_(_EPS))


def _bias_corrected(lr, t):
    b1, b2 = _BETAS
    c1, c2 = 1 - b1**t, 1 - b2**t
    return lr / c1, c2.sqrt()


def _step_sizes(lr, t, rows):
    """Adam's ``lr / (1 - b1^t)`` and ``sqrt(1 - b2^t)`` per problem: 0 and 1 for stopped problems.

    Computed on the running problems alone, as before the buffer was shared:
    the last bit of a vectorised ``pow`` depends on the element's position.
    """
    if isinstance(rows, slice):
        return _bias_corrected(lr, t)
    size, c2s = _bias_corrected(lr[rows], t[rows])
    full_size, full_c2s = torch.zeros_like(lr), torch.ones_like(lr)
    full_size[rows], full_c2s[rows] = size, c2s
    return full_size, full_c2s


def _validate_run(net, problems, settings):
    if not isinstance(settings, Settings):
        raise TypeError(f"settings must be a Settings, got {type(settings).__name__}")
    if not problems:
        raise ValueError("problems is empty")
    if not dropout_layers(net) and any(pr.masks0 for pr in problems):
        raise ValueError("problems carry masks but net has no MaskDropout layer (use prepare)")


def _running(st, net, settings):
    """``(idx, ids, rows, strategy)`` of the running problems; ``rows`` is a slice while all run."""
    idx = torch.nonzero(st.active).flatten()
    rows = slice(None) if len(idx) == len(st.active) else idx
    return idx, idx.tolist(), rows, choose_strategy(net, len(idx), settings.strategy)


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

    Returns
    -------
    Result

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
    var = _Packed(s["x"], s["masks"])
    adam = _Adam(var.data)
    grads = _Gradients(net, s, torch.tensor(settings.tv, device=device), var)
    st = _State(len(problems), settings.iterations, settings, device)
    best = var.data.clone()
    gen = torch.Generator(device=device).manual_seed(settings.seed)
    resample = bool(s["resample"].any())
    frozen = None if bool(s["learn"].all()) else s["learn"][var.row[var.n_x :]]
    box = None if settings.box is None else [b.to(var.data) for b in settings.box]
    lo, hi = var.bounds(box)
    running = None
    for it in range(settings.iterations):
        if running is None:  # at the start and after a problem stopped
            running = _running(st, net, settings)
            if not running[1]:
                break
        idx, ids, rows, strategy = running
        if resample:
            _resample(s, var.masks, idx, gen)
        blocks, total, rec = grads(strategy, rows, ids)
        if not _all_finite(total):
            raise ValueError(f"non-finite loss at iteration {it}; check the target gradient")
        total, rec = st.widen(rows, total), st.widen(rows, rec)
        improved = st.record(total, rec)
        best = torch.where(var.per_element(improved), var.data, best)
        g = var.gradient(blocks, idx, isinstance(rows, slice))
        if settings.signed:
            g[: var.n_x].sign_()
        if frozen is not None:
            g[var.n_x :].mul_(frozen)
        st.t += st.active
        size, c2s = _step_sizes(st.lr, st.t, rows)
        adam.step(var.data, g, var.per_element(size), var.per_element(c2s))
        var.project(lo, hi)
        if st.schedule(it, total):
            running = None
        if callback is not None:
            callback(it)
    return _result(var, best, layers, st, problems)


def _all_finite(values):
    # a finite sum (one reduction, one read) proves it; otherwise look, as the sum may overflow
    return math.isfinite(float(values.sum())) or bool(torch.isfinite(values).all())


def _result(var, best, layers, st, problems):
    images, masks = var.views(best)
    loss, gradient_loss = st.losses()
    return Result(
        images=images.clone(),
        masks={l: m.clone() for l, m in zip(layers, masks)},
        best_loss=st.best,
        best_gradient_loss=st.best_rec,
        loss=loss,
        gradient_loss=gradient_loss,
        stopped=(~torch.isnan(loss)).sum(1),  # a problem's iterations are a prefix, all finite
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


class _State:
    """Per-problem step sizes, plateau and early-stopping counters, best loss and history.

    Updates act on every problem; a stopped problem's loss is NaN, which
    never improves and is never stored as best. Its step size and counters
    may still change, but are never used again.
    """

    def __init__(self, n, T, settings, device):
        self.cfg = settings
        self.lr = torch.full((n,), settings.lr, device=device)
        self.t = torch.zeros(n, device=device)  # float: exact to 2**24 steps, as Adam uses it
        self.active = torch.ones(n, dtype=torch.bool, device=device)
        self.best = torch.full((n,), float("inf"), device=device)
        self.best_rec = torch.full((n,), float("inf"), device=device)
        self.plateau_best = torch.full((n,), float("inf"), device=device)
        self.bad = torch.zeros(n, dtype=torch.long, device=device)
        self.since = torch.zeros(n, dtype=torch.long, device=device)
        self.history: list = []  # (total, rec) of each iteration, NaN for stopped problems
        self.T = T
        self.steps = sorted({int(round(f * T)) for f in settings.milestones})

    def widen(self, rows, values):
        """``values`` of the running problems ``rows`` as a vector over all, NaN for stopped ones."""
        if isinstance(rows, slice):
            return values
        out = torch.full_like(self.best, float("nan"))
        out[rows] = values
        return out

    def record(self, total, rec):
        """Store the losses; return which problems improved on their best (strictly)."""
        self.history.append((total, rec))
        improved = total < self.best
        self.best = torch.where(improved, total, self.best)
        self.best_rec = torch.where(improved, rec, self.best_rec)
        self.since = torch.where(improved, 0, self.since + 1)
        return improved

    def losses(self):
        """``(loss, gradient_loss)``, each ``(n, T)``: the history, NaN after a problem stopped."""
        out = []
        for j in range(2):
            full = torch.full((len(self.best), self.T), math.nan, device=self.best.device)
            if self.history:
                full[:, : len(self.history)] = torch.stack([h[j] for h in self.history], 1)
            out.append(full)
        return tuple(out)

    def schedule(self, it, total):
        """Step sizes for the next iteration, then stop problems; True when one stopped."""
        cfg = self.cfg
        if cfg.schedule == "multistep":
            self.lr.fill_(cfg.lr * 0.1 ** sum(it + 1 >= s for s in self.steps))
        elif cfg.schedule == "plateau":
            better = total < self.plateau_best * (1 - 1e-4)
            self.plateau_best = torch.where(better, total, self.plateau_best)
            bad = torch.where(better, 0, self.bad + 1)
            cut = bad > cfg.patience
            self.lr = torch.where(cut, self.lr * cfg.factor, self.lr)
            self.bad = torch.where(cut, 0, bad)
        return self._stop()

    def _stop(self):
        cfg = self.cfg
        if cfg.stop_patience is None and cfg.stop_loss is None:
            return False
        stop = torch.zeros_like(self.active)
        if cfg.stop_patience is not None:
            stop |= self.since >= cfg.stop_patience
        if cfg.stop_loss is not None:
            stop |= self.best < cfg.stop_loss
        stop &= self.active
        if not bool(stop.any()):
            return False
        self.active &= ~stop
        return True
