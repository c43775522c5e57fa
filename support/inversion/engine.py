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

This module holds the run loop and the public API; its parts live in
:mod:`~support.inversion.problem` (inputs and result), :mod:`~support.inversion.objective`,
:mod:`~support.inversion.strategies` (loop or vmap), :mod:`~support.inversion.optimiser`
(packed buffer and Adam) and :mod:`~support.inversion.schedule` (per-problem state).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .masks import dropout_layers, set_mode, with_mask_dropout
from .objective import objective, total_variation
from .optimiser import _Adam, _Packed, _step_sizes
from .problem import SCHEDULES, STRATEGIES, Problem, Result, Settings, _stack
from .schedule import _State
from .strategies import VMAP_MAX_PARAMS, VMAP_MIN_PROBLEMS, _Gradients, choose_strategy

__all__ = [
    "SCHEDULES",
    "STRATEGIES",
    "VMAP_MAX_PARAMS",
    "VMAP_MIN_PROBLEMS",
    "Problem",
    "Result",
    "Settings",
    "choose_strategy",
    "objective",
    "prepare",
    "run",
    "total_variation",
]


def prepare(model: nn.Module) -> nn.Module:
    """A copy of ``model`` with mask-carrying dropout in ``"mask"`` mode, frozen, for the attacker."""
    net = set_mode(with_mask_dropout(model), "mask").eval()
    for q in net.parameters():
        q.requires_grad_(False)
    return net


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
