"""Animal Shape MNIST-M: the animal silhouettes made colour and cluttered by the MNIST-M rule.

MNIST-M (Ganin et al. 2016, "Domain-adversarial training of neural
networks", JMLR 17) blends each MNIST digit with a random patch of a colour
photograph: every pixel and channel is ``|patch - digit|``, so the shape shows
as the photograph inverted where the silhouette is, and the background is
the photograph's clutter. Here the silhouettes of :mod:`.animal_shapes` are
blended with patches of the colour photographs that ship inside
scikit-image's wheel (:data:`.images.COLOUR_PHOTOGRAPHS`), so the data set is
built at run time from installed packages, with no download.

The patch of image ``i`` (which photograph, where) is drawn from
``numpy.random.default_rng(seed)``, so a seed fixes the whole data set on
every machine.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .animal_shapes import animal_shapes
from .images import COLOUR_PHOTOGRAPHS, photographs

CLASS_NAMES = (
    "bear",
    "bird",
    "cat",
    "cow",
    "dog",
    "elephant",
    "giraffe",
    "horse",
    "sheep",
    "zebra",
)
NATIVE = 28  # side of the silhouettes


def blend(silhouettes: np.ndarray, patches: np.ndarray) -> np.ndarray:
    """The MNIST-M rule ``|patch - silhouette|`` per pixel and channel.

    Parameters
    ----------
    silhouettes : numpy.ndarray
        ``(N, 1, H, W)`` in [0, 1].
    patches : numpy.ndarray
        ``(N, C, H, W)`` in [0, 1].

    Returns
    -------
    numpy.ndarray
        ``(N, C, H, W)`` float32 in [0, 1].
    """
    silhouettes, patches = np.asarray(silhouettes), np.asarray(patches)
    if silhouettes.ndim != 4 or silhouettes.shape[1] != 1:
        raise ValueError(
            f"silhouettes must have shape (N, 1, H, W), got {tuple(silhouettes.shape)}"
        )
    want = (silhouettes.shape[0], patches.shape[1] if patches.ndim == 4 else -1)
    if (
        patches.ndim != 4
        or patches.shape[0] != want[0]
        or patches.shape[2:] != silhouettes.shape[2:]
    ):
        raise ValueError(
            f"patches must have shape (N={want[0]}, C, {silhouettes.shape[2]}, {silhouettes.shape[3]}), "
            f"got {tuple(patches.shape)}"
        )
    return np.abs(patches - silhouettes).astype(np.float32)


def random_patches(photos: np.ndarray, n: int, side: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` patches ``(n, C, side, side)``: each from a random photograph at a random position."""
    if photos.ndim != 4 or min(photos.shape[2:]) < side:
        raise ValueError(
            f"photos must have shape (P, C, H, W) with H, W >= side={side}, got {tuple(photos.shape)}"
        )
    which = rng.integers(photos.shape[0], size=n)
    top = rng.integers(photos.shape[2] - side + 1, size=n)
    left = rng.integers(photos.shape[3] - side + 1, size=n)
    rows = top[:, None] + np.arange(side)
    cols = left[:, None] + np.arange(side)
    out = photos[which[:, None, None, None], np.arange(photos.shape[1])[None, :, None, None],
                 rows[:, None, :, None], cols[:, None, None, :]]  # fmt: skip
    return out


def animal_shapes_m(
    size: int = 16,
    seed: int = 0,
    photo_side: int = 128,
    names: tuple[str, ...] = COLOUR_PHOTOGRAPHS,
    folder: str | Path | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Colour, cluttered animal silhouettes: float32 images ``(N, 3, size, size)`` in [0, 1] and labels.

    Parameters
    ----------
    size : int
        Output side in [4, 28]; the blend is made at 28 x 28 and resized
        bilinearly with antialiasing, as :func:`.animal_shapes.animal_shapes` does.
    seed : int
        Draws each image's photograph and patch position.
    photo_side : int
        The photographs are centre-cropped square and resized to this side
        (>= 28) before 28 x 28 patches are cut: smaller sides give busier patches.
    names : tuple of str
        Which scikit-image photographs (colour ones; see :data:`.images.PHOTOGRAPHS`).
    folder : path, optional
        Where the silhouettes' ``.gz`` files are (default: the installed package).
    """
    if not isinstance(size, int) or not 4 <= size <= NATIVE:
        raise ValueError(f"size must be an integer in [4, {NATIVE}], got {size!r}")
    if not isinstance(photo_side, int) or photo_side < NATIVE:
        raise ValueError(f"photo_side must be an integer >= {NATIVE}, got {photo_side!r}")
    shapes, labels = animal_shapes(NATIVE, folder)
    photos = photographs(photo_side, tuple(names), colour=True)
    rng = np.random.default_rng(seed)
    x = blend(shapes, random_patches(photos, shapes.shape[0], NATIVE, rng))
    if size != NATIVE:
        import torch
        import torch.nn.functional as F

        x = F.interpolate(
            torch.from_numpy(x), size=(size, size), mode="bilinear", antialias=True
        ).numpy()
    return x.clip(0, 1).astype(np.float32), labels
