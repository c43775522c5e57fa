"""Figures of the dropout-inversion notebook (matplotlib; each returns a Figure)."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np

from .experiments import summarize

COLORS = {
    "ig": "C3",
    "dia": "C0",
    "wiig": "C2",
    "ig-train": "C1",
    "dia-noreg": "C4",
    "dia-frozen": "C7",
}
LABELS = {
    "ig": "IG",
    "dia": "DIA",
    "wiig": "WIIG (true masks)",
    "ig-train": "IG, train-mode attacker",
    "dia-noreg": "DIA, no mask reg.",
    "dia-frozen": "DIA, masks frozen",
}


def _show(ax, img):
    img = img.detach().cpu().numpy() if hasattr(img, "detach") else np.asarray(img)
    if img.shape[0] == 1:
        ax.imshow(img[0], cmap="gray", vmin=0, vmax=1)
    else:
        ax.imshow(np.clip(img.transpose(1, 2, 0), 0, 1))
    ax.axis("off")


def reconstruction_grid(sweeps, attacks=("ig", "dia", "wiig"), image=0, seed=None):
    """Per setup a block of rows (one per attack) and columns original, p_1, ..., p_k for one image."""
    names = list(sweeps)
    rates = sorted(sweeps[names[0]].scores.p.unique())
    rows = len(names) * len(attacks)
    fig, axes = plt.subplots(
        rows, len(rates) + 1, figsize=(1.25 * (len(rates) + 1), 1.25 * rows), squeeze=False
    )
    for s, name in enumerate(names):
        res = sweeps[name]
        sd = res.scores.seed.min() if seed is None else seed
        for a, attack in enumerate(attacks):
            r = s * len(attacks) + a
            _show(axes[r, 0], res.originals[image])
            axes[r, 0].text(
                -0.08,
                0.5,
                f"{name}\n{LABELS[attack].split(' (')[0]}",
                transform=axes[r, 0].transAxes,
                ha="right",
                va="center",
                fontsize=7,
            )
            for c, p in enumerate(rates):
                rec = res.reconstructions.get((p, attack, sd, image))
                ax = axes[r, c + 1]
                if rec is None:
                    ax.axis("off")
                    continue
                _show(ax, rec[0])
                ssim = res.scores.query(
                    "p == @p and attack == @attack and seed == @sd and image == @image"
                ).ssim
                ax.set_title(f"{ssim.iloc[0]:.2f}", fontsize=7, pad=2)
                if r == 0:
                    ax.set_title(f"p={p:g}\nSSIM {ssim.iloc[0]:.2f}", fontsize=7, pad=2)
    axes[0, 0].set_title("original", fontsize=7)
    fig.suptitle("Reconstructions (SSIM above each image)", y=1.0, fontsize=10)
    fig.tight_layout(pad=0.2)
    return fig


def metric_vs_rate(scores, metrics=("ssim", "psnr"), attacks=("ig", "dia", "wiig")):
    """Mean +- std (over images and seeds) of each metric vs p; one column per setup."""
    setups = list(dict.fromkeys(scores.setup))
    fig, axes = plt.subplots(
        len(metrics),
        len(setups),
        figsize=(3.2 * len(setups), 2.6 * len(metrics)),
        squeeze=False,
        sharex=True,
    )
    for m, metric in enumerate(metrics):
        data = scores.replace([np.inf], 100.0) if metric == "psnr" else scores
        for s, setup in enumerate(setups):
            ax = axes[m, s]
            summ = summarize(data[data.setup == setup], metric, by=("p", "attack"))
            floor = float(np.nanmin(summ["mean"] - summ["std"].fillna(0)))
            for attack in attacks:
                d = summ[summ.attack == attack]
                ax.errorbar(
                    d.p,
                    d["mean"],
                    yerr=d["std"],
                    marker="o",
                    ms=3,
                    capsize=2,
                    color=COLORS[attack],
                    label=LABELS[attack],
                )
            ax.set_title(setup if m == 0 else "", fontsize=9)
            ax.set_ylabel(metric.upper() + (" (dB)" if metric == "psnr" else ""))
            if m == len(metrics) - 1:
                ax.set_xlabel("dropout rate p")
            if metric == "ssim":  # the floor keeps every error bar on the axes (issue 20 item 6)
                ax.set_ylim(min(-0.1, floor - 0.05), 1.05)
    axes[0, 0].legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    return fig


def loss_curves(sweeps, p=0.5, attacks=("ig", "dia", "wiig")):
    """Median (band: 25-75 %) of the gradient cosine loss per iteration at rate ``p``, one panel per setup.

    Runs that stopped early drop out of the statistics after their last iteration.
    """
    names = list(sweeps)
    fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 2.6), squeeze=False)
    for ax, name in zip(axes[0], names):
        curves = sweeps[name].curves
        for attack in attacks:
            runs = [v for (pp, a, _, _), v in curves.items() if pp == p and a == attack]
            if not runs:
                continue
            c = np.full((len(runs), max(len(v) for v in runs)), np.nan)
            for k, v in enumerate(runs):
                c[k, : len(v)] = v
            c = np.maximum(c, 1e-7)
            q = np.nanquantile(c, [0.25, 0.5, 0.75], axis=0)
            it = np.arange(1, c.shape[1] + 1)
            ax.plot(it, q[1], color=COLORS[attack], label=LABELS[attack])
            ax.fill_between(it, q[0], q[2], color=COLORS[attack], alpha=0.2)
        ax.set_yscale("log")
        ax.set_title(f"{name}, p={p:g}", fontsize=9)
        ax.set_xlabel("iteration")
        ax.set_ylabel("1 - cosine(grad, target)")
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def ablation_bars(
    scores, p=0.5, order=("ig", "ig-train", "dia-frozen", "dia-noreg", "dia", "wiig")
):
    """SSIM (mean +- std) of every attack and ablation at rate ``p``, one group per setup."""
    d = scores[(scores.p == p) & scores.attack.isin(order)]
    setups = [s for s in dict.fromkeys(d.setup) if d[d.setup == s].attack.nunique() > 3]
    fig, ax = plt.subplots(figsize=(1.3 + 2.6 * len(setups), 3))
    width = 0.8 / len(order)
    floor = -0.1
    for k, attack in enumerate(order):
        summ = (
            summarize(d[d.attack == attack], "ssim", by=("setup",))
            .set_index("setup")
            .reindex(setups)
        )
        ax.bar(
            np.arange(len(setups)) + k * width,
            summ["mean"],
            width,
            yerr=summ["std"],
            capsize=2,
            color=COLORS[attack],
            label=LABELS[attack],
        )
        floor = min(floor, float(np.nanmin(summ["mean"] - summ["std"].fillna(0))) - 0.05)
    ax.set_xticks(np.arange(len(setups)) + 0.4 - width / 2, setups)
    ax.set_xlabel("setup")
    ax.set_ylabel("SSIM")
    ax.set_ylim(floor, 1.05)  # every error bar on the axes (issue 20 item 6)
    ax.set_title(f"Ablations at p={p:g}")
    ax.legend(fontsize=7, bbox_to_anchor=(1.01, 1), loc="upper left")
    fig.tight_layout()
    return fig


def mask_agreement(scores):
    """Fraction of DIA's thresholded masks (m > 0.5) equal to the client's true masks, vs p.

    The dashed line is the agreement of a random Bernoulli(1 - p) start, p^2 + (1 - p)^2.
    """
    d = scores[(scores.attack == "dia") & (scores.p > 0)]
    fig, ax = plt.subplots(figsize=(4.2, 3))
    top = 1.02
    for k, setup in enumerate(dict.fromkeys(d.setup)):
        summ = summarize(d[d.setup == setup], "mask_agreement", by=("p",))
        top = max(top, float(np.nanmax(summ["mean"] + summ["std"].fillna(0))) + 0.02)
        ax.errorbar(
            summ.p + 0.005 * k,
            summ["mean"],
            yerr=summ["std"],
            marker="o",
            ms=3,
            capsize=2,
            label=setup,
        )
    p = np.linspace(0.05, 0.8, 50)
    ax.plot(p, p**2 + (1 - p) ** 2, "k--", lw=1, label="random start")
    ax.set_xlabel("dropout rate p")
    ax.set_ylabel("mask agreement")
    ax.set_ylim(0.4, top)  # every error bar on the axes (issue 20 item 6)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def batch_comparison(single, batch, attacks=("ig", "dia", "wiig")):
    """SSIM vs p for batch size 1 (solid) and the larger batch (dashed) on the batch experiment's setup."""
    fig, ax = plt.subplots(figsize=(4.5, 3))
    bsetup = batch.setup.iloc[0]
    base = bsetup.split(" ")[0]
    for data, style, tag in (
        (single[single.setup == base], "-", "B=1"),
        (batch, "--", bsetup.split(" ")[1]),
    ):
        for attack in attacks:
            summ = summarize(data, "ssim", by=("p", "attack"))
            s = summ[summ.attack == attack]
            ax.errorbar(
                s.p,
                s["mean"],
                yerr=s["std"],
                ls=style,
                marker="o",
                ms=3,
                capsize=2,
                color=COLORS[attack],
                label=f"{LABELS[attack].split(' (')[0]}, {tag}",
            )
    ax.set_xlabel("dropout rate p")
    ax.set_ylabel("SSIM (matched)")
    ax.set_ylim(-0.1, 1.05)
    ax.set_title(base, fontsize=9)
    ax.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    return fig


