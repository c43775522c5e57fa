"""The sweep's building blocks: cached retrains, checkpoints, rank aggregation, degenerate pairs."""

import numpy as np
import pytest

from support.influence.evaluation import Setting, checkpoints
from support.influence.experiments import degenerate_share
from support.influence.models import make_model, raw_margin, retrain
from support.influence.ranks import bootstrap_ranks, mean_ranks, summarise
from support.influence.store import RetrainStore


def test_checkpoints_follow_the_paper_grid():
    grid = (0.001, 0.005, 0.01, 0.015, 0.02)
    assert checkpoints(1000, grid)[1] == [1, 5, 10, 15, 20]
    assert checkpoints(455, grid) == ([0.001, 0.005, 0.01, 0.015, 0.02], [1, 2, 4, 6, 9])
    assert checkpoints(142, grid) == ([0.001, 0.015], [1, 2])  # floor, at least 1, each k once


def test_store_shares_retrains_caches_each_and_keeps_every_class(datasets, tmp_path, monkeypatch):
    monkeypatch.setenv("SUPPORT_CACHE_DIR", str(tmp_path))
    X, y = datasets["multiclass"]
    model = make_model("xgboost", "multiclass", 5, 4).fit(X, y)
    store = RetrainStore(model, X, y, X[:10], key=dict(pair="iris"))
    a = store.drop([3, 1])
    assert store.drop(np.array([1, 3])) is a and (store.fits, store.hits) == (1, 1)
    expected = raw_margin(retrain(model, np.delete(X, [1, 3], 0), np.delete(y, [1, 3])), X[:10])
    np.testing.assert_allclose(a, expected)
    # a second store (a resumed run) reads that retrain from disk: nothing refitted
    again = RetrainStore(model, X, y, X[:10], key=dict(pair="iris"))
    np.testing.assert_array_equal(again.drop([1, 3]), a)
    assert again.fits == 0
    assert len(list((tmp_path / "influence" / "retrains").glob("*.joblib"))) == 1
    # removing every example of class 2 keeps its last-ranked one, so XGBoost can still fit 3 classes
    m = store.drop(np.flatnonzero(y == 2))
    assert store.kept_class == 1 and m.shape == (10, 3)
    assert store.relabel(np.where(y == 2, 0, y)).shape == (10, 3) and store.kept_class == 2


def _setting(loss):
    loss = np.asarray(loss, dtype=float)
    return Setting(["a", "b", "c"], [0.1, 0.2], [1, 2], loss, base=np.ones(loss.shape[1]))


def test_ranks_average_examples_then_checkpoints_then_pairs():
    # pair 1: a best at both checkpoints; pair 2: b best at ckpt 1, a and b tie at ckpt 2
    p1 = _setting([[[3, 3], [3, 3]], [[2, 2], [2, 2]], [[1, 1], [1, 1]]])
    p2 = _setting([[[1, 2], [1, 2]], [[2, 2], [2, 2]], [[0, 0], [0, 0]]])
    r = mean_ranks([p1, p2], ["a", "b", "c"], higher_is_better=True)
    np.testing.assert_allclose(r.to_numpy(), [(1 + (2 + 1.5) / 2) / 2, (2 + (1 + 1.5) / 2) / 2, 3])
    boot = bootstrap_ranks([p1, p2], ["a", "b", "c"], True, n_boot=50)
    assert boot.shape == (50, 3) and (boot["c"] == 3).all()
    table = summarise([p1, p2], ["a", "b", "c"], n_boot=50)
    assert list(table.index) == ["a", "b", "c"] and {"lo95", "hi95"} <= set(table.columns)


def test_degenerate_share():
    inf = np.zeros((50, 4))
    inf[:, 0] = np.random.default_rng(0).normal(size=50)
    inf[:, 1] = 1e-17 * np.random.default_rng(1).normal(size=50)  # floating-point noise
    assert degenerate_share(inf) == pytest.approx(0.75)


