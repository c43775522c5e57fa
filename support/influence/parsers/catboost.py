"""CatBoost: oblivious trees from the JSON model, training settings from ``get_all_params()``.

An oblivious (symmetric) tree of depth ``d`` applies the same split at every
node of a level; CatBoost numbers its leaves by the bits ``x[f_i] > border_i``
(split ``i`` of the JSON list is bit ``i``). It becomes a complete binary tree
of ``2**(d+1) - 1`` nodes whose level ``l`` tests split ``d - 1 - l``, so the
common leaf order (left to right) equals CatBoost's leaf index. A multiclass
tree stores one value per class in each leaf; it becomes ``K`` trees with the
same structure, interleaved by class as in the other parsers.

Stored leaf values already include the learning rate. With unit sample
weights CatBoost's Newton step is ``-G / (H + l2_leaf_reg)`` (the regulariser
is scaled by ``sum(weights) / n``, which is 1 here). ``random_strength``
only perturbs the split scores, i.e. which structure is grown; the leaf values
of that structure are still exact Newton steps, so it is allowed.

MultiClass is refused: CatBoost's Newton step there uses the *full* softmax
Hessian of each leaf, ``-(sum_i (diag(p_i) - p_i p_i^T) + l2 I)^-1 G`` (checked
to 1e-15 on iris), which couples the classes. The common structure and every
gradient-based explainer assume a diagonal Hessian (times a constant factor);
the closest one, ``K / (K - 1)``, is exact only at the first round (uniform
``p``) and off by ~0.05 in leaf value afterwards, so influence would be
silently wrong. ``allow_multiclass=True`` parses it anyway for predictions and
structure only.
"""

from __future__ import annotations

import json
import os
import tempfile

import numpy as np

from ..ensemble import Tree, TreeEnsemble, UnsupportedModelError

_OBJECTIVES = {"RMSE": "regression", "Logloss": "binary", "MultiClass": "multiclass"}


def _num(params: dict, key: str, default: float) -> float:
    value = params.get(key)
    return default if value is None else float(value)


def _check(params: dict):
    bootstrap = params.get("bootstrap_type", "No")
    sampled = not (
        bootstrap == "No"
        or (bootstrap == "Bayesian" and _num(params, "bagging_temperature", 1.0) == 0)
        or (bootstrap == "Bernoulli" and _num(params, "subsample", 1.0) == 1)
    )
    checks = [
        (
            not sampled,
            f"bootstrap_type={bootstrap!r} (bagging: sample weights change every tree; "
            "set bootstrap_type='No', CatBoost's default is Bayesian/MVS)",
        ),
        (
            params.get("leaf_estimation_method", "Newton") == "Newton",
            f"leaf_estimation_method={params.get('leaf_estimation_method')!r} (need 'Newton')",
        ),
        (
            int(params.get("leaf_estimation_iterations", 1)) == 1,
            f"leaf_estimation_iterations={params.get('leaf_estimation_iterations')} (need 1)",
        ),
        (
            params.get("boosting_type", "Plain") == "Plain",
            f"boosting_type={params.get('boosting_type')!r} (ordered boosting; need 'Plain')",
        ),
        (
            params.get("grow_policy", "SymmetricTree") == "SymmetricTree",
            f"grow_policy={params.get('grow_policy')!r} (need 'SymmetricTree')",
        ),
        (not params.get("langevin"), "langevin=True (stochastic gradient Langevin boosting)"),
        (not params.get("posterior_sampling"), "posterior_sampling=True"),
        (_num(params, "model_shrink_rate", 0.0) == 0, "model_shrink_rate>0 (model shrinkage)"),
        (
            params.get("class_weights") is None
            and params.get("auto_class_weights", "None") in (None, "None")
            and _num(params, "scale_pos_weight", 1.0) == 1,
            "class weighting (class_weights/auto_class_weights/scale_pos_weight)",
        ),
    ]
    for ok, what in checks:
        if not ok:
            raise UnsupportedModelError(
                f"CatBoost model uses {what}; leaf values are then not exact Newton steps"
            )


def _load_json(model) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.json")
        model.save_model(path, format="json")
        with open(path) as fh:
            return json.load(fh)


