"""MTT's evaluation protocol: fresh networks trained on a (synthetic) set, final-epoch test accuracy."""

from __future__ import annotations

from typing import NamedTuple

import torch

from ..core.validate import check_finite, check_int
from .convnet import ConvNetSpec, init_params
from .train import SGDConfig, accuracy, train


def eval_config(
    epochs: int,
    batch_size: int = 256,
    augment=(),
    momentum: float = 0.9,
    weight_decay: float = 5e-4,
) -> SGDConfig:
    """MTT's evaluation training: SGD momentum 0.9, weight decay 5e-4, rate x0.1 at ``epochs // 2 + 1``, DSA."""
    return SGDConfig(
        epochs=epochs,
        lr=0.01,
        momentum=momentum,
        weight_decay=weight_decay,
        batch_size=batch_size,
        decay_epoch=epochs // 2 + 1,
        decay_factor=0.1,
        augment=tuple(augment),
    )


class Accuracies(NamedTuple):
    """Test accuracies ``(S, n_nets)`` in [0, 1] of one evaluation.

    Attributes
    ----------
    final : torch.Tensor
        After the last epoch (MTT's protocol; the primary number).
    best : torch.Tensor
        Best over tests every ``test_every`` epochs and the last one (AST's code reports this).
    val : torch.Tensor or None
        Final accuracy on the validation set, when one was given (to choose hyper-parameters).
    """

    final: torch.Tensor
    best: torch.Tensor
    val: torch.Tensor | None = None


def evaluate(
    spec: ConvNetSpec,
    images: torch.Tensor,
    labels: torch.Tensor,
    lr: torch.Tensor | float,
    test_images: torch.Tensor,
    test_labels: torch.Tensor,
    cfg: SGDConfig,
    n_nets: int = 3,
    seed: int = 0,
    test_every: int = 20,
    device: torch.device | str = "cpu",
    val_images: torch.Tensor | None = None,
    val_labels: torch.Tensor | None = None,
) -> Accuracies:
    """Test accuracy of ``n_nets`` fresh networks trained on each of ``S`` sets: final and best.

    Parameters
    ----------
    spec : ConvNetSpec
    images, labels : torch.Tensor
        ``S`` training sets ``(S, n, C, H, W)`` with labels ``(n,)`` or ``(S, n)``
        (or one set ``(n, C, H, W)``, ``(n,)``, then ``S = 1``).
    lr : torch.Tensor or float
        Learning rate per set ``(S,)``, each finite and > 0 (MTT: the learned synthetic rate).
    test_images, test_labels : torch.Tensor
    cfg : SGDConfig
        See :func:`eval_config`.
    n_nets : int
        Fresh networks per set (the same initialisations for every set).
    seed : int
    test_every : int
        Epochs between the tests that give :attr:`Accuracies.best` (AST's code: 20).
    device : torch.device or str
    val_images, val_labels : torch.Tensor, optional
        A validation set also scored after the last epoch (``Accuracies.val``).

    Returns
    -------
    Accuracies
        ``final`` and ``best``, each ``(S, n_nets)`` (and ``val`` when a validation set is given).
    """
    check_int("n_nets", n_nets)
    check_int("test_every", test_every)
    if images.dim() == 4:
        images = images[None]
    spec.check_images(images, "images")
    spec.check_images(test_images, "test_images")
    check_finite("images", images)
    S, n = images.shape[:2]
    if labels.dim() == 1:
        labels = labels[None].expand(S, n)
    if labels.shape != (S, n) or labels.dtype.is_floating_point:
        raise ValueError(
            f"labels must be integers of shape ({n},) or ({S}, {n}), got {labels.dtype} {tuple(labels.shape)}"
        )
    lr = torch.as_tensor(lr, dtype=torch.float32).reshape(-1).expand(S)
    if not bool((torch.isfinite(lr) & (lr > 0)).all()):
        raise ValueError(f"lr must be finite and > 0 for every set, got {lr.tolist()}")
    dev = torch.device(device)
    nets = init_params(spec, n_nets, torch.Generator().manual_seed(seed)).repeat(S, 1).to(dev)
    x = images.repeat_interleave(n_nets, 0).to(dev)
    y = labels.repeat_interleave(n_nets, 0).to(dev)
    best = torch.zeros(S * n_nets, device=dev)

    def track(epoch, theta, _buf):
        if epoch % test_every == 0 and epoch < cfg.epochs:
            best.copy_(torch.maximum(best, accuracy(spec, theta, test_images, test_labels)))

    final = train(
        spec, nets, x, y, cfg, seed=seed, lr=lr.repeat_interleave(n_nets).to(dev), on_epoch=track
    )
    acc = accuracy(spec, final, test_images, test_labels)
    best = torch.maximum(best, acc)
    val = None
    if val_images is not None:
        spec.check_images(val_images, "val_images")
        val = accuracy(spec, final, val_images, val_labels).reshape(S, n_nets).cpu()
    return Accuracies(acc.reshape(S, n_nets).cpu(), best.reshape(S, n_nets).cpu(), val)
