"""The notebook's claims: one small function per claim, criteria fixed before the runs.

Each function takes the experiments' score tables and returns the keyword
arguments of ``ClaimSet.add`` (or None when its experiment did not run).
Means are over images and seeds; ``spread`` quotes a 95 % interval
half-width (1.96 standard errors), which is also the claim's tolerance: the
attack is chaotic, so a re-run on other hardware may move a mean by about that.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .config import REFERENCE_ITERATIONS
from .experiments import summarize

Z95 = 1.96


def _cells(scores, attack, metric="ssim"):
    """{(setup, p): (mean, half-width of the 95 % interval, n)} for ``attack``."""
    d = scores[scores.attack == attack]
    out = {}
    for (s, p), e in d.groupby(["setup", "p"])[metric]:
        n = len(e)
        sem = float(e.std(ddof=1) / np.sqrt(n)) if n > 1 else 0.0
        out[(s, float(p))] = (float(e.mean()), Z95 * sem, n)
    return out


def _paired(scores, a, b, pa=None, pb=None):
    """Per-image differences ``metric(a) - metric(b)`` by (setup, p), paired on (setup, p, seed, image)."""
    key = ["setup", "p", "seed", "image"]
    x = scores[scores.attack == a].set_index(key).ssim
    y = scores[scores.attack == b].set_index(key).ssim
    d = (x - y.reindex(x.index)).dropna()
    return {k: v.to_numpy() for k, v in d.groupby(level=["setup", "p"])}


def _hw(v):
    return Z95 * float(np.std(v, ddof=1) / np.sqrt(len(v))) if len(v) > 1 else 0.0


def _n_note(scores):
    n = scores.groupby(["setup", "p", "attack"]).size().min()
    return f"{n} (image, seed) pairs per cell, {scores.setup.nunique()} setups"


def claim_ig_recovers(scores) -> dict:
    """C1: IG recovers the image without dropout."""
    cells = {s: v for (s, p), v in _cells(scores, "ig").items() if p == 0}
    worst = min(cells, key=lambda s: cells[s][0])
    m, hw, _ = cells[worst]
    return dict(
        id="C1",
        statement="IG recovers the image when there is no dropout (p = 0)",
        measured=round(m, 3),
        spread=f"± {hw:.3f} (95 % CI, worst setup {worst})",
        criterion="mean SSIM >= 0.9 in every setup",
        passed=all(v[0] >= 0.9 for v in cells.values()),
        tolerance=round(max(hw, 0.005), 3),
        note=_n_note(scores),
    )


def claim_ig_falls(scores) -> dict:
    """C2: IG's SSIM drops already at p = 0.1 (paired per image) and keeps falling with p."""
    ig = _cells(scores, "ig")
    rates = sorted({p for _, p in ig})
    setups = sorted({s for s, _ in ig})
    key = ["setup", "seed", "image"]
    d = scores[scores.attack == "ig"]
    at = {p: d[d.p == p].set_index(key).ssim for p in rates[:2]}
    drops = {s: (at[rates[0]] - at[rates[1]]).xs(s, level="setup").to_numpy() for s in setups}
    worst = min(drops, key=lambda s: drops[s].mean())
    mono = {
        s: bool(np.all(np.diff([ig[(s, p)][0] for p in rates if (s, p) in ig]) < 0)) for s in setups
    }
    return dict(
        id="C2",
        statement=f"IG's SSIM falls as p grows, already at p = {rates[1]:g}",
        measured=round(float(drops[worst].mean()), 3),
        spread=f"± {_hw(drops[worst]):.3f} (95 % CI, {worst}); means decreasing in {sum(mono.values())}/{len(setups)} setups",
        criterion=f"every setup: mean paired drop SSIM(0) - SSIM({rates[1]:g}) >= 0.05 and means decreasing over the p grid",
        passed=all(v.mean() >= 0.05 for v in drops.values()) and all(mono.values()),
        tolerance=round(max(_hw(drops[worst]), 0.005), 3),
        note="the paper (README, demo figures) reports IG failing at p = 0.1; its numbers at p = 0.1 were not retrievable, so 0.05 is our threshold for a visible drop",
    )


