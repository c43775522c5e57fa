import numpy as np
import pytest
import torch
from torch import nn

from support.inversion.attacks import ATTACKS, make_attack, reconstruct_many
from support.inversion.client import client_update
from support.inversion.data import MNIST_MEAN, MNIST_STD, Normalization
from support.inversion.engine import objective, prepare
from support.inversion.masks import mask_shapes
from support.inversion.metrics import ssim
from support.inversion.models import build_model

NORM = Normalization(MNIST_MEAN, MNIST_STD)
SHAPE = (1, 1, 6, 6)


def _victim(p, seed=0, width=32, arch="mlp"):
    kw = {"width": width} if arch == "mlp" else {"channels": (4, 8)}
    model = build_model(arch, SHAPE[1:], p=p, seed=seed, **kw)
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(SHAPE, generator=g)
    y = torch.tensor([seed % 10])
    return model, x, y, client_update(model, NORM.normalize(x), y, seed=seed)


def _objective_at(model, x, upd, masks, scale):
    net = prepare(model)
    f = objective(net)
    layers = list(mask_shapes(net, SHAPE))
    tnorm = torch.sqrt(sum((t**2).sum() for t in upd.gradients))
    ms = tuple(masks[k] for k in layers)
    sc = tuple(torch.tensor(scale) for _ in layers)
    _, rec = f(
        NORM.normalize(x),
        ms,
        sc,
        tuple(upd.gradients),
        tnorm,
        upd.labels,
        torch.tensor(0.25),
        torch.tensor(0.0),
        torch.tensor(0.0),
    )
    return float(rec)


def test_wiig_objective_is_zero_at_the_true_image_and_ig_is_not():
    model, x, _, upd = _victim(p=0.25, arch="cnn")
    assert abs(_objective_at(model, x, upd, upd.masks, 1 / 0.75)) < 1e-5
    ones = {k: torch.ones_like(v) for k, v in upd.masks.items()}
    assert (
        _objective_at(model, x, upd, ones, 1.0) > 1e-3
    )  # eval-mode IG cannot match the thinned gradient


def test_dia_at_p_zero_equals_ig_under_dias_schedule():
    model, x, y, upd = _victim(p=0.0)
    kw = dict(iterations=20, box=NORM.box, seed=5)
    dias = dict(schedule="plateau", patience=800, stop_patience=4000, stop_loss=1e-5)
    a, _ = make_attack("ig", **kw, **dias).reconstruct(model, upd.gradients, y, SHAPE)
    b, _ = make_attack("dia", **kw).reconstruct(model, upd.gradients, y, SHAPE)
    assert torch.equal(a, b)  # the reference's fallback: IG's objective, DIA's recipe


def test_tiny_attacks_recover_the_image_and_ig_fails_under_dropout():
    model, x, y, upd = _victim(p=0.5, seed=1)
    kw = dict(iterations=150, box=NORM.box, seed=0)
    jobs = [
        dict(
            attack=make_attack(n, **kw),
            gradients=upd.gradients,
            labels=y,
            shape=SHAPE,
            masks=upd.masks,
        )
        for n in ("ig", "dia", "wiig", "dia-frozen")
    ]
    out = reconstruct_many(model, jobs)
    s = {
        n: ssim(NORM.denormalize(img), x)[0]
        for n, (img, _) in zip(("ig", "dia", "wiig", "frozen"), out)
    }
    assert s["wiig"] > 0.98 and s["dia"] > 0.95
    assert s["ig"] < s["dia"] - 0.1 and s["frozen"] < s["dia"] - 0.1
    hist = out[1][1]
    assert (
        hist["loss"].shape == (1, 150)
        and np.nanmin(hist["gradient_loss"][0].numpy()) < hist["gradient_loss"][0, 0]
    )
    assert all(((m >= 0) & (m <= 1)).all() for m in hist["masks"].values())  # projected to [0, 1]


def test_ig_recovers_without_dropout_with_restarts():
    model, x, y, upd = _victim(p=0.0, seed=2)
    img, hist = make_attack("ig", iterations=100, restarts=2, box=NORM.box).reconstruct(
        model, upd.gradients, y, SHAPE
    )
    assert hist["loss"].shape == (2, 100) and hist["restart"] in (0, 1)
    assert ssim(NORM.denormalize(img), x)[0] > 0.98
    lo, hi = NORM.box
    assert img.min() >= lo.min() - 1e-6 and img.max() <= hi.max() + 1e-6


