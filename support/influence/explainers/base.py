"""The explainer interface shared by every influence method."""

from __future__ import annotations

import numpy as np

from ..ensemble import TreeEnsemble
from ..parsers import parse_model
from ..trace import Trace


def check_Xy(X, y, name: str = "X"):
    """Validate a feature matrix and labels; return float64 X and 1-D y."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array, got shape {X.shape}")
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != len(X):
        raise ValueError(f"y for {name} must be 1-D with {len(X)} entries, got shape {y.shape}")
    return X, y


class Explainer:
    """Base class: ``fit(model, X, y)`` -> self; ``local_influence(X, y)`` -> (n_train, n_test).

    Positive influence means the training example helps the test prediction:
    removing it is expected to raise the test loss.
    """

    needs_trace = True

    def fit(self, model, X, y):
        """Parse ``model`` (fitted on exactly ``X, y``) and precompute what the method needs.

        Parameters
        ----------
        model : fitted GBDT
            See :func:`support.influence.parse_model`.
        X : array, shape (n_train, n_features)
        y : array, shape (n_train,)

        Returns
        -------
        self
        """
        X, y = check_Xy(X, y, "X")
        self.model_ = model
        self.ensemble_: TreeEnsemble = parse_model(model)
        self.X_, self.y_ = X, y
        self.objective_ = self.ensemble_.objective
        self.trace_ = Trace(self.ensemble_, X, y) if self.needs_trace else None
        self._fit()
        return self

    def _fit(self):
        pass

    def _check_fitted(self):
        if not hasattr(self, "ensemble_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted; call fit(model, X, y) first")

    def local_influence(self, X, y) -> np.ndarray:
        """Influence of every training example on every test example's loss.

        Parameters
        ----------
        X : array, shape (n_test, n_features)
        y : array, shape (n_test,)

        Returns
        -------
        ndarray, shape (n_train, n_test)
        """
        self._check_fitted()
        X, y = check_Xy(X, y, "X_test")
        return self._local(X, y)

    def self_influence(self, batch_size: int = 200) -> np.ndarray:
        """Influence of each training example on its own loss, shape (n_train,)."""
        self._check_fitted()
        out = np.empty(len(self.X_))
        for s in range(0, len(out), batch_size):
            sl = slice(s, s + batch_size)
            block = self._local(self.X_[sl], self.y_[sl])
            out[sl] = block[
                np.arange(sl.start, sl.start + block.shape[1]), np.arange(block.shape[1])
            ]
        return out

    def _local(self, X, y) -> np.ndarray:
        raise NotImplementedError

    # helpers for subclasses
    def _test_grad(self, X, y, per_iteration: bool):
        """Test leaf columns and the loss gradient each tree sees, shape (m, T) each."""
        e = self.ensemble_
        leaves = e.apply(X)
        Y = e.loss.targets(y)
        margins = e.staged_margins(leaves)
        cls = e.tree_output
        if per_iteration:
            g = e.loss.grad(margins[:-1], Y)  # (R, m, K)
            gt = g.transpose(1, 0, 2).reshape(len(X), -1)
        else:
            gt = e.loss.grad(margins[-1], Y)[:, cls]
        return e.leaf_columns(leaves), gt, margins[-1], Y
