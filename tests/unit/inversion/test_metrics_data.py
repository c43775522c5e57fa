import numpy as np
import pytest
import torch

from support.inversion import metrics
from support.inversion.data import victims


def test_psnr_of_known_mse():
    x = np.zeros((2, 1, 8, 8))
    y = np.full((2, 1, 8, 8), 0.1)
    np.testing.assert_allclose(metrics.mse(x, y), 0.01)
    np.testing.assert_allclose(metrics.psnr(x, y), 20.0)
    assert np.isinf(metrics.psnr(y, y)).all()


def test_ssim_is_one_for_identical_and_lower_otherwise():
    rng = np.random.default_rng(0)
    x = rng.random((3, 3, 16, 16))
    np.testing.assert_allclose(metrics.ssim(x, x), 1.0)
    noisy = np.clip(x + 0.2 * rng.standard_normal(x.shape), 0, 1)
    assert (metrics.ssim(noisy, x) < 0.9).all()
    np.testing.assert_allclose(metrics.ssim(noisy, x), metrics.ssim(x, noisy))


def test_images_outside_the_box_are_rejected():
    with pytest.raises(ValueError, match=r"\[0, 1\] box"):
        metrics.ssim(np.full((1, 1, 8, 8), 1.5), np.zeros((1, 1, 8, 8)))
    with pytest.raises(ValueError, match="shape"):
        metrics.mse(np.zeros((1, 1, 8, 8)), np.zeros((1, 1, 8, 4)))


def test_matching_undoes_a_permutation():
    rng = np.random.default_rng(1)
    y = rng.random((4, 1, 8, 8))
    perm = np.array([2, 0, 3, 1])
    x = y[perm]
    assert np.array_equal(x[metrics.match(x, y)], y)
    np.testing.assert_allclose(metrics.score(x, y)["ssim"], 1.0)
    assert metrics.score(x, y, matched=False)["ssim"].mean() < 0.5


def test_psnr_ssim_at_zero_mse_edge():
    # identical images (MSE exactly 0): PSNR inf without a warning, SSIM exactly 1,
    # and a constant image (zero variance) still scores finitely
    y = np.zeros((2, 3, 8, 8))
    y[1] = 0.5
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = metrics.psnr(y, y)
        s = metrics.ssim(y, y)
    assert np.isinf(p).all() and (p > 0).all()
    np.testing.assert_allclose(s, 1.0)
    z = y.copy()
    z[0, 0, 0, 0] = 0.1  # MSE = 0.01 / 192
    assert metrics.psnr(z, y)[0] == pytest.approx(10 * np.log10(192 / 0.01))
    assert np.isinf(metrics.psnr(z, y)[1])


def test_victims_and_normalisation_box():
    x, y, norm = victims("mnist", 10, 12, seed=0)
    assert x.shape == (10, 1, 12, 12) and sorted(y.tolist()) == list(range(10))
    assert 0 <= x.min() and x.max() <= 1
    torch.testing.assert_close(norm.denormalize(norm.normalize(x)), x)
    lo, hi = norm.box
    torch.testing.assert_close(norm.normalize(torch.zeros(1, 1, 1)).flatten(), lo)
    torch.testing.assert_close(norm.normalize(torch.ones(1, 1, 1)).flatten(), hi)
    p, _, pnorm = victims("photographs", 5, 16)
    assert p.shape == (5, 3, 16, 16) and len(pnorm.mean) == 3
    with pytest.raises(ValueError, match="DATA_DIR"):
        victims("cifar10", 2, 32)
    with pytest.raises(ValueError, match="dataset must be"):
        victims("imagenet", 2, 32)
