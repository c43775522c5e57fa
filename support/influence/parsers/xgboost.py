"""XGBoost (2.x and 3.x): trees and settings from the JSON model and config.

``get_params()`` returns None for the learning rate, lambda and base score in
XGBoost >= 2, so everything is read from ``save_config()`` and the raw JSON
model, where the (auto-estimated) base score is stored in output space.
"""

from __future__ import annotations

import json

import numpy as np

from ..ensemble import Tree, TreeEnsemble, UnsupportedModelError

_OBJECTIVES = {
    "reg:squarederror": "regression",
    "binary:logistic": "binary",
    "binary:logitraw": "binary",
    "multi:softprob": "multiclass",
    "multi:softmax": "multiclass",
}


def _floats(text) -> np.ndarray:
    if isinstance(text, list):
        return np.asarray(text, dtype=np.float64)
    return np.asarray(
        [float(v) for v in str(text).strip("[]").split(",") if v.strip()], dtype=np.float64
    )


def parse_xgboost(model) -> TreeEnsemble:
    """Parse a fitted XGBoost model (sklearn wrapper or ``Booster``)."""
    booster = model.get_booster() if hasattr(model, "get_booster") else model
    learner = json.loads(booster.save_config())["learner"]
    obj_name = learner["objective"]["name"]
    if obj_name not in _OBJECTIVES:
        raise UnsupportedModelError(
            f"XGBoost objective {obj_name!r} is unsupported; use reg:squarederror, binary:logistic or multi:softprob"
        )
    objective = _OBJECTIVES[obj_name]
    _check(learner)
    raw = json.loads(booster.save_raw(raw_format="json"))
    gbm = raw["learner"]["gradient_booster"]["model"]
    k = int(learner["learner_model_param"].get("num_class", "0")) or 1
    info = np.asarray(gbm["tree_info"])
    if (info != np.arange(len(info)) % k).any():
        raise UnsupportedModelError("XGBoost trees are not interleaved one per class and round")
    tp = learner["gradient_booster"]["tree_train_param"]
    return TreeEnsemble(
        trees=[_tree(t) for t in gbm["trees"]],
        objective=objective,
        bias=_bias(learner, obj_name, objective, k),
        learning_rate=float(tp["eta"]),
        l2=float(tp["lambda"]),
        hess_factor=2.0 if objective == "multiclass" else 1.0,
        strict=True,
        float32=True,
        library="xgboost",
        n_features=int(learner["learner_model_param"]["num_feature"]),
    )


def _check(learner: dict) -> None:
    """Refuse the boosters and settings whose leaf values are not exact Newton steps."""
    gb = learner["gradient_booster"]
    if gb.get("name", "gbtree") != "gbtree":
        raise UnsupportedModelError(
            f"XGBoost booster {gb.get('name')!r} is unsupported (need 'gbtree'; dart and gblinear are refused)"
        )
    tp = gb["tree_train_param"]
    checks = [
        (float(tp.get("subsample", 1)) == 1, "subsample<1 (bagging)"),
        (float(tp.get("alpha", 0)) == 0, "alpha/reg_alpha (an L1 leaf penalty)"),
        (float(tp.get("max_delta_step", 0)) == 0, "max_delta_step"),
        (
            int(gb.get("gbtree_model_param", {}).get("num_parallel_tree", 1) or 1) == 1,
            "num_parallel_tree>1 (a random forest)",
        ),
        (
            float(learner.get("learner_train_param", {}).get("scale_pos_weight", 1) or 1) == 1,
            "scale_pos_weight",
        ),
    ]
    reg_loss = learner["objective"].get("reg_loss_param", {})
    if "scale_pos_weight" in reg_loss:
        checks.append((float(reg_loss["scale_pos_weight"]) == 1, "scale_pos_weight"))
    for ok, what in checks:
        if not ok:
            raise UnsupportedModelError(
                f"XGBoost model uses {what}; leaf values are then not exact Newton steps"
            )
    if learner["learner_model_param"].get("num_target", "1") not in ("1", 1):
        raise UnsupportedModelError("XGBoost multi-target models are unsupported")


def _bias(learner: dict, obj_name: str, objective: str, k: int) -> np.ndarray:
    """The margin-space base score, one per output (XGBoost stores it in output space)."""
    base = _floats(learner["learner_model_param"]["base_score"])
    if objective == "binary" and obj_name == "binary:logistic":
        if np.any((base <= 0) | (base >= 1)):
            raise ValueError(
                f"base_score of a binary:logistic model must lie in (0, 1), got {base.tolist()}"
            )
        base = np.log(base / (1 - base))
    elif objective == "multiclass" and np.all(base == 0.5) and len(base) == 1:
        base = np.zeros(k)  # XGBoost 2.x stores a scalar 0.5 that softmax ignores
    if len(base) not in (1, k):
        raise UnsupportedModelError(f"XGBoost base_score of length {len(base)} for {k} outputs")
    return np.broadcast_to(base, (k,)).astype(np.float64).copy()


def _tree(t) -> Tree:
    if any(t.get("split_type", [])) or t.get("categories_nodes"):
        raise UnsupportedModelError("XGBoost categorical splits are unsupported")
    left = np.asarray(t["left_children"])
    right = np.asarray(t["right_children"])
    cond = np.asarray(t["split_conditions"], dtype=np.float32).astype(np.float64)
    leaf = left < 0
    return Tree(
        feature=np.where(leaf, -1, np.asarray(t["split_indices"])),
        threshold=np.where(leaf, 0.0, cond),
        left=left,
        right=right,
        leaf_value=np.where(leaf, cond, 0.0),
    )
