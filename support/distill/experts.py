"""Expert trajectories: plain MTT experts and AST's smooth experts, cached epoch by epoch.

A trajectory is the flat parameter vector at initialisation and after every
epoch, ``(epochs + 1, P)``. Every finished epoch is written to the on-disk
cache (atomically) together with the SGD momentum buffer, and data order and
augmentation depend only on ``(seed, epoch)``; an interrupted run therefore
resumes from its last finished epoch and gives the same trajectory as an
uninterrupted one, and a half-written trajectory never exists.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import torch

from ..core.cache import Cache
from ..core.progress import progress as _progress
from .convnet import ConvNetSpec, init_params
from .train import SGDConfig, train


def plain_experts(epochs: int, lr: float = 0.01, batch_size: int = 256, augment=()) -> SGDConfig:
    """MTT's experts: SGD without momentum or weight decay, constant rate, DSA on every batch."""
    return SGDConfig(epochs=epochs, lr=lr, batch_size=batch_size, augment=tuple(augment))


def smooth_experts(
    epochs: int,
    lr: float = 0.003,
    batch_size: int = 256,
    augment=(),
    momentum: float = 0.9,
    weight_decay: float = 1e-3,
    clip_loss: bool = True,
    clip_epochs: int = 10,
    grad_penalty: float = 2.0,
    gp_norm: str = "pixel",
    gp_batch: int = 0,
) -> SGDConfig:
    """AST's smooth experts: momentum 0.9, weight decay 1e-3, rate x0.6 after epoch ``epochs // 2 + 1``
    (AST's code multiplies it at the end of that epoch, so from epoch index ``epochs // 2 + 2``),
    early-epoch loss clipping over ``clip_epochs`` epochs and the input-gradient penalty (each can be
    switched off; ``gp_norm="pixel"`` is the code's per-pixel norm; ``gp_batch`` takes the penalty
    on part of each batch, see :class:`SGDConfig`)."""
    return SGDConfig(
        epochs=epochs,
        lr=lr,
        momentum=momentum,
        weight_decay=weight_decay,
        batch_size=batch_size,
        decay_epoch=epochs // 2 + 2,
        decay_factor=0.6,
        clip_loss=clip_loss,
        clip_epochs=clip_epochs,
        grad_penalty=grad_penalty,
        gp_norm=gp_norm,
        gp_batch=gp_batch,
        augment=tuple(augment),
    )


@dataclass
class ExpertSet:
    """Trajectories of several experts trained with one configuration.

    Attributes
    ----------
    trajectories : torch.Tensor
        ``(n_experts, epochs + 1, P)``.
    config : SGDConfig
    spec : ConvNetSpec
    """

    trajectories: torch.Tensor
    config: SGDConfig
    spec: ConvNetSpec

    @property
    def n_experts(self) -> int:
        return self.trajectories.shape[0]

    @property
    def epochs(self) -> int:
        return self.trajectories.shape[1] - 1

    def epoch_change(self) -> torch.Tensor:
        """Relative parameter change per epoch ``||theta_{e+1} - theta_e|| / ||theta_e||``: ``(n_experts, epochs)``."""
        t = self.trajectories
        return (t[:, 1:] - t[:, :-1]).norm(dim=2) / t[:, :-1].norm(dim=2)


def data_fingerprint(images: torch.Tensor, labels: torch.Tensor) -> str:
    """SHA-256 (first 16 hex digits) of the training data, part of every cache key."""
    h = hashlib.sha256(images.detach().cpu().numpy().tobytes())
    h.update(labels.detach().cpu().numpy().tobytes())
    return h.hexdigest()[:16]


def train_experts(
    spec: ConvNetSpec,
    images: torch.Tensor,
    labels: torch.Tensor,
    cfg: SGDConfig,
    n_experts: int,
    seed: int = 0,
    cache: Cache | None = None,
    device: torch.device | str = "cpu",
    on_epoch: Callable[[int], None] | None = None,
    progress: bool = True,
) -> ExpertSet:
    """Train ``n_experts`` experts at once, recording (and caching) every epoch.

    Parameters
    ----------
    spec : ConvNetSpec
    images, labels : torch.Tensor
        Training set ``(n, C, H, W)``, ``(n,)``.
    cfg : SGDConfig
        See :func:`plain_experts` and :func:`smooth_experts`.
    n_experts : int
    seed : int
        Seeds initialisation, data order and augmentation.
    cache : Cache, optional
        Where epochs are stored; ``None`` trains without caching.
    device : torch.device or str
    on_epoch : callable, optional
        Called with the finished epoch number after it is stored (e.g. to
        interrupt a run in tests).
    progress : bool
        Show a progress bar over epochs.
    """
    spec.check_images(images, "images")
    if n_experts < 1:
        raise ValueError(f"n_experts must be at least 1, got {n_experts}")
    base = {
        "spec": asdict(spec),
        "config": asdict(cfg),
        "data": data_fingerprint(images, labels),
        "seed": seed,
        "n_experts": n_experts,
    }
    key = lambda epoch: {**base, "epoch": epoch}  # noqa: E731
    snaps: list[np.ndarray] = []
    buf = None
    for epoch in range(cfg.epochs + 1):  # reload the finished prefix
        if cache is None or key(epoch) not in cache:
            break
        entry = cache.load(key(epoch))
        snaps.append(entry["params"])
        buf = entry["buffer"]
    if not snaps:
        start = init_params(spec, n_experts, torch.Generator().manual_seed(seed))
        snaps.append(start.numpy())
        if cache is not None:
            cache.save(key(0), {"params": snaps[0], "buffer": None})
    done = len(snaps) - 1
    if done < cfg.epochs:
        bar = _progress(
            total=cfg.epochs,
            initial=done,
            desc=f"{n_experts} experts",
            **({} if progress else {"disable": True}),
        )

        def record(epoch, theta, buffer):
            snaps.append(theta.detach().cpu().numpy())
            if cache is not None:
                cache.save(
                    key(epoch), {"params": snaps[-1], "buffer": buffer.detach().cpu().numpy()}
                )
            bar.update(1)
            if on_epoch is not None:
                on_epoch(epoch)

        train(
            spec,
            torch.as_tensor(snaps[-1]).to(device),
            images.to(device),
            labels.to(device),
            cfg,
            seed=seed,
            start_epoch=done,
            momentum_buffer=None if buf is None else torch.as_tensor(buf),
            on_epoch=record,
        )
        bar.close()
    traj = torch.as_tensor(np.stack(snaps, axis=1))
    return ExpertSet(traj, cfg, spec)
