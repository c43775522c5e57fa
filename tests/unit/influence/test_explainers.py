"""Ground truth for the explainers: brute-force refits, finite differences, retraining."""

import numpy as np
import pytest

from support.influence.explainers import (
    LOO,
    BoostIn,
    InputSim,
    LeafInfluence,
    LeafInfluenceSP,
    LeafRefit,
    Random,
    Target,
    TreeSim,
    Trex,
    make_explainer,
)
from support.influence.models import example_loss, make_model, retrain
from support.influence.parsers import parse_model

TASKS = ["regression", "binary", "multiclass"]


def _small(datasets, task, n=80):
    X, y = datasets[task]
    idx = np.random.default_rng(1).choice(len(X), n, replace=False)
    return X[idx], y[idx]


def _model(task, X, y, library="lightgbm", **kw):
    kw = {"n_estimators": 8, "max_leaves": 5, "learning_rate": 0.3, **kw}
    if library == "lightgbm":
        kw.setdefault("min_child_samples", 3)
    return make_model(library, task, **kw).fit(X, y)


def _brute_force_refit(model, X, y, remove):
    """Leaf values refitted in boosting order without example ``remove``, by plain loops."""
    ens = parse_model(model)
    loss = ens.loss
    Y = loss.targets(y)
    leaves = ens.apply(X)
    keep = np.arange(len(X)) != remove
    margin = np.tile(ens.bias, (len(X), 1))
    values = []
    for r in range(ens.n_rounds):
        g, h = loss.grad(margin, Y), loss.hess(margin, Y)
        step = np.zeros_like(margin)
        for c in range(ens.n_outputs):
            j = r * ens.n_outputs + c
            vals = np.zeros(ens.n_leaves[j])
            for leaf in range(ens.n_leaves[j]):
                inside = (leaves[:, j] == leaf) & keep
                vals[leaf] = -ens.learning_rate * g[inside, c].sum() / (h[inside, c].sum() + ens.l2)
                step[leaves[:, j] == leaf, c] = vals[leaf]
            values.append(vals)
        margin = margin + step
    return np.concatenate(values)


@pytest.mark.parametrize("library", ["lightgbm", "xgboost"])
@pytest.mark.parametrize("task", TASKS)
def test_leaf_refit_equals_brute_force(task, library, datasets):
    X, y = _small(datasets, task)
    model = _model(task, X, y, library)
    ex = LeafRefit(device="cpu").fit(model, X, y)
    rows = [0, 7, 33]
    got = ex.refit(rows).numpy()
    for b, r in enumerate(rows):
        np.testing.assert_allclose(got[b], _brute_force_refit(model, X, y, r), atol=1e-10)
    # removing nothing reproduces the stored leaves (the reference's off-by-one would not)
    np.testing.assert_allclose(
        ex.refit(rows, weight=0.0).numpy()[0], ex.ensemble_.leaf_values, atol=2e-6
    )
    # and influence is the loss change of the refitted ensemble
    Xt, yt = X[:3], y[:3]
    lv = got[1]
    ens = ex.ensemble_
    cols = ens.leaf_columns(ens.apply(Xt))
    Z = ens.bias + np.stack(
        [lv[cols[:, ens.tree_output == c]].sum(1) for c in range(ens.n_outputs)], 1
    )
    Y = ens.loss.targets(yt)
    np.testing.assert_allclose(
        ex.local_influence(Xt, yt)[7],
        ens.loss.loss(Z, Y) - ens.loss.loss(ens.raw_predict(Xt), Y),
        atol=1e-9,
    )


@pytest.mark.parametrize("task", TASKS)
def test_leaf_influence_is_derivative_of_leaf_refit(task, datasets):
    X, y = _small(datasets, task)
    model = _model(task, X, y)
    li = LeafInfluence(device="cpu", jacobian="full").fit(model, X, y)
    lr = LeafRefit(device="cpu").fit(model, X, y)
    rows = np.arange(0, 80, 9)
    eps = 1e-5
    fd = (lr.refit(rows, weight=eps).numpy() - lr.refit(rows, weight=0.0).numpy()) / eps
    scale = np.abs(li.dleaf_[rows]).max()
    np.testing.assert_allclose(li.dleaf_[rows], fd, atol=1e-4 * scale)


