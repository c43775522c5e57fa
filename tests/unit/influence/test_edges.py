"""Every division, log, sqrt and solve in support.influence at its edge (issue 20 item 1).

Hessian sums of 0 (leaves with no training examples), one-sided subsamples,
zero distances and zero-norm rows, constant features, degenerate base
scores, empty evaluation sets, times that are all overhead.
"""

import numpy as np
import pytest

from support.influence.cost import fit_exponent, overhead_exponent
from support.influence.evaluation import Setting, agreement
from support.influence.explainers import BoostIn, InputSim, TreeSim, Trex
from support.influence.explainers.retrain import subsample_contrast
from support.influence.explainers.similarity import _similarity
from support.influence.models import make_model
from support.influence.parsers.dispatch import parse_model
from support.influence.parsers.xgboost import _bias
from support.influence.ranks import bootstrap_ranks
from support.influence.trace import Trace


def test_boostin_on_leaves_without_training_examples_is_finite(datasets):
    """A model fitted on 200 rows explained with 30 of them: most leaves hold no example (H_l = 0)."""
    X, y = datasets["binary"]
    model = make_model("lightgbm", "binary", 20, 15).fit(X, y)
    inf = BoostIn().fit(model, X[:30], y[:30]).local_influence(X[:3], y[:3])
    assert inf.shape == (30, 3) and np.all(np.isfinite(inf))


def test_leaf_values_of_empty_leaves_are_zero_not_nan(datasets):
    X, y = datasets["regression"]
    model = make_model("lightgbm", "regression", 5, 15).fit(X, y)
    tr = Trace(parse_model(model), X[:10], y[:10])  # l2 = 0: empty leaves have H + l2 = 0
    empty = tr.count == 0
    assert empty.any() and np.all(tr.v[empty] == 0) and np.all(np.isfinite(tr.v))


def test_subsample_contrast_is_zero_for_examples_never_left_out_or_never_kept():
    M = np.array([[1, 1, 0], [1, 0, 0], [1, 1, 0]], dtype=float)  # 0 always in, 2 never in
    losses = np.array([[1.0], [3.0], [2.0]])
    out = subsample_contrast(M, losses)
    assert out[0, 0] == 0 and out[2, 0] == 0
    assert out[1, 0] == pytest.approx(3.0 - 1.5)  # without: run 2; with: runs 1 and 3


def test_input_sim_ranks_an_exact_duplicate_first_and_handles_zero_rows():
    A = np.array([[1.0, 2.0], [0.0, 0.0], [5.0, 5.0]])
    B = np.array([[1.0, 2.0]])
    s = _similarity(A, B, "euclidean")[:, 0]
    assert np.all(np.isfinite(s)) and np.argmax(s) == 0
    cos = _similarity(A, B, "cosine")[:, 0]
    assert cos[1] == 0 and np.all(np.isfinite(cos))


def test_similarity_explainers_on_constant_features_are_finite(datasets):
    X, y = datasets["binary"]
    X = X.copy()
    X[:, :5] = 3.0  # constant columns
    model = make_model("lightgbm", "binary", 10, 7).fit(X, y)
    for ex in (InputSim(), TreeSim(), Trex(max_iter=50)):
        inf = ex.fit(model, X, y).local_influence(X[:2], y[:2])
        assert np.all(np.isfinite(inf)), type(ex).__name__


def test_xgboost_base_score_outside_the_open_interval_is_a_clear_error():
    learner = {"learner_model_param": {"base_score": "1.0"}}
    with pytest.raises(ValueError, match=r"base_score .* \(0, 1\)"):
        _bias(learner, "binary:logistic", "binary", 1)


def test_bootstrap_needs_examples_and_pairs():
    empty = Setting(["a", "b"], [0.1], [1], np.zeros((2, 0, 1)), np.zeros(0))
    with pytest.raises(ValueError, match="at least one evaluation example"):
        bootstrap_ranks([empty], ["a", "b"], n_boot=5)
    with pytest.raises(ValueError, match="at least one pair"):
        bootstrap_ranks([], ["a", "b"], n_boot=5)


def test_exponent_fits_reject_zero_times_and_flag_overhead_only():
    with pytest.raises(ValueError, match="positive"):
        fit_exponent([1, 2, 3], [0.1, 0.0, 0.2])
    assert np.isnan(overhead_exponent([1, 2, 3], [0.1, 0.1, 0.2], 0.1))


def test_agreement_with_constant_influences_and_tiny_n():
    inf = {"a": np.zeros((3, 2)), "b": np.arange(6.0).reshape(3, 2)}
    mats = agreement(inf)
    assert np.isnan(mats["pearson"].loc["a", "b"])  # a constant vector has no correlation
    assert np.isfinite(mats["jaccard"].loc["a", "b"])