def parse_catboost(model, allow_multiclass: bool = False) -> TreeEnsemble:
    """Parse a fitted CatBoost model (``CatBoostRegressor``/``Classifier`` or ``CatBoost``).

    Supported: ``RMSE`` and ``Logloss`` on numeric features
    with ``bootstrap_type="No"``, Newton leaves in one iteration and plain
    boosting (as :func:`~support.influence.models.make_model` builds them).

    Parameters
    ----------
    model : catboost.CatBoost
        A fitted model.
    allow_multiclass : bool, default False
        Parse a ``MultiClass`` model although its leaves are full-Hessian Newton
        steps: raw predictions and tree structure are exact, but the ensemble's
        diagonal ``K/(K-1)`` Hessian does not reproduce its leaf values, so
        gradient-based influence on it is approximate. For prediction and
        structure (e.g. leaf similarity) use only.

    Raises
    ------
    UnsupportedModelError
        For categorical/text features, bagging, other leaf-estimation settings,
        ordered boosting, Langevin, model shrinkage, class weights, non-symmetric
        trees or other losses, naming the setting.
    """
    if not model.is_fitted():
        raise ValueError("model: the CatBoost model is not fitted")
    params = model.get_all_params()
    loss, objective = _objective(params, allow_multiclass)
    _check(params)
    raw = _load_json(model)
    float_features = _float_features(raw)
    bias, trees = _trees(raw, float_features, loss, objective)
    n_features = len(float_features)
    if hasattr(model, "feature_names_") and model.feature_names_ is not None:
        n_features = len(model.feature_names_)
    k = len(bias)
    return TreeEnsemble(
        trees=trees,
        objective=objective,
        bias=bias,
        learning_rate=float(params["learning_rate"]),
        l2=float(params.get("l2_leaf_reg", 3.0)),
        hess_factor=k / (k - 1) if objective == "multiclass" else 1.0,
        strict=False,
        float32=True,
        library="catboost",
        n_features=n_features,
    )


def _objective(params: dict, allow_multiclass: bool) -> tuple[str, str]:
    """CatBoost's loss name and the ensemble's objective; refuses other losses and (by default) MultiClass."""
    loss = str(params.get("loss_function", "")).split(":")[0]
    if loss not in _OBJECTIVES:
        raise UnsupportedModelError(
            f"CatBoost loss_function {loss!r} is unsupported; use RMSE or Logloss"
        )
    objective = _OBJECTIVES[loss]
    if objective == "multiclass" and not allow_multiclass:
        raise UnsupportedModelError(
            "CatBoost loss_function 'MultiClass' is unsupported: its Newton leaf values use the full "
            "(class-coupled) softmax Hessian, which the diagonal-Hessian explainers do not model"
        )
    return loss, objective


def _float_features(raw: dict) -> list:
    """The model's numeric features; refuses categorical, text and embedding features and non-symmetric trees."""
    info = raw["features_info"]
    for kind in ("categorical_features", "text_features", "embedding_features"):
        if info.get(kind):
            name = "cat_features" if kind == "categorical_features" else kind
            raise UnsupportedModelError(f"CatBoost model uses {name}; only numeric features are")
    if "oblivious_trees" not in raw:
        raise UnsupportedModelError("CatBoost model has non-symmetric trees (need SymmetricTree)")
    return info.get("float_features", [])


def _trees(raw: dict, float_features: list, loss: str, objective: str) -> tuple[np.ndarray, list]:
    """The bias (one per output) and the trees, ``K`` per multiclass round, interleaved by class."""
    flat = {f["feature_index"]: f["flat_feature_index"] for f in float_features}
    scale, bias = raw.get("scale_and_bias", [1.0, [0.0]])
    if scale != 1:
        raise UnsupportedModelError(
            f"CatBoost scale_and_bias scale={scale} (model shrinkage or a sum of models)"
        )
    bias = np.atleast_1d(np.asarray(bias, dtype=np.float64))
    k = len(bias)
    if (objective == "multiclass") != (k > 1):
        raise UnsupportedModelError(f"CatBoost {loss} model with {k} outputs")
    trees = []
    for ot in raw["oblivious_trees"]:
        splits = ot.get("splits", [])
        if any(s.get("split_type") != "FloatFeature" for s in splits):
            raise UnsupportedModelError("CatBoost model has non-numeric (ctr/one-hot) splits")
        values = np.asarray(ot["leaf_values"], dtype=np.float64).reshape(-1, k)
        feats = [flat[s["float_feature_index"]] for s in splits]
        borders = [float(s["border"]) for s in splits]
        trees.extend(_oblivious(feats, borders, values[:, c]) for c in range(k))
    return bias, trees


def _oblivious(features, borders, leaf_values) -> Tree:
    """Complete binary tree (breadth-first nodes) of an oblivious tree; level l tests split d-1-l."""
    d = len(features)
    n_internal = 2**d - 1
    n_nodes = 2 ** (d + 1) - 1
    node = np.arange(n_nodes)
    level = np.floor(np.log2(node + 1)).astype(np.int64)
    internal = node < n_internal
    split = np.where(internal, d - 1 - level, 0)
    feats = np.asarray(features, dtype=np.int64) if d else np.zeros(1, dtype=np.int64)
    thr = np.asarray(borders, dtype=np.float64) if d else np.zeros(1)
    leaf_value = np.zeros(n_nodes)
    leaf_value[n_internal:] = leaf_values
    return Tree(
        feature=np.where(internal, feats[split], -1),
        threshold=np.where(internal, thr[split], 0.0),
        left=np.where(internal, 2 * node + 1, -1),
        right=np.where(internal, 2 * node + 2, -1),
        leaf_value=leaf_value,
    )
