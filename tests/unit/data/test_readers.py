from __future__ import annotations

import gzip

import numpy as np
import pytest

from support.data import MissingDataError, cifar10, idx, images


def _write_cifar(path, labels, rng):
    pixels = rng.integers(0, 256, size=(len(labels), 3072), dtype=np.uint8)
    records = np.concatenate([np.asarray(labels, np.uint8)[:, None], pixels], axis=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    records.tofile(path)
    return pixels.reshape(-1, 3, 32, 32)


def test_cifar10_reads_the_binary_format(tmp_path):
    rng = np.random.default_rng(0)
    folder = tmp_path / cifar10.FOLDER
    expected = [
        _write_cifar(folder / f, [i % 10, (i + 3) % 10], rng)
        for i, f in enumerate(cifar10.TRAIN_FILES)
    ]
    _write_cifar(folder / "test_batch.bin", [9], rng)
    x, y = cifar10.load(tmp_path, "train")
    assert x.shape == (10, 3, 32, 32) and x.dtype == np.float32
    np.testing.assert_allclose(x[:2] * 255, expected[0])
    assert y.tolist()[:4] == [0, 3, 1, 4]
    assert cifar10.load(tmp_path, "test")[1].tolist() == [9]


def test_cifar10_missing_and_malformed(tmp_path):
    with pytest.raises(MissingDataError, match="cifar-10-binary.tar.gz") as missing:
        cifar10.load(tmp_path)
    assert f"(DATA_DIR={tmp_path})" in str(missing.value)
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"\x00" * 100)
    with pytest.raises(ValueError, match="multiple"):
        cifar10.read_batch(bad)


def _write_idx(path, arr):
    header = bytes([0, 0, 0x08, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    data = header + arr.astype(np.uint8).tobytes()
    if path.suffix == ".gz":
        data = gzip.compress(data)
    path.write_bytes(data)


def test_idx_reader_plain_and_gzip(tmp_path):
    imgs = np.arange(2 * 28 * 28).reshape(2, 28, 28) % 256
    _write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", imgs)
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.array([7, 2]))
    x, y = idx.load_mnist(tmp_path, "test")
    assert x.shape == (2, 1, 28, 28)
    np.testing.assert_allclose(x[:, 0] * 255, imgs, atol=1e-4)
    assert y.tolist() == [7, 2]
    with pytest.raises(MissingDataError, match="train-images-idx3-ubyte") as missing:
        idx.load_mnist(tmp_path, "train")
    assert f"(DATA_DIR={tmp_path})" in str(missing.value), "names the folder the file belongs in"
    (tmp_path / "bad").write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(ValueError, match="magic"):
        idx.read_idx(tmp_path / "bad")


def test_embedded_images():
    x, y = images.digits()
    assert x.shape == (1797, 1, 8, 8) and 0 <= x.min() and x.max() <= 1 and set(y) == set(range(10))
    p = images.photographs(16)
    assert p.shape == (5, 3, 16, 16) and p.dtype == np.float32 and p.std() > 0.05
    with pytest.raises(ValueError, match="unknown photograph"):
        images.photographs(16, names=("nope",))
