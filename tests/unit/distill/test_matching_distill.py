import math

import pytest
import torch

from support.distill.convnet import ConvNetSpec, forward, init_params
from support.distill.distill import (
    DistillConfig,
    DistillResult,
    Variant,
    balance_weight,
    distill,
    student_step,
)
from support.distill.experts import ExpertSet, plain_experts
from support.distill.matching import matching_loss


def test_matching_loss_is_zero_at_target_and_one_without_moving():
    gen = torch.Generator().manual_seed(0)
    start, target = torch.randn(4, 50, generator=gen), torch.randn(4, 50, generator=gen)
    assert torch.allclose(matching_loss(target, start, target), torch.zeros(4))
    assert torch.allclose(matching_loss(start, start, target), torch.ones(4))
    with pytest.raises(ValueError, match="same shape"):
        matching_loss(start[:, :3], start, target)


def _unrolled_loss(spec, start, target, x, y, lr, steps):
    theta = start.clone().requires_grad_(True)
    buf = torch.zeros_like(theta)
    for _ in range(steps):
        theta, buf = student_step(spec, theta, buf, x, y, lr)
    return matching_loss(theta, start, target).sum()


def test_gradient_wrt_synthetic_images_matches_finite_differences():
    torch.set_default_dtype(torch.float64)
    try:
        spec = ConvNetSpec(1, 4, 2, width=2, depth=1)
        gen = torch.Generator().manual_seed(3)
        start = init_params(spec, 1, gen).double()
        target = start + 0.1 * torch.randn(start.shape, generator=gen)
        x = torch.randn(1, 2, 1, 4, 4, generator=gen).requires_grad_(True)
        y = torch.tensor([[0, 1]])
        lr = torch.tensor([0.5], requires_grad=True)
        loss = _unrolled_loss(spec, start, target, x, y, lr, steps=3)
        gx, glr = torch.autograd.grad(loss, (x, lr))
        eps = 1e-6
        for idx in [(0, 0, 0, 1, 2), (0, 1, 0, 3, 0), (0, 0, 0, 2, 2)]:
            xp, xm = x.detach().clone(), x.detach().clone()
            xp[idx] += eps
            xm[idx] -= eps
            fd = (
                _unrolled_loss(spec, start, target, xp, y, lr.detach(), 3)
                - _unrolled_loss(spec, start, target, xm, y, lr.detach(), 3)
            ).detach() / (2 * eps)
            assert math.isclose(
                float(gx[idx].detach()), float(fd.detach()), rel_tol=1e-5, abs_tol=1e-9
            )
        fd_lr = (
            _unrolled_loss(spec, start, target, x.detach(), y, lr.detach() + eps, 3)
            - _unrolled_loss(spec, start, target, x.detach(), y, lr.detach() - eps, 3)
        ) / (2 * eps)
        assert math.isclose(float(glr.detach()), float(fd_lr.detach()), rel_tol=1e-5)
    finally:
        torch.set_default_dtype(torch.float32)


def test_balance_weight_follows_ast():
    w = balance_weight(torch.tensor([0, 5, 10, 19]), 20)  # h = 10
    expected = [1 / math.log(18, 5), 1 / math.log(13, 5), math.log(8, 5), math.log(17, 5)]
    assert torch.allclose(w, torch.tensor(expected, dtype=torch.float32))


def _toy(epochs=4):
    spec = ConvNetSpec(1, 8, 3, width=4, depth=2)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(30, 1, 8, 8, generator=gen)
    y = torch.arange(3).repeat(10)
    traj = torch.cumsum(
        0.01 * torch.randn(2, epochs + 1, spec.num_params, generator=gen), 1
    ) + init_params(spec)
    return spec, x, y, {"plain": ExpertSet(traj, plain_experts(epochs), spec)}


def test_distill_runs_keeps_lr_positive_and_changes_images():
    spec, x, y, experts = _toy()
    cfg = DistillConfig(
        ipc=2,
        iterations=3,
        syn_steps=4,
        expert_epochs=2,
        max_start_epoch=2,
        lr_img=10.0,
        lr_lr=1e-3,
        batch_syn=3,
        min_lr=1e-4,
    )
    variants = [
        Variant("MTT"),
        Variant(
            "all",
            init="kmeans",
            balance=True,
            intermediate="adaptive",
            perturb=True,
            student_momentum=0.9,
        ),
    ]
    res = distill(spec, x, y, experts, variants, cfg, seeds=[0, 1], progress=False)
    assert res.images.shape == (4, 6, 1, 8, 8) and res.losses.shape == (3, 4)
    assert torch.isfinite(res.losses).all() and (res.lrs >= 1e-4).all()
    assert not torch.allclose(res.images, res.init_images)
    # seeds pair the random initial images across variants
    assert torch.equal(
        res.init_images[0],
        distill(spec, x, y, experts, variants[:1], cfg, seeds=[0], progress=False).init_images[0],
    )


