"""Image-quality metrics on de-normalised [0, 1] images, and optimal matching for batches.

SSIM comes from scikit-image (``skimage.metrics.structural_similarity``,
Gaussian-free 7x7 window, ``data_range=1``). LPIPS is not offered: its
pretrained backbone weights ship with no installed package and cannot be
downloaded here. PSNR of identical images is ``inf`` (MSE 0, no log of 0 is
taken: ``psnr`` maps it explicitly).
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment
from skimage.metrics import structural_similarity

_TOL = 1e-4


def _as_batch(images, name: str) -> np.ndarray:
    a = images.detach().cpu().numpy() if isinstance(images, torch.Tensor) else np.asarray(images)
    a = a.astype(np.float64)
    if a.ndim == 3:
        a = a[None]
    if a.ndim != 4:
        raise ValueError(f"{name} must be (B, C, H, W) or (C, H, W), got shape {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} holds NaN or inf values; metrics need finite images in [0, 1]")
    if a.min() < -_TOL or a.max() > 1 + _TOL:
        raise ValueError(
            f"{name} has values in [{a.min():.3g}, {a.max():.3g}]; metrics take de-normalised images "
            "in the [0, 1] box (use Normalization.denormalize and clamp)"
        )
    return np.clip(a, 0, 1)


def _pair(x, y):
    x, y = _as_batch(x, "reconstruction"), _as_batch(y, "reference")
    if x.shape != y.shape:
        raise ValueError(f"reconstruction shape {x.shape} differs from reference shape {y.shape}")
    return x, y


def mse(x, y) -> np.ndarray:
    """Per-image mean squared error, shape (B,)."""
    x, y = _pair(x, y)
    return ((x - y) ** 2).reshape(len(x), -1).mean(1)


def psnr(x, y) -> np.ndarray:
    """Per-image PSNR in dB for data range 1: ``10 log10(1 / MSE)`` (inf for identical images)."""
    m = mse(x, y)
    out = np.full(m.shape, np.inf)
    pos = m > 0
    out[pos] = -10 * np.log10(m[pos])
    return out


def ssim(x, y) -> np.ndarray:
    """Per-image SSIM (scikit-image, data range 1, channels averaged), shape (B,)."""
    x, y = _pair(x, y)
    win = min(7, x.shape[-1], x.shape[-2])
    win -= 1 - win % 2
    return np.array(
        [
            structural_similarity(a, b, data_range=1.0, channel_axis=0, win_size=win)
            for a, b in zip(x, y)
        ]
    )


def match(x, y) -> np.ndarray:
    """Order of ``x`` that best matches ``y`` (Hungarian assignment on MSE), for unordered batches.

    Returns ``perm`` such that ``x[perm][i]`` is paired with ``y[i]``.
    """
    x, y = _pair(x, y)
    cost = ((x[:, None] - y[None]) ** 2).reshape(len(x), len(y), -1).mean(-1)
    rows, cols = linear_sum_assignment(cost)
    perm = np.empty(len(y), dtype=int)
    perm[cols] = rows
    return perm


def score(x, y, matched: bool = True) -> dict[str, np.ndarray]:
    """MSE, PSNR and SSIM per image (after optimal matching when ``matched`` and B > 1)."""
    x, y = _pair(x, y)
    if matched and len(x) > 1:
        x = x[match(x, y)]
    return {"mse": mse(x, y), "psnr": psnr(x, y), "ssim": ssim(x, y)}
