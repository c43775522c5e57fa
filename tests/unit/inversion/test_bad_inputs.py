"""Every bad input the inversion package rejects, each with an error naming the argument."""

import numpy as np
import pytest
import torch
from torch import nn

from support.inversion.attacks import make_attack, reconstruct_many
from support.inversion.client import client_update
from support.inversion.config import config
from support.inversion.data import MNIST_MEAN, MNIST_STD, Normalization, victims
from support.inversion.engine import Settings
from support.inversion.masks import MaskDropout, set_dropout_rate
from support.inversion.metrics import psnr, ssim
from support.inversion.models import build_model

NORM = Normalization(MNIST_MEAN, MNIST_STD)
SHAPE = (1, 1, 6, 6)


@pytest.fixture(scope="module")
def victim():
    model = build_model("mlp", SHAPE[1:], width=8, p=0.25, seed=0)
    x, y = torch.rand(SHAPE), torch.tensor([3])
    return model, x, y, client_update(model, NORM.normalize(x), y, seed=0)


ATTACK_ARGS = [
    (dict(iterations=0), "iterations must be an integer >= 1, got 0"),
    (dict(iterations=-5), "iterations must be an integer >= 1"),
    (dict(iterations=2.5), "iterations must be an integer >= 1"),
    (dict(restarts=0), "restarts must be an integer >= 1, got 0"),
    (dict(lr=0.0), "lr must be a finite number > 0, got 0.0"),
    (dict(lr=-0.1), "lr must be a finite number > 0"),
    (dict(lr=float("nan")), "lr must be a finite number > 0"),
    (dict(tv=-1.0), "tv must be a finite number >= 0"),
    (dict(schedule="cosine"), "schedule must be one of"),
    (dict(patience=0), "patience must be an integer >= 1"),
    (dict(stop_patience=0), "stop_patience must be an integer >= 1"),
    (dict(stop_loss=-1.0), "stop_loss must be a finite number > 0"),
    (dict(factor=1.5), "factor must be in"),
    (dict(milestones=(0.5, 1.2)), "milestones must be fractions"),
    (dict(strategy="gpu"), "strategy must be one of"),
]


@pytest.mark.parametrize("name", ["ig", "dia", "wiig"])
@pytest.mark.parametrize("kwargs,message", ATTACK_ARGS)
def test_attack_parameters(name, kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        make_attack(name, **kwargs)


def test_settings_parameters():
    with pytest.raises(ValueError, match="iterations must be an integer >= 1"):
        Settings(iterations=0)
    with pytest.raises(ValueError, match="box must be two"):  # the engine clamps with lo <= hi
        Settings(box=(torch.tensor([1.0]), torch.tensor([-1.0])))
    with pytest.raises(ValueError, match="box must be two"):
        Settings(box=(-1.0, 1.0))


@pytest.mark.parametrize("p", [1.0, -0.1, 1.5])
def test_dropout_rate_outside_unit_interval(victim, p):
    model, _, y, upd = victim
    with pytest.raises(ValueError, match=r"in \[0, 1\)"):
        MaskDropout(p)
    with pytest.raises(ValueError, match=r"in \[0, 1\)"):
        set_dropout_rate(model, p)
    with pytest.raises(ValueError, match=r"p must be a dropout rate in \[0, 1\)"):
        job = dict(attack=make_attack("dia"), gradients=upd.gradients, labels=y, shape=SHAPE)
        reconstruct_many(model, [dict(job, p=p)])


def test_dia_needs_dropout():
    model = nn.Sequential(nn.Flatten(), nn.Linear(36, 10))
    grads = [torch.ones(10, 36), torch.ones(10)]
    with pytest.raises(ValueError, match="DIA needs a model with dropout"):
        make_attack("dia", iterations=2).reconstruct(model, grads, [1], SHAPE)


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_gradients(victim, value):
    model, _, y, upd = victim
    bad = [g.clone() for g in upd.gradients]
    bad[1][0, 0] = value
    with pytest.raises(ValueError, match="gradients: tensor for .* holds NaN or inf"):
        make_attack("ig", iterations=2).reconstruct(model, bad, y, SHAPE)


@pytest.mark.parametrize("shape", [(1, 1, 7, 7), (1, 3, 6, 6), (1, 1, 6)])
def test_image_shape_must_fit_the_model(victim, shape):
    model, _, y, upd = victim
    with pytest.raises(ValueError, match="shape"):
        make_attack("ig", iterations=2).reconstruct(model, upd.gradients, y, shape)


@pytest.mark.parametrize("labels", [[10], [-1]])
def test_labels_out_of_range(victim, labels):
    model, _, _, upd = victim
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 10\)"):
        make_attack("ig", iterations=2).reconstruct(model, upd.gradients, labels, SHAPE)


@pytest.mark.parametrize("metric", [ssim, psnr])
@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_metrics_of_non_finite_images(metric, value):
    x = np.full((1, 1, 8, 8), 0.5)
    bad = x.copy()
    bad[0, 0, 0, 0] = value
    with pytest.raises(ValueError, match="reconstruction holds NaN or inf"):
        metric(bad, x)


CONFIG_ARGS = [
    (dict(n_images=0), "n_images must be an integer >= 1"),
    (dict(rates=(0.1, 0.5)), "rates must start at 0"),
    (dict(rates=(0.0, 1.0)), "rates must start at 0 and lie in"),
    (dict(attacks=("ig", "magic")), "unknown attack 'magic'"),
    (dict(setups=(("lenet", "mnist", 28),)), "needs arch in"),
    (dict(setups=(("mlp", "svhn", 28),)), "needs arch in"),
    (dict(iterations=(("mlp", 0),)), "iterations/restarts must be an integer >= 1"),
    (dict(restarts=(("dia", 0),)), "iterations/restarts must be an integer >= 1"),
    (dict(plateau_patience=0.0), "plateau_patience must be a fraction"),
    (dict(stop_loss=-1.0), "stop_loss must be a float > 0"),
]


@pytest.mark.parametrize("kwargs,message", CONFIG_ARGS)
def test_config_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        config("smoke", **kwargs)


def test_victims_arguments(tmp_path):
    with pytest.raises(ValueError, match="dataset must be one of"):
        victims("svhn", 2, 16)
    with pytest.raises(ValueError, match="n must be an integer >= 1, got 0"):
        victims("mnist", 0, 16)
    with pytest.raises(ValueError, match="size must be an integer >= 1"):
        victims("mnist", 1, 0)
    with pytest.raises(ValueError, match="cifar10' needs DATA_DIR"):
        victims("cifar10", 1, 32)
    from support.data.errors import MissingDataError

    with pytest.raises(MissingDataError):
        victims("mnist", 1, 28, data_dir=tmp_path)
