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
