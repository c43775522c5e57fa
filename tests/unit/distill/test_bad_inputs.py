"""Every bad input the distillation package rejects, each with an error naming the argument."""

import math

import pytest
import torch

from support.distill.config import config
from support.distill.convnet import ConvNetSpec, init_params
from support.distill.distill import DistillConfig, Variant, distill
from support.distill.evaluate import eval_config, evaluate
from support.distill.experts import ExpertSet, plain_experts
from support.distill.train import SGDConfig

BASE = dict(
    ipc=1, iterations=1, syn_steps=2, expert_epochs=2, max_start_epoch=1, lr_img=1.0, lr_lr=1e-5
)

CONFIG_CASES = [
    ({"ipc": 0}, "ipc must be an integer >= 1, got 0"),
    ({"ipc": -1}, "ipc must be an integer >= 1"),
    ({"ipc": 1.5}, "ipc must be an integer >= 1"),
    ({"lr_img": 0.0}, "lr_img must be a finite number > 0, got 0.0"),
    ({"lr_img": -100.0}, "lr_img must be a finite number > 0"),
    ({"lr_lr": 0.0}, "lr_lr must be a finite number > 0"),
    ({"lr_lr": -1e-5}, "lr_lr must be a finite number > 0"),
    ({"lr_lr": math.nan}, "lr_lr must be a finite number > 0"),
    ({"lr_init": 0.0}, "lr_init must be a finite number > 0"),
    ({"lr_init": -0.01}, "lr_init must be a finite number > 0"),
    ({"outer_momentum": 1.0}, "outer_momentum must be a number in \\[0, 1\\)"),
    ({"outer_momentum": -0.5}, "outer_momentum must be a number in \\[0, 1\\)"),
    ({"syn_steps": 0}, "syn_steps must be an integer >= 1"),
    ({"max_start_epoch": 0}, "max_start_epoch must be an integer >= 1"),
    ({"batch_syn": -1}, "batch_syn must be an integer >= 0"),
    ({"augment": ("colour",)}, "augmentation families"),
]


@pytest.mark.parametrize("change, message", CONFIG_CASES)
def test_distill_config_rejects(change, message):
    with pytest.raises(ValueError, match=message):
        DistillConfig(**{**BASE, **change})


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"student_momentum": 1.0}, "student_momentum must be a number in \\[0, 1\\), got 1.0"),
        ({"student_momentum": 1.5}, "student_momentum must be a number in \\[0, 1\\)"),
        ({"student_momentum": -0.1}, "student_momentum must be a number in \\[0, 1\\)"),
        ({"init": "centroid"}, "init must be one of"),
        ({"intermediate": "yes"}, "intermediate must be one of"),
        ({"student_rate": 0.0}, "student_rate must be"),
        ({"student_rate": -1.0}, "student_rate must be"),
    ],
)
def test_variant_rejects(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Variant("V", **kwargs)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"lr": 0.0}, "lr must be a finite number > 0"),
        ({"lr": -0.01}, "lr must be a finite number > 0"),
        ({"momentum": 1.0}, "momentum must be a number in \\[0, 1\\)"),
        ({"momentum": 1.5}, "momentum must be a number in \\[0, 1\\)"),
        ({"weight_decay": -1e-3}, "weight_decay must be >= 0"),
        ({"epochs": 0}, "epochs and batch_size must be positive"),
    ],
)
def test_sgd_config_rejects(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SGDConfig(**{"epochs": 2, **kwargs})


def _toy(epochs=4):
    spec = ConvNetSpec(1, 8, 3, width=4, depth=2)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(30, 1, 8, 8, generator=gen)
    y = torch.arange(3).repeat(10)
    traj = init_params(spec, 2, gen)[:, None] + torch.zeros(2, epochs + 1, spec.num_params)
    return spec, x, y, {"plain": ExpertSet(traj, plain_experts(epochs), spec)}


def test_distill_rejects_bad_data_and_windows():
    spec, x, y, experts = _toy()
    cfg = DistillConfig(**BASE)
    run = lambda xx, yy, c=cfg: distill(spec, xx, yy, experts, [Variant("MTT")], c, progress=False)  # noqa: E731
    nan_x = x.clone()
    nan_x[3, 0, 2, 2] = math.nan
    with pytest.raises(ValueError, match="images must be finite, got 1 NaN"):
        run(nan_x, y)
    with pytest.raises(ValueError, match="labels must be integers"):
        run(x, y.float().masked_fill(y == 0, math.nan))
    with pytest.raises(ValueError, match="labels must lie in \\[0, 2\\]"):
        run(x, y + 1)
    with pytest.raises(ValueError, match="ipc=11 is larger than the 10"):
        run(x, y, DistillConfig(**{**BASE, "ipc": 11}))
    with pytest.raises(
        ValueError, match="max_start_epoch=4 and expert_epochs=2 need trajectories of at least 5"
    ):
        run(x, y, DistillConfig(**{**BASE, "max_start_epoch": 4}))
    with pytest.raises(ValueError, match="seeds must be distinct"):
        distill(spec, x, y, experts, [Variant("MTT")], cfg, seeds=[0, 0], progress=False)


def test_evaluate_rejects_bad_rates_and_data():
    spec, x, y, _ = _toy()
    cfg = eval_config(2, batch_size=8)
    for lr in (0.0, -0.01, math.nan):
        with pytest.raises(ValueError, match="lr must be finite and > 0 for every set"):
            evaluate(spec, x[:6], y[:6], lr, x, y, cfg, n_nets=1)
    nan_x = x[:6].clone()
    nan_x[0] = math.nan
    with pytest.raises(ValueError, match="images must be finite"):
        evaluate(spec, nan_x, y[:6], 0.01, x, y, cfg, n_nets=1)
    with pytest.raises(ValueError, match="n_nets must be an integer >= 1"):
        evaluate(spec, x[:6], y[:6], 0.01, x, y, cfg, n_nets=0)
    with pytest.raises(ValueError, match="labels must be integers"):
        evaluate(spec, x[:6], y[:6].float(), 0.01, x, y, cfg, n_nets=1)


@pytest.mark.parametrize(
    "override, message",
    [
        ({"expert_lr": 0.0}, "expert_lr must be a finite number > 0"),
        ({"seeds": 0}, "seeds must be an integer >= 1"),
        ({"dataset": "imagenet"}, "dataset must be one of"),
        ({"ablation_ipc": 3}, "ablation_ipc must be one of the runs' distinct IPCs"),
        ({"expert_epochs": 4}, "matches up to expert epoch 6 .* expert_epochs=4 is too few"),
        ({"image_size": -1}, "image_size must be an integer >= 0"),
        ({"val_fraction": 1.0}, "val_fraction must lie in \\[0, 1\\), got 1.0"),
        ({"val_fraction": -0.1}, "val_fraction must lie in \\[0, 1\\)"),
        ({"random_lrs": ()}, "random_lrs must be a non-empty tuple of rates > 0, got \\(\\)"),
        ({"random_lrs": (0.05, 0.0)}, "random_lrs must be a non-empty tuple of rates > 0"),
        ({"val_fraction": 0.0}, "random_lrs=.* validation split; val_fraction must be > 0"),
        ({"extra_variants": ("MTT", "DM")}, "extra_variants must be among"),
    ],
)
def test_profile_rejects(override, message):
    with pytest.raises(ValueError, match=message):
        config("cpu", **override)


def test_load_rejects_a_bad_validation_fraction():
    from support.distill.data import load

    with pytest.raises(ValueError, match="val_fraction must lie in \\[0, 1\\), got 1.5"):
        load("digits", val_fraction=1.5)
