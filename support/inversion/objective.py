"""The gradient-matching objective of one inversion problem, and its fused backward.

    1 - <grad(x, m), g> / (||grad(x, m)|| ||g|| + 1e-8)
      + tv * (mean |dx| + mean |dy|)
      + mask_reg * sum_l |(1 - mean(m_l)) - p|

:func:`objective` is the functional form (``vmap`` batches it over problems);
:class:`_FusedProducts` is the same products with a lighter backward, for the
plain autograd loop.
"""

from __future__ import annotations

import functools
import operator

import torch
from torch import nn
from torch.autograd.function import once_differentiable
from torch.func import functional_call, grad

from .masks import dropout_layers


def total_variation(x: torch.Tensor) -> torch.Tensor:
    """Anisotropic mean total variation ``mean|dx| + mean|dy|`` of a (..., H, W) tensor."""
    return (x[..., :, 1:] - x[..., :, :-1]).abs().mean() + (
        x[..., 1:, :] - x[..., :-1, :]
    ).abs().mean()


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
