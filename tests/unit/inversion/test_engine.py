"""The engine against torch's own Adam and LR schedulers, its strategies, stopping and bookkeeping."""

import pytest
import torch
from torch import nn

from support.inversion.client import client_update
from support.inversion.engine import Problem, Settings, objective, prepare, run
from support.inversion.masks import dropout_layers, mask_shapes
from support.inversion.models import build_model

SHAPE = (1, 1, 6, 6)
P = 0.25


def _setup(n=1, arch="mlp", seed=0):
    kw = {"width": 16} if arch == "mlp" else {"channels": (4, 4)}
    model = build_model(arch, SHAPE[1:], p=P, seed=seed, **kw)
    g = torch.Generator().manual_seed(seed)
    upd = client_update(model, torch.randn(SHAPE, generator=g), torch.tensor([3]), seed=seed)
    net = prepare(model)
    shapes = mask_shapes(net, SHAPE)
    probs = [
        Problem(
            upd.gradients,
            upd.labels,
            torch.randn(SHAPE, generator=g),
            {k: torch.bernoulli(torch.full(s, 1 - P), generator=g) for k, s in shapes.items()},
            {k: 1 / (1 - P) for k in shapes},
            p=P,
            learn_masks=True,
            mask_reg=1e-4,
        )
        for _ in range(n)
    ]
    return model, net, probs, upd


def _torch_reference(model, pr, upd, iterations, schedule, box):
    """Plain autograd with torch.optim.Adam and torch's schedulers: the loss per iteration."""
    net = prepare(model)
    layers = list(dropout_layers(net).values())
    params = [q.requires_grad_(True) for q in net.parameters()]
    x = pr.x0.clone().requires_grad_(True)
    masks = [pr.masks0[k].clone().requires_grad_(True) for k in dropout_layers(net)]
    opt = torch.optim.Adam([x, *masks], lr=0.1)
    if schedule == "plateau":
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.1, patience=3)
    else:
        steps = sorted({round(f * iterations) for f in (3 / 8, 5 / 8, 7 / 8)})
        sched = torch.optim.lr_scheduler.MultiStepLR(opt, steps, gamma=0.1)
    tnorm = torch.sqrt(sum((t**2).sum() for t in upd.gradients))
    losses = []
    for _ in range(iterations):
        for layer, m in zip(layers, masks):
            layer.mask, layer.scale = m, torch.tensor(1 / (1 - P))
        ce = nn.functional.cross_entropy(net(x), upd.labels)
        g = torch.autograd.grad(ce, params, create_graph=True)
        dot = sum((a * b).sum() for a, b in zip(g, upd.gradients))
        rec = 1 - dot / (torch.sqrt(sum((a * a).sum() for a in g)) * tnorm + 1e-8)
        tv = (x[..., :, 1:] - x[..., :, :-1]).abs().mean() + (
            x[..., 1:, :] - x[..., :-1, :]
        ).abs().mean()
        total = rec + 1e-5 * tv + 1e-4 * sum(((1 - m.mean()) - P).abs() for m in masks)
        opt.zero_grad()
        total.backward()
        x.grad.sign_()
        opt.step()
        with torch.no_grad():
            x.clamp_(*box)
            for m in masks:
                m.clamp_(0, 1)
        sched.step(total.item()) if schedule == "plateau" else sched.step()
        losses.append(total.item())
    return torch.tensor(losses)


@pytest.mark.parametrize("schedule", ["plateau", "multistep"])
def test_engine_follows_torch_adam_and_schedulers(schedule):
    model, net, probs, upd = _setup()
    box = (-2.0, 2.0)
    ref = _torch_reference(model, probs[0], upd, 10, schedule, box)
    s = Settings(
        iterations=10,
        schedule=schedule,
        patience=3,
        stop_patience=None,
        stop_loss=None,
        box=(torch.tensor([box[0]]), torch.tensor([box[1]])),
        strategy="loop",
    )
    ours = run(net, probs, s).loss[0]
    torch.testing.assert_close(ours, ref, atol=2e-5, rtol=0)


@pytest.mark.parametrize("arch", ["mlp", "cnn"])
def test_vmap_and_loop_strategies_agree(arch):
    _, net, probs, _ = _setup(n=4, arch=arch)
    kw = dict(iterations=8, stop_patience=None, stop_loss=None)
    a = run(net, probs, Settings(strategy="loop", **kw))
    b = run(net, probs, Settings(strategy="vmap", **kw))
    torch.testing.assert_close(a.loss, b.loss, atol=1e-4, rtol=0)


def test_loop_result_does_not_depend_on_the_other_problems():
    _, net, probs, _ = _setup(n=3)
    kw = dict(iterations=6, strategy="loop")
    together = run(net, probs, Settings(**kw))
    alone = run(net, probs[1:2], Settings(**kw))
    assert torch.equal(together.images[1], alone.images[0])


