"""The paper's rank aggregation, with bootstrap spreads over the evaluation examples.

Per pair and checkpoint: average each method's loss over the evaluation
examples, rank the methods (1 = best, ties share the mean rank), average the
ranks over checkpoints; then average over pairs. The spread resamples each
pair's evaluation examples with replacement and repeats the whole
aggregation, so it is the uncertainty due to the finite test sample.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import rankdata


def _pair_ranks(means: np.ndarray, higher_is_better: bool) -> np.ndarray:
    """Ranks (..., M) from per-checkpoint means (..., M, C), averaged over checkpoints."""
    r = rankdata(-means if higher_is_better else means, axis=-2, method="average")
    return r.mean(axis=-1)


def mean_ranks(
    settings: list, methods, higher_is_better: bool = True, use_score=False
) -> pd.Series:
    """Mean rank over pairs of ``methods`` (each Setting restricted to them)."""
    per_pair = [_pair_ranks(_means(s, methods, use_score), higher_is_better) for s in settings]
    return pd.Series(np.mean(per_pair, axis=0), index=list(methods))


def bootstrap_ranks(
    settings: list, methods, higher_is_better: bool = True, n_boot: int = 1000, seed: int = 0
) -> pd.DataFrame:
    """Mean ranks over pairs for ``n_boot`` resamples of each pair's evaluation examples, shape (B, M)."""
    rng = np.random.default_rng(seed)
    total = np.zeros((n_boot, len(methods)))
    for s in settings:
        idx = [s.methods.index(m) for m in methods]
        L = s.loss[idx]  # (M, E, C)
        E = L.shape[1]
        W = np.stack([np.bincount(rng.integers(0, E, E), minlength=E) for _ in range(n_boot)]) / E
        means = np.einsum("mec,be->bmc", L, W)
        total += _pair_ranks(means, higher_is_better)
    return pd.DataFrame(total / len(settings), columns=list(methods))


def summarise(settings: list, methods, higher_is_better=True, n_boot=1000, seed=0, use_score=False):
    """Mean rank, bootstrap 95 % interval and number of pairs per method, best first."""
    mean = mean_ranks(settings, methods, higher_is_better, use_score)
    out = pd.DataFrame({"mean": mean, "n_pairs": len(settings)})
    if not use_score:
        boot = bootstrap_ranks(settings, methods, higher_is_better, n_boot, seed)
        out["lo95"], out["hi95"] = boot.quantile(0.025), boot.quantile(0.975)
    return out.sort_values("mean")


def _means(s, methods, use_score):
    idx = [s.methods.index(m) for m in methods]
    if use_score:
        return s.score[idx]
    return s.loss[idx].mean(axis=1)
