"""Tiny MNIST (IDX) and CIFAR-10 (binary batch) test sets for the dropout-inversion paper profile.

The paper profile reads the MNIST test set (``t10k-images-idx3-ubyte``,
``t10k-labels-idx1-ubyte``) and CIFAR-10's ``cifar-10-batches-bin/test_batch.bin``
from ``DATA_DIR``; these are the same formats with two images per class.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

PER_CLASS = 2


def _idx(path: Path, array: np.ndarray) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(s).to_bytes(4, "big") for s in array.shape
    )
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def write(data_dir: Path) -> None:
    """Write the fake MNIST and CIFAR-10 test sets into ``data_dir``."""
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(10), PER_CLASS).astype(np.uint8)
    _idx(data_dir / "t10k-images-idx3-ubyte", rng.integers(0, 256, (len(labels), 28, 28)))
    _idx(data_dir / "t10k-labels-idx1-ubyte", labels)
    folder = data_dir / "cifar-10-batches-bin"
    folder.mkdir(parents=True, exist_ok=True)
    pixels = rng.integers(0, 256, (len(labels), 3 * 32 * 32), dtype=np.uint8)
    (folder / "test_batch.bin").write_bytes(np.column_stack([labels, pixels]).tobytes())