def test_best_loss_is_the_loss_of_the_returned_iterate():
    _, net, probs, _ = _setup(n=2)
    res = run(net, probs, Settings(iterations=12, strategy="loop"))
    f = objective(net)
    layers = list(dropout_layers(net))
    tnorm = torch.sqrt(sum((t**2).sum() for t in probs[0].target))
    for i, pr in enumerate(probs):
        total, rec = f(
            res.images[i],
            tuple(res.masks[k][i] for k in layers),
            tuple(torch.tensor(pr.scales[k]) for k in layers),
            tuple(pr.target),
            tnorm,
            pr.labels,
            torch.tensor(P),
            torch.tensor(1e-4),
            torch.tensor(1e-5),
        )
        assert abs(float(total) - float(res.best_loss[i])) < 1e-5
        assert abs(float(rec) - float(res.best_gradient_loss[i])) < 1e-5
        assert float(res.best_loss[i]) == float(torch.nanquantile(res.loss[i], 0.0))


def test_early_stopping_and_loss_threshold():
    _, net, probs, _ = _setup(n=2)
    res = run(net, probs, Settings(iterations=50, stop_loss=10.0))  # any loss is below 10
    assert res.stopped.tolist() == [1, 1] and torch.isnan(res.loss[:, 1:]).all()
    res = run(net, probs, Settings(iterations=400, lr=1e-9, stop_patience=3, stop_loss=None))
    assert (res.stopped < 400).all()  # no progress at a vanishing step size: stops on patience


def test_plateau_cuts_the_step_only_after_patience():
    from support.inversion.schedule import _State

    st = _State(1, 10, Settings(iterations=10, patience=2, stop_patience=None), "cpu")
    for it, loss in enumerate([1.0, 1.0, 1.0, 1.0]):
        st.record(torch.tensor([loss]), torch.tensor([loss]))
        st.schedule(it, torch.tensor([loss]))
    assert float(st.lr[0]) == pytest.approx(0.01)  # 3 bad iterations > patience 2: one cut


def test_cosine_loss_is_finite_at_a_zero_gradient():
    # issue 20 item 1: a dummy gradient of exactly 0 (every unit dropped) must not give NaN
    from support.inversion.objective import _cosine_total

    g = [torch.zeros(3, 4, requires_grad=True), torch.zeros(4, requires_grad=True)]
    target = [torch.ones(3, 4), torch.ones(4)]
    tnorm = torch.sqrt(sum((t**2).sum() for t in target))
    x = torch.zeros(1, 1, 4, 4, requires_grad=True)
    masks = [torch.zeros(2, 5)]  # all units dropped
    total, rec = _cosine_total(g, target, tnorm, x, masks, 0.5, 0.1, 0.0)
    assert float(rec) == 1.0 and torch.isfinite(total)
    total.backward()
    assert all(torch.isfinite(t.grad).all() for t in g)


def test_fused_products_equal_autograds_bit_for_bit():
    # the loop strategy's hand-written backward of <g, t> and <g, g> against autograd's own
    from support.inversion.objective import _FusedProducts, _products

    gen = torch.Generator().manual_seed(0)
    w = [torch.randn(s, generator=gen, requires_grad=True) for s in [(13, 7), (5,), (1, 31)]]
    target = [torch.randn(q.shape, generator=gen) for q in w]
    scratch = [(torch.empty_like(q), torch.empty_like(q)) for q in w]
    grads = []
    for f in (_products, lambda g, t: _FusedProducts.apply(scratch, t, *g)):
        g = [torch.tanh(q) * 3 for q in w]  # a graph behind g, as the model's gradient has
        dot, sq = f(g, target)
        objective = 1 - dot / (torch.sqrt(sq) * 2.0)
        grads.append((dot, sq, torch.autograd.grad(objective, w)))
    (d0, s0, g0), (d1, s1, g1) = grads
    assert torch.equal(d0, d1) and torch.equal(s0, s1)
    assert all(torch.equal(a, b) for a, b in zip(g0, g1))


def _staggered(strategy):
    """Four problems whose early stops fall at different iterations, run together."""
    _, net, probs, _ = _setup(n=4)
    s = Settings(iterations=60, patience=2, stop_patience=3, stop_loss=None, strategy=strategy)
    together = run(net, probs, s)
    assert len(set(together.stopped.tolist())) > 1  # the stops are staggered
    loop = Settings(**{**s.__dict__, "strategy": "loop"})
    return together, [run(net, [pr], loop) for pr in probs]


def test_problems_stopping_at_different_times_keep_their_own_results():
    # after some problems stop, the others go on alone: each equals its own run
    together, alones = _staggered("loop")
    for i, alone in enumerate(alones):
        assert together.stopped[i] == alone.stopped[0]
        torch.testing.assert_close(together.images[i], alone.images[0], atol=1e-5, rtol=0)
        for k in alone.masks:
            torch.testing.assert_close(together.masks[k][i], alone.masks[k][0], atol=1e-5, rtol=0)
        torch.testing.assert_close(
            together.loss[i], alone.loss[0], atol=1e-5, rtol=0, equal_nan=True
        )


def test_vmap_with_staggered_stops_follows_the_loop_until_chaos_sets_in():
    # vmap agrees with the loop to float32 rounding, not bit for bit, and the signed
    # steps amplify rounding (on AVX2 kernels the images differed by 0.16 after 60
    # iterations), so only the first iterations and the stop bookkeeping are compared
    together, alones = _staggered("vmap")
    for i, alone in enumerate(alones):
        torch.testing.assert_close(together.loss[i, :5], alone.loss[0, :5], rtol=1e-4, atol=1e-6)
        n = int(together.stopped[i])
        assert (
            torch.isfinite(together.loss[i, :n]).all() and torch.isnan(together.loss[i, n:]).all()
        )