def test_update_set_zero_is_single_point(datasets):
    X, y = _small(datasets, "multiclass")
    model = _model("multiclass", X, y)
    a = LeafInfluence(update_set=0, device="cpu").fit(model, X, y).local_influence(X[:5], y[:5])
    b = LeafInfluenceSP().fit(model, X, y).local_influence(X[:5], y[:5])
    np.testing.assert_allclose(a, b, atol=1e-12)
    c = LeafInfluence(update_set=2, device="cpu").fit(model, X, y).local_influence(X[:5], y[:5])
    assert c.shape == a.shape and np.isfinite(c).all()


def test_loo_equals_retraining(datasets):
    X, y = _small(datasets, "binary", n=40)
    model = _model("binary", X, y)
    ex = LOO().fit(model, X, y)
    Xt, yt = datasets["binary"][0][-5:], datasets["binary"][1][-5:]
    got = ex.local_influence(Xt, yt)
    base = example_loss(model, Xt, yt)
    for i in (0, 13, 39):
        keep = np.arange(len(X)) != i
        expected = example_loss(retrain(model, X[keep], y[keep]), Xt, yt) - base
        np.testing.assert_allclose(got[i], expected, atol=1e-12)


@pytest.mark.parametrize("task", TASKS)
def test_boostin_and_self_influence_consistent(task, datasets):
    X, y = _small(datasets, task)
    model = _model(task, X, y)
    for ex in (
        BoostIn(dtype="float64"),
        LeafInfluenceSP(),
        LeafInfluence(device="cpu"),
        LeafRefit(device="cpu"),
    ):
        ex.fit(model, X, y)
        full = ex.local_influence(X[:10], y[:10])
        assert full.shape == (80, 10)
        np.testing.assert_allclose(ex.self_influence()[:10], np.diag(full[:10]), atol=1e-10)


def _boostin_by_definition(ex, Xt, yt):
    """sum_t [leaf_i,t == leaf_e,t] D_it dL_e/dz at iteration t, by broadcasting over (i, e, t)."""
    ens = ex.ensemble_
    leaves_te = ens.apply(Xt)
    Z = ens.staged_margins(leaves_te)[:-1]  # (R, m, K)
    g = ens.loss.grad(Z, ens.loss.targets(yt)).transpose(1, 0, 2).reshape(len(Xt), -1)
    same = ex.trace_.leaves[:, None, :] == leaves_te[None, :, :]
    return (same * ex.D_[:, None, :] * g[None, :, :]).sum(axis=2)


@pytest.mark.parametrize("task", TASKS)
def test_boostin_fast_product_equals_definition(task, datasets):
    X, y = _small(datasets, task)
    model = _model(task, X, y, n_estimators=20)
    Xt, yt = datasets[task][0][-15:], datasets[task][1][-15:]
    for dtype, rtol in (("float64", 1e-12), ("float32", 1e-6)):
        ex = BoostIn(dtype=dtype).fit(model, X, y)
        want = _boostin_by_definition(ex, Xt, yt)
        got = ex.local_influence(Xt, yt)
        assert got.dtype == np.dtype(dtype)
        assert np.abs(got - want).max() <= rtol * np.abs(want).max()


def test_boostin_float32_at_bench_scale():
    """100 trees, 1,000 training examples: float32 product within 1e-6 of the float64 definition."""
    from support.influence.data import load_embedded

    X, y, _ = load_embedded("synth", n_synth=1100)
    model = make_model("lightgbm", "binary", n_estimators=100, max_leaves=15).fit(
        X[:1000], y[:1000]
    )
    ex = BoostIn().fit(model, X[:1000], y[:1000])
    want = _boostin_by_definition(ex, X[1000:1040], y[1000:1040])
    got = ex.local_influence(X[1000:1040], y[1000:1040])
    assert np.abs(got - want).max() <= 1e-6 * np.abs(want).max()


def test_leaf_product_threads_and_blocks():
    from support.influence.trace import leaf_product

    rng = np.random.default_rng(0)
    n, m, T, L = 3000, 37, 6, 4
    cols_a = rng.integers(0, L, (n, T)) + L * np.arange(T)
    cols_b = rng.integers(0, L, (m, T)) + L * np.arange(T)
    va, vb = rng.normal(size=(n, T)), rng.normal(size=(m, T))
    want = ((cols_a[:, None] == cols_b[None]) * va[:, None] * vb[None]).sum(-1)
    for kw in ({"n_threads": 1}, {"n_threads": 3}, {"n_threads": 2, "block_bytes": 8 * L * T * 5}):
        np.testing.assert_allclose(
            leaf_product(cols_a, va, cols_b, vb, L * T, **kw), want, atol=1e-12
        )
    assert leaf_product(cols_a, va, cols_b[:0], vb[:0], L * T).shape == (n, 0)


