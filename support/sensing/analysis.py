"""Numbers behind the claims: rates, slopes and ratios computed from :class:`Curves`.

Every function returns plain floats or small DataFrames, spread over seeds
included, so the notebook only formats them.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .experiments import Curves
from .rates import fit_linear_rate, fit_loglog_slope


def median_iqr(values) -> tuple[float, float]:
    """Median and inter-quartile range of the finite values (NaN, NaN if none)."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return float("nan"), float("nan")
    q1, med, q3 = np.percentile(v, [25, 50, 75])
    return float(med), float(q3 - q1)


def first_below(errors: np.ndarray, level: float) -> np.ndarray:
    """First iteration at which each curve drops below ``level`` (NaN if never)."""
    below = np.nan_to_num(errors, nan=np.inf) < level
    hit = below.any(axis=-1)
    return np.where(hit, below.argmax(axis=-1), np.nan).astype(float)


def rates_table(curves: Curves, window) -> pd.DataFrame:
    """The run settings with the fitted linear rate ρ of every run."""
    table = curves.runs.copy()
    table["rate"] = fit_linear_rate(curves.errors, window)
    return table


def slopes_table(curves: Curves, window) -> pd.DataFrame:
    """The run settings with the log-log slope of every run over ``window`` iterations."""
    table = curves.runs.copy()
    table["slope"] = fit_loglog_slope(curves.errors, window)
    return table


def alpha_exponent(rates: pd.DataFrame) -> pd.Series:
    """Per seed, the slope of log ρ against log α (2 if ρ ∝ α²)."""

    def fit(group):
        ok = np.isfinite(group["rate"]) & (group["rate"] > 0)
        if ok.sum() < 2:
            return np.nan
        return np.polyfit(np.log(group["alpha"][ok]), np.log(group["rate"][ok]), 1)[0]

    return rates.groupby("seed")[["alpha", "rate"]].apply(fit)


def alpha_gaps(curves: Curves, times) -> pd.DataFrame:
    """Relative gap |err(α_min)/err(α_max) − 1| per (seed, k) at each iteration in ``times``."""
    rows = []
    for (seed, k), group in curves.runs.groupby(["seed", "k"]):
        lo, hi = group["alpha"].idxmin(), group["alpha"].idxmax()
        a, b = curves.errors[lo], curves.errors[hi]
        rows.append({"seed": seed, "k": k, **{t: abs(a[t] / b[t] - 1) for t in times}})
    return pd.DataFrame(rows)


def eta_t_error(curves: Curves, eta: float) -> pd.DataFrame:
    """η·T·‖error‖ at the last iteration, per run (constant for a 1/T decay)."""
    table = curves.runs.copy()
    T = curves.errors.shape[1] - 1
    table["eta_t_err"] = eta * T * curves.errors[:, -1]
    return table


def imbalance_drift(curves: Curves) -> float:
    """Largest drift of the eigenvalues of FᵀF − GᵀG from their initial values, relative to their size."""
    if curves.imbalance is None:
        raise ValueError("these runs recorded no imbalance (symmetric parameterisation?)")
    lam = curves.imbalance
    with warnings.catch_warnings():  # runs stopped at the float64 floor are NaN afterwards
        warnings.simplefilter("ignore", RuntimeWarning)
        return _drift(lam)


def _drift(lam: np.ndarray) -> float:
    scale = np.nanmax(np.abs(lam[:, :1]), axis=-1, keepdims=True)
    drift = np.nanmax(np.abs(lam - lam[:, :1]), axis=-1) / scale[..., 0]
    return float(np.nanmax(drift))


def crossover_iteration(sym: Curves, asym: Curves) -> pd.DataFrame:
    """Per (seed, α): the first iteration after which FGᵀ stays below XXᵀ (NaN if never)."""
    rows = []
    for i, run in asym.runs.iterrows():
        j = sym.runs.index[
            (sym.runs.seed == run.seed)
            & (sym.runs.k == run.k)
            & np.isclose(sym.runs.alpha, run.alpha)
        ]
        if len(j) == 0:
            continue
        a, s = asym.errors[i], sym.errors[j[0]]
        # a NaN in the asymmetric curve means it reached the float64 floor: it is below
        behind = ~(np.nan_to_num(a, nan=0.0) < np.nan_to_num(s, nan=np.inf))
        last_behind = np.flatnonzero(behind)
        t = 0.0 if last_behind.size == 0 else float(last_behind[-1] + 1)
        rows.append(dict(seed=run.seed, alpha=run.alpha, crossover=t if t < a.size else np.nan))
    return pd.DataFrame(rows)
