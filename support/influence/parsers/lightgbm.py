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
    native = _Native(blocks)
    orders = [_preorder(left, right) for left, right in native.children()]
    trees = _trees(native, orders)
    leaf_orders = [_leaves_of(o) for o in orders]
    lr = float(params["learning_rate"])
    l2 = float(params.get("lambda_l2", "0"))
    bias = np.zeros(k)
    if params.get("boost_from_average", "1") in ("1", "true"):
        # tree j < k also holds the init score: at the init score the root gradient sum is 0,
        # so sum_l (H_l + l2) * stored_l = init * sum_l (H_l + l2) recovers it exactly.
        for j in range(k):
            bias[j] = _init_score(j, trees[j], native.leaf_weights(j)[leaf_orders[j]] + l2)
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


_SPLIT_FIELDS = {
    "split_feature": np.int64,
    "decision_type": np.int64,
    "threshold": np.float64,
    "left_child": np.int64,
    "right_child": np.int64,
}


class _Native:
    """Every tree's arrays in LightGBM's numbering, concatenated over trees.

    Split fields hold ``num_leaves - 1`` entries per tree, ``leaf_value``
    ``num_leaves``; a child ``c < 0`` is leaf ``~c``. Each field is parsed
    for all trees in one call: number parsing dominates, and one call per
    field is several times faster than one per tree.
    """

    def __init__(self, blocks: list[str]):
        self.fields = [_fields(b) for b in blocks]
        self.n_leaves = np.array([int(f["num_leaves"]) for f in self.fields], dtype=np.int64)
        self.n_split = self.n_leaves - 1
        for key, dtype in _SPLIT_FIELDS.items():
            setattr(self, key, _numbers(self.fields, key, dtype, self.n_split))
        self.leaf_value = _numbers(self.fields, "leaf_value", np.float64, self.n_leaves)
        _check_splits(self.decision_type)
        # dump_model() writes thresholds through AvoidInf; keep the same numbers
        self.threshold = np.clip(np.nan_to_num(self.threshold, nan=0.0), -1e300, 1e300)

    def children(self) -> list[tuple[list, list]]:
        """Each tree's left and right child lists."""
        left, right = self.left_child.tolist(), self.right_child.tolist()
        ends = np.cumsum(self.n_split).tolist()
        return [(left[e - n : e], right[e - n : e]) for e, n in zip(ends, self.n_split.tolist())]

    def leaf_weights(self, t: int) -> np.ndarray:
        """Tree ``t``'s leaf weights (Hessian sums); a one-leaf tree's text has none."""
        text = self.fields[t]["leaf_weight"]
        return np.array(text.split(), dtype=np.float64) if text else np.zeros(1)


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


def _check_splits(decision_type: np.ndarray) -> None:
    """Refuse categorical splits (bit 0) and zero-as-missing (bits 2-3 == 1)."""
    if (decision_type & 1).any():
        raise UnsupportedModelError("LightGBM categorical split is unsupported")
    if ((decision_type >> 2) & 3 == 1).any():
        raise UnsupportedModelError("LightGBM zero_as_missing is unsupported")


def _preorder(left: list, right: list) -> list[int]:
    """LightGBM node codes (split index, or ``~leaf``) in depth-first, left-first order."""
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


def _ranges(counts: np.ndarray) -> np.ndarray:
    """``0..c-1`` for each count ``c``, concatenated."""
    return np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)


def _trees(native: _Native, orders: list[list[int]]) -> list[Tree]:
    """Flat node arrays per tree in depth-first order (our numbering), built for all trees at once.

    Every node gets a slot in one array over the ensemble: tree t's split s
    at ``start[t] + s``, its leaf l at ``start[t] + n_split[t] + l``.
    """
    n_split, n_leaves = native.n_split, native.n_leaves
    n_nodes = n_split + n_leaves
    start = np.cumsum(n_nodes) - n_nodes
    trees = np.arange(len(n_nodes))

    def slot(code, tree):
        return start[tree] + np.where(code >= 0, code, n_split[tree] + ~code)

    split_slot = np.repeat(start, n_split) + _ranges(n_split)
    leaf_slot = np.repeat(start + n_split, n_leaves) + _ranges(n_leaves)
    node = slot(np.concatenate(orders), np.repeat(trees, n_nodes))  # slot at each of our positions
    position = np.empty(len(node), dtype=np.int64)  # our position within the tree, by slot
    position[node] = _ranges(n_nodes)
    split_tree = np.repeat(trees, n_split)

    def scatter(values, where, fill, dtype):
        out = np.full(len(node), fill, dtype=dtype)
        out[where] = values
        return out[node]

    arrays = [
        scatter(native.split_feature, split_slot, -1, np.int64),
        scatter(native.threshold, split_slot, 0.0, np.float64),
        scatter(position[slot(native.left_child, split_tree)], split_slot, -1, np.int64),
        scatter(position[slot(native.right_child, split_tree)], split_slot, -1, np.int64),
        scatter(native.leaf_value, leaf_slot, 0.0, np.float64),
    ]
    return [Tree(*parts) for parts in zip(*(np.split(a, start[1:]) for a in arrays))]


def _leaves_of(order: list[int]) -> np.ndarray:
    """LightGBM's leaf index of each leaf in our depth-first, left-first order."""
    return np.array([~c for c in order if c < 0], dtype=np.int64)


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
        native = np.asarray(booster.predict(X, pred_leaf=True)).reshape(len(X), -1)[:, :T]
        return to_ours.take(native + row_start.astype(native.dtype))

    return apply