def claim_dia_high(scores) -> dict:
    """C3: DIA keeps SSIM high at every rate."""
    dia = _cells(scores, "dia")
    worst = min(dia, key=lambda k: dia[k][0])
    low = ", ".join(f"{s} p={p:g}: {v[0]:.2f}" for (s, p), v in dia.items() if v[0] < 0.9)
    return dict(
        id="C3",
        statement="DIA keeps SSIM high across dropout rates",
        measured=round(dia[worst][0], 3),
        spread=f"± {dia[worst][1]:.3f} (95 % CI, at {worst[0]}, p={worst[1]:g})",
        criterion="mean SSIM >= 0.9 in every setup and at every p",
        passed=all(v[0] >= 0.9 for v in dia.values()),
        tolerance=round(max(dia[worst][1], 0.005), 3),
        note="cells below 0.9: " + (low or "none"),
    )


def claim_dia_near_wiig(scores) -> dict:
    """C4: DIA approaches the well-informed upper bound (paired per image)."""
    gap = {k: v for k, v in _paired(scores, "wiig", "dia").items() if k[1] > 0}
    worst = max(gap, key=lambda k: gap[k].mean())
    return dict(
        id="C4",
        statement="DIA approaches the well-informed upper bound WIIG (true masks)",
        measured=round(float(gap[worst].mean()), 3),
        spread=f"± {_hw(gap[worst]):.3f} (95 % CI, largest gap at {worst[0]}, p={worst[1]:g})",
        criterion="mean paired SSIM(WIIG) - SSIM(DIA) <= 0.1 in every setup at every p > 0",
        passed=all(v.mean() <= 0.1 for v in gap.values()),
        tolerance=round(max(_hw(gap[worst]), 0.005), 3),
    )


def claim_dia_beats_ig(scores) -> dict:
    """C5: DIA beats IG wherever dropout is on (paired per image)."""
    gain = {k: v for k, v in _paired(scores, "dia", "ig").items() if k[1] > 0}
    worst = min(gain, key=lambda k: gain[k].mean())
    return dict(
        id="C5",
        statement="DIA breaks the dropout defence: it beats IG wherever dropout is on",
        measured=round(float(gain[worst].mean()), 3),
        spread=f"± {_hw(gain[worst]):.3f} (95 % CI, smallest gain at {worst[0]}, p={worst[1]:g})",
        criterion="mean paired SSIM(DIA) - SSIM(IG) >= 0.05 in every setup at every p > 0",
        passed=all(v.mean() >= 0.05 for v in gain.values()),
        tolerance=round(max(_hw(gain[worst]), 0.005), 3),
    )


def claim_dia_at_zero(scores) -> dict:
    """C6: at p = 0 DIA runs IG's objective (the reference's fallback) and recovers like IG."""
    diff = {k: v for k, v in _paired(scores, "dia", "ig").items() if k[1] == 0}
    worst = max(diff, key=lambda k: abs(diff[k].mean()))
    return dict(
        id="C6",
        statement="At p = 0 DIA (IG's objective under DIA's schedule, as in the reference) matches IG",
        measured=round(float(abs(diff[worst].mean())), 3),
        spread=f"± {_hw(diff[worst]):.3f} (95 % CI, {worst[0]})",
        criterion="|mean paired SSIM(DIA) - SSIM(IG)| <= 0.05 in every setup at p = 0",
        passed=all(abs(v.mean()) <= 0.05 for v in diff.values()),
        tolerance=round(max(_hw(diff[worst]), 0.005), 3),
        note="the two differ only in schedule and stopping (plateau vs IG's steps) and starts",
    )


def _ablation_means(scores):
    d = scores[scores.attack == "dia-frozen"]
    rows = []
    for s, p in sorted(d.groupby(["setup", "p"]).groups):
        e = scores[(scores.setup == s) & (scores.p == p)]
        m = e.groupby("attack").ssim.mean()
        rows.append((s, p, m))
    return rows


