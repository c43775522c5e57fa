"""LightGBM: trees from ``dump_model()``, training settings from the model string."""

from __future__ import annotations

import numpy as np

from ..ensemble import Tree, TreeEnsemble, UnsupportedModelError

_OBJECTIVES = {"regression": "regression", "binary": "binary", "multiclass": "multiclass"}


def _params(text: str) -> dict:
    """The training parameters listed at the end of a model string."""
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
    """Parse a fitted LightGBM model (sklearn wrapper or ``Booster``).

    Parameters
    ----------
    model : lightgbm.LGBMModel or lightgbm.Booster

    Returns
    -------
    TreeEnsemble

    Raises
    ------
    UnsupportedModelError
        For an objective or setting under which leaf values are not exact Newton steps.
    """
    booster = getattr(model, "booster_", model)
    if hasattr(model, "class_weight") and getattr(model, "class_weight", None) is not None:
        raise UnsupportedModelError("LightGBM model uses class_weight; refused")
    # the text model holds every number dump_model() does, to the same 17 digits, at a
    # tenth of the cost (dump_model builds and decodes a nested JSON document)
    text = booster.model_to_string()
    header, blocks = _sections(text)
    objective = _objective(header["objective"])
    params = _params(text)
    _check(params, objective)
    k = int(header["num_tree_per_iteration"])
    native = _native_trees(blocks)
    orders = [_preorder(t) for t in native]
    trees = [_tree(t, o) for t, o in zip(native, orders)]
    leaf_orders = [_leaves_of(o) for o in orders]
    lr = float(params["learning_rate"])
    l2 = float(params.get("lambda_l2", "0"))
    bias = np.zeros(k)
    if params.get("boost_from_average", "1") in ("1", "true"):
        # tree j < k also holds the init score: at the init score the root gradient sum is 0,
        # so sum_l (H_l + l2) * stored_l = init * sum_l (H_l + l2) recovers it exactly.
        for j in range(k):
            bias[j] = _init_score(j, trees[j], _leaf_weights(native[j])[leaf_orders[j]] + l2)
            t = trees[j]
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
        n_features=int(header["max_feature_idx"]) + 1,
        native_apply=_native_apply(booster, leaf_orders),
    )


def _objective(text: str) -> str:
    """Our objective name from LightGBM's ``objective=`` header line."""
    name = text.split()[0]
    if name in ("multiclassova", "multiclass_ova", "ova", "ovr"):
        raise UnsupportedModelError(
            "LightGBM objective 'multiclassova' is unsupported; use 'multiclass'"
        )
    if name not in _OBJECTIVES:
        raise UnsupportedModelError(
            f"LightGBM objective {name!r} is unsupported; use regression (l2), binary or multiclass"
        )
    if name == "binary" and "sigmoid:1" not in text.replace(" ", ""):
        raise UnsupportedModelError(f"LightGBM binary objective with a non-unit sigmoid: {text!r}")
    return _OBJECTIVES[name]


def _init_score(j: int, tree: Tree, weights: np.ndarray) -> float:
    """The init score folded into tree ``j``: its leaf values averaged by ``weights``."""
    if tree.n_leaves == 1:
        return float(tree.values[0])
    if not weights.sum() > 0:
        raise ValueError(
            f"tree {j} has zero total leaf weight (hessian sums + lambda_l2 = {weights.sum()}); "
            "its init score cannot be recovered"
        )
    return float((weights * tree.values).sum() / weights.sum())


def _sections(text: str) -> tuple[dict, list[str]]:
    """The model string's header fields and its per-tree blocks."""
    body = text[: text.find("\nend of trees")]
    head, *blocks = body.split("\nTree=")
    return _fields(head), blocks


def _fields(block: str) -> dict:
    return dict(line.split("=", 1) for line in block.splitlines() if "=" in line)


_SPLIT_FIELDS = {"split_feature": np.int64, "decision_type": np.int64, "threshold": np.float64}
_CHILD_FIELDS = ("left_child", "right_child")


