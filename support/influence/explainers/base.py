"""The explainer interface shared by every influence method."""

from __future__ import annotations

import numpy as np

from ..ensemble import TreeEnsemble
from ..parsers import parse_model
from ..trace import Trace


def check_Xy(X, y, name: str = "X"):
    """Validate a feature matrix and labels; return float64 X and 1-D y.

    Raises ``ValueError`` naming the argument for a wrong shape, a length
    mismatch, or NaN/inf in ``X`` (numeric labels are checked by
    :func:`encode_labels`).
    """
    try:
        X = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be a numeric 2-D array: {err}") from err
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array, got shape {X.shape}")
    if not np.isfinite(X).all():
        raise ValueError(
            f"{name} contains {int((~np.isfinite(X)).sum())} NaN or inf values; expected finite features"
        )
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != len(X):
        raise ValueError(f"y for {name} must be 1-D with {len(X)} entries, got shape {y.shape}")
    return X, y


def encode_labels(model, y, objective: str, name: str = "y") -> np.ndarray:
    """Labels as the ensemble sees them: class indices through ``model.classes_``, or finite floats.

    Classifier labels (strings included) are mapped to their position in
    ``model.classes_``; a label the model was not fitted on is an error. A
    raw booster without ``classes_`` needs labels 0..K-1 already.
    """
    classes = getattr(model, "classes_", None)
    if objective != "regression" and classes is not None:
        lookup = {c: i for i, c in enumerate(np.asarray(classes).tolist())}
        values = np.asarray(y).tolist()
        bad = sorted({repr(v) for v in values if _missing(lookup, v)})
        if bad:
            raise ValueError(
                f"{name} holds labels the model was not fitted on: {', '.join(bad[:5])}; expected "
                f"values of model.classes_ = {list(lookup)}"
            )
        return np.array([lookup[v] for v in values], dtype=np.int64)
    try:
        yf = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"{name} must be numeric for a {objective} model without classes_, got dtype {np.asarray(y).dtype}"
        ) from err
    if not np.isfinite(yf).all():
        raise ValueError(f"{name} contains {int((~np.isfinite(yf)).sum())} NaN or inf values")
    return yf


def _missing(lookup: dict, v) -> bool:
    try:
        return v not in lookup
    except TypeError:  # unhashable
        return True


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
        y = encode_labels(model, y, self.ensemble_.objective, "y")
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
        return self._local(X, encode_labels(self.model_, y, self.objective_, "y_test"))

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
