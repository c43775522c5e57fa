"""The fast paths BoostIn runs on agree bit for bit with their plain formulations.

* the LightGBM parser reads ``model_to_string()``; ground truth here is a
  parse of ``dump_model()``'s JSON, written out independently below;
* ``Trace`` computes ``k``, ``count``, ``G`` and ``v`` on first use and the
  gradient and Hessian from one link evaluation;
* ``staged_margins`` runs its sum round by round instead of ``np.cumsum``;
* ``BoostIn.D_`` is built in place.
"""

import numpy as np
import pytest
from scipy.special import expit

from support.influence import BoostIn, parse_model
from support.influence.losses import get_objective
from support.influence.models import make_model
from support.influence.parsers import lightgbm as lgb_parser
from support.influence.trace import Trace

TASKS = ["regression", "binary", "multiclass"]


# -- ground truth: the JSON dump, walked depth-first, left first ----------------------------------
def _json_leaves(node, key):
    if "split_index" not in node:
        return [node.get(key, 0)]
    return _json_leaves(node["left_child"], key) + _json_leaves(node["right_child"], key)


def _json_nodes(root):
    """(feature, threshold, left, right, value) in depth-first order, as lists."""
    cols = ([], [], [], [], [])

    def walk(nd):
        i = len(cols[0])
        for c, v in zip(cols, (-1, 0.0, -1, -1, 0.0)):
            c.append(v)
        if "split_index" not in nd:
            cols[4][i] = float(nd["leaf_value"])
            return i
        cols[0][i], cols[1][i] = int(nd["split_feature"]), float(nd["threshold"])
        cols[2][i] = walk(nd["left_child"])
        cols[3][i] = walk(nd["right_child"])
        return i

    walk(root)
    return cols


def _json_parse(booster, l2):
    """Trees, init scores and leaf orders from dump_model(), the way the parser used to read them."""
    dump = booster.dump_model()
    k = int(dump["num_tree_per_iteration"])
    roots = [info["tree_structure"] for info in dump["tree_info"]]
    trees = [_json_nodes(r) for r in roots]
    bias = []
    for j in range(k):
        values = np.array(trees[j][4])[np.array(trees[j][2]) < 0]
        w = np.array(_json_leaves(roots[j], "leaf_weight"), dtype=float) + l2
        bias.append(float((w * values).sum() / w.sum()) if len(values) > 1 else float(values[0]))
    orders = [np.array(_json_leaves(r, "leaf_index")) for r in roots]
    return trees, np.array(bias), orders


def _models(datasets):
    """(name, fitted model, its training X) over tasks and settings."""
    for task in TASKS:
        X, y = datasets[task]
        yield task, make_model("lightgbm", task, 12, 7, min_child_samples=3).fit(X, y), X
        model = make_model("lightgbm", task, 6, 31, reg_lambda=2.0, learning_rate=0.3)
        yield f"{task} l2", model.fit(X, y), X
    X, y = datasets["binary"]
    # min_child_samples > n/2: every tree is a single leaf
    yield "one-leaf", make_model("lightgbm", "binary", 4, 7, min_child_samples=150).fit(X, y), X


def test_text_parse_equals_json_dump(datasets):
    for name, model, X in _models(datasets):
        ens = parse_model(model)
        trees, bias, orders = _json_parse(model.booster_, model.get_params()["reg_lambda"])
        np.testing.assert_array_equal(ens.bias, bias, err_msg=name)
        for j, (tree, ref) in enumerate(zip(ens.trees, trees)):
            got = (tree.feature, tree.threshold, tree.left, tree.right)
            for a, b in zip(got, ref[:4]):
                np.testing.assert_array_equal(a, b, err_msg=f"{name} tree {j}")
            stored = np.array(ref[4]) - (bias[j] if j < len(bias) else 0.0)
            leaf = np.array(ref[2]) < 0
            np.testing.assert_array_equal(tree.values, stored[leaf], err_msg=f"{name} tree {j}")
        # the native leaf lookup maps LightGBM's leaf ids through the same order
        native = model.booster_.predict(X, pred_leaf=True).reshape(len(X), -1)
        ours = ens.apply(X)
        for t, order in enumerate(orders):
            np.testing.assert_array_equal(
                order[ours[:, t]], native[:, t], err_msg=f"{name} tree {t}"
            )


