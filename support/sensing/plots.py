"""Figures of the matrix sensing notebook. Each function returns a matplotlib Figure."""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import NullFormatter

from .experiments import Curves


def _band(ax, errors, t, label, color, style="-"):
    """Median over seeds with the inter-quartile band (up to the last iteration any run reached)."""
    alive = np.isfinite(errors).any(axis=0)
    end = int(np.flatnonzero(alive)[-1]) + 1 if alive.any() else 0
    errors, t = errors[:, :end], t[:end]
    with warnings.catch_warnings():  # runs stopped at the float64 floor are NaN afterwards
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.nanmedian(errors, axis=0)
        lo, hi = np.nanpercentile(errors, [25, 75], axis=0)
    ax.plot(t, med, style, color=color, label=label, lw=1.6)
    ax.fill_between(t, lo, hi, color=color, alpha=0.2, lw=0)


def _by(curves: Curves, key: str, **where):
    sub = curves.select(**where) if where else curves
    for value in sorted(sub.runs[key].unique(), reverse=key == "alpha"):
        yield value, sub.select(**{key: value})


def symmetric(curves: Curves, slope_window) -> plt.Figure:
    """XXᵀ: semilog errors for every k (k = r linear, k > r sublinear) and the log-log view."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    t = np.arange(curves.errors.shape[1])
    colors = plt.cm.viridis(np.linspace(0, 0.85, curves.runs.k.nunique()))
    alphas = sorted(curves.runs.alpha.unique(), reverse=True)
    for (k, sub), c in zip(_by(curves, "k"), colors):
        for alpha, style in zip(alphas, ["-", "--", ":"]):
            _band(ax1, sub.select(alpha=alpha).errors, t, f"k={k}, α={alpha:g}", c, style)
            if k > curves.runs.k.min():
                _band(
                    ax2,
                    sub.select(alpha=alpha).errors[:, 1:],
                    t[1:],
                    f"k={k}, α={alpha:g}",
                    c,
                    style,
                )
    t0, t1 = slope_window
    ref = np.array([t0, t1], float)
    level = np.nanmedian(curves.select(k=int(curves.runs.k.max())).errors[:, t0])
    ax2.plot(ref, level * (ref / t0) ** -1.0, "k:", lw=2, label="slope −1")
    ax1.set(
        yscale="log",
        xlabel="iteration t",
        ylabel=r"$\|X_tX_t^\top - M^*\|_F$",
        title="symmetric XXᵀ (semilog)",
    )
    ax2.set(
        xscale="log",
        yscale="log",
        xlabel="iteration t",
        ylabel=r"$\|X_tX_t^\top - M^*\|_F$",
        title="over-parameterised k > r (log-log)",
    )
    ax1.legend(fontsize=7, ncol=2)
    ax2.legend(fontsize=7, ncol=2)
    return fig


def asymmetric(curves: Curves) -> plt.Figure:
    """FGᵀ: semilog errors for k = r and k > r across α."""
    ks = sorted(curves.runs.k.unique())
    fig, axes = plt.subplots(1, len(ks), figsize=(5.5 * len(ks), 4), sharey=True)
    t = np.arange(curves.errors.shape[1])
    for ax, k in zip(np.atleast_1d(axes), ks):
        sub = curves.select(k=k)
        colors = plt.cm.plasma(np.linspace(0, 0.8, sub.runs.alpha.nunique()))
        for (alpha, runs), c in zip(_by(sub, "alpha"), colors):
            _band(ax, runs.errors, t, f"α={alpha:g}", c)
        ax.set(
            yscale="log",
            xlabel="iteration t",
            title=f"asymmetric FGᵀ, k={k}" + (" (= r)" if k == ks[0] else " (> r)"),
        )
        ax.legend(fontsize=8)
    np.atleast_1d(axes)[0].set_ylabel(r"$\|F_tG_t^\top - M^*\|_F$")
    return fig


def spaced_labels(values, min_ratio: float = 1.6) -> list[str]:
    """Labels for log-axis ticks at ``values``, blank where a label would crowd its labelled neighbour.

    From the largest value down, a tick is labelled when it lies at least
    ``min_ratio`` times below the last labelled one; the smallest is always labelled.
    """
    values = np.sort(np.asarray(values, dtype=float))
    labels, last = [""] * len(values), np.inf
    for i in range(len(values) - 1, -1, -1):
        if i == 0 or values[i] * min_ratio <= last:
            labels[i], last = f"{values[i]:g}", values[i]
    return labels


def rate_vs_alpha(rates: pd.DataFrame, one_step: pd.DataFrame, exact_rate: float) -> plt.Figure:
    """Fitted rate ρ against α on log-log: vanilla FGᵀ (∝ α²), one-step (flat), k = r reference."""
    fig, ax = plt.subplots(figsize=(5.5, 4))
    rates = rates[np.isfinite(rates.rate) & (rates.rate > 0)]  # runs short of the window: no ρ
    one_step = one_step[np.isfinite(one_step.rate) & (one_step.rate > 0)]
    for seed, g in rates.groupby("seed"):
        ax.plot(
            g.alpha,
            g.rate,
            "o-",
            color="C0",
            alpha=0.6,
            label="vanilla GD, k > r" if seed == rates.seed.min() else None,
        )
    for seed, g in one_step.groupby("seed"):
        ax.plot(
            g.alpha,
            g.rate,
            "s-",
            color="C2",
            alpha=0.6,
            label="one-step method" if seed == one_step.seed.min() else None,
        )
    if len(rates):
        a = np.array([rates.alpha.min(), rates.alpha.max()])
        ref = rates.rate.median() * (a / np.median(rates.alpha)) ** 2
        ax.plot(a, ref, "k:", label="slope 2 (ρ ∝ α²)")
    if np.isfinite(exact_rate):
        ax.axhline(exact_rate, color="C3", ls="--", label="k = r (median)")
    ax.set(
        xscale="log",
        yscale="log" if len(rates) or len(one_step) else "linear",
        xlabel="initialisation scale α",
        ylabel="fitted linear rate ρ per iteration",
    )
    alphas = np.unique(np.concatenate([rates.alpha, one_step.alpha]))
    ax.set_xticks(alphas, spaced_labels(alphas))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.legend(fontsize=8)
    return fig


def one_step(one: Curves, vanilla: Curves) -> plt.Figure:
    """Error curves of the one-step method and of vanilla GD at the same α, switch points marked."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    T = one.errors.shape[1]
    t = np.arange(T)
    colors = plt.cm.plasma(np.linspace(0, 0.8, one.runs.alpha.nunique()))
    for (alpha, runs), c in zip(_by(one, "alpha"), colors):
        _band(ax, runs.errors, t, f"one-step, α={alpha:g}", c)
        sw = runs.switched_at[runs.switched_at >= 0]
        if sw.size:
            ax.axvline(np.median(sw), color=c, lw=0.8, ls=":")
        match = (
            vanilla.select(alpha=float(alpha))
            if np.isclose(vanilla.runs.alpha, alpha).any()
            else None
        )
        if match is not None:
            _band(ax, match.errors[:, :T], t, f"vanilla, α={alpha:g}", c, "--")
    ax.set(
        yscale="log",
        xlabel="iteration t",
        ylabel=r"$\|F_tG_t^\top - M^*\|_F$",
        title="one-step rebalancing (dotted: median switch)",
    )
    ax.legend(fontsize=7)
    return fig


