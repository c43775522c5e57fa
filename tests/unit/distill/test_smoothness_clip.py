import math

import pytest
import torch

from support.distill.ablation import smoothness
from support.distill.convnet import ConvNetSpec, init_params
from support.distill.experts import smooth_experts
from support.distill.train import SGDConfig, batch_loss


def test_straight_constant_rate_trajectory_is_perfectly_smooth():
    direction = torch.tensor([3.0, 4.0])
    start = torch.tensor([100.0, 0.0])
    traj = torch.stack([start + e * direction for e in range(7)])[None]  # (1, 7, 2)
    s = smoothness(traj)
    # relative change ||d|| / ||theta_e|| shrinks slowly as ||theta_e|| grows: closed form
    norms = [math.hypot(100 + 3 * e, 4 * e) for e in range(6)]
    change = sorted(5 / n for n in norms)
    assert s["peak_ratio"] == pytest.approx(change[-1] / change[len(change) // 2 - 1], rel=1e-5)
    assert s["direction_cos"] == pytest.approx(1.0, abs=1e-6)


def test_zigzag_and_spike_are_scored_rough_and_window_restricts():
    base = torch.tensor([10.0, 0.0])
    steps = [torch.tensor([1.0, 1.0]), torch.tensor([1.0, -1.0])] * 3
    pts = [base]
    for d in steps:
        pts.append(pts[-1] + d)
    zigzag = torch.stack(pts)[None]
    assert smoothness(zigzag)["direction_cos"] == pytest.approx(0.0, abs=1e-6)
    spike = torch.stack([base + torch.tensor([e * 0.1, 0.0]) for e in range(5)] + [base * 3])[None]
    assert smoothness(spike)["peak_ratio"] > 10
    assert smoothness(spike, window=4)["peak_ratio"] == pytest.approx(
        smoothness(spike[:, :5])["peak_ratio"]
    )
    with pytest.raises(ValueError, match="at least 2 epochs"):
        smoothness(spike, window=1)


def test_clipping_ramp_scales_the_cross_entropy_only_in_early_epochs():
    spec = ConvNetSpec(1, 8, 3, width=4, depth=1)
    params = init_params(spec, 2, torch.Generator().manual_seed(0))
    x = torch.randn(2, 5, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    y = torch.randint(3, (2, 5), generator=torch.Generator().manual_seed(2))
    plain = SGDConfig(epochs=8)
    clipped = SGDConfig(epochs=8, clip_loss=True, clip_epochs=4)
    ref = batch_loss(spec, params, x, y, plain, 0, None)
    for epoch, factor in [(0, 0.5), (1, 0.625), (3, 0.875), (4, 1.0), (7, 1.0)]:
        got = batch_loss(spec, params, x, y, clipped, epoch, None)
        torch.testing.assert_close(got, ref * factor)
    # AST's code: 0.5, 0.55, ..., 0.95 over 10 epochs
    ten = SGDConfig(epochs=12, clip_loss=True)
    torch.testing.assert_close(batch_loss(spec, params, x, y, ten, 9, None), ref * 0.95)
    with pytest.raises(ValueError, match="clip_epochs"):
        SGDConfig(epochs=3, clip_epochs=0)


def test_smooth_expert_rate_decays_after_epoch_half_plus_one_as_in_ast():
    cfg = smooth_experts(50)
    assert cfg.decay_epoch == 27 and cfg.decay_factor == 0.6 and cfg.gp_norm == "pixel"
