"""The dataset distillation notebook's claims, measured and added to a ClaimSet."""

from __future__ import annotations

from collections.abc import Sequence
from string import ascii_lowercase

from ..core.claims import ClaimSet
from .published import published_cifar10
from .study import Evaluation, ExpertScores

# C3a-C3f: each AST addition alone, then all of them, against MTT at IPC 1.
IPC1_EFFECTS = (
    ("C3a", "+smooth experts"),
    ("C3b", "+rep. init"),
    ("C3c", "+balanced loss"),
    ("C3d", "+intermediate"),
    ("C3e", "+perturbation"),
    ("C3f", "AST (all)"),
)
PAIRED_CRITERION = "paired gain > 0 and > its std over seeds"


def _smoother(claims: ClaimSet, cid: str, statement: str, experts: ExpertScores, ref: str) -> None:
    """Smooth experts against ``ref`` experts: both scores must improve."""
    r, s = experts.scores[ref], experts.scores["smooth"]
    measured = (
        f"peak/median {r['peak_ratio']:.2f} -> {s['peak_ratio']:.2f}; "
        f"cos {r['direction_cos']:.3f} -> {s['direction_cos']:.3f}"
    )
    passed = s["peak_ratio"] < r["peak_ratio"] and s["direction_cos"] > r["direction_cos"]
    acc = experts.accuracy
    if ref == "plain":
        criterion = "smooth has lower peak/median change AND higher consecutive-direction cosine"
        note = (
            f"first {experts.window} epochs (matched); test acc plain {100 * acc['plain']:.1f}%, "
            f"smooth {100 * acc['smooth']:.1f}%"
        )
    else:
        criterion = (
            "smooth has lower peak/median change AND higher consecutive-direction cosine "
            f"than {ref}-only"
        )
        note = f"first {experts.window} epochs; test acc {ref}-only {100 * acc[ref]:.1f}%"
    claims.add(cid, statement, measured, criterion, passed, note=note)


def record_claims(
    claims: ClaimSet,
    experts: ExpertScores,
    ipc1: Evaluation,
    ipc10: Evaluation,
    dataset: str = "digits",
    more: Sequence[Evaluation] = (),
) -> None:
    """Add claims C1-C4b (and, on CIFAR-10, C5a, C5b, ...) measured from the notebook's experiments.

    Parameters
    ----------
    claims : ClaimSet
        Where the claims go (``session.claims``).
    experts : ExpertScores
        Smoothness and accuracy of the ``"plain"``, ``"smooth"`` and
        ``"momentum"`` experts (:func:`~.study.score_experts`).
    ipc1 : Evaluation
        IPC-1 ablation with the ``"Random real"`` and ``"k-means real"``
        baselines (:func:`~.study.evaluate_run`).
    ipc10 : Evaluation
        IPC-10 run (MTT, AST (all)) with the ``"Random real"`` baseline: the
        profile's first further IPC (``cfg.extra[0]``).
    dataset : str
        The profile's data set; ``"cifar10"`` adds the comparison with MTT's
        published numbers.
    more : sequence of Evaluation
        Further IPC runs (the paper profile's IPC 50); used only for the
        CIFAR-10 comparison with the published numbers (C5c, ...).
    """
    t1, t10 = ipc1.table, ipc10.table
    gap = t1.loc["MTT", "mean"] - t1.loc["Random real", "mean"]
    claims.add(
        "C1",
        "Distilled IPC-1 data (MTT) beats a random real subset of the same size by a wide margin",
        round(gap, 1),
        "MTT - random >= 10 points",
        gap >= 10,
        paper="+31.8 (CIFAR-10: 46.2 vs 14.4)",
        spread=f"MTT {t1.loc['MTT', 'mean']:.1f}±{t1.loc['MTT', 'std']:.1f}, "
        f"random {t1.loc['Random real', 'mean']:.1f}±{t1.loc['Random real', 'std']:.1f}",
        note="points of test accuracy",
    )
    _smoother(
        claims, "C2", "AST's smooth experts move more smoothly than plain experts", experts, "plain"
    )
    _smoother(
        claims,
        "C2b",
        "Clipping loss + gradient penalty make momentum experts smoother",
        experts,
        "momentum",
    )
    for cid, variant in IPC1_EFFECTS:
        m, sd = ipc1.paired(variant)
        claims.add(
            cid,
            f"IPC 1: {variant} improves on MTT",
            round(m, 2),
            PAIRED_CRITERION,
            m > 0 and m > sd,
            spread=f"±{sd:.2f} over {ipc1.n_seeds} seeds",
        )
    m, sd = ipc10.paired("AST (all)")
    claims.add(
        "C3g",
        "IPC 10: AST (all) improves on MTT",
        round(m, 2),
        PAIRED_CRITERION,
        m > 0 and m > sd,
        spread=f"±{sd:.2f} over {ipc10.n_seeds} seeds",
    )
    km = t1.loc["k-means real", "mean"] - t1.loc["Random real", "mean"]
    claims.add(
        "C4a",
        "A k-means (representative) real subset beats a random real subset at IPC 1",
        round(km, 1),
        "k-means - random > 0",
        km > 0,
        spread=f"random ±{t1.loc['Random real', 'std']:.1f}",
    )
    g10, sd10 = ipc10.paired("MTT", "Random real")
    claims.add(
        "C4b",
        "Distillation still beats a random real subset at IPC 10",
        round(g10, 2),
        "paired gain (MTT - its random init) > 0 and > its std over seeds",
        g10 > 0 and g10 > sd10,
        paper="+34.4 (CIFAR-10: 65.4 vs 31.0)",
        spread=f"±{sd10:.2f} over {ipc10.n_seeds} seeds; MTT {t10.loc['MTT', 'mean']:.1f}, "
        f"random {t10.loc['Random real', 'mean']:.1f}",
    )
    if dataset == "cifar10":
        pub = published_cifar10()
        for letter, ev in zip(ascii_lowercase, (ipc1, ipc10, *more)):
            cid = f"C5{letter}"
            ref = pub.loc["MTT", f"IPC {ev.ipc}"]
            ours = ev.table.loc["MTT", "mean"]
            claims.add(
                cid,
                f"CIFAR-10 IPC {ev.ipc}: our MTT matches the published number",
                round(ours, 1),
                "within 5 points of the published MTT",
                abs(ours - ref) <= 5,
                paper=ref,
            )