def test_distill_errors_are_clear():
    spec, x, y, experts = _toy(epochs=4)
    base = dict(iterations=1, syn_steps=2, expert_epochs=2, lr_img=1.0, lr_lr=1e-5)
    with pytest.raises(ValueError, match="max_start_epoch=4 and expert_epochs=2"):
        distill(
            spec,
            x,
            y,
            experts,
            [Variant("MTT")],
            DistillConfig(ipc=1, max_start_epoch=4, **base),
            progress=False,
        )
    with pytest.raises(ValueError, match="ipc=11 is larger than the 10"):
        distill(
            spec,
            x,
            y,
            experts,
            [Variant("MTT")],
            DistillConfig(ipc=11, max_start_epoch=1, **base),
            progress=False,
        )
    with pytest.raises(ValueError, match="trailing image shape"):
        distill(
            spec,
            x[:, :, :7, :7],
            y,
            experts,
            [Variant("MTT")],
            DistillConfig(ipc=1, max_start_epoch=1, **base),
        )
    with pytest.raises(ValueError, match="intermediate matching needs"):
        distill(
            spec,
            x,
            y,
            experts,
            [Variant("I", intermediate="uniform")],
            DistillConfig(
                ipc=1,
                max_start_epoch=1,
                iterations=1,
                syn_steps=1,
                expert_epochs=2,
                lr_img=1.0,
                lr_lr=1e-5,
            ),
        )
    with pytest.raises(ValueError, match="expert set 'smooth'"):
        distill(
            spec,
            x,
            y,
            experts,
            [Variant("S", experts="smooth")],
            DistillConfig(ipc=1, max_start_epoch=1, **base),
        )
    with pytest.raises(ValueError, match="augmentation families"):
        DistillConfig(ipc=1, max_start_epoch=1, augment=("colour",), **base)


def test_members_of_one_seed_share_every_draw():
    """Common random numbers: two variants with identical switches give identical runs at one seed."""
    spec, x, y, experts = _toy()
    cfg = DistillConfig(
        ipc=2, iterations=3, syn_steps=4, expert_epochs=2, max_start_epoch=2, lr_img=10.0,
        lr_lr=1e-3, batch_syn=3,
    )  # fmt: skip
    res = distill(
        spec, x, y, experts, [Variant("A"), Variant("B")], cfg, seeds=[0, 1], progress=False
    )
    a, b = res.rows("A"), res.rows("B")
    torch.testing.assert_close(res.images[a], res.images[b], rtol=0, atol=0)
    torch.testing.assert_close(res.losses[:, a], res.losses[:, b], rtol=0, atol=0)
    assert not torch.equal(res.images[a[0]], res.images[a[1]])  # seeds differ


def test_student_rate_scales_the_initial_rate_as_asts_code():
    spec, x, y, experts = _toy()
    cfg = DistillConfig(
        ipc=1, iterations=1, syn_steps=2, expert_epochs=2, max_start_epoch=2, lr_img=1.0,
        lr_lr=1e-9,
    )  # fmt: skip
    variants = [Variant("sgd"), Variant("mom", student_momentum=0.9, student_rate=1 / 3)]
    res = distill(spec, x, y, experts, variants, cfg, seeds=[0], progress=False)
    lr = experts["plain"].config.effective_lr
    torch.testing.assert_close(res.lrs[0], torch.tensor([lr, lr / 3]), rtol=1e-4, atol=0)


def test_ablation_momentum_student_starts_at_a_third_of_the_experts_rate():
    from support.distill.ablation import ablation_variants

    # AST: alpha starts at lr_teacher 0.01; its experts train at 0.003 with momentum 0.9
    rates = {v.name: (v.student_momentum, v.student_rate) for v in ablation_variants()}
    assert rates["MTT"] == (0.0, 1.0)
    for name in ("+student momentum", "AST (all)"):
        assert rates[name][0] == 0.9 and rates[name][1] == pytest.approx(1 / 3)
    assert all(v.student_rate == 1.0 for v in ablation_variants(student_momentum=0.0))


