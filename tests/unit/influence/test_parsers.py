import numpy as np
import pytest

from support.influence import UnsupportedModelError, parse_model
from support.influence.models import make_model, raw_margin
from support.influence.trace import Trace

LIBS = ["lightgbm", "xgboost", "sklearn_hgb", "sklearn_gb"]  # CatBoost: test_catboost.py


@pytest.mark.parametrize("task", ["regression", "binary", "multiclass"])
@pytest.mark.parametrize("library", LIBS)
def test_parsed_predictions_and_newton_leaves(library, task, datasets):
    X, y = datasets[task]
    model = make_model(library, task, n_estimators=15, max_leaves=7, learning_rate=0.3).fit(X, y)
    ens = parse_model(model)
    ref = raw_margin(model, X)
    err = np.abs(ens.raw_predict(X) - ref) / np.maximum(1.0, np.abs(ref))
    assert err.max() < 1e-6, f"{library}/{task}: parsed margins differ by {err.max():.2e}"
    assert ens.n_outputs == (3 if task == "multiclass" else 1)
    # every stored leaf value is lr * -G/(H + lambda) on the training data
    assert Trace(ens, X, y).newton_error() < 1e-5


def test_lightgbm_bias_separated_from_first_tree(datasets):
    X, y = datasets["regression"]
    ens = parse_model(make_model("lightgbm", "regression", n_estimators=5).fit(X, y))
    assert ens.bias[0] == pytest.approx(y.mean(), abs=1e-6)


def _lgb(task, **kw):
    return make_model("lightgbm", task, n_estimators=3, max_leaves=4, **kw)


@pytest.mark.parametrize(
    "build, words",
    [
        (lambda: _lgb("binary", subsample=0.5, subsample_freq=1), "bagging"),
        (lambda: _lgb("binary", reg_alpha=0.1), "L1"),
        (lambda: _lgb("binary", path_smooth=1.0), "path smoothing"),
        (lambda: _lgb("binary", boosting_type="rf", subsample=0.5, subsample_freq=1), "boosting"),
        (lambda: _lgb("regression", objective="huber"), "objective"),
        (lambda: make_model("xgboost", "binary", n_estimators=3, subsample=0.5), "subsample"),
        (lambda: make_model("xgboost", "binary", n_estimators=3, reg_alpha=1.0), "L1"),
        (
            lambda: make_model(
                "xgboost", "regression", n_estimators=3, objective="reg:absoluteerror"
            ),
            "objective",
        ),
        (lambda: make_model("sklearn_gb", "binary", n_estimators=3, subsample=0.5), "subsample"),
        (
            lambda: make_model("sklearn_hgb", "binary", n_estimators=3, early_stopping=True),
            "early_stopping",
        ),
    ],
)
def test_refuses_non_newton_settings(build, words, datasets):
    task = "regression" if "regression" in str(build.__code__.co_consts) else "binary"
    X, y = datasets[task]
    model = build().fit(X, y)
    with pytest.raises(UnsupportedModelError, match=words):
        parse_model(model)


def test_refuses_random_forest_and_categorical(datasets):
    from sklearn.ensemble import RandomForestClassifier

    X, y = datasets["binary"]
    with pytest.raises(UnsupportedModelError, match="not a gradient-boosted"):
        parse_model(RandomForestClassifier(n_estimators=2).fit(X, y))
    Xc = X[:, :3].copy()
    Xc[:, 0] = y * 2 + np.arange(len(Xc)) % 2
    m = _lgb("binary", min_data_per_group=1, cat_smooth=0).fit(Xc, y, categorical_feature=[0])
    with pytest.raises(UnsupportedModelError, match="categorical"):
        parse_model(m)


def test_bad_inputs(datasets):
    X, y = datasets["binary"]
    ens = parse_model(_lgb("binary").fit(X, y))
    with pytest.raises(ValueError, match="features"):
        ens.apply(X[:, :3])
    with pytest.raises(ValueError, match="2-D"):
        ens.apply(X[0])
    with pytest.raises(ValueError, match="library"):
        make_model("nope", "binary")


@pytest.mark.parametrize("task", ["regression", "binary", "multiclass"])
def test_lightgbm_native_leaf_lookup_equals_traversal(task, datasets):
    """The LightGBM parser's fast path (predict(pred_leaf=True), remapped) agrees with walking the trees."""
    from support.influence.models import make_model

    X, y = datasets[task]
    model = make_model("lightgbm", task, 30, 15, min_child_samples=3).fit(X, y)
    ens = parse_model(model)
    assert ens.native_apply is not None
    np.testing.assert_array_equal(ens.apply(X), ens.traverse(X))
    Xn = X + np.random.default_rng(0).normal(0, X.std(0) * 0.1, X.shape)
    np.testing.assert_array_equal(ens.apply(Xn), ens.traverse(Xn))
