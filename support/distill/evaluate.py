"""MTT's evaluation protocol: fresh networks trained on a (synthetic) set, final-epoch test accuracy."""

from __future__ import annotations

import torch

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
    report: str = "final",
    test_every: int = 20,
    device: torch.device | str = "cpu",
) -> torch.Tensor:
    """Test accuracy of ``n_nets`` fresh networks trained on each of ``S`` sets.

    Parameters
    ----------
    spec : ConvNetSpec
    images, labels : torch.Tensor
        ``S`` training sets ``(S, n, C, H, W)`` with labels ``(n,)`` or ``(S, n)``
        (or one set ``(n, C, H, W)``, ``(n,)``, then ``S = 1``).
    lr : torch.Tensor or float
        Learning rate per set ``(S,)`` (MTT: the learned synthetic rate).
    test_images, test_labels : torch.Tensor
    cfg : SGDConfig
        See :func:`eval_config`.
    n_nets : int
        Fresh networks per set (the same initialisations for every set).
    seed : int
    report : str
        ``"final"``: accuracy after the last epoch (MTT, the papers);
        ``"max"``: best accuracy over tests every ``test_every`` epochs (AST's code).
    device : torch.device or str

    Returns
    -------
    torch.Tensor
        Accuracies ``(S, n_nets)``.
    """
    if report not in ("final", "max"):
        raise ValueError(f"report must be 'final' or 'max', got {report!r}")
    if n_nets < 1:
        raise ValueError(f"n_nets must be at least 1, got {n_nets}")
    if images.dim() == 4:
        images = images[None]
    spec.check_images(images, "images")
    spec.check_images(test_images, "test_images")
    S, n = images.shape[:2]
    if labels.dim() == 1:
        labels = labels[None].expand(S, n)
    lr = torch.as_tensor(lr, dtype=torch.float32).reshape(-1).expand(S)
    dev = torch.device(device)
    nets = init_params(spec, n_nets, torch.Generator().manual_seed(seed)).repeat(S, 1).to(dev)
    x = images.repeat_interleave(n_nets, 0).to(dev)
    y = labels.repeat_interleave(n_nets, 0).to(dev)
    best = torch.zeros(S * n_nets, device=dev)

    def track(epoch, theta, _buf):
        if report == "max" and (epoch % test_every == 0 or epoch == cfg.epochs):
            best.copy_(torch.maximum(best, accuracy(spec, theta, test_images, test_labels)))

    final = train(
        spec, nets, x, y, cfg, seed=seed, lr=lr.repeat_interleave(n_nets).to(dev), on_epoch=track
    )
    acc = best if report == "max" else accuracy(spec, final, test_images, test_labels)
    return acc.reshape(S, n_nets).cpu()
