"""CIFAR-10 from its binary distribution (``cifar-10-binary.tar.gz``), read without pickle.

Expected layout: ``DATA_DIR/cifar-10-batches-bin/data_batch_{1..5}.bin`` and
``test_batch.bin``; each record is 1 label byte followed by 3072 pixel bytes
(R, G, B planes of 32x32).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import MissingDataError

SOURCE = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz (extract it into DATA_DIR)"
FOLDER = "cifar-10-batches-bin"
RECORD_BYTES = 1 + 3 * 32 * 32
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
TRAIN_FILES = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
TEST_FILES = ("test_batch.bin",)


def read_batch(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Read one CIFAR-10 binary batch file: uint8 images (N, 3, 32, 32) and int64 labels.

    Raises
    ------
    ValueError
        If the file's size is not a whole number of records or a label is not 0-9.
    """
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size == 0 or raw.size % RECORD_BYTES:
        raise ValueError(
            f"{path}: size {raw.size} bytes is not a multiple of the {RECORD_BYTES}-byte CIFAR-10 record"
        )
    records = raw.reshape(-1, RECORD_BYTES)
    labels = records[:, 0].astype(np.int64)
    if labels.max() > 9:
        raise ValueError(f"{path}: label {labels.max()} out of range 0-9; is this CIFAR-100?")
    return records[:, 1:].reshape(-1, 3, 32, 32), labels


def load(data_dir: str | Path, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """Load CIFAR-10 ``split`` ("train" or "test") as float32 images in [0, 1] and labels.

    Raises
    ------
    MissingDataError
        Naming the first missing batch file and where to get it.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    folder = Path(data_dir) / FOLDER
    images, labels = [], []
    for name in TRAIN_FILES if split == "train" else TEST_FILES:
        path = folder / name
        if not path.is_file():
            raise MissingDataError(path, "CIFAR-10", SOURCE, data_dir)
        x, y = read_batch(path)
        images.append(x)
        labels.append(y)
    return np.concatenate(images).astype(np.float32) / 255.0, np.concatenate(labels)
