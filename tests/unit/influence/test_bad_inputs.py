"""Every bad input the influence package rejects, each with a message naming the argument and what was expected."""

import dataclasses

import numpy as np
import pytest

from support.influence import (
    BoostIn,
    LeafInfluence,
    LeafInfluenceSP,
    LeafRefit,
    NotFittedModelError,
    SubSample,
    Trex,
    make_explainer,
)
from support.influence.config import config
from support.influence.data import load_dataset, load_paper_dataset
from support.influence.models import make_model


@pytest.fixture(scope="module")
def fitted(datasets):
    X, y = datasets["binary"]
    X, y = X[:80], y[:80]
    return make_model("lightgbm", "binary", 5, 5, min_child_samples=3).fit(X, y), X, y


@pytest.mark.parametrize("library", ["lightgbm", "xgboost", "sklearn_hgb", "sklearn_gb"])
def test_unfitted_model_of_every_library(library, datasets):
    X, y = datasets["binary"]
    with pytest.raises(NotFittedModelError, match="model: this .* is not fitted"):
        BoostIn().fit(make_model(library, "binary", 3), X, y)


BAD_X = [
    (
        "nan in X",
        lambda X, y: (np.where(np.arange(X.size).reshape(X.shape) == 3, np.nan, X), y),
        "X contains 1 NaN or inf",
    ),
    (
        "inf in X",
        lambda X, y: (np.where(np.arange(X.size).reshape(X.shape) == 3, np.inf, X), y),
        "X contains 1 NaN or inf",
    ),
    ("1-D X", lambda X, y: (X[:, 0], y), "X must be a 2-D array"),
    ("wrong feature count", lambda X, y: (X[:, :-1], y), "features; the model was fitted on"),
    ("short y", lambda X, y: (X, y[:-1]), "y for X must be 1-D"),
    (
        "unknown label",
        lambda X, y: (X, np.where(y == 1, 7, y)),
        "labels the model was not fitted on",
    ),
    (
        "nan label",
        lambda X, y: (X, np.where(np.arange(len(y)) == 0, np.nan, y)),
        "labels the model was not fitted on",
    ),
    ("string X", lambda X, y: (np.full(X.shape, "a"), y), "X must be a numeric 2-D array"),
]


@pytest.mark.parametrize("case,mutate,message", BAD_X, ids=[c[0] for c in BAD_X])
def test_bad_training_data(case, mutate, message, fitted):
    model, X, y = fitted
    Xb, yb = mutate(X, y)
    with pytest.raises(ValueError, match=message):
        BoostIn().fit(model, Xb, yb)


def test_bad_test_data_and_regression_targets(fitted, datasets):
    model, X, y = fitted
    ex = BoostIn().fit(model, X, y)
    with pytest.raises(ValueError, match="X_test contains 1 NaN"):
        ex.local_influence(np.where(np.arange(X.size).reshape(X.shape) == 0, np.nan, X), y)
    with pytest.raises(ValueError, match="y_test holds labels"):
        ex.local_influence(X, y + 5)
    Xr, yr = datasets["regression"]
    reg = make_model("lightgbm", "regression", 3, 5).fit(Xr, yr)
    with pytest.raises(ValueError, match="y contains 1 NaN or inf"):
        BoostIn().fit(reg, Xr, np.where(np.arange(len(yr)) == 2, np.nan, yr))


def test_string_labels_work_through_classes_(datasets):
    X, y = datasets["binary"]
    names = np.array(["benign", "malignant"])[y]
    model = make_model("lightgbm", "binary", 5, 5).fit(X, names)
    a = BoostIn().fit(model, X, names).local_influence(X[:3], names[:3])
    b = (
        BoostIn()
        .fit(make_model("lightgbm", "binary", 5, 5).fit(X, y), X, y)
        .local_influence(X[:3], y[:3])
    )
    np.testing.assert_allclose(a, b)