def crossover(sym: Curves, asym: Curves) -> plt.Figure:
    """XXᵀ against FGᵀ from the same scale α, k > r."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    t = np.arange(sym.errors.shape[1])
    for (alpha, runs), c in zip(_by(asym, "alpha"), ["C0", "C1", "C2", "C3"]):
        _band(ax, runs.errors, t, f"FGᵀ, α={alpha:g}", c)
        _band(ax, sym.select(alpha=float(alpha)).errors, t, f"XXᵀ, α={alpha:g}", c, "--")
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="iteration t",
        ylabel="‖product − M*‖_F",
        title=f"symmetric vs asymmetric, k={int(asym.runs.k.iloc[0])}",
    )
    ax.legend(fontsize=8)
    return fig


def comparators(curves: Curves, gd_sym: Curves, one: Curves) -> plt.Figure:
    """ScaledGD(λ) and PrecGD beside GD and the one-step method (k > r)."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True, layout="constrained")
    T = curves.errors.shape[1]
    t = np.arange(T)
    alpha = float(min(curves.runs.alpha))
    for ax, param in zip(axes, ("sym", "asym")):
        for method, c in (("scaledgd", "C0"), ("precgd", "C1")):
            _band(ax, curves.select(param=param, method=method, alpha=alpha).errors, t, method, c)
        if param == "sym":
            _band(
                ax,
                gd_sym.select(alpha=float(gd_sym.runs.alpha.min())).errors[:, :T],
                t,
                f"GD (α={gd_sym.runs.alpha.min():g})",
                "C7",
                "--",
            )
        else:
            _band(ax, one.select(alpha=alpha).errors, t, "one-step GD", "C2")
        ax.set(
            yscale="log",
            xlabel="iteration t",
            title=f"{'XXᵀ' if param == 'sym' else 'FGᵀ'}, α={alpha:g}",
        )
        ax.legend(fontsize=8)
    axes[0].set_ylabel("‖product − M*‖_F")
    return fig


