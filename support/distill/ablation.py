"""The ablation: MTT, each AST addition on its own, and all of them together; summary tables."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from .distill import AST_STUDENT_MOMENTUM, AST_STUDENT_RATE, Variant


def ablation_variants(student_momentum: float = AST_STUDENT_MOMENTUM) -> list[Variant]:
    """MTT, MTT + one AST change at a time, and AST (all of them).

    The changes: smooth experts, representative (k-means) initialisation,
    balanced inner loss, intermediate matching, weight perturbation, and the
    student momentum of AST's code (``student_momentum``, with its initial
    rate :data:`AST_STUDENT_RATE`; the AST row uses both, 0 gives the papers'
    plain-SGD student at MTT's rate).
    """
    student = dict(
        student_momentum=student_momentum,
        student_rate=AST_STUDENT_RATE if student_momentum else 1.0,
    )
    return [
        Variant("MTT"),
        Variant("+smooth experts", experts="smooth"),
        Variant("+rep. init", init="kmeans"),
        Variant("+balanced loss", balance=True),
        Variant("+intermediate", intermediate="uniform"),
        Variant("+perturbation", perturb=True),
        Variant("+student momentum", **student),
        Variant(
            "AST (all)",
            experts="smooth",
            init="kmeans",
            balance=True,
            intermediate="uniform",
            perturb=True,
            **student,
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


@dataclass(frozen=True)
class Effect:
    """A paired effect in accuracy points: mean over seeds, 95 % CI half-width, minimal detectable effect.

    Attributes
    ----------
    mean, half_width : float
        Mean paired difference and the half-width of its 95 % t-interval.
    mde : float
        Smallest true effect the comparison detects with 80 % power at two-sided
        5 % (``(t_0.975 + t_0.8) * sd / sqrt(n)``): effects below it may be missed.
    n : int
        Paired seeds.
    sd : float
        Standard deviation of the per-seed paired differences.
    """

    mean: float
    half_width: float
    mde: float
    n: int
    sd: float = float("nan")

    @property
    def low(self) -> float:
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        return self.mean + self.half_width

    def describe(self) -> str:
        return f"{self.mean:+.2f} ± {self.half_width:.2f} (95 % CI, {self.n} paired seeds; MDE {self.mde:.2f})"

    def seeds_for(self, mde: float) -> int:
        """Paired seeds this comparison's spread ``sd`` needs for an MDE of at most ``mde`` points."""
        n = 2
        while _mde(self.sd, n) > mde and n < 10_000:
            n += 1
        return n


def _mde(sd: float, n: int) -> float:
    """Minimal detectable effect of a paired t-test: 80 % power at two-sided 5 %, ``n`` seeds."""
    from scipy import stats

    return float((stats.t.ppf(0.975, n - 1) + stats.t.ppf(0.8, n - 1)) * sd / np.sqrt(n))


def paired_effect(
    names: list[str], seeds: list[int], acc: torch.Tensor, variant: str, reference: str = "MTT"
) -> Effect:
    """``acc(variant) - acc(reference)`` in points, paired by seed: mean, 95 % CI and MDE.

    Each seed's value is the mean over its evaluation networks. Members with
    the same seed share their random initial images, the random draws of the
    distillation and the evaluation networks' initialisations, so the paired
    difference removes that shared noise.
    """
    from scipy import stats

    per_seed = acc.double().mean(1) * 100
    a = {s: float(per_seed[i]) for i, (n, s) in enumerate(zip(names, seeds)) if n == variant}
    b = {s: float(per_seed[i]) for i, (n, s) in enumerate(zip(names, seeds)) if n == reference}
    common = sorted(set(a) & set(b))
    if len(common) < 2:
        raise ValueError(
            f"need at least 2 common seeds between {variant!r} and {reference!r}, got {common}"
        )
    d = np.array([a[s] - b[s] for s in common])
    n, sd = len(d), float(np.std(d, ddof=1))
    half_width = float(stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n))
    return Effect(float(d.mean()), half_width, _mde(sd, n), n, sd)
