"""The pre-set divergence rule (issue 21) catches a diverging distillation and passes a stable one."""

import pytest
import torch

from support.distill.distill import (
    DIVERGENCE_PIXEL_FACTOR,
    DistillConfig,
    DistillResult,
    Variant,
    distill,
    diverged,
)
from tests.unit.distill.test_matching_distill import _toy


def _result(final_scale, losses):
    init = torch.randn(3, 4, 1, 4, 4, generator=torch.Generator().manual_seed(0))
    images = init * torch.tensor(final_scale).view(3, 1, 1, 1, 1)
    losses = torch.tensor(losses, dtype=torch.float32).T  # (iterations, S)
    return DistillResult(
        ["MTT"] * 3, [0, 1, 2], images, torch.zeros(4), torch.ones(3), init, losses, losses
    )


def test_rule_flags_large_pixels_and_rising_loss_only():
    falling = [1.0 - 0.01 * i for i in range(40)]
    rising = [0.4] * 20 + [0.45] * 20  # jumps back up, as the record's seed 17 did
    res = _result([1.5, DIVERGENCE_PIXEL_FACTOR * 1.01, 1.0], [falling, falling, rising])
    assert diverged(res).tolist() == [False, True, True]
    assert diverged(res, pixel_factor=4.0).tolist() == [False, False, True]
    assert diverged(res, pixel_factor=4.0, loss_factor=1.2).tolist() == [False, False, False]


def test_rule_flags_non_finite_pixels():
    res = _result([1.0, 1.0, 1.0], [[1.0, 0.5]] * 3)
    res.images[1, 0, 0, 0, 0] = float("nan")
    assert diverged(res).tolist() == [False, True, False]


def test_a_distillation_driven_to_diverge_is_caught():
    spec, images, labels, experts = _toy()
    kw = dict(ipc=1, iterations=40, syn_steps=2, expert_epochs=1, max_start_epoch=1, lr_lr=1e-7)
    kw["augment"] = ()
    calm = distill(spec, images, labels, experts, [Variant("MTT")],
                   DistillConfig(lr_img=1e-3, **kw), seeds=[0, 1], progress=False)  # fmt: skip
    wild = distill(spec, images, labels, experts, [Variant("MTT")],
                   DistillConfig(lr_img=1e6, **kw), seeds=[0, 1], progress=False)  # fmt: skip
    assert not diverged(calm).any()
    assert diverged(wild).all()


def test_rule_rejects_bad_arguments():
    res = _result([1.0, 1.0, 1.0], [[1.0, 0.5]] * 3)
    with pytest.raises(ValueError, match="pixel_factor"):
        diverged(res, pixel_factor=0.0)
    with pytest.raises(ValueError, match="window"):
        diverged(res, window=0)


def test_perturb_scales_match_the_reference_network():
    import math

    from support.distill.convnet import ConvNetSpec, init_params
    from support.distill.distill import perturb, perturb_scales

    ref = ConvNetSpec(3, 32, 10, width=128, depth=3)
    assert perturb_scales(ref) == pytest.approx((1.0, 1.0, 1.0))
    small = ConvNetSpec(3, 16, 10, width=16, depth=2)
    scales = perturb_scales(small)
    assert scales == pytest.approx((math.sqrt(432 / 3456), math.sqrt(2304 / 147456)))
    # relative noise per conv layer: ours with the scales ~ the reference's 1 / sqrt(n_ref)
    params = init_params(small, 1, torch.Generator().manual_seed(0)).repeat(200, 1)
    out = perturb(small, params, torch.Generator().manual_seed(1), scales)
    start = 0
    convs = [shape for _, shape in small.shapes()]
    for n_ref in (3456, 147456):
        while len(convs[0]) != 4:
            start += math.prod(convs.pop(0))
        n = math.prod(convs.pop(0))
        seg = slice(start, start + n)
        rel = ((out[:, seg] - params[:, seg]).norm(dim=1) / params[:, seg].norm(dim=1)).mean()
        assert float(rel) == pytest.approx(1 / math.sqrt(n_ref), rel=0.1)
        start += n
    with pytest.raises(ValueError, match="scale"):
        perturb(small, params[:1], torch.Generator(), (1.0,))