def imbalance(asym: Curves, drift: pd.DataFrame) -> plt.Figure:
    """λ_min(Δ_t)/λ_min(Δ_0) over iterations, and the drift of Δ against η (log-log)."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.2), layout="constrained")
    ratio = asym.imbalance[:, :, 0] / asym.imbalance[:, :1, 0]
    alphas = sorted(asym.runs.alpha.unique(), reverse=True)
    colors = dict(zip(alphas, plt.cm.plasma(np.linspace(0, 0.8, len(alphas)))))
    for i, run in asym.runs.iterrows():
        ok = np.isfinite(ratio[i])
        style = "-" if run.k > asym.runs.k.min() else ":"
        ax1.plot(asym.record_steps[ok], ratio[i, ok], style, color=colors[run.alpha], lw=1)
    for alpha in alphas:
        ax1.plot([], [], color=colors[alpha], label=f"α={alpha:g}")
    ax1.axhline(0.5, color="k", ls="--", lw=1, label="½ (C6c)")
    ax1.set(
        xlabel="iteration t",
        ylabel=r"$\lambda_{\min}(\Delta_t)\,/\,\lambda_{\min}(\Delta_0)$",
        title="imbalance floor (solid k > r, dotted k = r)",
    )
    ax1.legend(fontsize=8, loc="center right")
    for (_, alpha), g in drift.groupby(["seed", "alpha"]):
        ax2.plot(g.eta, g.drift, "o-", color=colors.get(alpha, "C0"), alpha=0.7, lw=1)
    eta = np.array(sorted(drift.eta.unique()))
    ax2.plot(eta, drift.drift.median() * eta / np.median(eta), "k:", lw=2, label="slope 1 (∝ η)")
    ax2.set(
        xscale="log",
        yscale="log",
        xlabel="step size η (same flow time η·t)",
        ylabel=r"$\max_i|\lambda_i(\Delta_t)-\lambda_i(\Delta_0)|$",
        title="drift of Δ = FᵀF − GᵀG is O(η)",
    )
    ax2.legend(fontsize=8)
    return fig


def rate_vs_m(constants: pd.DataFrame, m_profile: int) -> plt.Figure:
    """c = ρ/(η λ_min(FᵀF)) against the number of measurements m, 𝒜 = I as a reference line."""
    fig, ax = plt.subplots(figsize=(5.5, 4))
    sensed = constants[constants.m > 0]
    for seed, g in sensed.groupby("seed"):
        ax.plot(
            g.m,
            g.c,
            "o-",
            color="C0",
            alpha=0.6,
            label="m Gaussian measurements" if seed == sensed.seed.min() else None,
        )
    ident = constants[constants.m == 0].c.median()
    ax.axhline(ident, color="C3", ls="--", label=f"$\\mathcal{{A}} = I$ (no sensing): {ident:.2f}")
    ax.axvline(m_profile, color="k", ls=":", lw=1, label=f"profile m = {m_profile}")
    ms = np.sort(sensed.m.unique())
    ax.set_xscale("log")
    ax.set_xticks(ms, [str(m) for m in ms])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set(
        xlabel="measurements m",
        ylabel=r"$c = \rho\,/\,(\eta\,\lambda_{\min}(F^\top F))$",
        title="rate constant of FGᵀ (k > r) against m",
        ylim=(0, None),
    )
    ax.legend(fontsize=8)
    return fig