CONSTRUCTORS = [
    (lambda: BoostIn(leaf_value="exact"), "leaf_value must be one of"),
    (lambda: BoostIn(dtype="float16"), "dtype must be"),
    (lambda: LeafInfluence(update_set=-2), "update_set must be an integer >= -1"),
    (lambda: LeafInfluence(update_set=True), "update_set must be an integer >= -1"),
    (lambda: LeafInfluence(jacobian="half"), "jacobian must be one of"),
    (lambda: LeafInfluence(atol=-1.0), "atol must be a number >= 0"),
    (lambda: LeafInfluence(batch_size=0), "batch_size must be None or an int >= 1"),
    (lambda: LeafInfluenceSP(jacobian="x"), "jacobian must be one of"),
    (lambda: LeafRefit(reference_off_by_one="yes"), "reference_off_by_one must be a bool"),
    (lambda: LeafRefit(atol="0.1"), "atol must be a number >= 0"),
    (lambda: Trex(lmbd=0), "lmbd must be > 0"),
    (lambda: SubSample(sub_frac=1.5), "sub_frac must be in"),
    (lambda: make_explainer("nope"), "method must be one of"),
]


@pytest.mark.parametrize("build,message", CONSTRUCTORS)
def test_bad_explainer_parameters(build, message):
    with pytest.raises(ValueError, match=message):
        build()


CONFIGS = [
    (dict(n_estimators=0), "n_estimators must be an integer >= 1"),
    (dict(max_leaves=1), "max_leaves must be an integer >= 2"),
    (dict(n_test=2.5), "n_test must be an int"),
    (dict(learning_rate=0.0), "learning_rate must be in"),
    (dict(single_fracs=(0.02, 0.01)), "single_fracs must be increasing"),
    (dict(set_fracs=(0.5, 1.5)), "set_fracs must be increasing"),
    (dict(settings=("targeted_edit",)), "settings must be a tuple of"),
    (dict(ranked=("random",)), "ranked must include 'boostin'"),
    (dict(extra=("magic",)), "extra must be a tuple of"),
    (dict(combos=(("iris", "lightgbm"),)), "combos entries must be"),
    (dict(combos=(("breast_cancer", "sklearn_rf"),)), "combos entries must be"),
    (dict(cost_sizes=(100, 50, 200)), "cost_sizes must be"),
]


@pytest.mark.parametrize("override,message", CONFIGS)
def test_bad_config(override, message):
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(config("smoke"), **override)
    with pytest.raises(ValueError, match="PROFILE must be one of"):
        config("gpu")


def test_bad_data_files(tmp_path):
    with pytest.raises(
        ValueError, match="name must be an embedded data set .* or one of the paper's"
    ):
        load_dataset("iris", tmp_path)
    (tmp_path / "spambase").mkdir()
    path = tmp_path / "spambase" / "spambase.data"
    rows = np.random.default_rng(0).random((6, 58))
    rows[:, 57] = 0
    np.savetxt(path, rows, delimiter=",")
    with pytest.raises(ValueError, match="the target has no positive examples"):
        load_paper_dataset("spambase", tmp_path)
    rows[:, 57] = [0, 1, 0, 1, 1, 0]
    np.savetxt(path, rows, delimiter=",")
    path.write_text(path.read_text() + "0.1,0.2,0.3\n")  # truncated last line
    with pytest.raises(ValueError, match="truncated or malformed"):
        load_paper_dataset("spambase", tmp_path)
    path.write_text("0.1,0.2\n0.3,0.4\n")  # too few columns for the target
    with pytest.raises(ValueError, match="has 2 columns, but the target is column 57"):
        load_paper_dataset("spambase", tmp_path)
    (tmp_path / "wine").mkdir()
    for f in ("winequality-red.csv", "winequality-white.csv"):
        (tmp_path / "wine" / f).write_text('a;b;quality\n1;2;5\n3;"4;6\n')
    with pytest.raises(ValueError, match="not a well-formed"):
        load_paper_dataset("wine", tmp_path)
