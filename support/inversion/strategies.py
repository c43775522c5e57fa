"""How the per-problem gradients of the objective are computed: a plain autograd loop or one vmap.

:func:`choose_strategy` picks between them by model size and problem count;
:class:`_Gradients` computes either, for the running problems of a run.
"""

from __future__ import annotations

import copy

import torch
from torch import nn
from torch.func import grad_and_value, vmap

from .masks import dropout_layers
from .objective import _cosine_total, _FusedProducts, objective

VMAP_MAX_PARAMS = 200_000  # above this the vmapped double backward was slower than a loop
VMAP_MIN_PROBLEMS = 4


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
