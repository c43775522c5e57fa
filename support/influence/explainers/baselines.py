"""Random baselines: Target (random with the label's sign) and Random."""

from __future__ import annotations

import numpy as np

from .similarity import _Signed


class Target(_Signed):
    """U(0, 1) for training examples whose label agrees with the test example, U(-1, 0) otherwise.

    The reference calls this "RandomSL". For regression the sign follows
    :class:`~support.influence.explainers.similarity.TreeSim`'s rule.
    """

    needs_trace = False

    def __init__(self, seed: int = 1):
        self.seed = seed

    def _local(self, X, y):
        rng = np.random.default_rng(self.seed)
        return rng.uniform(0, 1, size=(len(self.X_), len(X))) * self._sign(X, y)


class Random(_Signed):
    """Standard-normal influence values."""

    needs_trace = False

    def __init__(self, seed: int = 1):
        self.seed = seed

    def _local(self, X, y):
        return np.random.default_rng(self.seed).normal(size=(len(self.X_), len(X)))
