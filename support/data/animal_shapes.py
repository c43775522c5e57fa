"""Animal Shape MNIST (package ``animal-shape-mnist``, MIT): 10,000 28x28 animal silhouettes, 10 classes.

The package ships its arrays as gzipped pickles and loads them through
TensorFlow. We read the two files directly, through :class:`ArrayUnpickler`,
which refuses every global a pickle names except the few numpy needs to
rebuild a plain array, so a tampered file cannot run code. Exact duplicate
images (the package has 284 repeats) are dropped before any split, so no
test image also sits in the training set.
"""

from __future__ import annotations

import gzip
import importlib.util
import io
import pickle
from pathlib import Path

import numpy as np

from .errors import MissingDataError

PACKAGE = "animal_shape_mnist"
FOLDER = ("data", "Animal Shape")
IMAGES = "animal_data_version_3.gz"
LABELS = "animal_label_version_3.gz"
SOURCE = "the animal-shape-mnist package (pip install animal-shape-mnist==0.39)"

# The only globals a pickled numpy array needs (numpy 1.x and 2.x module names).
ALLOWED = frozenset(
    {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
    }
)


class ArrayUnpickler(pickle.Unpickler):
    """An unpickler that admits numpy arrays and nothing else.

    ``find_class`` is the only way a pickle reaches Python callables; every
    ``(module, name)`` outside :data:`ALLOWED` raises ``pickle.UnpicklingError``.
    """

    def find_class(self, module: str, name: str):
        if (module, name) not in ALLOWED:
            raise pickle.UnpicklingError(
                f"refusing to load global {module}.{name}: only numpy arrays are allowed"
            )
        return super().find_class(module, name)


def load_array(data: bytes) -> np.ndarray:
    """Unpickle ``data`` (bytes of one pickled numpy array) with :class:`ArrayUnpickler`.

    Raises
    ------
    pickle.UnpicklingError
        If the pickle names any global other than numpy's array constructors.
    ValueError
        If the result is not a numpy array of numbers (object arrays are refused).
    """
    out = ArrayUnpickler(io.BytesIO(data)).load()
    if not isinstance(out, np.ndarray) or out.dtype.kind not in "biuf":
        kind = type(out).__name__ if not isinstance(out, np.ndarray) else f"array of {out.dtype}"
        raise ValueError(f"expected a numeric numpy array, the pickle holds a {kind}")
    return out


def package_folder() -> Path:
    """Folder of the installed package's data files.

    Raises
    ------
    MissingDataError
        When the package is not installed.
    """
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise MissingDataError(Path(PACKAGE, *FOLDER, IMAGES), "Animal Shape MNIST", SOURCE)
    return Path(list(spec.submodule_search_locations)[0]).joinpath(*FOLDER)


def read(folder: str | Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The raw arrays: uint8 images ``(N, 28, 28)`` and int64 labels ``(N,)``, duplicates included.

    Parameters
    ----------
    folder : path, optional
        Folder holding the two ``.gz`` files; default: the installed package's.

    Raises
    ------
    MissingDataError
        When a file is missing.
    ValueError
        When the arrays have the wrong shape, type or labels.
    """
    folder = package_folder() if folder is None else Path(folder)
    arrays = []
    for name in (IMAGES, LABELS):
        path = folder / name
        if not path.is_file():
            raise MissingDataError(path, "Animal Shape MNIST", SOURCE)
        with gzip.open(path, "rb") as f:
            arrays.append(load_array(f.read()))
    images, labels = arrays
    if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
        raise ValueError(
            f"{folder / IMAGES}: expected uint8 images (N, 28, 28), got {images.dtype} {images.shape}"
        )
    labels = labels.reshape(-1).astype(np.int64)
    if labels.shape[0] != images.shape[0] or labels.min() < 0 or labels.max() > 9:
        raise ValueError(
            f"{folder / LABELS}: expected {images.shape[0]} labels in 0-9, got {labels.shape[0]} "
            f"in [{labels.min()}, {labels.max()}]"
        )
    return images, labels


def drop_duplicates(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keep the first occurrence of every distinct (image, label) pair and of every distinct image.

    An image that appears with two different labels is kept once, with its
    first label. Order of the kept rows is preserved.
    """
    flat = np.ascontiguousarray(images.reshape(images.shape[0], -1))
    _, first = np.unique(flat, axis=0, return_index=True)
    keep = np.sort(first)
    return images[keep], labels[keep]


def animal_shapes(
    size: int = 28, folder: str | Path | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Deduplicated Animal Shape MNIST as float32 images ``(N, 1, size, size)`` in [0, 1] and labels.

    Parameters
    ----------
    size : int
        Output side in [4, 28]; 28 is the original, smaller sides are resized
        bilinearly with antialiasing.
    folder : path, optional
        Where the ``.gz`` files are (default: the installed package).
    """
    if not isinstance(size, int) or not 4 <= size <= 28:
        raise ValueError(f"size must be an integer in [4, 28], got {size!r}")
    images, labels = drop_duplicates(*read(folder))
    x = images[:, None].astype(np.float32) / 255.0
    if size != 28:
        import torch
        import torch.nn.functional as F

        x = F.interpolate(
            torch.from_numpy(x), size=(size, size), mode="bilinear", antialias=True
        ).numpy()
    return x.clip(0, 1).astype(np.float32), labels