def test_text_parse_refuses_a_short_field():
    fields = [{"threshold": "0.5 1.5"}, {"threshold": ""}]
    with pytest.raises(ValueError, match="'threshold' holds 2 numbers over all trees, expected 3"):
        lgb_parser._numbers(fields, "threshold", np.float64, np.array([2, 1]))


@pytest.mark.parametrize(
    "decision_type, words",
    [(np.array([2, 1]), "categorical"), (np.array([2, 4]), "zero_as_missing")],
)
def test_text_parse_refuses_split_kinds(decision_type, words):
    from support.influence import UnsupportedModelError

    with pytest.raises(UnsupportedModelError, match=words):
        lgb_parser._check_splits(decision_type)


# -- Trace, margins, BoostIn: the plain formulas ---------------------------------------------------
def _plain_margins(ens, leaves):
    n = len(leaves)
    vals = ens.tree_values(leaves).reshape(n, ens.n_rounds, ens.n_outputs)
    out = np.empty((ens.n_rounds + 1, n, ens.n_outputs))
    out[0] = ens.bias
    np.cumsum(vals.transpose(1, 0, 2), axis=0, out=out[1:])
    out[1:] += ens.bias
    return out


@pytest.mark.parametrize("task", TASKS)
def test_trace_and_boostin_equal_plain_formulas(task, datasets):
    X, y = datasets[task]
    model = make_model("lightgbm", task, 12, 7, min_child_samples=3).fit(X, y)
    ens = parse_model(model)
    tr = Trace(ens, X, y)
    np.testing.assert_array_equal(tr.leaves, ens.traverse(X))
    np.testing.assert_array_equal(tr.cols, ens.leaf_columns(ens.traverse(X)))
    np.testing.assert_array_equal(tr.margins, _plain_margins(ens, tr.leaves))
    before, L = tr.margins[:-1], ens.total_leaves

    def per_tree(a):
        return a.transpose(1, 0, 2).reshape(len(X), -1)

    np.testing.assert_array_equal(tr.g, per_tree(ens.loss.grad(before, tr.Y)))
    np.testing.assert_array_equal(tr.h, per_tree(ens.loss.hess(before, tr.Y)))
    np.testing.assert_array_equal(tr.k, per_tree(ens.loss.third(before, tr.Y)))
    cols = tr.cols.ravel()
    np.testing.assert_array_equal(tr.count, np.bincount(cols, minlength=L).astype(float))
    np.testing.assert_array_equal(tr.G, np.bincount(cols, weights=tr.g.ravel(), minlength=L))
    np.testing.assert_array_equal(tr.H, np.bincount(cols, weights=tr.h.ravel(), minlength=L))
    denom = tr.H + ens.l2
    np.testing.assert_array_equal(tr.v, np.divide(-tr.G, denom, out=np.zeros(L), where=denom > 0))
    for leaf_value in ("stored", "newton"):
        ex = BoostIn(leaf_value=leaf_value).fit(model, X, y)
        v = tr.v if leaf_value == "newton" else ens.leaf_values
        d = (tr.H + ens.l2)[tr.cols]
        plain = ens.learning_rate * (tr.g + v[tr.cols] * tr.h) / np.where(d > 0, d, np.inf)
        np.testing.assert_array_equal(ex.D_, plain)


@pytest.mark.parametrize("task", TASKS)
def test_grad_hess_equals_grad_and_hess(task):
    loss = get_objective(task, n_outputs=3 if task == "multiclass" else 1, hess_factor=1.5)
    z = np.random.default_rng(0).normal(0, 3, (4, 50, loss.n_outputs))
    Y = loss.targets(np.arange(50) % 2 if task != "multiclass" else np.arange(50) % 3)
    g, h = loss.grad_hess(z, Y)
    np.testing.assert_array_equal(g, loss.grad(z, Y))
    np.testing.assert_array_equal(h, loss.hess(z, Y))
    if task == "binary":
        np.testing.assert_array_equal(g, expit(z) - Y)
