"""Building, retraining and scoring the GBDTs the evaluations use."""

from __future__ import annotations

import numpy as np
from sklearn.base import clone

from .ensemble import UnsupportedModelError
from .losses import get_objective

LIBRARIES = ("lightgbm", "xgboost", "sklearn_hgb", "sklearn_gb", "catboost")
TASKS = ("regression", "binary", "multiclass")


def make_model(
    library: str,
    task: str,
    n_estimators: int = 100,
    max_leaves: int = 15,
    learning_rate: float = 0.1,
    seed: int = 1,
    n_jobs: int = 1,
    **params,
):
    """An unfitted GBDT whose leaves are exact Newton steps (no bagging, no L1, no path smoothing).

    Leaf-size constraints (LightGBM's ``min_child_samples=20``, XGBoost's
    ``min_child_weight=1``, scikit-learn's ``min_samples_leaf=20``) stay at the
    library defaults, as in the paper's runs; pass them in ``params`` to change them.

    Parameters
    ----------
    library : str
        One of ``"lightgbm"``, ``"xgboost"``, ``"sklearn_hgb"``, ``"sklearn_gb"``, ``"catboost"``.
    task : str
        ``"regression"``, ``"binary"`` or ``"multiclass"``.
    n_estimators, max_leaves, learning_rate : int, int, float
        Boosting rounds, leaves per tree (depth ``ceil(log2)`` for depth-wise libraries), shrinkage.
    seed, n_jobs : int
        Random state and threads.
    **params
        Extra library parameters (override the defaults).

    Notes
    -----
    CatBoost is built with ``bootstrap_type="No"`` (its default Bayesian/MVS
    bootstrap reweights examples per tree), Newton leaves in one iteration and
    plain boosting. A CatBoost ``MultiClass`` model fits, but the parser refuses
    it: its leaves are full-Hessian Newton steps (see ``parsers/catboost.py``).
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    if library not in BUILDERS:
        raise ValueError(f"library must be one of {LIBRARIES}, got {library!r}")
    depth = int(np.ceil(np.log2(max(max_leaves, 2))))
    cls, kw = BUILDERS[library](task, n_estimators, max_leaves, depth, learning_rate, seed, n_jobs)
    kw.update(params)
    return cls(**kw)


def _lightgbm(task, n_estimators, max_leaves, depth, learning_rate, seed, n_jobs):
    import lightgbm as lgb

    cls = lgb.LGBMRegressor if task == "regression" else lgb.LGBMClassifier
    kw = dict(num_leaves=max_leaves, random_state=seed, n_jobs=n_jobs, verbose=-1)
    return cls, dict(n_estimators=n_estimators, learning_rate=learning_rate, **kw)


def _xgboost(task, n_estimators, max_leaves, depth, learning_rate, seed, n_jobs):
    import xgboost as xgb

    cls = xgb.XGBRegressor if task == "regression" else xgb.XGBClassifier
    kw = dict(max_depth=depth, random_state=seed, n_jobs=n_jobs, tree_method="hist")
    return cls, dict(n_estimators=n_estimators, learning_rate=learning_rate, reg_lambda=1.0, **kw)


def _sklearn_hgb(task, n_estimators, max_leaves, depth, learning_rate, seed, n_jobs):
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    cls = HistGradientBoostingRegressor if task == "regression" else HistGradientBoostingClassifier
    kw = dict(max_leaf_nodes=max_leaves, random_state=seed, early_stopping=False)
    return cls, dict(max_iter=n_estimators, learning_rate=learning_rate, **kw)


def _sklearn_gb(task, n_estimators, max_leaves, depth, learning_rate, seed, n_jobs):
    from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor

    cls = GradientBoostingRegressor if task == "regression" else GradientBoostingClassifier
    kw = dict(max_leaf_nodes=max_leaves, random_state=seed)
    return cls, dict(n_estimators=n_estimators, learning_rate=learning_rate, **kw)


def _catboost(task, n_estimators, max_leaves, depth, learning_rate, seed, n_jobs):
    try:
        import catboost as cb
    except ImportError as err:  # optional extra
        raise ImportError("library='catboost' needs the optional catboost package") from err
    cls = cb.CatBoostRegressor if task == "regression" else cb.CatBoostClassifier
    kw = dict(
        iterations=n_estimators,
        depth=depth,
        learning_rate=learning_rate,
        random_seed=seed,
        thread_count=n_jobs,
        verbose=False,
        leaf_estimation_iterations=1,
        leaf_estimation_method="Newton",
        bootstrap_type="No",
        boosting_type="Plain",
        allow_writing_files=False,
    )
    if task == "multiclass":
        kw["loss_function"] = "MultiClass"
    return cls, kw


BUILDERS = {
    "lightgbm": _lightgbm,
    "xgboost": _xgboost,
    "sklearn_hgb": _sklearn_hgb,
    "sklearn_gb": _sklearn_gb,
    "catboost": _catboost,
}


def retrain(model, X, y):
    """A fresh copy of ``model`` (same parameters and seed) fitted on ``(X, y)``."""
    if not hasattr(model, "get_params"):
        raise UnsupportedModelError(
            "model: retraining needs a scikit-learn-style estimator, not a raw Booster"
        )
    return clone(model).fit(X, y)


def raw_margin(model, X) -> np.ndarray:
    """The model's own margin-space predictions, shape (n, n_outputs)."""
    mod = type(model).__module__.split(".")[0]
    if mod == "lightgbm":
        out = model.predict(X, raw_score=True)
    elif mod == "xgboost":
        out = model.predict(X, output_margin=True)
    elif mod == "catboost":
        out = model.predict(X, prediction_type="RawFormulaVal")
    elif hasattr(model, "decision_function"):
        out = model.decision_function(X)
    else:
        out = model.predict(X)
    out = np.asarray(out, dtype=np.float64)
    return out.reshape(len(X), -1)


def task_of(model) -> str:
    """``"regression"``, ``"binary"`` or ``"multiclass"`` from a fitted model's classes."""
    classes = getattr(model, "classes_", None)
    if classes is None:
        return "regression"
    return "binary" if len(classes) == 2 else "multiclass"


def example_loss(model, X, y, task: str | None = None) -> np.ndarray:
    """Per-example loss of a fitted model (half squared error, log loss or cross-entropy), shape (n,)."""
    task = task or task_of(model)
    z = raw_margin(model, X)
    obj = get_objective(task, n_outputs=z.shape[1])
    return obj.loss(z, obj.targets(y))
