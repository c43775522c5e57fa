"""Victim images for the attacks: embedded MNIST 5k and photographs, MNIST/CIFAR-10 from DATA_DIR, normalisation."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from support.data import images as embedded

MNIST_MEAN, MNIST_STD = (0.1307,), (0.3081,)
CIFAR_MEAN, CIFAR_STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
DATASETS = ("mnist", "photographs", "cifar10")


@dataclass(frozen=True)
class Normalization:
    """Per-channel ``(x - mean) / std``; the attack's box is the image of [0, 1]."""

    mean: tuple[float, ...]
    std: tuple[float, ...]

    def _v(self, t, like):
        return torch.as_tensor(t, dtype=like.dtype, device=like.device).view(-1, 1, 1)

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        """Map [0, 1] images into model space."""
        return (x - self._v(self.mean, x)) / self._v(self.std, x)

    def denormalize(self, x: torch.Tensor) -> torch.Tensor:
        """Map model-space images back to [0, 1] and clamp."""
        return (x * self._v(self.std, x) + self._v(self.mean, x)).clamp(0, 1)

    @property
    def box(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-channel ``(lo, hi) = (-mean / std, (1 - mean) / std)``."""
        m, s = torch.tensor(self.mean), torch.tensor(self.std)
        return -m / s, (1 - m) / s


@lru_cache(maxsize=1)
def _mnist_5k() -> tuple[np.ndarray, np.ndarray]:
    """The embedded MNIST subset, parsed once per process (every sweep cell picks its victims from it)."""
    return embedded.mnist_5k()


def _resize(x: np.ndarray, size: int) -> np.ndarray:
    if x.shape[-1] == size:
        return x
    t = torch.nn.functional.interpolate(torch.from_numpy(x), size=(size, size), mode="area")
    return t.clamp(0, 1).numpy()


def victims(dataset: str, n: int, size: int, seed: int = 0, data_dir=None):
    """``n`` victim images in [0, 1], their labels and the dataset's normalisation.

    Parameters
    ----------
    dataset : {"mnist", "photographs", "cifar10"}
        ``mnist``: class-balanced picks from the MNIST test set (IDX files) under
        ``data_dir`` when given, else from the embedded MNIST 5k subset;
        ``photographs``: scikit-image's colour photographs (label = index);
        ``cifar10``: class-balanced picks from the CIFAR-10 test batch under ``data_dir``.
    n : int
        Number of images.
    size : int
        Output side length (area-resampled).
    seed : int
        Which images are picked.

    Returns
    -------
    images : torch.Tensor (n, C, size, size) in [0, 1]
    labels : torch.Tensor (n,)
    norm : Normalization
    """
    if dataset not in DATASETS:
        raise ValueError(f"dataset must be one of {DATASETS}, got {dataset!r}")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"size must be an integer >= 1, got {size!r}")
    rng = np.random.default_rng(seed)
    if dataset == "photographs":
        names = embedded.COLOUR_PHOTOGRAPHS
        if n > len(names):
            raise ValueError(f"only {len(names)} colour photographs are embedded, asked for n={n}")
        x = embedded.photographs(size=size, names=names[:n])
        y = np.arange(n)
        norm = Normalization(CIFAR_MEAN, CIFAR_STD)
    else:
        if dataset == "mnist" and data_dir:
            from support.data import idx as mnist_idx

            x_all, y_all = mnist_idx.load_mnist(data_dir, "test")
            norm = Normalization(MNIST_MEAN, MNIST_STD)
        elif dataset == "mnist":
            x_all, y_all = _mnist_5k()
            norm = Normalization(MNIST_MEAN, MNIST_STD)
        else:
            from support.data import cifar10

            if not data_dir:
                raise ValueError("dataset='cifar10' needs DATA_DIR holding cifar-10-batches-bin/")
            x_all, y_all = cifar10.load(data_dir, "test")
            norm = Normalization(CIFAR_MEAN, CIFAR_STD)
        classes = [c for c in rng.permutation(10) if (y_all == c).any()]
        if not classes:
            raise ValueError(f"dataset {dataset!r}: no images with labels 0-9")
        idx = [rng.choice(np.flatnonzero(y_all == classes[i % len(classes)])) for i in range(n)]
        x, y = _resize(x_all[idx], size), y_all[idx]
    return torch.from_numpy(np.ascontiguousarray(x)).float(), torch.as_tensor(y).long(), norm
