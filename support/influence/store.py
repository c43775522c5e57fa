"""Retraining for the evaluations, one cached unit per retrain.

Every evaluation (removal, label noise, fixing, LOO, SubSample) retrains the
model on a variant of its training set and reads its predictions on a fixed
set of evaluation rows. :class:`RetrainStore` keeps only those margins, shares
identical retrains between methods (they often pick the same examples), and
stores each retrain on disk on its own, so an interrupted run loses at most
the retrain in progress.
"""

from __future__ import annotations

import hashlib

import numpy as np

from ..core.cache import Cache
from .models import raw_margin, retrain


def _digest(*arrays) -> str:
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(a.dtype.str.encode())
        h.update(a.tobytes())
    return h.hexdigest()[:24]


class RetrainStore:
    """Margins on ``X_eval`` of ``model`` retrained on variants of ``(X, y)``.

    Parameters
    ----------
    model : fitted estimator
        Cloned (same parameters and seed) for every retrain.
    X, y : arrays
        Its training data.
    X_eval : array
        Rows whose margins each retrain records.
    key : dict
        Identifies the pair (data, split, model settings, seed) in the cache.
    cache : bool
        Store each retrain on disk (``influence/retrains``).

    Notes
    -----
    For classifiers a variant never loses a class entirely (XGBoost and
    scikit-learn cannot fit a model with a class missing): the change that
    would remove a class's final example (the last-ranked removal, or the
    last relabelled example) is undone; ``kept_class`` counts how often.
    """

    def __init__(self, model, X, y, X_eval, key: dict, cache: bool = True):
        self.model, self.X, self.y, self.X_eval = model, X, np.asarray(y), X_eval
        self.classes = np.unique(self.y) if hasattr(model, "classes_") else None
        self.key = dict(key, eval=_digest(X_eval), train=_digest(X, self.y))
        self.disk = Cache("influence/retrains", enabled=cache)
        self._memo: dict = {}
        self.fits = self.hits = self.kept_class = 0

    def _get(self, op: str, digest: str, fit):
        if (op, digest) in self._memo:
            self.hits += 1
            return self._memo[(op, digest)]
        key = dict(self.key, op=op, variant=digest)

        def compute():
            self.fits += 1
            return raw_margin(fit(), self.X_eval)

        out = self._memo[(op, digest)] = self.disk.get_or_compute(key, compute)
        return out

    @property
    def variants(self) -> set:
        """The retrains this store has served, as ``(op, digest)`` pairs (fitted or read from disk)."""
        return set(self._memo)

    def drop(self, idx) -> np.ndarray:
        """Margins (n_eval, K) after retraining without the examples ``idx`` (most influential first)."""
        idx = np.asarray(idx, dtype=np.int64)
        if self.classes is not None:
            keep = np.ones(len(self.X), dtype=bool)
            keep[idx] = False
            for c in np.setdiff1d(self.classes, self.y[keep]):
                last = idx[self.y[idx] == c][-1]
                idx = idx[idx != last]
                self.kept_class += 1
        idx = np.unique(idx)
        keep = np.ones(len(self.X), dtype=bool)
        keep[idx] = False
        return self._get(
            "drop", _digest(idx), lambda: retrain(self.model, self.X[keep], self.y[keep])
        )

    def keep_only(self, idx) -> np.ndarray:
        """Margins after retraining on the examples ``idx`` alone (SubSample)."""
        mask = np.ones(len(self.X), dtype=bool)
        mask[np.asarray(idx, dtype=np.int64)] = False
        return self.drop(np.flatnonzero(mask))

    def relabel(self, y_new) -> np.ndarray:
        """Margins after retraining on all of ``X`` with labels ``y_new``."""
        y_new = np.asarray(y_new).copy()
        if self.classes is not None:
            for c in np.setdiff1d(self.classes, y_new):
                changed = np.flatnonzero((self.y == c) & (y_new != c))
                y_new[changed[-1]] = c
                self.kept_class += 1
        return self._get("labels", _digest(y_new), lambda: retrain(self.model, self.X, y_new))