def test_restart_kept_has_the_lowest_final_gradient_loss():
    model, _, y, upd = _victim(p=0.5, seed=3)
    img, hist = make_attack("dia", iterations=30, restarts=3, box=NORM.box).reconstruct(
        model, upd.gradients, y, SHAPE
    )
    assert hist["restart"] == int(np.argmin(hist["restart_best_gradient_loss"]))
    # plain numbers a user can format (issue 20 item 7)
    assert isinstance(hist["best_loss"], float) and isinstance(hist["iterations_run"], int)
    assert f"{hist['best_loss']:.3g} {hist['best_gradient_loss']:.3g}"
    assert torch.equal(img, hist["restart_images"][hist["restart"]])


def test_batched_run_equals_one_by_one():
    model, _, y, upd = _victim(p=0.25)
    kw = dict(iterations=5, box=NORM.box)
    jobs = [
        dict(
            attack=make_attack(n, seed=s, **kw),
            gradients=upd.gradients,
            labels=y,
            shape=SHAPE,
            masks=upd.masks,
        )
        for n, s in (("dia", 1), ("wiig", 2))
    ]
    together = reconstruct_many(model, jobs)
    for j, (img, _) in zip(jobs, together):
        alone, _ = j["attack"].reconstruct(model, upd.gradients, y, SHAPE, masks=upd.masks)
        torch.testing.assert_close(img, alone, atol=1e-4, rtol=0)


def test_idlg_recovers_label_and_image_without_dropout():
    model = build_model("mlp", SHAPE[1:], width=16, p=0.0, seed=0)
    x, y = torch.rand(SHAPE), torch.tensor([4])
    upd = client_update(model, NORM.normalize(x), y)
    img, hist = make_attack("idlg", iterations=20, box=NORM.box).reconstruct(
        model, upd.gradients, None, SHAPE
    )
    assert hist["labels"].tolist() == [4]
    assert ssim(NORM.denormalize(img), x)[0] > 0.95


def test_clear_errors():
    model, x, y, upd = _victim(p=0.25)
    with pytest.raises(ValueError, match="unknown attack 'foo'"):
        make_attack("foo")
    with pytest.raises(ValueError, match="DIA needs a model with dropout"):
        make_attack("dia").reconstruct(
            nn.Sequential(nn.Flatten(), nn.Linear(36, 10)),
            [torch.zeros(10, 36), torch.zeros(10)],
            y,
            SHAPE,
        )
    with pytest.raises(ValueError, match="gradients has 3 tensors but the model has 4"):
        make_attack("ig").reconstruct(model, upd.gradients[:3], y, SHAPE)
    bad = [g.clone() for g in upd.gradients]
    bad[0] = bad[0].T
    with pytest.raises(ValueError, match="shape"):
        make_attack("ig").reconstruct(model, bad, y, SHAPE)
    with pytest.raises(ValueError, match="outside the box"):
        make_attack("ig", box=NORM.box).reconstruct(
            model, upd.gradients, y, SHAPE, init=torch.full(SHAPE, 10.0)
        )
    with pytest.raises(ValueError, match="true dropout masks"):
        make_attack("wiig").reconstruct(model, upd.gradients, y, SHAPE)
    with pytest.raises(ValueError, match="labels has 2 entries"):
        make_attack("ig").reconstruct(model, upd.gradients, [1, 2], SHAPE)
    with pytest.raises(ValueError, match="box"):
        make_attack("ig", box=(1.0, 0.0), iterations=1).reconstruct(model, upd.gradients, y, SHAPE)
    assert set(ATTACKS) >= {"dlg", "idlg", "ig", "wiig", "dia"}


def test_named_gradient_dict_is_accepted():
    model, _, y, upd = _victim(p=0.0)
    named = dict(zip([n for n, _ in model.named_parameters()], upd.gradients))
    a, _ = make_attack("ig", iterations=3).reconstruct(model, named, y, SHAPE)
    b, _ = make_attack("ig", iterations=3).reconstruct(model, upd.gradients, y, SHAPE)
    assert np.allclose(a, b)