def test_boostin_first_tree_matches_leaf_influence(datasets):
    """In the first tree BoostIn's leaf derivative is LeafInfluence's (nothing to propagate yet)."""
    X, y = _small(datasets, "binary")
    model = _model("binary", X, y)
    bi = BoostIn(leaf_value="newton").fit(model, X, y)
    li = LeafInfluence(device="cpu").fit(model, X, y)
    cols0 = bi.trace_.cols[:, 0]
    np.testing.assert_allclose(bi.D_[:, 0], li.dleaf_[np.arange(len(X)), cols0], atol=1e-12)
    other = li.dleaf_[:, : bi.ensemble_.n_leaves[0]].copy()
    other[np.arange(len(X)), cols0] = 0.0
    assert np.abs(other).max() == 0.0


def test_top_boostin_removal_beats_random(datasets):
    X, y = datasets["binary"]
    Xtr, ytr, Xte, yte = X[:160], y[:160], X[160:], y[160:]
    model = make_model(
        "lightgbm", "binary", n_estimators=30, max_leaves=7, min_child_samples=5
    ).fit(Xtr, ytr)
    inf = BoostIn().fit(model, Xtr, ytr).local_influence(Xte, yte)
    rng = np.random.default_rng(0)
    base = example_loss(model, Xte, yte)
    wins = 0
    tests = np.argsort(-base)[:5]  # the hardest test examples still have helpful training examples
    for e in tests:
        top = np.argsort(-inf[:, e])[:8]
        rand = rng.choice(len(Xtr), 8, replace=False)
        keep_top = np.setdiff1d(np.arange(len(Xtr)), top)
        keep_rand = np.setdiff1d(np.arange(len(Xtr)), rand)
        l_top = example_loss(retrain(model, Xtr[keep_top], ytr[keep_top]), Xte[[e]], yte[[e]])[0]
        l_rand = example_loss(retrain(model, Xtr[keep_rand], ytr[keep_rand]), Xte[[e]], yte[[e]])[0]
        wins += l_top > l_rand
    assert wins >= 4


@pytest.mark.parametrize("task", TASKS)
def test_every_method_shape(task, datasets):
    X, y = _small(datasets, task, n=50)
    model = _model(task, X, y)
    for ex in (
        Trex(),
        TreeSim(),
        TreeSim(kernel="to_", measure="cosine"),
        InputSim(),
        Target(),
        Random(),
    ):
        out = ex.fit(model, X, y).local_influence(X[:4], y[:4])
        assert out.shape == (50, 4) and np.isfinite(out).all()
    sub = make_explainer("subsample", n_iter=10).fit(model, X, y)
    assert sub.local_influence(X[:4], y[:4]).shape == (50, 4)


def test_trex_representer_reproduces_surrogate(datasets):
    X, y = _small(datasets, "binary")
    ex = Trex().fit(_model("binary", X, y), X, y)
    f = ex.kernel_matrix(X[:10]).T @ ex.alpha_
    np.testing.assert_allclose(f, ex.phi_[:10] @ ex.W_, atol=1e-6)


def test_errors(datasets):
    X, y = _small(datasets, "binary")
    model = _model("binary", X, y)
    with pytest.raises(RuntimeError, match="not fitted"):
        BoostIn().local_influence(X, y)
    with pytest.raises(ValueError, match="dtype"):
        BoostIn(dtype="float16")
    with pytest.raises(ValueError, match="y for X"):
        BoostIn().fit(model, X, y[:-1])
    with pytest.raises(ValueError, match="update_set"):
        LeafInfluence(update_set=-2)
    with pytest.raises(ValueError, match="Newton"):
        LeafInfluence().fit(model, X, 1 - y)  # not the data the model was fitted on
    with pytest.raises(ValueError, match="method"):
        make_explainer("nope")


@pytest.mark.parametrize("task", TASKS)
def test_leaf_influence_fast_path_equals_general_loop(task, datasets):
    """The default (update_set=-1, diagonal) fast path equals the general per-leaf loop."""
    X, y = _small(datasets, task)
    ex = LeafInfluence(device="cpu").fit(_model(task, X, y), X, y)
    rows = np.arange(0, 80, 7)
    np.testing.assert_allclose(ex.dleaf_[rows], ex._derivatives(rows).numpy(), rtol=0, atol=1e-13)