def sign_flip(starts, attack="dia"):
    """Every single start of ``attack`` with dropout: final gradient loss against correlation with the truth.

    One panel per setup; filled markers are the starts kept (lowest loss of their attack).
    """
    d = starts[(starts.attack == attack) & (starts.p > 0)]
    setups = list(dict.fromkeys(d.setup))
    fig, axes = plt.subplots(
        1, len(setups), figsize=(3.2 * len(setups), 2.9), squeeze=False, sharey=True
    )
    rates = sorted(d.p.unique())
    cmap = plt.get_cmap("viridis", len(rates))
    for ax, setup in zip(axes[0], setups):
        for k, p in enumerate(rates):
            e = d[(d.setup == setup) & (d.p == p)]
            for kept, marker in ((False, "o"), (True, "o")):
                f = e[e.kept == kept]
                ax.scatter(
                    np.maximum(f.gradient_loss, 1e-7),
                    f.correlation,
                    s=18 if kept else 14,
                    facecolors=cmap(k) if kept else "none",
                    edgecolors=cmap(k),
                    marker=marker,
                    label=f"p={p:g}" if kept else None,
                )
        ax.axhline(0, color="k", lw=0.5)
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_xlabel("final 1 - cosine of the start")
        ax.set_title(setup, fontsize=9)
    axes[0, 0].set_ylabel("correlation with the original")
    axes[0, 0].legend(fontsize=7, title="kept (filled)", title_fontsize=7)
    fig.tight_layout()
    return fig
