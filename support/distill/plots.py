"""Figures of the dataset-distillation notebook."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch


def plot_synthetic(
    rows: Mapping[str, torch.Tensor],
    labels: torch.Tensor,
    to_pixels: Callable,
    classes: int,
    class_names: Sequence[str] | None = None,
):
    """One image per class (the first of each class) for every row of ``rows`` (label -> ``(n, C, H, W)``).

    Columns are titled with ``class_names`` (default: ``class 0``, ``class 1``, ...).
    """
    if class_names is not None and len(class_names) != classes:
        raise ValueError(f"class_names must name {classes} classes, got {list(class_names)}")
    titles = (
        list(class_names) if class_names is not None else [f"class {c}" for c in range(classes)]
    )
    first = [int(torch.nonzero(labels == c)[0]) for c in range(classes)]
    fig, axes = plt.subplots(
        len(rows), classes, figsize=(0.9 * classes, 1.0 * len(rows)), squeeze=False
    )
    for r, (name, imgs) in enumerate(rows.items()):
        pix = to_pixels(imgs[first]).numpy()
        for c in range(classes):
            ax = axes[r, c]
            img = pix[c].transpose(1, 2, 0)
            ax.imshow(
                img[..., 0] if img.shape[2] == 1 else img,
                cmap="gray_r" if img.shape[2] == 1 else None,
                vmin=0,
                vmax=1,
            )
            ax.axis("off")
            if c == 0:
                ax.text(
                    -0.15, 0.5, name, transform=ax.transAxes, ha="right", va="center", fontsize=9
                )
            if r == 0:
                ax.set_title(titles[c], fontsize=8)
    fig.tight_layout()
    fig.subplots_adjust(left=0.22)
    return fig


def plot_curves(names: list[str], losses: torch.Tensor, lrs: torch.Tensor, show: list[str]):
    """Matching loss and the learned rate's change over iterations, per variant: mean over seeds, range as band.

    The rate is shown as its relative change from its start (in %), so variants that start at the
    same rate and move it little (a small ``lr_lr``) stay distinguishable; line styles differ too.
    """
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.6))
    it = np.arange(1, losses.shape[0] + 1)
    styles = ["-", "--", "-.", ":"]
    for k, name in enumerate(show):
        rows = [i for i, n in enumerate(names) if n == name]
        lr = lrs[:, rows].double().numpy()
        change = 100 * (lr / lr[:1] - 1)
        for ax, val in ((a, losses[:, rows].numpy()), (b, change)):
            smooth = pd.DataFrame(val).rolling(10, min_periods=1).mean().to_numpy()
            line = ax.plot(it, smooth.mean(1), styles[k % 4], label=name, lw=1.6)[0]
            ax.fill_between(it, smooth.min(1), smooth.max(1), color=line.get_color(), alpha=0.15)
    a.set(
        xlabel="iteration",
        ylabel="matching loss (10-it. mean)",
        title="normalised parameter-matching loss",
    )
    b.set(
        xlabel="iteration",
        ylabel="change of alpha from its start (%)",
        title="learned synthetic learning rate alpha",
    )
    b.ticklabel_format(axis="y", style="sci", scilimits=(-2, 3))
    a.legend(fontsize=8)
    b.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_smoothness(changes: Mapping[str, torch.Tensor], window: int | None = None):
    """Relative parameter change per epoch, mean and range over experts, per expert kind.

    ``window`` (optional) shades the epochs students are matched against (``T+ + M``).
    """
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    for name, ch in changes.items():
        ch = ch.numpy()
        ep = np.arange(1, ch.shape[1] + 1)
        line = ax.plot(ep, ch.mean(0), marker="o", ms=3, label=name)[0]
        ax.fill_between(ep, ch.min(0), ch.max(0), color=line.get_color(), alpha=0.2)
    if window:
        ax.axvspan(0.5, window + 0.5, color="0.85", zorder=0, label="matched epochs")
    ax.set(
        xlabel="epoch",
        ylabel=r"$\|\theta_{e}-\theta_{e-1}\| / \|\theta_{e-1}\|$",
        title="expert parameter change per epoch",
    )
    ax.legend()
    fig.tight_layout()
    return fig


def plot_ablation(tables: Mapping[str, pd.DataFrame]):
    """One panel per table (title -> table with ``mean``, ``std``): bars of mean accuracy +- std over seeds.

    Every panel's x-axis runs from 0 to 100 % and each row label keeps one colour across panels.
    """
    labels = list(dict.fromkeys(name for t in tables.values() for name in t.index))
    colours = dict(zip(labels, sns_colours(len(labels))))
    n = max(len(t) for t in tables.values())
    fig, axes = plt.subplots(
        1, len(tables), figsize=(5.6 * len(tables), 0.42 * n + 1.3), squeeze=False
    )
    for ax, (title, table) in zip(axes[0], tables.items()):
        y = np.arange(len(table))[::-1]
        ax.barh(
            y, table["mean"], xerr=table["std"], color=[colours[k] for k in table.index], capsize=3
        )
        ax.set_yticks(y, table.index)
        ax.set_xlim(0, 100)
        for yi, m, sd in zip(y, table["mean"], table["std"]):
            ax.text(min(m + sd + 0.8, 88), yi, f"{m:.1f}", va="center", fontsize=8)
        ax.set(xlabel="test accuracy (%), final epoch", ylabel="training set", title=title)
    fig.tight_layout()
    return fig


def plot_effects(effects: pd.DataFrame, title: str):
    """Paired effects against MTT (points) with their 95 % intervals, one row per change."""
    fig, ax = plt.subplots(figsize=(6.2, 0.42 * len(effects) + 1.4))
    y = np.arange(len(effects))[::-1]
    mean = effects["effect"].to_numpy()
    err = np.vstack([mean - effects["ci low"].to_numpy(), effects["ci high"].to_numpy() - mean])
    colours = sns_colours(len(effects))
    ax.errorbar(mean, y, xerr=err, fmt="none", ecolor="0.3", capsize=4)
    ax.scatter(mean, y, color=colours, zorder=3)
    ax.axvline(0, color="0.5", lw=1, ls="--")
    ax.set_yticks(y, effects.index)
    ax.set(xlabel="paired gain over MTT (points), 95 % CI", ylabel="change", title=title)
    fig.tight_layout()
    return fig


def sns_colours(n: int):
    """``n`` colours from the collection's palette (repeating beyond its 10 colours)."""
    import seaborn as sns

    return sns.color_palette("colorblind", n)
