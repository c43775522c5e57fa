"""The paper's rank aggregation, with bootstrap spreads over pairs and evaluation examples.

Per pair and checkpoint: average each method's loss over the evaluation
examples, rank the methods (1 = best, ties share the mean rank), average the
ranks over checkpoints; then average over pairs. The spread is a two-stage
bootstrap: each resample draws the (data set, library) pairs with
replacement and, within each drawn pair, its evaluation examples with
replacement, then repeats the whole aggregation; so it carries the
uncertainty of both the finite test sample and the few pairs.
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


def _example_boot(s, methods, higher_is_better, n_boot, rng, use_score) -> np.ndarray:
    """One pair's ranks (B, M) under ``n_boot`` resamples of its evaluation examples."""
    if use_score:  # a per-checkpoint score has no examples to resample
        r = _pair_ranks(_means(s, methods, True), higher_is_better)
        return np.broadcast_to(r, (n_boot, len(methods)))
    idx = [s.methods.index(m) for m in methods]
    L = s.loss[idx]  # (M, E, C)
    E = L.shape[1]
    if E == 0:
        raise ValueError("each Setting needs at least one evaluation example, got 0")
    W = np.stack([np.bincount(rng.integers(0, E, E), minlength=E) for _ in range(n_boot)]) / E
    return _pair_ranks(np.einsum("mec,be->bmc", L, W), higher_is_better)


def bootstrap_ranks(
    settings: list,
    methods,
    higher_is_better: bool = True,
    n_boot: int = 1000,
    seed: int = 0,
    over_pairs: bool = True,
    use_score: bool = False,
) -> pd.DataFrame:
    """Mean ranks over pairs for ``n_boot`` two-stage resamples (pairs, then examples), shape (B, M).

    With ``over_pairs`` False only each pair's examples are resampled (every
    pair kept once), the spread of the earlier notebooks.
    """
    if not settings:
        raise ValueError("settings must hold at least one pair's Setting, got []")
    rng = np.random.default_rng(seed)
    per_pair = np.stack(
        [_example_boot(s, methods, higher_is_better, n_boot, rng, use_score) for s in settings]
    )  # (P, B, M)
    P = len(settings)
    if over_pairs:
        counts = np.stack([np.bincount(rng.integers(0, P, P), minlength=P) for _ in range(n_boot)])
    else:
        counts = np.ones((n_boot, P), dtype=int)
    total = np.einsum("bp,pbm->bm", counts, per_pair) / P
    return pd.DataFrame(total, columns=list(methods))


def summarise(settings: list, methods, higher_is_better=True, n_boot=1000, seed=0, use_score=False):
    """Mean rank, two-stage bootstrap 95 % interval and number of pairs per method, best first."""
    mean = mean_ranks(settings, methods, higher_is_better, use_score)
    out = pd.DataFrame({"mean": mean, "n_pairs": len(settings)})
    boot = bootstrap_ranks(settings, methods, higher_is_better, n_boot, seed, use_score=use_score)
    out["lo95"], out["hi95"] = boot.quantile(0.025), boot.quantile(0.975)
    return out.sort_values("mean")


def _means(s, methods, use_score):
    idx = [s.methods.index(m) for m in methods]
    if use_score:
        return s.score[idx]
    return s.loss[idx].mean(axis=1)