def test_student_step_follows_asts_heavy_ball_recurrence():
    from support.distill.distill import student_step

    spec, x, y, experts = _toy()
    theta0 = experts["plain"].trajectories[:1, 0].clone().requires_grad_(True)
    xb, yb = x[None, :6], y[None, :6]
    lr = torch.tensor([0.05])
    t1, b1 = student_step(spec, theta0, torch.zeros_like(theta0), xb, yb, lr, 0.9)
    t2, _ = student_step(spec, t1, b1, xb, yb, lr, 0.9)

    def grad(theta):
        theta = theta.detach().requires_grad_(True)
        ce = torch.nn.functional.cross_entropy(forward(spec, theta, xb)[0], yb[0])
        return torch.autograd.grad(ce, theta)[0]

    g0 = grad(theta0)
    g1 = grad(theta0 - 0.05 * g0)  # AST: b_0 = g_0, b_t = 0.9 b_(t-1) + g_t, theta -= syn_lr * b_t
    expected = theta0 - 0.05 * g0 - 0.05 * (0.9 * g0 + g1)
    torch.testing.assert_close(t2.detach(), expected.detach(), rtol=1e-5, atol=1e-7)


def test_windows_must_end_before_the_experts_rate_decay():
    from support.distill.experts import smooth_experts

    spec, x, y, experts = _toy(epochs=8)
    smooth = smooth_experts(8)  # rate decays after epoch 8 // 2 + 2 = 6
    experts = {"smooth": ExpertSet(experts["plain"].trajectories, smooth, spec)}
    base = dict(ipc=1, iterations=1, syn_steps=2, expert_epochs=2, lr_img=1.0, lr_lr=1e-5)
    with pytest.raises(
        ValueError, match="past the rate decay of expert set 'smooth' after epoch 6"
    ):
        distill(spec, x, y, experts, [Variant("S", experts="smooth")],
                DistillConfig(max_start_epoch=6, **base), progress=False)  # fmt: skip
    res = distill(spec, x, y, experts, [Variant("S", experts="smooth")],
                  DistillConfig(max_start_epoch=5, **base), progress=False)  # fmt: skip
    assert torch.isfinite(res.losses).all()
    distill(spec, x, y, experts, [Variant("S", experts="smooth")],
            DistillConfig(max_start_epoch=6, allow_decay_window=True, **base), progress=False)  # fmt: skip


def test_max_experts_draws_only_the_first_experts():
    from support.distill.distill import Members, draw_segments

    spec = ConvNetSpec(1, 8, 3, width=4, depth=1)
    # expert e's parameters are e everywhere, so a drawn snapshot names its expert
    trajs = {"plain": torch.arange(5.0)[:, None, None].expand(5, 4, spec.num_params)}
    base = dict(ipc=1, iterations=1, syn_steps=2, expert_epochs=2, max_start_epoch=2, lr_img=1.0)
    drawn = {}
    for limit in (None, 2):
        cfg = DistillConfig(lr_lr=1e-5, max_experts=limit, **base)
        members = Members.build([Variant("MTT")], list(range(40)), cfg, "cpu")
        _, snaps = draw_segments(trajs, members, cfg, torch.Generator().manual_seed(0))
        drawn[limit] = set(snaps[:, 0, 0].long().tolist())
    assert drawn[None] == {0, 1, 2, 3, 4} and drawn[2] == {0, 1}
    assert DistillConfig(lr_lr=1e-5, max_experts=9, **base).experts_used(5) == 5
    with pytest.raises(ValueError, match="max_experts must be an integer >= 1, got 0"):
        DistillConfig(lr_lr=1e-5, max_experts=0, **base)


def test_seed_batches_and_joined_batches():
    spec, x, y, experts = _toy()
    base = dict(ipc=1, iterations=2, syn_steps=2, expert_epochs=2, max_start_epoch=2, lr_img=1.0)
    cfg = DistillConfig(lr_lr=1e-5, seeds=5, seeds_per_batch=2, **base)
    assert cfg.seed_batches([7, 8, 9]) == [[7, 8], [9, 10], [11]]
    assert DistillConfig(lr_lr=1e-5, **base).seed_batches([3, 4]) == [[3, 4]]
    parts = [
        distill(spec, x, y, experts, [Variant("MTT")], cfg, seeds=b, progress=False)
        for b in cfg.seed_batches([0])
    ]
    joined = DistillResult.join(parts)
    assert joined.seeds == [0, 1, 2, 3, 4] and joined.images.shape[0] == 5
    assert joined.losses.shape == (2, 5)
    # the joined result keeps each batch's members, in order
    torch.testing.assert_close(joined.images[2:4], parts[1].images, rtol=0, atol=0)
    with pytest.raises(ValueError, match="seeds_per_batch must be an integer >= 0, got -1"):
        DistillConfig(lr_lr=1e-5, seeds_per_batch=-1, **base)
