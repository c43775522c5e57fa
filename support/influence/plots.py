"""Figures of the GBDT-influence notebook."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np


def plot_removal(single, title="Single test example: remove top-k, retrain"):
    """Mean test loss after removal vs fraction removed, one line per method."""
    fig, ax = plt.subplots(figsize=(6, 4))
    mean = single.groupby(["method", "frac"])["rel"].mean().unstack(0)
    for m in mean.columns:
        ax.plot(100 * mean.index, mean[m], marker="o", label=m, lw=2.5 if m == "boostin" else 1)
    ax.set_xlabel("% of training data removed")
    ax.set_ylabel("test loss / original loss (mean)")
    ax.set_title(title)
    ax.legend(fontsize=7, ncol=2)
    return fig


def plot_ranks(summary_by_setting: dict):
    """Mean rank (± 1.96 SEM) of each method per setting; lower is better."""
    settings = list(summary_by_setting)
    fig, axes = plt.subplots(1, len(settings), figsize=(3.2 * len(settings), 4), sharey=False)
    axes = np.atleast_1d(axes)
    for ax, s in zip(axes, settings):
        d = summary_by_setting[s].sort_values("mean")
        ax.barh(d.index, d["mean"], xerr=d["sem95"].fillna(0), color="tab:blue")
        ax.invert_yaxis()
        ax.set_title(s, fontsize=9)
        ax.set_xlabel("mean rank (1 = best)")
        ax.tick_params(labelsize=7)
    fig.tight_layout()
    return fig


def plot_agreement(mats: dict):
    """Heatmaps of method agreement (Pearson, Spearman, top-10% Jaccard)."""
    fig, axes = plt.subplots(1, len(mats), figsize=(4.5 * len(mats), 4))
    for ax, (name, df) in zip(np.atleast_1d(axes), mats.items()):
        im = ax.imshow(
            df.to_numpy(float), vmin=-1 if name != "jaccard" else 0, vmax=1, cmap="coolwarm"
        )
        ax.set_xticks(range(len(df)), df.columns, rotation=90, fontsize=7)
        ax.set_yticks(range(len(df)), df.index, fontsize=7)
        ax.set_title(name)
        fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    return fig


def plot_cost(cost, fits: dict):
    """Log-log fit+influence time vs n per method, with fitted exponents."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for m, g in cost.groupby("method"):
        axes[0].loglog(g["n"], g["total_s"], marker="o", label=f"{m} (slope {fits[m]:.2f})")
        axes[1].loglog(g["n"], np.maximum(g["peak_mb"], 1e-2), marker="o", label=m)
    axes[0].set_xlabel("training examples n")
    axes[0].set_ylabel("fit + 1 influence (s)")
    axes[1].set_xlabel("training examples n")
    axes[1].set_ylabel("peak extra RSS (MB)")
    axes[0].legend(fontsize=8)
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_fix(fix):
    """Fraction of corrupted labels detected vs fraction checked."""
    fig, ax = plt.subplots(figsize=(6, 4))
    mean = fix.groupby(["method", "frac"])["detected"].mean().unstack(0)
    for m in mean.columns:
        ax.plot(100 * mean.index, mean[m], marker="o", label=m, lw=2.5 if m == "boostin" else 1)
    ax.set_xlabel("% of training data checked")
    ax.set_ylabel("fraction of corrupted labels found")
    ax.legend(fontsize=7, ncol=2)
    return fig
