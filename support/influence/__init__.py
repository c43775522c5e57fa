"""GBDT influence estimation (Brophy, Hammoudeh, Lowd, JMLR 2023; arXiv 2205.00359).

Explain a fitted gradient-boosted ensemble (LightGBM, XGBoost, scikit-learn,
CatBoost) in scikit-learn's manner::

    from support.influence import BoostIn
    inf = BoostIn().fit(model, X_train, y_train).local_influence(X_test, y_test)

Every explainer has ``fit(model, X, y)`` (returns self),
``local_influence(X_test, y_test)`` (shape ``(n_train, n_test)``, positive =
the training example helps the test prediction) and ``self_influence()``.
:func:`parse_model` exposes the parsed tree structure they share.
"""

from .ensemble import TreeEnsemble, UnsupportedModelError
from .explainers import (
    LOO,
    METHODS,
    BoostIn,
    Explainer,
    InputSim,
    LeafInfluence,
    LeafInfluenceSP,
    LeafRefit,
    LeafSim,
    Random,
    SubSample,
    Target,
    TreeSim,
    Trex,
    make_explainer,
)
from .parsers import parse_model
from .parsers.dispatch import NotFittedModelError
from .trace import NewtonMismatchError

__all__ = [
    "LOO",
    "METHODS",
    "BoostIn",
    "Explainer",
    "InputSim",
    "LeafInfluence",
    "LeafInfluenceSP",
    "LeafRefit",
    "LeafSim",
    "NewtonMismatchError",
    "NotFittedModelError",
    "Random",
    "SubSample",
    "Target",
    "TreeEnsemble",
    "TreeSim",
    "Trex",
    "UnsupportedModelError",
    "make_explainer",
    "parse_model",
]
