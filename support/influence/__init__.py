"""GBDT influence estimation (Brophy, Hammoudeh, Lowd, JMLR 2023; arXiv 2205.00359).

Parse a fitted gradient-boosted ensemble (:func:`parse_model`), then explain
it with one of the explainers in :mod:`support.influence.explainers`, each
with ``fit(model, X, y)``, ``local_influence(X_test, y_test)`` (shape
``(n_train, n_test)``, positive = the training example helps the test
prediction) and ``self_influence()``.
"""

from .ensemble import TreeEnsemble, UnsupportedModelError
from .parsers import parse_model

__all__ = ["TreeEnsemble", "UnsupportedModelError", "parse_model"]
