"""Pick the parser for a fitted model by its type."""

from __future__ import annotations

from ..ensemble import TreeEnsemble, UnsupportedModelError


def parse_model(model) -> TreeEnsemble:
    """Parse a fitted LightGBM, XGBoost, CatBoost or scikit-learn GBDT.

    Parameters
    ----------
    model : estimator or booster
        ``lightgbm.LGBMModel``/``Booster``, ``xgboost.XGBModel``/``Booster``,
        ``catboost.CatBoost``, ``sklearn`` ``HistGradientBoosting*`` or
        ``GradientBoosting*``.

    Returns
    -------
    TreeEnsemble

    Raises
    ------
    UnsupportedModelError
        For a model type or setting under which leaf values are not exact Newton steps.
    """
    mod = type(model).__module__.split(".")[0]
    name = type(model).__name__
    if mod == "lightgbm":
        from .lightgbm import parse_lightgbm

        return parse_lightgbm(model)
    if mod == "xgboost":
        from .xgboost import parse_xgboost

        return parse_xgboost(model)
    if mod == "catboost":
        from .catboost import parse_catboost

        return parse_catboost(model)
    if mod == "sklearn":
        if name.startswith("HistGradientBoosting"):
            from .sklearn import parse_hist_gradient_boosting

            return parse_hist_gradient_boosting(model)
        if name.startswith("GradientBoosting"):
            from .sklearn import parse_gradient_boosting

            return parse_gradient_boosting(model)
        raise UnsupportedModelError(
            f"model: {name} is not a gradient-boosted ensemble (random forests and other "
            "averaging ensembles have no Newton leaf values); use a GBDT"
        )
    raise UnsupportedModelError(f"model: unsupported type {type(model).__module__}.{name}")
