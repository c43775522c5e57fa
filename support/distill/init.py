"""Choosing real images: random per class, or AST's representative (k-means) selection.

These serve twice: to initialise the synthetic set, and, evaluated without
distillation, as the coreset baselines (random real subset, k-means real subset).
"""

from __future__ import annotations

import numpy as np
import torch

from .convnet import ConvNetSpec, forward


def check_ipc(labels: torch.Tensor, ipc: int, classes: int) -> None:
    """Raise ``ValueError`` if some class has fewer than ``ipc`` examples."""
    if not isinstance(ipc, int) or ipc < 1:
        raise ValueError(f"ipc must be a positive integer, got {ipc!r}")
    counts = torch.bincount(labels.cpu(), minlength=classes)
    if int(counts.min()) < ipc:
        c = int(counts.argmin())
        raise ValueError(
            f"ipc={ipc} is larger than the {int(counts[c])} training examples of class {c}"
        )


def class_labels(ipc: int, classes: int) -> torch.Tensor:
    """Labels of a synthetic set: ``ipc`` copies of each class, class-major."""
    return torch.arange(classes).repeat_interleave(ipc)


def random_indices(
    labels: torch.Tensor, ipc: int, classes: int, generator: torch.Generator
) -> torch.Tensor:
    """Indices of ``ipc`` random training examples per class (class-major)."""
    check_ipc(labels, ipc, classes)
    out = []
    for c in range(classes):
        members = torch.nonzero(labels.cpu() == c).flatten()
        out.append(members[torch.randperm(len(members), generator=generator)[:ipc]])
    return torch.cat(out)


def kmeans_indices(
    features: torch.Tensor, labels: torch.Tensor, ipc: int, classes: int, seed: int = 0
) -> torch.Tensor:
    """AST's representative selection: per class, k-means with ``k = ipc`` on ``features``
    and the real example nearest each centre (distinct examples; correct at ``ipc = 1``).

    Parameters
    ----------
    features : torch.Tensor
        ``(n, F)``, e.g. an expert's logits (:func:`expert_logits`).
    labels : torch.Tensor
        ``(n,)``.
    """
    from sklearn.cluster import KMeans

    check_ipc(labels, ipc, classes)
    if features.shape[0] != labels.shape[0]:
        raise ValueError(f"features has {features.shape[0]} rows but labels has {labels.shape[0]}")
    feats = features.detach().cpu().double().numpy()
    out = []
    for c in range(classes):
        members = np.nonzero(labels.cpu().numpy() == c)[0]
        fc = feats[members]
        km = KMeans(n_clusters=ipc, n_init=3, random_state=seed).fit(fc)
        dist = ((fc[:, None, :] - km.cluster_centers_[None]) ** 2).sum(-1)  # (n_c, ipc)
        chosen: list[int] = []
        for j in np.argsort(dist.min(0)):  # centres with a close example first
            order = np.argsort(dist[:, j])
            chosen.append(next(int(i) for i in order if int(i) not in chosen))
        out.append(torch.as_tensor(members[np.sort(chosen)]))
    return torch.cat(out)


@torch.no_grad()
def expert_logits(
    spec: ConvNetSpec, params: torch.Tensor, images: torch.Tensor, chunk: int = 1024
) -> torch.Tensor:
    """Logits ``(n, classes)`` of one network ``params (P,)`` on ``images (n, C, H, W)``."""
    parts = [
        forward(spec, params.reshape(1, -1), images[i : i + chunk][None])[0]
        for i in range(0, len(images), chunk)
    ]
    return torch.cat(parts)
