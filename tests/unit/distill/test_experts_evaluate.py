import pytest
import torch

from support.core.cache import Cache
from support.distill.convnet import ConvNetSpec
from support.distill.evaluate import eval_config, evaluate
from support.distill.experts import plain_experts, smooth_experts, train_experts


def _data():
    gen = torch.Generator().manual_seed(0)
    return torch.randn(40, 1, 8, 8, generator=gen), torch.arange(4).repeat(10)


class Interrupt(Exception):
    pass


@pytest.mark.parametrize("make", [plain_experts, smooth_experts])
def test_interrupted_expert_run_resumes_to_the_same_trajectory(tmp_path, make):
    spec = ConvNetSpec(1, 8, 4, width=4, depth=2)
    x, y = _data()
    cfg = make(5, batch_size=16, augment=("color", "crop", "scale"))
    reference = train_experts(spec, x, y, cfg, 2, seed=1, progress=False).trajectories
    assert reference.shape == (2, 6, spec.num_params)
    cache = Cache("distill/experts", root=tmp_path)

    def stop(epoch):
        if epoch == 3:
            raise Interrupt

    with pytest.raises(Interrupt):
        train_experts(spec, x, y, cfg, 2, seed=1, cache=cache, on_epoch=stop, progress=False)
    assert len(list(cache.dir.glob("*.joblib"))) == 4  # init + epochs 1..3, each written whole
    seen = []
    resumed = train_experts(
        spec, x, y, cfg, 2, seed=1, cache=cache, on_epoch=seen.append, progress=False
    ).trajectories
    assert seen == [4, 5]  # only the missing epochs were trained
    torch.testing.assert_close(resumed, reference, rtol=0, atol=0)
    again = train_experts(
        spec, x, y, cfg, 2, seed=1, cache=cache, on_epoch=seen.append, progress=False
    )
    assert seen == [4, 5] and torch.equal(again.trajectories, reference)


def test_evaluate_reports_final_and_best():
    spec = ConvNetSpec(1, 8, 4, width=4, depth=2)
    x, y = _data()
    sets = torch.stack([x[:8], x[8:16]])
    cfg = eval_config(4, batch_size=8)
    acc = evaluate(spec, sets, y[:8], torch.tensor([0.01, 0.02]), x, y, cfg, n_nets=3, test_every=1)
    assert acc.final.shape == acc.best.shape == (2, 3)
    assert ((acc.final >= 0) & (acc.final <= 1)).all()
    assert (acc.best >= acc.final).all()
    # best is the maximum over the per-epoch tests: train epoch by epoch and compare
    from support.distill.convnet import init_params
    from support.distill.train import accuracy, train

    nets = init_params(spec, 3, torch.Generator().manual_seed(0))
    seen = []
    train(
        spec, nets, x[:8][None].expand(3, -1, -1, -1, -1), y[:8][None].expand(3, -1), cfg,
        lr=torch.full((3,), 0.01), on_epoch=lambda e, th, b: seen.append(accuracy(spec, th, x, y)),
    )  # fmt: skip
    torch.testing.assert_close(acc.best[0], torch.stack(seen).max(0).values)
    torch.testing.assert_close(acc.final[0], seen[-1])


def test_caches_carry_the_distill_package_hash(tmp_path):
    """Expert epochs and distillation runs are keyed by a hash of support.distill's source."""
    import support.distill
    from support.core.cache import source_hash

    for namespace in ("distill/experts", "distill/runs"):
        cache = Cache(namespace, root=tmp_path)
        assert cache.code_hash == source_hash(support.distill)
        key = {"a": 1}
        before = cache.path(key)
        cache.code_hash = "edited"
        assert cache.path(key) != before  # a code change misses the old entries
