"""MNIST in its IDX distribution format (``train-images-idx3-ubyte`` etc.), optionally gzipped."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from .errors import MissingDataError

SOURCE = "the MNIST distribution (train-images-idx3-ubyte.gz etc., e.g. from a mirror of yann.lecun.com/exdb/mnist)"
FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (plain or ``.gz``) into an array of its declared type and shape."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError(f"{path}: not an IDX file (bad magic number)")
    code, ndim = data[2], data[3]
    if code not in _DTYPES:
        raise ValueError(f"{path}: unknown IDX type code 0x{code:02x}")
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    arr = np.frombuffer(data, dtype=_DTYPES[code], offset=4 + 4 * ndim)
    if arr.size != int(np.prod(shape)):
        raise ValueError(f"{path}: header declares shape {shape} but holds {arr.size} values")
    return arr.reshape(shape)


def load_mnist(data_dir: str | Path, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """MNIST ``split`` from ``data_dir`` (or ``data_dir/mnist``): float32 (N, 1, 28, 28) in [0, 1], labels."""
    if split not in FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    arrays = []
    for stem in FILES[split]:
        for folder in (Path(data_dir), Path(data_dir) / "mnist"):
            found = [p for p in (folder / stem, folder / f"{stem}.gz") if p.is_file()]
            if found:
                arrays.append(read_idx(found[0]))
                break
        else:
            raise MissingDataError(Path(data_dir) / f"{stem}.gz", "MNIST", SOURCE, data_dir)
    images, labels = arrays
    return (images[:, None] / 255.0).astype(np.float32), labels.astype(np.int64)
