"""Figures of the GBDT-influence notebook; every axes is labelled, colours are fixed per method."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

ORDER = (
    "boostin",
    "boostin_newton",
    "leaf_inf_sp",
    "leaf_inf",
    "leaf_refit",
    "trex",
    "tree_sim",
    "subsample",
    "loo",
    "input_sim",
    "target",
    "random",
)
COLOURS = dict(zip(ORDER, plt.get_cmap("tab20").colors[::1]))
LABELS = {
    "boostin": "BoostIn",
    "boostin_newton": "BoostIn (exact deriv.)",
    "leaf_inf_sp": "LeafInfSP",
    "leaf_inf": "LeafInfluence",
    "leaf_refit": "LeafRefit",
    "trex": "TREX",
    "tree_sim": "TreeSim",
    "subsample": "SubSample",
    "loo": "LOO",
    "input_sim": "InputSim",
    "target": "Target",
    "random": "Random",
}


def _lines(ax, mean, pct=True):
    for m in [m for m in ORDER if m in mean.columns]:
        ax.plot(
            100 * mean.index if pct else mean.index,
            mean[m],
            marker="o",
            color=COLOURS[m],
            label=LABELS[m],
            lw=2.5 if m == "boostin" else 1.2,
        )


def plot_removal(single):
    """Mean test loss relative to the original after removing the top-k, vs % removed."""
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    _lines(ax, single.groupby(["method", "frac"])["rel"].mean().unstack(0))
    ax.set_xlabel("% of training data removed (top-k by influence on the test example)")
    ax.set_ylabel("test loss / original test loss (mean)")
    ax.set_title("Single test example: remove, retrain")
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    return fig


def plot_ranks(summaries: dict):
    """Mean rank with its bootstrap 95 % interval per setting (1 = best)."""
    names = list(summaries)
    ncol = min(3, len(names))
    nrow = int(np.ceil(len(names) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.6 * ncol, 3.6 * nrow), squeeze=False)
    for ax, name in zip(axes.ravel(), names):
        d = summaries[name].sort_values("mean")
        y = np.arange(len(d))
        err = None
        if "lo95" in d:
            err = np.vstack([d["mean"] - d["lo95"], d["hi95"] - d["mean"]]).clip(min=0)
        ax.barh(y, d["mean"], xerr=err, color=[COLOURS[m] for m in d.index], capsize=3)
        ax.set_yticks(y, [LABELS[m] for m in d.index], fontsize=10)
        ax.invert_yaxis()
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("mean rank (1 = best)", fontsize=10)
        ax.set_ylabel("method", fontsize=10)
        ax.tick_params(axis="x", labelsize=10)
    for ax in axes.ravel()[len(names) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def plot_agreement(mats: dict):
    """Method agreement: Pearson and Spearman (diverging, [-1, 1]), top-10 % Jaccard (sequential, [0, 1])."""
    fig, axes = plt.subplots(1, len(mats), figsize=(5.2 * len(mats), 4.6))
    for ax, (name, df) in zip(np.atleast_1d(axes), mats.items()):
        seq = name == "jaccard"
        im = ax.imshow(
            df.to_numpy(float), vmin=0 if seq else -1, vmax=1, cmap="viridis" if seq else "coolwarm"
        )
        labels = [LABELS.get(m, m) for m in df.columns]
        ax.set_xticks(range(len(df)), labels, rotation=90, fontsize=9)
        ax.set_yticks(range(len(df)), labels, fontsize=9)
        ax.set_xlabel("method")
        ax.set_ylabel("method")
        ax.set_title(name)
        bar = fig.colorbar(im, ax=ax, fraction=0.046)
        bar.set_label("top-10% overlap" if seq else "correlation")
    fig.tight_layout()
    return fig


def plot_cost(cost, fits: dict):
    """Log-log fit + influence time and peak memory vs n per method, with fitted exponents."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for m, g in cost.groupby("method"):
        kw = dict(marker="o", color=COLOURS.get(m))
        axes[0].loglog(
            g["n"],
            g["total_s"],
            label=f"{LABELS.get(m, m)} (exponent above overhead {fits[m]:.2f})",
            **kw,
        )
        axes[1].loglog(g["n"], g["peak_mb"], label=LABELS.get(m, m), **kw)
    axes[0].set_xlabel("training examples n")
    axes[0].set_ylabel("fit + 1 influence (s, raw)")
    axes[1].set_xlabel("training examples n")
    axes[1].set_ylabel("peak memory allocated (MB, tracemalloc)")
    axes[0].legend(fontsize=8)
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_fix(fix):
    """Fraction of corrupted labels found vs % of the training set checked."""
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    _lines(ax, fix.groupby(["method", "frac"])["detected"].mean().unstack(0))
    ax.set_xlabel("% of training data checked (most harmful first)")
    ax.set_ylabel("fraction of corrupted labels found")
    ax.set_title("Fixing mislabelled training examples")
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    return fig
