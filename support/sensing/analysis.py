"""Numbers behind the claims: rates, slopes and ratios computed from :class:`Curves`.

Every function returns plain floats or small DataFrames, spread over seeds
included, so the notebook only formats them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .experiments import Curves
from .imbalance import eigenvalue_drift
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


def spurious_eigenvalues(curves: Curves, rank: int, eta: float) -> pd.DataFrame:
    """The k − r smallest eigenvalues of XᵀX at the last record, times 4ηt, per run.

    On the 𝒜 = I envelope every spurious eigenvalue is 1/(4ηt), so 1 means a
    direction decaying on the envelope and values below 1 directions that lag.
    Column ``smallest`` holds the smallest of them.
    """
    t = curves.record_steps[-1]
    lam = curves.gram_eigenvalues[:, -1]
    table = curves.runs.copy()
    table["smallest"] = 4 * eta * t * lam[:, 0]
    table["spurious"] = [
        np.round(4 * eta * t * row[: int(k) - rank], 3) for row, k in zip(lam, table.k)
    ]
    return table


def rate_constants(curves: Curves, window) -> pd.DataFrame:
    """The run settings with ρ and c = ρ / (η λ_min(FᵀF)), λ_min at each run's last record."""
    table = rates_table(curves, window)
    smin = np.array([row[np.isfinite(row)][-1] for row in curves.sigma_min_F_sq])
    table["lambda_min_FtF"] = smin
    table["c"] = table.rate / (table.eta * smin)
    return table


def drift_table(curves: Curves) -> pd.DataFrame:
    """The run settings with the eigenvalue drift of Δ over each run (see ``eigenvalue_drift``)."""
    return curves.runs.assign(drift=eigenvalue_drift(curves.imbalance))


def drift_exponents(curves: Curves) -> pd.DataFrame:
    """Per (seed, α), the slope of log(eigenvalue drift of Δ) against log η."""
    table = drift_table(curves)

    def fit(group):
        return np.polyfit(np.log(group.eta), np.log(group.drift), 1)[0]

    exps = table.groupby(["seed", "alpha"])[["eta", "drift"]].apply(fit)
    return exps.rename("exponent").reset_index()


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
