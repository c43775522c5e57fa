"""Fake CIFAR-10 binary batches for notebook 04's paper_smoke profile.

Writes ``cifar-10-batches-bin/data_batch_{1..5}.bin`` and ``test_batch.bin``
in the real format (records of 1 label byte + 3072 pixel bytes, R, G, B
planes of 32x32), with class-dependent mean colours so that a network can
learn something. Each training batch holds 12 images per class (60 per
class in all): after the 10 % validation hold-out, 54 per class, enough for
the paper profile's IPC 50.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

PER_CLASS_PER_BATCH = 12
TEST_PER_CLASS = 4


def _batch(rng: np.random.Generator, base: np.ndarray, per_class: int) -> bytes:
    labels = np.repeat(np.arange(10, dtype=np.uint8), per_class)
    rng.shuffle(labels)
    noise = rng.integers(-40, 41, size=(labels.size, 3, 32, 32))
    pixels = np.clip(base[labels][:, :, None, None] + noise, 0, 255).astype(np.uint8)
    records = np.concatenate([labels[:, None], pixels.reshape(labels.size, -1)], axis=1)
    return records.tobytes()


def write(data_dir: Path) -> None:
    """Write the fake CIFAR-10 batches under ``data_dir / "cifar-10-batches-bin"``."""
    folder = Path(data_dir) / "cifar-10-batches-bin"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    base = rng.integers(40, 216, size=(10, 3), dtype=np.int64)  # one mean colour per class
    for i in range(1, 6):
        (folder / f"data_batch_{i}.bin").write_bytes(_batch(rng, base, PER_CLASS_PER_BATCH))
    (folder / "test_batch.bin").write_bytes(_batch(rng, base, TEST_PER_CLASS))