def _native_trees(blocks: list[str]) -> list[dict]:
    """Each tree's arrays in LightGBM's own numbering (children ``~leaf`` for leaves).

    Every field is converted for all trees at once: number parsing dominates,
    and one call per field is several times faster than one per tree.
    """
    fields = [_fields(b) for b in blocks]
    n_leaves = np.array([int(f["num_leaves"]) for f in fields])
    n_split = n_leaves - 1
    columns = {key: _numbers(fields, key, dtype, n_split) for key, dtype in _SPLIT_FIELDS.items()}
    columns.update({key: _numbers(fields, key, np.int64, n_split) for key in _CHILD_FIELDS})
    columns["leaf_value"] = _numbers(fields, "leaf_value", np.float64, n_leaves)
    _check_splits(columns["decision_type"])
    # dump_model() writes thresholds through AvoidInf; keep the same numbers
    thr = columns["threshold"]
    columns["threshold"] = np.clip(np.nan_to_num(thr, nan=0.0), -1e300, 1e300)
    edges = {key: np.cumsum(n_split if key != "leaf_value" else n_leaves)[:-1] for key in columns}
    parts = {key: np.split(columns[key], edges[key]) for key in columns}
    return [
        {key: parts[key][t] for key in parts} | {"fields": fields[t]} for t in range(len(blocks))
    ]


def _numbers(fields: list[dict], key: str, dtype, counts: np.ndarray) -> np.ndarray:
    """Field ``key`` of every tree, parsed and concatenated; its length is checked against ``counts``."""
    text = " ".join(f[key] for f in fields if f[key])
    out = np.fromstring(text, dtype=dtype, sep=" ") if text else np.zeros(0, dtype)
    if len(out) != counts.sum():
        raise ValueError(
            f"LightGBM model string: field {key!r} holds {len(out)} numbers over all trees, "
            f"expected {counts.sum()}"
        )
    return out


def _leaf_weights(tree: dict) -> np.ndarray:
    """LightGBM's leaf weights (Hessian sums) of one tree; a one-leaf tree's text has none."""
    text = tree["fields"]["leaf_weight"]
    return np.array(text.split(), dtype=np.float64) if text else np.zeros(1)


def _check_splits(decision_type: np.ndarray) -> None:
    """Refuse categorical splits (bit 0) and zero-as-missing (bits 2-3 == 1)."""
    if (decision_type & 1).any():
        raise UnsupportedModelError("LightGBM categorical split is unsupported")
    if ((decision_type >> 2) & 3 == 1).any():
        raise UnsupportedModelError("LightGBM zero_as_missing is unsupported")


def _preorder(tree: dict) -> list[int]:
    """LightGBM node codes (split index, or ``~leaf``) in depth-first, left-first order."""
    left, right = tree["left_child"].tolist(), tree["right_child"].tolist()
    if not left:  # a one-leaf tree
        return [~0]
    out, stack = [], [0]
    while stack:
        node = stack.pop()
        out.append(node)
        if node >= 0:
            stack.append(right[node])
            stack.append(left[node])
    return out


def _leaves_of(order: list[int]) -> np.ndarray:
    """LightGBM's leaf index of each leaf in our depth-first, left-first order."""
    return np.array([~c for c in order if c < 0], dtype=np.int64)


def _tree(tree: dict, order: list[int]) -> Tree:
    """Flat node arrays in depth-first order (our numbering) from LightGBM's arrays."""
    n_split = len(tree["left_child"])
    n_leaf = len(order) - n_split
    code = np.asarray(order, dtype=np.int64)
    # one index over splits then leaves (split s -> s, leaf l -> n_split + l), in our order
    node = np.where(code >= 0, code, n_split + ~code)
    position = np.empty(len(code), dtype=np.int64)
    position[node] = np.arange(len(code))
    no_child = np.full(n_leaf, -1, dtype=np.int64)

    def child(side: str) -> np.ndarray:
        c = tree[side]
        return np.concatenate([position[np.where(c >= 0, c, n_split + ~c)], no_child])

    return Tree(
        np.concatenate([tree["split_feature"], no_child])[node],
        np.concatenate([tree["threshold"], np.zeros(n_leaf)])[node],
        child("left_child")[node],
        child("right_child")[node],
        np.concatenate([np.zeros(n_split), tree["leaf_value"]])[node],
    )


def _native_apply(booster, orders):
    """Leaf lookup by LightGBM's own ``predict(pred_leaf=True)``, mapped to our leaf numbering.

    Several times faster than walking the parsed trees in numpy; the two are
    unit-tested to agree (both compare ``x <= threshold`` in float64).
    """
    T, width = len(orders), max(len(o) for o in orders)
    to_ours = np.zeros((T, width), dtype=np.int64)
    for t, order in enumerate(orders):
        to_ours[t, order] = np.arange(len(order))
    to_ours = to_ours.ravel()
    row_start = np.arange(T) * width  # tree t's entries in the flattened table

    def apply(X):
        native = booster.predict(X, pred_leaf=True)
        return to_ours[np.asarray(native).reshape(len(X), -1)[:, :T] + row_start]

    return apply