def claim_frozen_fails(scores) -> dict | None:
    """C7: DIA with masks frozen at the random start fails (far below DIA)."""
    rows = _ablation_means(scores)
    if not rows:
        return None
    margin = min(m["dia"] - 0.3 - m["dia-frozen"] for _, _, m in rows)
    return dict(
        id="C7",
        statement="DIA with its masks frozen at the random start fails",
        measured=round(float(margin), 3),
        spread="; ".join(f"{s} p={p:g}: frozen {m['dia-frozen']:.2f}" for s, p, m in rows),
        criterion="mean SSIM(frozen) <= SSIM(DIA) - 0.3 in every ablation setup (measured: smallest margin, >= 0 passes)",
        passed=bool(margin >= 0),
        tolerance=0.05,
        note="restated: the earlier criterion also asked frozen <= IG; the ablations now run DIA's 3 starts "
        "and IG one, so that comparison no longer isolates the masks. "
        + "; ".join(
            f"{s}: IG {m['ig']:.2f}, DIA {m['dia']:.2f}, DIA no mask reg. {m.get('dia-noreg', np.nan):.2f}"
            for s, _, m in rows
        ),
    )


def claim_train_mode_ig(scores) -> dict | None:
    """C8: a train-mode IG attacker (fresh random masks) does not escape the defence."""
    rows = [r for r in _ablation_means(scores) if "ig-train" in r[2]]
    if not rows:
        return None
    excess = max(m["ig-train"] - m["ig"] for _, _, m in rows)
    return dict(
        id="C8",
        statement="IG with the attacker in train mode (fresh random masks) does not escape the defence",
        measured=round(float(excess), 3),
        spread="; ".join(
            f"{s} p={p:g}: train {m['ig-train']:.2f}, eval {m['ig']:.2f}" for s, p, m in rows
        ),
        criterion="mean SSIM(IG train mode) - SSIM(IG eval mode) <= 0.05 in every ablation setup",
        passed=bool(excess <= 0.05),
        tolerance=0.05,
    )


def claim_labels(scores, batch=None) -> dict:
    """C9: the label of a single image is read off the last layer exactly."""
    acc = float(scores.groupby(["setup", "p", "seed", "batch"]).label_acc.first().mean())
    note = ""
    if batch is not None and len(batch):
        bacc = float(batch.groupby(["p", "seed", "batch"]).label_acc.first().mean())
        note = f"larger batches (Yin et al. rule): accuracy {bacc:.2f}"
    return dict(
        id="C9",
        statement="The label of a single image is read off the last layer's gradient exactly (iDLG)",
        measured=round(acc, 3),
        criterion="accuracy = 1 over every batch-size-1 gradient",
        passed=acc == 1.0,
        note=note,
    )


def claim_batch(batch, cfg=None) -> dict | None:
    """C10: with a larger batch DIA still beats IG under dropout.

    On the cpu profile's batch below the reference's iteration budget, the
    note records the check at that budget (a one-off run, not repeated by the
    notebook).
    """
    if batch is None or not len(batch):
        return None
    bs = summarize(batch, "ssim", by=("p", "attack")).set_index(["p", "attack"])["mean"]
    pos = [p for p in sorted(batch.p.unique()) if p > 0]
    gain = {p: float(bs[(p, "dia")] - bs[(p, "ig")]) for p in pos}
    return dict(
        id="C10",
        statement=f"With a larger batch ({batch.setup.iloc[0]}) DIA still beats IG under dropout",
        measured=round(min(gain.values()), 3),
        spread="DIA SSIM " + ", ".join(f"p={p:g}: {bs[(p, 'dia')]:.2f}" for p in pos),
        criterion="mean matched SSIM(DIA) - SSIM(IG) >= 0.05 at every p > 0",
        passed=all(v >= 0.05 for v in gain.values()),
        tolerance=0.1,
        note="images matched to originals by optimal assignment before scoring"
        + (_BATCH_BUDGET_NOTE if _budget_checked(cfg) else ""),
    )


