"""Animal Shape MNIST-M: the MNIST-M rule, determinism, layout and bad inputs."""

import numpy as np
import pytest

from support.data.animal_shapes_m import CLASS_NAMES, animal_shapes_m, blend, random_patches


def test_blend_is_the_absolute_difference_per_channel():
    shape = np.array([[[[0.0, 1.0], [0.25, 1.0]]]], dtype=np.float32)  # (1, 1, 2, 2)
    patch = np.stack([np.full((2, 2), v, np.float32) for v in (0.2, 0.5, 1.0)])[None]
    out = blend(shape, patch)
    assert out.shape == (1, 3, 2, 2) and out.dtype == np.float32
    expected = np.abs(patch - shape)  # a white silhouette inverts the photograph: 1 - patch
    np.testing.assert_allclose(out, expected)
    np.testing.assert_allclose(out[0, :, 0, 1], 1 - np.array([0.2, 0.5, 1.0]))
    np.testing.assert_allclose(out[0, :, 0, 0], [0.2, 0.5, 1.0])  # background: the photograph


def test_random_patches_are_crops_of_the_photographs():
    rng = np.random.default_rng(0)
    photos = rng.random((2, 3, 10, 12)).astype(np.float32)
    out = random_patches(photos, 5, 4, np.random.default_rng(1))
    assert out.shape == (5, 3, 4, 4)
    for p in out:  # each patch is found verbatim in one photograph
        hits = [
            (k, i, j)
            for k in range(2)
            for i in range(7)
            for j in range(9)
            if np.array_equal(photos[k, :, i : i + 4, j : j + 4], p)
        ]
        assert hits


def test_data_set_is_colour_deterministic_and_labelled():
    x, y = animal_shapes_m(8, seed=0)
    x2, _ = animal_shapes_m(8, seed=0)
    x3, _ = animal_shapes_m(8, seed=1)
    assert x.shape == (9716, 3, 8, 8) and x.dtype == np.float32 and len(CLASS_NAMES) == 10
    assert 0 <= x.min() and x.max() <= 1 and set(np.unique(y)) == set(range(10))
    np.testing.assert_array_equal(x, x2)
    assert not np.array_equal(x, x3)
    assert float(np.abs(x[:, 0] - x[:, 1]).mean()) > 0.02  # colour: channels differ


@pytest.mark.parametrize(
    "kw, match",
    [({"size": 3}, "size"), ({"size": 29}, "size"), ({"photo_side": 20}, "photo_side")],
)
def test_bad_arguments_are_named(kw, match):
    with pytest.raises(ValueError, match=match):
        animal_shapes_m(**kw)


def test_blend_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="silhouettes"):
        blend(np.zeros((2, 3, 4, 4)), np.zeros((2, 3, 4, 4)))
    with pytest.raises(ValueError, match="patches"):
        blend(np.zeros((2, 1, 4, 4)), np.zeros((3, 3, 4, 4)))
    with pytest.raises(ValueError, match="photos"):
        random_patches(np.zeros((1, 3, 3, 3)), 2, 4, np.random.default_rng(0))
