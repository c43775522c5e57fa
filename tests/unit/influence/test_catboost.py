"""CatBoost parser: raw predictions, Newton leaves, refusals, explainers (skipped without catboost)."""

import numpy as np
import pytest

cb = pytest.importorskip("catboost")

from scipy.special import softmax  # noqa: E402

from support.influence import UnsupportedModelError, parse_model  # noqa: E402
from support.influence.explainers import BoostIn, LeafRefit  # noqa: E402
from support.influence.models import make_model, raw_margin  # noqa: E402
from support.influence.parsers.catboost import parse_catboost  # noqa: E402
from support.influence.trace import Trace  # noqa: E402

from .test_explainers import _brute_force_refit  # noqa: E402


def _fit(task, X, y, n_estimators=15, **kw):
    model = make_model(task=task, library="catboost", n_estimators=n_estimators, **kw)
    return model.fit(X, y)


@pytest.mark.parametrize("task", ["regression", "binary"])
def test_predictions_and_newton_leaves(task, datasets):
    X, y = datasets[task]
    model = _fit(task, X, y, max_leaves=7, learning_rate=0.3, l2_leaf_reg=2.0)
    ens = parse_model(model)
    assert ens.library == "catboost" and ens.l2 == 2.0
    ref = raw_margin(model, X)
    assert np.abs(ens.raw_predict(X) - ref).max() < 1e-6
    # stored leaves are learning_rate * -G / (H + l2_leaf_reg), l2 unscaled for unit weights
    assert Trace(ens, X, y).newton_error() < 1e-6


def test_regression_bias_is_the_mean(datasets):
    X, y = datasets["regression"]
    ens = parse_model(_fit("regression", X, y, n_estimators=3))
    assert ens.bias[0] == pytest.approx(y.mean(), abs=1e-5)  # boost_from_average


def test_multiclass_predictions_exact_but_leaves_use_the_full_hessian(datasets):
    X, y = datasets["multiclass"]
    model = _fit("multiclass", X, y, max_leaves=7, learning_rate=0.3)
    with pytest.raises(UnsupportedModelError, match="MultiClass"):
        parse_model(model)
    ens = parse_catboost(model, allow_multiclass=True)
    assert np.abs(ens.raw_predict(X) - raw_margin(model, X)).max() < 1e-6
    tr = Trace(ens, X, y)
    # the diagonal K/(K-1) Hessian does not reproduce the leaves past round 0 ...
    assert tr.newton_error() > 1e-3
    # ... the full softmax Hessian per leaf does: -(sum(diag p - p p^T) + l2 I)^-1 G
    K, Y, err = ens.n_outputs, np.eye(ens.n_outputs)[y], 0.0
    for r in range(ens.n_rounds):
        p = softmax(tr.margins[r], axis=1)
        leaves = tr.leaves[:, r * K]
        for leaf in np.unique(leaves):
            pi = p[leaves == leaf]
            H = np.diag(pi.sum(0)) - pi.T @ pi + ens.l2 * np.eye(K)
            step = -ens.learning_rate * np.linalg.solve(H, (pi - Y[leaves == leaf]).sum(0))
            stored = [ens.trees[r * K + c].values[leaf] for c in range(K)]
            err = max(err, np.abs(step - stored).max())
    assert err < 1e-6


@pytest.mark.parametrize(
    "kw",
    [
        {"bootstrap_type": "Bayesian", "bagging_temperature": 0.0},
        {"bootstrap_type": "Bernoulli", "subsample": 1.0},
        {"random_strength": 5.0, "rsm": 0.5},
    ],
)
def test_allowed_settings_keep_newton_leaves(kw, datasets):
    X, y = datasets["binary"]
    ens = parse_model(_fit("binary", X, y, n_estimators=8, **kw))
    assert Trace(ens, X, y).newton_error() < 1e-6


@pytest.mark.parametrize(
    "task, kw, words",
    [
        ("binary", {"bootstrap_type": None}, "bootstrap_type='MVS'"),  # CatBoost's CPU default
        ("binary", {"bootstrap_type": "Bayesian"}, "bootstrap_type='Bayesian'"),
        ("binary", {"bootstrap_type": "Bernoulli", "subsample": 0.5}, "bootstrap_type"),
        ("binary", {"leaf_estimation_method": "Gradient"}, "leaf_estimation_method"),
        ("binary", {"leaf_estimation_iterations": 3}, "leaf_estimation_iterations"),
        ("binary", {"boosting_type": "Ordered"}, "boosting_type"),
        ("binary", {"grow_policy": "Depthwise"}, "grow_policy"),
        ("binary", {"langevin": True}, "langevin"),
        ("binary", {"model_shrink_rate": 0.1}, "model_shrink_rate"),
        ("binary", {"auto_class_weights": "Balanced"}, "class weighting"),
        ("binary", {"scale_pos_weight": 2.0}, "class weighting"),
        (
            "regression",
            {"loss_function": "MAE", "leaf_estimation_method": "Gradient"},
            "loss_function",
        ),
        ("binary", {"loss_function": "CrossEntropy"}, "loss_function"),
    ],
)
def test_refuses_non_newton_settings(task, kw, words, datasets):
    X, y = datasets[task]
    try:
        model = _fit(task, X, y, n_estimators=3, max_leaves=4, **kw)
    except cb.CatBoostError as err:  # a setting this CatBoost build cannot train
        pytest.skip(f"CatBoost cannot fit {kw}: {err}")
    with pytest.raises(UnsupportedModelError, match=words):
        parse_model(model)


def test_refuses_categorical_features(datasets):
    X, y = datasets["binary"]
    Xc = np.column_stack([X[:, :3], (np.arange(len(X)) % 3)]).astype(object)
    Xc[:, 3] = Xc[:, 3].astype(int).astype(str)
    model = make_model("catboost", "binary", n_estimators=3, max_leaves=4, cat_features=[3])
    with pytest.raises(UnsupportedModelError, match="cat_features"):
        parse_model(model.fit(Xc, y))


def test_explainers_run_on_catboost(datasets):
    X, y = datasets["binary"]
    X, y = X[:80], y[:80]
    model = _fit("binary", X, y, n_estimators=8, max_leaves=5, learning_rate=0.3)
    lr = LeafRefit(device="cpu").fit(model, X, y)
    rows = [0, 7]
    # removing nothing reproduces CatBoost's stored leaves
    np.testing.assert_allclose(
        lr.refit(rows, weight=0.0).numpy()[0], lr.ensemble_.leaf_values, atol=1e-6
    )
    got = lr.refit(rows).numpy()
    for b, r in enumerate(rows):
        np.testing.assert_allclose(got[b], _brute_force_refit(model, X, y, r), atol=1e-10)
    inf = BoostIn().fit(model, X, y).local_influence(X[:4], y[:4])
    assert inf.shape == (80, 4) and np.isfinite(inf).all()
    # a training example's influence on itself is positive for most examples
    assert (np.diag(inf[:4]) > 0).all()
