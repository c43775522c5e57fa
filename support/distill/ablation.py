"""The ablation: MTT, each AST addition on its own, and all of them together; summary tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from .distill import Variant


def ablation_variants(student_momentum: float = 0.0) -> list[Variant]:
    """MTT, MTT + one AST addition at a time, and AST (all additions).

    ``student_momentum`` applies to the AST row only (0: the papers' plain
    SGD student; 0.9: AST's code).
    """
    return [
        Variant("MTT"),
        Variant("+smooth experts", experts="smooth"),
        Variant("+rep. init", init="kmeans"),
        Variant("+balanced loss", balance=True),
        Variant("+intermediate", intermediate="uniform"),
        Variant("+perturbation", perturb=True),
        Variant(
            "AST (all)",
            experts="smooth",
            init="kmeans",
            balance=True,
            intermediate="uniform",
            perturb=True,
            student_momentum=student_momentum,
        ),
    ]


def smoothness(trajectories: torch.Tensor, window: int | None = None) -> dict[str, float]:
    """Two smoothness scores of expert trajectories ``(E, T + 1, P)`` over their first ``window`` epochs.

    ``peak_ratio``: largest over median relative parameter change per epoch
    ``||theta_{e+1} - theta_e|| / ||theta_e||`` (lower = fewer spikes in the
    rate of change, which AST's clipping loss and gradient penalty regulate);
    ``direction_cos``: mean cosine between consecutive epochs' displacements
    (higher = less curved). Both are means over experts.

    ``window`` restricts the scores to the epochs a student is matched against
    (``T+ + M``; ``None`` = the whole trajectory): a scheduled rate decay after
    that window is part of the recipe, not jaggedness the student sees.
    """
    t = trajectories if window is None else trajectories[:, : window + 1]
    if t.shape[1] < 3:
        raise ValueError(f"smoothness needs at least 2 epochs in the window, got {t.shape[1] - 1}")
    steps = t[:, 1:] - t[:, :-1]
    change = steps.norm(dim=2) / t[:, :-1].norm(dim=2)
    cos = torch.nn.functional.cosine_similarity(steps[:, 1:], steps[:, :-1], dim=2)
    peak = change.max(dim=1).values / change.median(dim=1).values
    return {"peak_ratio": float(peak.mean()), "direction_cos": float(cos.mean())}


def summarise(names: list[str], seeds: list[int], acc: torch.Tensor) -> pd.DataFrame:
    """Accuracy table: per variant, the mean over eval nets per seed, then mean and std over seeds (in %).

    Parameters
    ----------
    names, seeds : list
        Variant name and seed of each row of ``acc``.
    acc : torch.Tensor
        ``(S, n_nets)`` accuracies in [0, 1].
    """
    per_seed = acc.double().mean(1).numpy() * 100
    frame = pd.DataFrame({"variant": names, "seed": seeds, "acc": per_seed})
    order = list(dict.fromkeys(names))
    out = frame.groupby("variant", sort=False)["acc"].agg(
        mean="mean", std=lambda a: float(np.std(a, ddof=1)) if len(a) > 1 else 0.0, runs="count"
    )
    return out.loc[order].round(2)


def paired_effect(
    names: list[str], seeds: list[int], acc: torch.Tensor, variant: str, reference: str = "MTT"
) -> tuple[float, float]:
    """Mean and std over seeds of ``acc(variant) - acc(reference)`` in points, paired by seed.

    Members with the same seed share their random initial images and the
    evaluation networks' initialisations, so the paired difference removes
    that shared noise.
    """
    per_seed = acc.double().mean(1) * 100
    a = {s: float(per_seed[i]) for i, (n, s) in enumerate(zip(names, seeds)) if n == variant}
    b = {s: float(per_seed[i]) for i, (n, s) in enumerate(zip(names, seeds)) if n == reference}
    common = sorted(set(a) & set(b))
    if not common:
        raise ValueError(f"no common seeds between {variant!r} and {reference!r}")
    d = np.array([a[s] - b[s] for s in common])
    return float(d.mean()), float(d.std(ddof=1)) if len(d) > 1 else 0.0
