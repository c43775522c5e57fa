"""Batched SGD training of ConvNets on flat parameters (experts and evaluation networks).

``S`` networks train at once through :func:`support.distill.convnet.forward`;
each has its own data order, learning rate and (optionally) its own data set.
The optimiser is PyTorch's SGD (heavy-ball momentum, coupled weight decay)
written out on the flat vectors so that the state can be cached per epoch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..core.validate import check_finite, check_fraction, check_positive
from . import augment as aug
from .convnet import ConvNetSpec, forward


@dataclass(frozen=True)
class SGDConfig:
    """How the networks are trained.

    Parameters
    ----------
    epochs : int
        Passes over the data.
    lr : float
        Learning rate (``train`` also accepts one per network).
    momentum, weight_decay : float
        PyTorch SGD semantics.
    batch_size : int
        Mini-batch size (the last batch of an epoch may be smaller).
    decay_epoch : int
        Multiply the learning rate by ``decay_factor`` from this epoch on (0 = never).
    decay_factor : float
    clip_loss : bool
        AST's early-epoch loss scaling ("clipping loss"): the cross-entropy is
        multiplied by ``0.5 + 0.5 e / clip_epochs`` in epochs ``e < clip_epochs``
        (the input-gradient penalty is not scaled).
    clip_epochs : int
        Length of the clipping ramp. AST's code uses 10 (``0.5, 0.55, ..., 0.95``)
        for 50-epoch experts, i.e. the first fifth of training; shorter
        trajectories should scale it (see ``support.distill.config``).
    grad_penalty : float
        AST's input-gradient penalty weight lambda (0 = off).
    gp_norm : str
        ``"sample"``: one norm of the input gradient per image, as in the
        WGAN-GP penalty the paper writes; ``"pixel"``: norm over channels at
        each pixel, averaged over pixels, as AST's code computes it
        (``torch.norm(gradients, dim=1)`` without flattening the image).
    gp_batch : int
        Images of each batch the penalty is taken on (0 = all, as AST's code). The penalty is a
        mean over images, so the first ``gp_batch`` images of a shuffled batch estimate it without
        bias at a fraction of its cost (a double backward); the ``cpu`` profile uses this.
    augment : tuple of str
        DSA families applied to every batch (empty = none).
    """

    epochs: int
    lr: float = 0.01
    momentum: float = 0.0
    weight_decay: float = 0.0
    batch_size: int = 256
    decay_epoch: int = 0
    decay_factor: float = 0.1
    clip_loss: bool = False
    clip_epochs: int = 10
    grad_penalty: float = 0.0
    gp_norm: str = "pixel"
    gp_batch: int = 0
    augment: tuple[str, ...] = ()

    def __post_init__(self):
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError(
                f"epochs and batch_size must be positive, got {self.epochs}, {self.batch_size}"
            )
        check_positive("lr", self.lr)
        check_fraction("momentum", self.momentum)
        if not self.weight_decay >= 0:
            raise ValueError(f"weight_decay must be >= 0, got {self.weight_decay!r}")
        if self.clip_epochs < 1:
            raise ValueError(f"clip_epochs must be positive, got {self.clip_epochs}")
        if not isinstance(self.gp_batch, int) or self.gp_batch < 0:
            raise ValueError(
                f"gp_batch must be an integer >= 0 (0 = whole batch), got {self.gp_batch!r}"
            )
        if self.gp_norm not in ("pixel", "sample"):
            raise ValueError(f"gp_norm must be 'pixel' or 'sample', got {self.gp_norm!r}")
        if self.augment:
            aug.check_families(self.augment)

    @property
    def effective_lr(self) -> float:
        """Step size of plain SGD that moves as far per step in steady state: ``lr / (1 - momentum)``."""
        return self.lr / (1.0 - self.momentum)


def epoch_generator(seed: int, epoch: int) -> torch.Generator:
    """A generator that depends only on ``(seed, epoch)``, so a resumed run repeats an uninterrupted one."""
    state = np.random.SeedSequence([int(seed), int(epoch)]).generate_state(1)[0]
    return torch.Generator().manual_seed(int(state))


def _gather(data: torch.Tensor, idx: torch.Tensor, shared: bool) -> torch.Tensor:
    if shared:
        return data[idx]
    expand = idx.reshape(*idx.shape, *([1] * (data.dim() - 2))).expand(*idx.shape, *data.shape[2:])
    return torch.gather(data, 1, expand)


def batch_loss(
    spec: ConvNetSpec,
    params: torch.Tensor,
    x: torch.Tensor,
    y: torch.Tensor,
    cfg: SGDConfig,
    epoch: int,
    generator: torch.Generator | None,
) -> torch.Tensor:
    """Per-network training loss ``(S,)`` on one batch ``x (S, B, ...)``, ``y (S, B)``."""
    S, B = y.shape
    xa = x
    if cfg.augment:
        xa = aug.augment(
            x.reshape(S * B, *x.shape[2:]), cfg.augment, groups=S, generator=generator
        ).reshape(x.shape)
    logits = forward(spec, params, xa)
    ce = (
        F.cross_entropy(logits.reshape(S * B, -1), y.reshape(-1), reduction="none")
        .reshape(S, B)
        .mean(1)
    )
    if cfg.clip_loss and epoch < cfg.clip_epochs:
        ce = ce * (0.5 + 0.5 * epoch / cfg.clip_epochs)
    if cfg.grad_penalty > 0:
        xg = (x[:, : cfg.gp_batch] if cfg.gp_batch else x).detach().requires_grad_(True)
        out = forward(spec, params, xg).sum()
        (gx,) = torch.autograd.grad(out, xg, create_graph=True)
        if cfg.gp_norm == "pixel":
            norms = gx.norm(dim=2)  # over channels: (S, B, H, W)
        else:
            norms = gx.flatten(2).norm(dim=2)
        ce = ce + cfg.grad_penalty * ((norms - 1) ** 2).flatten(1).mean(1)
    return ce


def train(
    spec: ConvNetSpec,
    params: torch.Tensor,
    images: torch.Tensor,
    labels: torch.Tensor,
    cfg: SGDConfig,
    seed: int = 0,
    lr: torch.Tensor | None = None,
    start_epoch: int = 0,
    momentum_buffer: torch.Tensor | None = None,
    on_epoch: Callable[[int, torch.Tensor, torch.Tensor], None] | None = None,
) -> torch.Tensor:
    """Train ``S`` networks with SGD and return their final parameters ``(S, P)``.

    Parameters
    ----------
    spec : ConvNetSpec
    params : torch.Tensor
        Initial parameters ``(S, P)`` (not modified).
    images, labels : torch.Tensor
        Either one data set shared by all networks, ``(n, C, H, W)`` and ``(n,)``,
        or one per network, ``(S, n, C, H, W)`` and ``(S, n)``.
    cfg : SGDConfig
    seed : int
        Seeds data order and augmentation (per epoch, see :func:`epoch_generator`).
    lr : torch.Tensor, optional
        Learning rate per network ``(S,)``; default ``cfg.lr`` for all.
    start_epoch, momentum_buffer :
        Resume state (epochs already done and the SGD momentum buffer).
    on_epoch : callable, optional
        Called as ``on_epoch(epoch, params, momentum_buffer)`` after each epoch
        (``epoch`` counts finished epochs, from 1).
    """
    S = params.shape[0]
    shared = images.dim() == 4
    spec.check_images(images, "images")
    check_finite("images", images)
    n = images.shape[0] if shared else images.shape[1]
    if labels.shape != ((n,) if shared else (S, n)):
        raise ValueError(
            f"labels must have shape {(n,) if shared else (S, n)}, got {tuple(labels.shape)}"
        )
    if not shared and images.shape[0] != S:
        raise ValueError(
            f"per-network images must have leading dimension S={S}, got {tuple(images.shape)}"
        )
    dev = params.device
    lr = torch.full((S,), cfg.lr, device=dev) if lr is None else lr.detach().to(dev).reshape(S)
    if not bool((torch.isfinite(lr) & (lr > 0)).all()):
        raise ValueError(f"lr must be finite and > 0 for every network, got {lr.tolist()}")
    theta = params.detach().clone()
    buf = (
        torch.zeros_like(theta)
        if momentum_buffer is None
        else momentum_buffer.detach().clone().to(dev)
    )
    for epoch in range(start_epoch, cfg.epochs):
        g = epoch_generator(seed, epoch)
        order = torch.argsort(torch.rand(S, n, generator=g), dim=1).to(dev)
        scale = cfg.decay_factor if cfg.decay_epoch and epoch >= cfg.decay_epoch else 1.0
        for start in range(0, n, cfg.batch_size):
            idx = order[:, start : start + cfg.batch_size]
            x = _gather(images, idx, shared)
            y = labels[idx] if shared else torch.gather(labels, 1, idx)
            theta.requires_grad_(True)
            loss = batch_loss(spec, theta, x, y, cfg, epoch, g).sum()
            (grad,) = torch.autograd.grad(loss, theta)
            with torch.no_grad():
                theta = theta.detach()
                grad = grad + cfg.weight_decay * theta
                buf = cfg.momentum * buf + grad if cfg.momentum else grad
                theta = theta - (lr * scale)[:, None] * buf
        if on_epoch is not None:
            on_epoch(epoch + 1, theta, buf)
    return theta.detach()


@torch.no_grad()
def accuracy(
    spec: ConvNetSpec,
    params: torch.Tensor,
    images: torch.Tensor,
    labels: torch.Tensor,
    chunk: int = 512,
) -> torch.Tensor:
    """Accuracy of each of ``S`` networks on one shared test set: ``(S,)``."""
    spec.check_images(images, "images")
    S, correct = params.shape[0], torch.zeros(params.shape[0], device=params.device)
    for start in range(0, images.shape[0], chunk):
        x = images[start : start + chunk].to(params.device)
        logits = forward(spec, params, x[None].expand(S, *x.shape))
        correct += (logits.argmax(-1) == labels[start : start + chunk].to(params.device)).sum(1)
    return correct / images.shape[0]
