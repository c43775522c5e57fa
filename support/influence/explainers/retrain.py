"""Retraining-based influence: leave-one-out and subsampling (data-model style)."""

from __future__ import annotations

import numpy as np

from ...core.progress import progress
from ..models import example_loss, retrain
from .base import Explainer


def subsample_contrast(M: np.ndarray, losses: np.ndarray) -> np.ndarray:
    """Mean loss over the subsamples without each example minus the mean over those with it, (n, m).

    ``M`` (S, n) marks the examples each subsample kept, ``losses`` (S, m) the
    losses of its model. An example that every subsample kept (or none did)
    has no contrast to measure: its influence is 0, not a one-sided mean.
    """
    n_in, n_out = M.sum(0)[:, None], (1 - M).sum(0)[:, None]
    both = (n_in > 0) & (n_out > 0)
    out = (1 - M).T @ losses / np.maximum(n_out, 1) - M.T @ losses / np.maximum(n_in, 1)
    return np.where(both, out, 0.0)


class LOO(Explainer):
    """Leave-one-out: retrain without each training example (n retrains).

    Influence = L(y, f_{-i}(x)) - L(y, f(x)). The retrained models are kept
    only as their test predictions, so ``fit`` stores the models' losses
    lazily: the n retrained models are fitted once, in ``fit``.
    """

    needs_trace = False

    def __init__(self, verbose: bool = False):
        self.verbose = verbose

    def _fit(self):
        n = len(self.X_)
        keep = np.ones(n, dtype=bool)
        self.models_ = []
        it = progress(range(n), desc="LOO", total=n) if self.verbose else range(n)
        for i in it:
            keep[i] = False
            self.models_.append(retrain(self.model_, self.X_[keep], self.y_[keep]))
            keep[i] = True

    def _local(self, X, y):
        base = example_loss(self.model_, X, y, self.objective_)
        return (
            np.stack([example_loss(m, X, y, self.objective_) for m in self.models_]) - base[None, :]
        )


class SubSample(Explainer):
    """Influence = E[L | i not in S] - E[L | i in S] over random subsets S of size ``sub_frac * n``.

    Parameters
    ----------
    sub_frac : float
        Fraction of the training set in each subset.
    n_iter : int
        Number of subsets (retrains).
    seed : int
        Random seed of the subsets.
    """

    needs_trace = False

    def __init__(
        self, sub_frac: float = 0.7, n_iter: int = 4000, seed: int = 1, verbose: bool = False
    ):
        if not 0 < sub_frac < 1:
            raise ValueError(f"sub_frac must be in (0, 1), got {sub_frac}")
        self.sub_frac = sub_frac
        self.n_iter = int(n_iter)
        self.seed = seed
        self.verbose = verbose

    def _fit(self):
        n = len(self.X_)
        rng = np.random.default_rng(self.seed)
        size = int(round(self.sub_frac * n))
        self.masks_ = np.zeros((self.n_iter, n), dtype=bool)
        self.models_ = []
        it = (
            progress(range(self.n_iter), desc="SubSample", total=self.n_iter)
            if self.verbose
            else range(self.n_iter)
        )
        for s in it:
            idx = rng.choice(n, size=size, replace=False)
            self.masks_[s, idx] = True
            self.models_.append(retrain(self.model_, self.X_[idx], self.y_[idx]))

    def _local(self, X, y):
        losses = np.stack([example_loss(m, X, y, self.objective_) for m in self.models_])  # (S, m)
        M = self.masks_.astype(np.float64)  # (S, n)
        return subsample_contrast(M, losses)
