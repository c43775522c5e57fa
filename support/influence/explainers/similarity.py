"""Similarity baselines: TreeSim/LeafSim on tree kernels and InputSim on raw features.

Similarities are signed: positive when the training example's label agrees
with the test example's (classification), or, for regression, when the two
targets lie on opposite sides of the test prediction (the training example
pulls the prediction towards the test target), as in the reference.
"""

from __future__ import annotations

import numpy as np

from .base import Explainer
from .kernels import tree_features

MEASURES = ("dot_prod", "cosine", "euclidean")


class _Signed(Explainer):
    def _sign(self, X, y):
        if self.objective_ in ("binary", "multiclass"):
            return np.where(self.y_[:, None] == y[None, :], 1.0, -1.0)
        pred = self.ensemble_.raw_predict(X)[:, 0]
        test_sgn = np.where(pred >= y, 1.0, -1.0)
        train_sgn = np.where(self.y_[:, None] >= pred[None, :], 1.0, -1.0)
        return np.where(train_sgn != test_sgn[None, :], 1.0, -1.0)


def _similarity(A, B, measure):
    """(n, m) similarity of the rows of A and B (dense or sparse)."""
    dot = A @ B.T
    dot = np.asarray(dot.toarray() if hasattr(dot, "toarray") else dot)
    if measure == "dot_prod":
        return dot
    a2 = np.asarray(A.multiply(A).sum(1)).ravel() if hasattr(A, "multiply") else (A**2).sum(1)
    b2 = np.asarray(B.multiply(B).sum(1)).ravel() if hasattr(B, "multiply") else (B**2).sum(1)
    if measure == "cosine":
        return dot / np.maximum(np.sqrt(a2)[:, None] * np.sqrt(b2)[None, :], 1e-300)
    dist = np.sqrt(np.maximum(a2[:, None] + b2[None, :] - 2 * dot, 0.0))
    with np.errstate(divide="ignore"):
        # an exact duplicate (distance 0) is the most similar example, as 1/0 = inf in the reference
        return np.nan_to_num(1.0 / dist, posinf=np.finfo(np.float64).max)


class TreeSim(_Signed):
    """Signed similarity in a tree-kernel space.

    Parameters
    ----------
    kernel : str
        Feature map (see :func:`~support.influence.explainers.kernels.tree_features`).
    measure : {"dot_prod", "cosine", "euclidean"}
        Similarity; euclidean means 1 / distance.
    """

    def __init__(self, kernel: str = "lpw", measure: str = "dot_prod"):
        if measure not in MEASURES:
            raise ValueError(f"measure must be one of {MEASURES}, got {measure!r}")
        self.kernel = kernel
        self.measure = measure

    def _fit(self):
        self.phi_ = tree_features(self.ensemble_, self.trace_.cols, self.trace_.count, self.kernel)

    def _local(self, X, y):
        e = self.ensemble_
        phi_te = tree_features(e, e.leaf_columns(e.apply(X)), self.trace_.count, self.kernel)
        return _similarity(self.phi_, phi_te, self.measure) * self._sign(X, y)


class LeafSim(TreeSim):
    """Sum over trees of 1[shared leaf] / count^2: TreeSim with the ``lpw`` kernel and dot product."""

    def __init__(self):
        super().__init__(kernel="lpw", measure="dot_prod")


class InputSim(_Signed):
    """Signed similarity of raw inputs.

    Parameters
    ----------
    measure : {"euclidean", "cosine", "dot_prod"}
        Euclidean means 1 / distance (the reference's default).
    """

    needs_trace = False

    def __init__(self, measure: str = "euclidean"):
        if measure not in MEASURES:
            raise ValueError(f"measure must be one of {MEASURES}, got {measure!r}")
        self.measure = measure

    def _local(self, X, y):
        return _similarity(self.X_, X, self.measure) * self._sign(X, y)
