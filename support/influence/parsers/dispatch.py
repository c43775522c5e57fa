"""Pick the parser for a fitted model by its type."""

from __future__ import annotations

from ..ensemble import TreeEnsemble, UnsupportedModelError


class NotFittedModelError(ValueError):
    """The model passed to an explainer has not been fitted."""


def check_fitted(model) -> None:
    """Raise :class:`NotFittedModelError` when ``model`` (an estimator of any supported library) is unfitted."""
    name = type(model).__name__
    if hasattr(model, "is_fitted") and callable(model.is_fitted):  # CatBoost
        fitted = bool(model.is_fitted())
    elif hasattr(model, "get_params"):  # scikit-learn API: LightGBM, XGBoost, sklearn
        from sklearn.exceptions import NotFittedError
        from sklearn.utils.validation import check_is_fitted

        try:
            check_is_fitted(model)
            fitted = True
        except NotFittedError:
            fitted = False
    else:  # raw boosters are fitted by construction
        return
    if not fitted:
        raise NotFittedModelError(
            f"model: this {name} is not fitted; call model.fit(X, y) first, then explainer.fit(model, X, y)"
        )


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
    check_fitted(model)
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