def _tiny_sweep_config():
    from support.influence.config import config

    return config(
        "smoke",
        combos=(("breast_cancer", "lightgbm"),),
        n_estimators=5,
        max_train=60,
        n_test=2,
        single_fracs=(0.02, 0.05),
        set_fracs=(0.1,),
        fix_fracs=(0.1,),
        ranked=("boostin", "random", "loo"),
        separate=(),
        extra=(),
    )


def test_sweep_cells_equal_one_store_over_all_methods_and_resume(tmp_path, monkeypatch):
    from support.influence.evaluation import single_removal
    from support.influence.experiments import influence, prepare_pair, run_pairs

    monkeypatch.setenv("SUPPORT_CACHE_DIR", str(tmp_path))
    log = tmp_path / "executor.log"
    monkeypatch.setenv("SUPPORT_EXECUTOR_LOG", str(log))
    monkeypatch.delenv("SUPPORT_EXECUTOR", raising=False)
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    cfg = _tiny_sweep_config()
    np.random.seed(3)  # noqa: NPY002 - the caller's global state must not matter
    (first,) = run_pairs(cfg)
    (again,) = run_pairs(cfg)
    runs = [line.split() for line in log.read_text().splitlines()]
    assert runs == [
        ["serial", "support.influence.experiments.run_method", "3", "3"],
        ["serial", "support.influence.experiments.run_method", "3", "0"],
    ]
    assert first["single_removal"].methods == ["boostin", "random", "loo"]
    assert first["fix_mislabelled"].methods == ["boostin", "random"]  # LOO is not refitted
    np.testing.assert_array_equal(first["set_removal"].loss, again["set_removal"].loss)
    # the pre-executor way: one store, every method's influences, one evaluation
    pair = prepare_pair("breast_cancer", "lightgbm", cfg, seed=1)
    store = RetrainStore(pair.model, pair.X, pair.y, pair.X_test, pair.key, cache=False)
    T = len(pair.single)
    inf = {m: influence(m, pair, store, cfg)[0][:, :T] for m in cfg.methods}
    base = pair.loss(raw_margin(pair.model, pair.X_test), pair.single)
    rows, y = pair.single, pair.y_test[pair.single]
    expected = single_removal(store, inf, rows, y, pair.task, cfg.single_fracs, base)
    np.testing.assert_array_equal(first["single_removal"].loss, expected.loss)
    for m in cfg.methods:
        np.testing.assert_array_equal(first["influence"][m], inf[m])


def test_stack_settings_rejects_different_evaluations():
    from support.influence.evaluation import stack_settings

    a = _setting(np.zeros((3, 2, 2)))
    b = Setting(["d"], [0.1], [1], np.zeros((1, 2, 1)), base=np.ones(2))
    with pytest.raises(ValueError, match="parts must be the same evaluation"):
        stack_settings([a, b])
    both = stack_settings([a, a])
    assert both.methods == ["a", "b", "c"] * 2 and both.loss.shape == (6, 2, 2)


def test_loo_top1_is_the_single_removal_that_raises_the_loss_most(tmp_path, monkeypatch):
    """Sanity check (was the claim loo-single-best, which LOO passes by construction at k = 1)."""
    monkeypatch.setenv("SUPPORT_CACHE_DIR", str(tmp_path))
    from support.influence.config import config
    from support.influence.evaluation import single_removal
    from support.influence.experiments import influence, prepare_pair
    from support.influence.store import RetrainStore

    cfg = config("smoke", max_train=60, n_test=2)
    pair = prepare_pair("breast_cancer", "lightgbm", cfg, seed=1)
    store = RetrainStore(pair.model, pair.X, pair.y, pair.X_test, pair.key, cache=False)
    infs = {m: influence(m, pair, store, cfg)[0][:, :2] for m in ("loo", "boostin", "random")}
    s = single_removal(store, infs, pair.single, pair.y_test[pair.single], pair.task, (0.001,))
    assert s.ks == [1]
    loo = s.methods.index("loo")
    assert np.all(s.loss[loo, :, 0] >= s.loss[:, :, 0].max(axis=0) - 1e-12)
