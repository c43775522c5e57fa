"""The paper's claims, one small function each, recorded by :func:`record_claims`.

Every criterion and threshold is registered in ``claims.toml`` (read through
:mod:`support.core.registry`); this module only measures. Rank claims use the
paper's aggregation and a two-stage bootstrap (pairs, then examples; see
:mod:`support.influence.ranks`). A failed rank claim is "not reproduced" only
when the bootstrap 95 % interval of its statistic lies wholly on the failing
side of the bar, "inconclusive" otherwise (the registry's powered rule).
"""

from __future__ import annotations

import numpy as np

from ..core import registry
from ..core.claims import ClaimSet
from .cost import CostStudy

FAST_METHODS = ("boostin", "leaf_inf_sp", "trex", "tree_sim")
RANK_TOLERANCE = 0.25  # the registry's tolerance rule for rank claims
NEAR_BEST = {
    "boostin-best-removal": "single: removal",
    "boostin-best-removal-with-leafinf": "single: removal, with LeafInfluence/LeafRefit",
    "boostin-best-set-removal": "multi: removal",
    "boostin-best-add-noise": "multi: add noise",
    "boostin-best-fix-mislabelled": "multi: fix mislabelled",
}


def _spread(values) -> tuple[float, float, str]:
    lo, hi = np.quantile(np.asarray(values, float), [0.025, 0.975])
    return float(lo), float(hi), f"two-stage bootstrap 95% interval [{lo:.2f}, {hi:.2f}]"


def near_best(claims, entry, res, setting) -> None:
    """BoostIn's mean rank minus the best method's, against the registered margin."""
    ranks, boot = res["ranks"].get(setting), res["boot"].get(setting)
    if ranks is None or "boostin" not in ranks.index:
        return
    gap = float(ranks.loc["boostin", "mean"] - ranks["mean"].min())
    lo, hi, text = _spread(boot["boostin"] - boot.min(axis=1))
    margin = entry["margin"]
    claims.add(
        entry.id,
        measured=round(gap, 3),
        passed=gap <= margin,
        powered=lo > margin,
        spread=text
        + f"; verdict holds in {100 * np.mean(boot['boostin'] - boot.min(axis=1) <= margin):.0f}%",
        n=int(ranks["n_pairs"].iloc[0]),
        note=f"{setting}; BoostIn {ranks.loc['boostin', 'mean']:.2f}, best {ranks.index[0]} "
        f"{ranks['mean'].min():.2f}, {len(ranks)} methods",
        tolerance=RANK_TOLERANCE,
    )


def _ahead(claims, entry, res, setting, worse, better: list) -> None:
    """Mean rank of ``worse`` minus the mean of ``better``'s mean ranks, against the registered gap."""
    ranks, boot = res["ranks"].get(setting), res["boot"].get(setting)
    if ranks is None or worse not in ranks.index or not set(better) <= set(ranks.index):
        return
    gap = float(ranks.loc[worse, "mean"] - ranks.loc[better, "mean"].mean())
    diff = boot[worse] - boot[better].mean(axis=1)
    lo, hi, text = _spread(diff)
    claims.add(
        entry.id,
        measured=round(gap, 3),
        passed=gap > entry["gap"],
        powered=hi <= entry["gap"],
        spread=text + f"; verdict holds in {100 * np.mean(diff > entry['gap']):.0f}%",
        n=int(ranks["n_pairs"].iloc[0]),
        note=f"{setting}; {worse} {ranks.loc[worse, 'mean']:.2f}, "
        + ", ".join(f"{m} {ranks.loc[m, 'mean']:.2f}" for m in better),
        tolerance=RANK_TOLERANCE,
    )


def rank_claims(claims, reg, res) -> None:
    """Every registered rank claim that ``res`` holds the setting for."""
    for cid, setting in NEAR_BEST.items():
        near_best(claims, reg[cid], res, setting)
    _ahead(claims, reg["loo-worse-on-sets"], res, "multi: removal", "loo", ["boostin"])
    ranks = res["ranks"].get("single: removal")
    fast = [m for m in FAST_METHODS if ranks is not None and m in ranks.index]
    _ahead(claims, reg["fast-beat-random"], res, "single: removal", "random", fast)


def cost_claims(claims, reg, study: CostStudy) -> None:
    """BoostIn linear, LeafInfluence quadratic (both above the fixed overhead), the speed-up and its growth."""
    s, span = study.slopes, f"n spans {study.span('boostin'):.0f}x / {study.span('leaf_inf'):.0f}x"
    timing = dict(deterministic=False)
    lin, quad = reg["cost-boostin-linear"], reg["cost-leafinf-quadratic"]
    b, q = s["boostin"], s["leaf_inf"]
    claims.add(
        lin.id,
        measured=round(b, 2),
        passed=bool(lin["low"] <= b <= lin["high"]),
        paper="O(nT)",
        note=f"raw exponent {study.raw_slopes['boostin']:.2f}; overhead {study.overhead['boostin']:.3f} s; {span}",
        **timing,
    )
    claims.add(
        quad.id,
        measured=round(q, 2),
        passed=bool(quad["low"] <= q <= quad["high"]),
        paper="O(Tn^2)",
        note=f"raw exponent {study.raw_slopes['leaf_inf']:.2f}; overhead {study.overhead['leaf_inf']:.3f} s",
        **timing,
    )
    four = reg["speedup-4-orders"]
    claims.add(
        four.id,
        measured=float(f"{study.ratio_paper:.3g}"),
        passed=study.ratio_paper >= four["ratio"],
        paper="~1e4",
        note=f"measured {study.ratio:.3g} at n={study.n_measured}. Our LeafInfluence is vectorised over "
        "the removed examples; the reference behind the paper's timings loops over them in Python "
        "(bench/influence.py timed ours 381x faster at n=1,000)",
        **timing,
    )
    grow = reg["speedup-grows-with-n"]
    claims.add(
        grow.id,
        measured=round(q - b, 2),
        passed=bool(q - b >= grow["low"]),
        paper="O(n)",
        note="added after speedup-4-orders had failed and the cost data were seen",
        **timing,
    )


def record_claims(claims: ClaimSet, res: dict, study: CostStudy) -> None:
    """Add every registered claim measured from the evaluations ``res`` and the cost ``study``."""
    reg = registry.load("support.influence")
    claims.use(reg)
    cost_claims(claims, reg, study)
    if res["ranks"]:
        rank_claims(claims, reg, res)
