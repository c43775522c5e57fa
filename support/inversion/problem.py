"""What one engine run takes and returns: the problems, the shared settings, the result.

Also :func:`_stack`, the problems' inputs stacked into tensors with a leading problem
dimension, checked on the way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from ..core.validate import check_int

SCHEDULES = ("plateau", "multistep", "constant")
STRATEGIES = ("auto", "loop", "vmap")


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
        Step-size schedule (see :mod:`~support.inversion.engine`).
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
        How per-problem gradients are computed (see :mod:`~support.inversion.engine`).
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
