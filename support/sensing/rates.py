"""Convergence-rate fits on error curves.

* Linear convergence err_t ≈ C e^{-ρ t}: least squares of log err on t,
  restricted to the iterations whose error lies in a stated window (this
  skips the warm-up plateau and the float64 floor).
* Sublinear convergence err_t ≈ C t^{s}: least squares of log err on log t
  over a stated window of iterations.
"""

from __future__ import annotations

import numpy as np


def fit_linear_rate(errors, window=(1e-11, 1e-4)) -> float:
    """Per-iteration linear rate ρ of an error curve (err_t ≈ C e^{-ρt}).

    Parameters
    ----------
    errors : array (..., T)
        Error curves (NaNs are ignored); the fit is over the last axis.
    window : (low, high)
        Only iterations with low <= err <= high are used.

    Returns
    -------
    float or ndarray
        ρ per curve (positive for a decreasing error); NaN where fewer than
        three iterations lie in the window.
    """
    errors = np.asarray(errors, dtype=float)
    low, high = window
    if not 0 < low < high:
        raise ValueError(f"window must satisfy 0 < low < high, got {window}")
    flat = errors.reshape(-1, errors.shape[-1])
    out = np.full(flat.shape[0], np.nan)
    t = np.arange(errors.shape[-1], dtype=float)
    for i, curve in enumerate(flat):
        keep = np.isfinite(curve) & (curve >= low) & (curve <= high)
        if keep.sum() >= 3:
            out[i] = -np.polyfit(t[keep], np.log(curve[keep]), 1)[0]
    return out.reshape(errors.shape[:-1]) if errors.ndim > 1 else float(out[0])


def fit_loglog_slope(errors, window) -> float:
    """Log-log slope s of an error curve (err_t ≈ C t^s) over iterations t in ``window``.

    Parameters
    ----------
    errors : array (..., T)
        Error curves indexed by iteration (t = 0, 1, ...).
    window : (t0, t1)
        First and last iteration used, 1 <= t0 < t1 < T.

    Returns
    -------
    float or ndarray
        The slope per curve (about -1 for ‖XXᵀ − M*‖_F in over-parameterised
        symmetric sensing, so about -2 for the squared error).
    """
    errors = np.asarray(errors, dtype=float)
    t0, t1 = window
    if not 1 <= t0 < t1 < errors.shape[-1]:
        raise ValueError(f"window must satisfy 1 <= t0 < t1 < T={errors.shape[-1]}, got {window}")
    # log-spaced sample points so every decade weighs the same
    idx = np.unique(np.geomspace(t0, t1, 200).round().astype(int))
    flat = errors.reshape(-1, errors.shape[-1])
    out = np.full(flat.shape[0], np.nan)
    for i, curve in enumerate(flat):
        y = curve[idx]
        keep = np.isfinite(y) & (y > 0)
        if keep.sum() >= 3:
            out[i] = np.polyfit(np.log(idx[keep]), np.log(y[keep]), 1)[0]
    return out.reshape(errors.shape[:-1]) if errors.ndim > 1 else float(out[0])
