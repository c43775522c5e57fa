"""Numerical edges (issue 20 item 1): ZCA on rank-deficient and constant data, a zero matching denominator."""

import pytest
import torch

from support.distill.matching import matching_loss
from support.distill.zca import ZCA


def test_zca_of_constant_images_is_finite_and_invertible():
    x = torch.full((5, 3, 2, 2), 0.3)
    z = ZCA(0.1).fit(x)
    out = z.transform(x)
    assert torch.isfinite(out).all() and out.abs().max() == 0
    torch.testing.assert_close(z.inverse(out), x)


def test_zca_on_rank_deficient_data_matches_the_closed_form():
    # 3 images in 12 dimensions: covariance of rank 2, eigenvalues clamped at 0 plus eps
    g = torch.Generator().manual_seed(0)
    x = torch.rand(3, 3, 2, 2, generator=g)
    z = ZCA(0.1).fit(x)
    flat = x.reshape(3, -1).double()
    c = flat - flat.mean(0)
    cov = c.T @ c / 2
    w = torch.linalg.inv(torch.linalg.cholesky(cov + 0.1 * torch.eye(12)))  # any whitening root
    # ZCA is the symmetric root: W^2 = (cov + eps I)^-1
    torch.testing.assert_close(z.matrix_ @ z.matrix_, w.T @ w, rtol=1e-6, atol=1e-8)
    torch.testing.assert_close(z.inverse(z.transform(x)), x, rtol=1e-5, atol=1e-6)


def test_matching_loss_rejects_a_segment_where_the_expert_did_not_move():
    a = torch.zeros(2, 4)
    with pytest.raises(ValueError, match="start and target must differ"):
        matching_loss(a + 1, a, a.clone())


def test_class_names_label_the_synthetic_images_figure():
    import matplotlib

    matplotlib.use("Agg")
    from support.distill.data import class_names
    from support.distill.plots import plot_synthetic

    assert class_names("animal_shapes_m")[:3] == ("bear", "bird", "cat")
    assert class_names("cifar10")[0] == "airplane" and class_names("digits")[9] == "9"
    imgs = {"row": torch.rand(10, 3, 4, 4)}
    fig = plot_synthetic(imgs, torch.arange(10), lambda x: x, 10, class_names("animal_shapes_m"))
    assert [ax.get_title() for ax in fig.axes[:10]] == list(class_names("animal_shapes_m"))
    with pytest.raises(ValueError, match="class_names"):
        plot_synthetic(imgs, torch.arange(10), lambda x: x, 10, ("a", "b"))
    with pytest.raises(ValueError, match="dataset"):
        class_names("imagenet")
