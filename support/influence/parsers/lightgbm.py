"""LightGBM: trees from ``dump_model()``, training settings from the model string."""

from __future__ import annotations

import numpy as np

from ..ensemble import Tree, TreeEnsemble, UnsupportedModelError

_OBJECTIVES = {"regression": "regression", "binary": "binary", "multiclass": "multiclass"}


def _params(booster) -> dict:
    text = booster.model_to_string()
    out = {}
    start = text.find("\nparameters:\n")
    for line in text[start:].splitlines()[1:]:
        if line.startswith("end of parameters"):
            break
        if line.startswith("[") and ": " in line:
            key, value = line[1:-1].split(": ", 1)
            out[key] = value
    return out


def _check(params: dict, objective: str):
    def num(key, default="0"):
        return float(params.get(key, default) or default)

    checks = [
        (
            params.get("boosting", "gbdt") == "gbdt",
            f"boosting={params.get('boosting')!r} (need 'gbdt'; rf, dart and goss are refused)",
        ),
        (params.get("data_sample_strategy", "bagging") == "bagging", "data_sample_strategy='goss'"),
        (
            not (num("bagging_fraction", "1") < 1 and num("bagging_freq") > 0),
            "bagging (bagging_fraction<1 with bagging_freq>0, i.e. subsample)",
        ),
        (
            num("pos_bagging_fraction", "1") == 1 and num("neg_bagging_fraction", "1") == 1,
            "pos/neg_bagging_fraction",
        ),
        (num("lambda_l1") == 0, "lambda_l1/reg_alpha (an L1 leaf penalty)"),
        (num("path_smooth") == 0, "path_smooth (path smoothing)"),
        (num("max_delta_step") <= 0, "max_delta_step"),
        (params.get("linear_tree", "0") in ("0", "false"), "linear_tree"),
        (
            params.get("is_unbalance", "0") in ("0", "false") and num("scale_pos_weight", "1") == 1,
            "class weighting (is_unbalance/scale_pos_weight)",
        ),
        (num("refit_decay_rate", "0.9") == 0.9, "refit_decay_rate"),
    ]
    for ok, what in checks:
        if not ok:
            raise UnsupportedModelError(
                f"LightGBM model uses {what}; leaf values are then not exact Newton steps"
            )


def parse_lightgbm(model) -> TreeEnsemble:
    """Parse a fitted LightGBM model (sklearn wrapper or ``Booster``)."""
    booster = getattr(model, "booster_", model)
    if hasattr(model, "class_weight") and getattr(model, "class_weight", None) is not None:
        raise UnsupportedModelError("LightGBM model uses class_weight; refused")
    dump = booster.dump_model()
    params = _params(booster)
    obj_name = dump["objective"].split()[0]
    if obj_name in ("multiclassova", "multiclass_ova", "ova", "ovr"):
        raise UnsupportedModelError(
            "LightGBM objective 'multiclassova' is unsupported; use 'multiclass'"
        )
    if obj_name not in _OBJECTIVES:
        raise UnsupportedModelError(
            f"LightGBM objective {obj_name!r} is unsupported; use regression (l2), binary or multiclass"
        )
    objective = _OBJECTIVES[obj_name]
    if objective == "binary" and "sigmoid:1" not in dump["objective"].replace(" ", ""):
        raise UnsupportedModelError(
            f"LightGBM binary objective with a non-unit sigmoid: {dump['objective']!r}"
        )
    _check(params, objective)
    k = int(dump["num_tree_per_iteration"])
    trees = [_tree(info["tree_structure"]) for info in dump["tree_info"]]
    native = _native_apply(booster, [_leaf_order(i["tree_structure"]) for i in dump["tree_info"]])
    lr = float(params["learning_rate"])
    l2 = float(params.get("lambda_l2", "0"))
    bias = np.zeros(k)
    if params.get("boost_from_average", "1") in ("1", "true"):
        # tree j < k also holds the init score: at the init score the root gradient sum is 0,
        # so sum_l (H_l + l2) * stored_l = init * sum_l (H_l + l2) recovers it exactly.
        for j in range(k):
            t = trees[j]
            w = _leaf_weights(dump["tree_info"][j]["tree_structure"]) + l2
            if t.n_leaves > 1 and not w.sum() > 0:
                raise ValueError(
                    f"tree {j} has zero total leaf weight (hessian sums + lambda_l2 = {w.sum()}); "
                    "its init score cannot be recovered"
                )
            bias[j] = (
                float((w * t.values).sum() / w.sum()) if t.n_leaves > 1 else float(t.values[0])
            )
            t.leaf_value = np.where(t.left < 0, t.leaf_value - bias[j], 0.0)
    return TreeEnsemble(
        trees=trees,
        objective=objective,
        bias=bias,
        learning_rate=lr,
        l2=l2,
        hess_factor=k / (k - 1) if objective == "multiclass" else 1.0,
        strict=False,
        float32=False,
        library="lightgbm",
        n_features=int(dump["max_feature_idx"]) + 1,
        native_apply=native,
    )


def _leaf_order(root) -> np.ndarray:
    """LightGBM's leaf_index of each leaf in our depth-first, left-first order."""
    out = []

    def walk(nd):
        if "split_index" not in nd:  # a leaf (a one-leaf tree's root has no leaf_index)
            out.append(int(nd.get("leaf_index", 0)))
        else:
            walk(nd["left_child"])
            walk(nd["right_child"])

    walk(root)
    return np.asarray(out, dtype=np.int64)


def _native_apply(booster, orders):
    """Leaf lookup by LightGBM's own ``predict(pred_leaf=True)``, mapped to our leaf numbering.

    Several times faster than walking the parsed trees in numpy; the two are
    unit-tested to agree (both compare ``x <= threshold`` in float64).
    """
    T, width = len(orders), max(len(o) for o in orders)
    to_ours = np.zeros((T, width), dtype=np.int64)
    for t, order in enumerate(orders):
        to_ours[t, order] = np.arange(len(order))
    trees = np.arange(T)[None, :]

    def apply(X):
        native = booster.predict(X, pred_leaf=True)
        native = np.asarray(native, dtype=np.int64).reshape(len(X), -1)
        return to_ours[trees, native[:, :T]]

    return apply


def _leaf_weights(node) -> np.ndarray:
    out = []

    def walk(nd):
        if "split_index" not in nd:
            out.append(nd.get("leaf_weight", 0.0))
        else:
            walk(nd["left_child"])
            walk(nd["right_child"])

    walk(node)
    return np.asarray(out, dtype=np.float64)


def _tree(root) -> Tree:
    feature, threshold, left, right, value = [], [], [], [], []

    def walk(nd) -> int:
        i = len(feature)
        feature.append(-1)
        threshold.append(0.0)
        left.append(-1)
        right.append(-1)
        value.append(0.0)
        if "split_index" not in nd:
            value[i] = float(nd["leaf_value"])
            return i
        if nd["decision_type"] != "<=":
            raise UnsupportedModelError(
                f"LightGBM categorical split ({nd['decision_type']!r}) is unsupported"
            )
        if nd.get("missing_type", "None") == "Zero":
            raise UnsupportedModelError("LightGBM zero_as_missing is unsupported")
        feature[i] = int(nd["split_feature"])
        threshold[i] = float(nd["threshold"])
        left[i] = walk(nd["left_child"])
        right[i] = walk(nd["right_child"])
        return i

    walk(root)
    return Tree(feature, threshold, left, right, value)
