"""Animal Shape MNIST: read without TensorFlow, through an unpickler that admits numpy arrays only."""

import gzip
import os
import pickle

import numpy as np
import pytest

from support.data import animal_shapes as asm
from support.data.errors import MissingDataError


class _RunsCode:
    """Unpickling this calls os.system: what a tampered data file could do."""

    def __reduce__(self):
        return (os.system, ("touch SHOULD_NOT_EXIST",))


def test_malicious_pickle_is_refused_and_runs_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    payload = pickle.dumps(_RunsCode())
    with pytest.raises(pickle.UnpicklingError, match="refusing to load global .*system"):
        asm.load_array(payload)
    assert not (tmp_path / "SHOULD_NOT_EXIST").exists()
    # the same payload with an array beside it: still refused
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        asm.load_array(pickle.dumps([np.zeros(3), _RunsCode()]))
    assert not (tmp_path / "SHOULD_NOT_EXIST").exists()
    # plain pickle would have run it (the test's payload is real)
    pickle.loads(payload)
    assert (tmp_path / "SHOULD_NOT_EXIST").exists()


def test_arrays_pass_and_other_objects_are_refused():
    x = np.arange(12, dtype=np.uint8).reshape(3, 4)
    np.testing.assert_array_equal(asm.load_array(pickle.dumps(x)), x)
    with pytest.raises(ValueError, match="numeric numpy array"):
        asm.load_array(pickle.dumps({"a": 1}))
    with pytest.raises((ValueError, pickle.UnpicklingError)):
        asm.load_array(pickle.dumps(np.array([{"a": 1}], dtype=object)))


def test_drop_duplicates_keeps_first_occurrences():
    imgs = np.array([[[1]], [[2]], [[1]], [[3]], [[2]]], dtype=np.uint8)
    labels = np.array([0, 1, 0, 2, 1])
    x, y = asm.drop_duplicates(imgs, labels)
    assert x.ravel().tolist() == [1, 2, 3] and y.tolist() == [0, 1, 2]


def test_reads_files_in_the_package_format(tmp_path):
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, size=(6, 28, 28), dtype=np.uint8)
    imgs[5] = imgs[0]  # one exact duplicate
    labels = np.array([0, 1, 2, 3, 4, 0])
    for name, arr in ((asm.IMAGES, imgs), (asm.LABELS, labels)):
        with gzip.open(tmp_path / name, "wb") as f:
            pickle.dump(arr, f)
    raw_x, raw_y = asm.read(tmp_path)
    np.testing.assert_array_equal(raw_x, imgs)
    x, y = asm.animal_shapes(28, tmp_path)
    assert x.shape == (5, 1, 28, 28) and x.dtype == np.float32 and y.tolist() == [0, 1, 2, 3, 4]
    np.testing.assert_allclose(x[:, 0], imgs[:5] / 255.0, rtol=0, atol=1e-7)
    small, _ = asm.animal_shapes(16, tmp_path)
    assert small.shape == (5, 1, 16, 16) and 0 <= small.min() and small.max() <= 1


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(MissingDataError, match="animal_data_version_3.gz"):
        asm.read(tmp_path)
    for name, arr in ((asm.IMAGES, np.zeros((3, 8, 8), np.uint8)), (asm.LABELS, np.zeros(3))):
        with gzip.open(tmp_path / name, "wb") as f:
            pickle.dump(arr, f)
    with pytest.raises(ValueError, match="expected uint8 images \\(N, 28, 28\\)"):
        asm.read(tmp_path)
    with pytest.raises(ValueError, match="size must be an integer in \\[4, 28\\]"):
        asm.animal_shapes(2, tmp_path)


def test_installed_package_data():
    x, y = asm.read()
    assert x.shape == (10000, 28, 28) and np.bincount(y).tolist() == [1000] * 10
    dx, dy = asm.drop_duplicates(x, y)
    assert len(dx) == 9716  # 284 exact duplicates
    assert len(np.unique(dx.reshape(len(dx), -1), axis=0)) == len(dx)
