"""The federated client: one FedSGD gradient of a batch, taken with dropout active, masks recorded."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .masks import dropout_layers, set_mode, with_mask_dropout


@dataclass
class ClientUpdate:
    """What a FedSGD client sends (``gradients``) and what only the client knows (``masks``).

    Attributes
    ----------
    gradients : list of torch.Tensor
        d(mean cross-entropy)/d(parameter), in ``model.parameters()`` order.
    masks : dict of str to torch.Tensor
        The Bernoulli mask each dropout layer drew (0/1, activation shape
        including batch); used only by the well-informed WIIG upper bound.
    labels : torch.Tensor
        The batch's true labels.
    """

    gradients: list[torch.Tensor]
    masks: dict[str, torch.Tensor]
    labels: torch.Tensor


def client_update(
    model: nn.Module, images: torch.Tensor, labels: torch.Tensor, seed: int | None = None
) -> ClientUpdate:
    """Compute the client's gradient in train mode with dropout active and record the masks.

    Parameters
    ----------
    model : nn.Module
        The global model (not modified: a copy with mask-recording dropout runs).
    images : torch.Tensor
        ``(B, C, H, W)`` normalised images on the model's device.
    labels : torch.Tensor
        ``(B,)`` integer labels.
    seed : int, optional
        Seed of the dropout masks (a private generator; global RNG untouched).

    Returns
    -------
    ClientUpdate
    """
    if images.ndim != 4:
        raise ValueError(f"images must be (B, C, H, W), got shape {tuple(images.shape)}")
    if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
        raise ValueError(
            f"labels must be (B,) with B={images.shape[0]}, got shape {tuple(labels.shape)}"
        )
    net = set_mode(with_mask_dropout(model), "sample").train()
    layers = dropout_layers(net)
    if seed is not None:
        gen = torch.Generator(device=images.device).manual_seed(int(seed))
        for m in layers.values():
            m.generator = gen
    params = [q for q in net.parameters()]
    loss = nn.functional.cross_entropy(net(images), labels)
    grads = torch.autograd.grad(loss, params)
    masks = {n: m.last_mask for n, m in layers.items()}
    return ClientUpdate([g.detach() for g in grads], masks, labels.detach().clone())