# Measured once on the cpu profile's batch (mlp/mnist28, B=4, seed 1), see the notebook's batch section.
_BATCH_BUDGET_NOTE = (
    "; at the reference's full budget (20 000 iterations, plateau 800, early stop 4 000; 8 DIA and 2 IG "
    "starts) the same batch gives DIA 0.998 against IG 0.589 at p=0.5 (+0.41, a PASS); at 4 000 iterations "
    "and 3 starts -0.002: a FAIL of this profile's iteration budget, not of the paper"
)


def _budget_checked(cfg) -> bool:
    """The batch experiment the full-budget check ran on, at a budget below the reference's."""
    return (
        cfg is not None
        and (cfg.batch_setup, cfg.batch_size, cfg.n_batches) == (("mlp", "mnist", 28), 4, 1)
        and cfg.iterations_for("mlp") < REFERENCE_ITERATIONS
    )


def claim_start_selection(starts) -> dict | None:
    """C11: choosing DIA's start by final gradient loss picks the right basin (not the sign-flipped one)."""
    d = starts[(starts.attack == "dia") & (starts.p > 0)]
    if d.empty or d.start.max() < 1:
        return None
    d = d.assign(good=d.correlation > 0)
    g = d.groupby(["setup", "p", "seed", "image"])
    has_good = g.good.any()
    kept_good = d[d.kept].set_index(["setup", "p", "seed", "image"]).good
    rate = float(kept_good[has_good].mean())
    return dict(
        id="C11",
        statement="Keeping DIA's start with the lowest final gradient loss picks the right basin, not a sign-flipped one",
        measured=round(rate, 3),
        spread=f"{int((~d.good).sum())} of {len(d)} single starts flipped (correlation with the truth < 0)",
        criterion="the kept start correlates positively with the truth in >= 95 % of the attacks that have such a start",
        passed=rate >= 0.95,
        tolerance=round(1.0 / max(int(has_good.sum()), 1), 3),
        note=f"{int(has_good.sum())} attacks; beyond the paper (the reference runs one start)",
    )


def record_claims(claims, experiments, cfg=None) -> None:
    """Add every claim the experiments support to ``claims`` (a ``ClaimSet``)."""
    scores = experiments.scores
    batch = experiments.batch.scores if experiments.batch is not None else None
    made = [
        claim_ig_recovers(scores),
        claim_ig_falls(scores),
        claim_dia_high(scores),
        claim_dia_near_wiig(scores),
        claim_dia_beats_ig(scores),
        claim_dia_at_zero(scores),
        claim_frozen_fails(scores),
        claim_train_mode_ig(scores),
        claim_labels(scores, batch),
        claim_batch(batch, cfg),
        claim_start_selection(experiments.starts),
    ]
    for claim in made:
        if claim is not None:
            claims.add(**claim)


def by_setup(scores: pd.DataFrame) -> pd.DataFrame:
    """The quantities behind claims C1-C5 for each setup separately (mean SSIM over images and seeds)."""
    summ = summarize(scores, "ssim").set_index(["setup", "p", "attack"])["mean"]
    rows = []
    for s in dict.fromkeys(scores.setup):
        rates = sorted(scores[scores.setup == s].p.unique())
        pos = [p for p in rates if p > 0]
        ig = [summ[(s, p, "ig")] for p in rates]
        dia = {p: summ[(s, p, "dia")] for p in rates}
        rows.append(
            {
                "setup": s,
                "IG at p=0 (C1)": ig[0],
                "IG drop at p=0.1 (C2)": ig[0] - ig[1],
                "IG decreasing (C2)": bool(np.all(np.diff(ig) < 0)),
                "DIA min over p (C3)": min(dia.values()),
                "max WIIG - DIA (C4)": max(summ[(s, p, "wiig")] - dia[p] for p in pos),
                "min DIA - IG (C5)": min(dia[p] - summ[(s, p, "ig")] for p in pos),
            }
        )
    return pd.DataFrame(rows).set_index("setup")
