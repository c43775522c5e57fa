"""scikit-learn HistGradientBoosting and GradientBoosting."""

from __future__ import annotations

import numpy as np

from ..ensemble import Tree, TreeEnsemble, UnsupportedModelError


def _objective(model, n_classes: int) -> str:
    loss = getattr(model, "loss", None)
    is_clf = hasattr(model, "classes_")
    if is_clf and loss in ("log_loss", "auto", "deviance"):
        return "binary" if n_classes == 2 else "multiclass"
    if not is_clf and loss in ("squared_error", "ls"):
        return "regression"
    raise UnsupportedModelError(
        f"{type(model).__name__} loss={loss!r} is unsupported; use squared_error or log_loss"
    )


def parse_hist_gradient_boosting(model) -> TreeEnsemble:
    """Parse a fitted ``HistGradientBoostingRegressor``/``Classifier``."""
    n_classes = len(getattr(model, "classes_", [None]))
    objective = _objective(model, n_classes)
    if getattr(model, "do_early_stopping_", False):
        raise UnsupportedModelError(
            "HistGradientBoosting early_stopping is active: the trees were fitted on a subset of X; "
            "set early_stopping=False"
        )
    if getattr(model, "class_weight", None) is not None:
        raise UnsupportedModelError("HistGradientBoosting class_weight is unsupported")
    if getattr(model, "is_categorical_", None) is not None and np.any(model.is_categorical_):
        raise UnsupportedModelError("HistGradientBoosting categorical features are unsupported")
    trees = []
    for round_predictors in model._predictors:
        for pred in round_predictors:
            nd = pred.nodes
            leaf = nd["is_leaf"].astype(bool)
            trees.append(
                Tree(
                    feature=np.where(leaf, -1, nd["feature_idx"]),
                    threshold=np.where(leaf, 0.0, nd["num_threshold"]),
                    left=np.where(leaf, -1, nd["left"].astype(np.int64)),
                    right=np.where(leaf, -1, nd["right"].astype(np.int64)),
                    leaf_value=np.where(leaf, nd["value"], 0.0),
                )
            )
    bias = np.asarray(model._baseline_prediction, dtype=np.float64).ravel()
    return TreeEnsemble(
        trees=trees,
        objective=objective,
        bias=bias,
        learning_rate=float(model.learning_rate),
        l2=float(model.l2_regularization),
        hess_factor=1.0,
        strict=False,
        float32=False,
        library="sklearn_hgb",
        n_features=int(model.n_features_in_),
    )


def parse_gradient_boosting(model) -> TreeEnsemble:
    """Parse a fitted ``GradientBoostingRegressor``/``Classifier``."""
    n_classes = len(getattr(model, "classes_", [None]))
    objective = _objective(model, n_classes)
    if model.subsample < 1:
        raise UnsupportedModelError(
            "GradientBoosting subsample<1 (stochastic boosting) is unsupported"
        )
    if model.init not in (None, "zero"):
        raise UnsupportedModelError("GradientBoosting with a custom init estimator is unsupported")
    if getattr(model, "n_iter_no_change", None) is not None:
        raise UnsupportedModelError(
            "GradientBoosting n_iter_no_change (early stopping on a held-out split) is unsupported"
        )
    lr = float(model.learning_rate)
    trees = []
    for row in model.estimators_:
        for est in row:
            t = est.tree_
            leaf = t.children_left < 0
            trees.append(
                Tree(
                    feature=np.where(leaf, -1, t.feature),
                    threshold=np.where(leaf, 0.0, t.threshold),
                    left=t.children_left,
                    right=t.children_right,
                    leaf_value=np.where(leaf, lr * t.value[:, 0, 0], 0.0),
                )
            )
    n_features = int(model.n_features_in_)
    if model.init == "zero":
        bias = np.zeros(model.estimators_.shape[1])
    else:
        bias = np.asarray(
            model._raw_predict_init(np.zeros((1, n_features), dtype=np.float32)), dtype=np.float64
        ).ravel()
    k = len(bias)
    return TreeEnsemble(
        trees=trees,
        objective=objective,
        bias=bias,
        learning_rate=lr,
        l2=0.0,
        hess_factor=k / (k - 1) if objective == "multiclass" else 1.0,
        strict=False,
        float32=True,
        library="sklearn_gb",
        n_features=n_features,
    )
