"""Gradient inversion and the Dropout Inversion Attack (paper 03, Scheliga et al., AAAI 2023).

Modules, one idea each:

- :mod:`~support.inversion.models`: MLP, CNN, ViT, ResNet-18 (GroupNorm) with ``nn.Dropout``.
- :mod:`~support.inversion.masks`: mask-carrying dropout and the swap for any user model.
- :mod:`~support.inversion.client`: the FedSGD client gradient with dropout active, masks recorded.
- :mod:`~support.inversion.engine`: the optimiser behind IG, WIIG and DIA (per-problem schedules and
  early stopping; a plain autograd loop or one vmap over problems, chosen by size), in parts:
  :mod:`~support.inversion.problem` (inputs, settings, result), :mod:`~support.inversion.objective`
  (the gradient-matching loss), :mod:`~support.inversion.strategies` (loop or vmap gradients),
  :mod:`~support.inversion.optimiser` (packed buffer, Adam), :mod:`~support.inversion.schedule`
  (step sizes, early stopping, history).
- :mod:`~support.inversion.attacks`: DLG, iDLG, IG, WIIG, DIA behind ``reconstruct(model, gradients, labels, shape)``.
- :mod:`~support.inversion.labels`: label inference from the last layer.
- :mod:`~support.inversion.metrics`: MSE, PSNR, SSIM, optional LPIPS, optimal matching.
- :mod:`~support.inversion.data`, :mod:`~support.inversion.config`, :mod:`~support.inversion.experiments`,
  :mod:`~support.inversion.claims`, :mod:`~support.inversion.plots`: the notebook's data, profiles,
  experiments, claims and figures.
"""

from .attacks import (
    ATTACKS,
    DIA,
    DLG,
    IDLG,
    WIIG,
    InvertingGradients,
    make_attack,
    reconstruct_many,
)
from .client import ClientUpdate, client_update
from .masks import MaskDropout, with_mask_dropout

__all__ = [
    "ATTACKS",
    "DIA",
    "DLG",
    "IDLG",
    "WIIG",
    "ClientUpdate",
    "InvertingGradients",
    "MaskDropout",
    "client_update",
    "make_attack",
    "reconstruct_many",
    "with_mask_dropout",
]
