import numpy as np
import pytest
import torch

from support.distill import augment as aug
from support.distill.convnet import ConvNetSpec, init_params
from support.distill.init import expert_logits, kmeans_indices, random_indices
from support.distill.zca import ZCA


def test_same_seed_gives_identical_transforms_for_real_and_synthetic():
    gen = torch.Generator().manual_seed(0)
    real, syn = torch.rand(16, 1, 8, 8, generator=gen), torch.rand(16, 1, 8, 8, generator=gen)
    for seed in range(12):  # every family gets drawn
        params = aug.sample(16, 8, generator=torch.Generator().manual_seed(seed))
        assert torch.equal(aug.augment(real, seed=seed), aug.apply(real, params))
        assert torch.equal(aug.augment(syn, seed=seed), aug.apply(syn, params))
    # geometric ops and cutout are linear in the pixels: the same transform acts on both batches
    for seed in range(12):
        fam = ("crop", "cutout", "flip", "scale", "rotate")
        mix = 0.3 * real + 0.7 * syn
        both = 0.3 * aug.augment(real, fam, seed=seed) + 0.7 * aug.augment(syn, fam, seed=seed)
        torch.testing.assert_close(aug.augment(mix, fam, seed=seed), both)
    assert not torch.equal(aug.augment(real, seed=1), aug.augment(real, seed=2))


def test_flip_and_translation_are_exact_pixel_moves():
    x = torch.arange(64.0).reshape(1, 1, 8, 8).repeat(64, 1, 1, 1)
    out = aug.augment(x, ("flip",), seed=0)
    flipped = (out == x.flip(3)).flatten(1).all(1)
    same = (out == x).flatten(1).all(1)
    assert (flipped | same).all() and flipped.any() and same.any()


def test_augment_is_differentiable_and_rejects_unknown_names():
    x = torch.rand(6, 3, 8, 8, requires_grad=True)
    for fam in aug.FAMILIES:
        (g,) = torch.autograd.grad(aug.augment(x, (fam,), seed=3).sum(), x)
        assert torch.isfinite(g).all() and g.abs().sum() > 0
    with pytest.raises(ValueError, match="augmentation families"):
        aug.augment(x, ("colour",))


def test_zca_inverse_round_trips_and_whitens():
    gen = torch.Generator().manual_seed(0)
    mix = torch.randn(12, 12, generator=gen)
    x = (torch.randn(500, 12, generator=gen) @ mix).reshape(500, 3, 2, 2)
    zca = ZCA(eps=1e-6).fit(x)
    z = zca.transform(x)
    torch.testing.assert_close(zca.inverse(z), x, rtol=1e-4, atol=1e-4)
    cov = torch.cov(z.reshape(500, -1).T.double())
    torch.testing.assert_close(cov, torch.eye(12, dtype=torch.float64), rtol=0, atol=1e-3)
    with pytest.raises(ValueError, match="trailing shape"):
        zca.transform(torch.zeros(2, 3, 4, 4))


def test_representative_init_picks_real_images_one_per_class():
    spec = ConvNetSpec(1, 8, 3, width=4, depth=2)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(60, 1, 8, 8, generator=gen)
    y = torch.arange(3).repeat(20)
    feats = expert_logits(spec, init_params(spec, 1, gen)[0], x)
    idx = kmeans_indices(feats, y, 1, 3)
    assert idx.shape == (3,) and torch.equal(y[idx], torch.arange(3))
    for c in range(3):  # k = 1: the example nearest the class mean
        members = torch.nonzero(y == c).flatten()
        d = ((feats[members] - feats[members].mean(0)) ** 2).sum(1)
        assert int(idx[c]) == int(members[d.argmin()])
    idx4 = kmeans_indices(feats, y, 4, 3)
    assert len(set(idx4.tolist())) == 12 and torch.equal(
        y[idx4], torch.arange(3).repeat_interleave(4)
    )
    with pytest.raises(ValueError, match="ipc=21 is larger than the 20"):
        random_indices(y, 21, 3, gen)
    assert np.array_equal(y[random_indices(y, 2, 3, gen)].numpy(), [0, 0, 1, 1, 2, 2])


def test_zca_regularises_as_mtt_on_pixel_scale():
    """Whitened covariance = C (C + eps I)^-1: eigenvalues s / (s + eps) of the fitted covariance."""
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(400, 1, 4, 4, generator=gen) * torch.linspace(0.2, 1, 16).reshape(1, 1, 4, 4)
    zca = ZCA(0.1).fit(x)
    flat = x.reshape(400, -1).double()
    s = torch.linalg.eigvalsh(torch.cov(flat.T))
    w = zca.transform(x).reshape(400, -1).double()
    got = torch.linalg.eigvalsh(torch.cov(w.T))
    torch.testing.assert_close(got, s / (s + 0.1), rtol=1e-4, atol=1e-6)


def test_load_with_zca_whitens_unstandardised_pixels(tmp_path):
    from support.distill.data import load
    from tests.notebooks.paper_data.dataset_distillation import write

    write(tmp_path)
    ds = load("cifar10", tmp_path, zca=True)
    assert (
        ds.zca is not None
        and torch.equal(ds.std, torch.ones(3))
        and torch.equal(ds.mean, torch.zeros(3))
    )
    from support.data import cifar10

    raw, _ = cifar10.load(tmp_path, "train")  # [0, 1] pixels
    raw = torch.as_tensor(raw)
    # fitted on the pixels themselves (MTT), not on standardised images
    torch.testing.assert_close(ds.zca.mean_, raw.reshape(len(raw), -1).double().mean(0))
    torch.testing.assert_close(ds.train_images, ds.zca.transform(raw), rtol=0, atol=0)
    torch.testing.assert_close(ds.to_pixels(ds.train_images[:4]), raw[:4], rtol=0, atol=1e-3)
