"""The notebook's experiments: expert sets and their smoothness, the IPC-1 ablation and further IPCs, evaluation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
import torch

from ..core.cache import Cache
from .ablation import ablation_variants, paired_effect, smoothness, summarise
from .config import IPCSetting, Profile
from .convnet import ConvNetSpec
from .data import Dataset
from .distill import DistillConfig, DistillResult, Variant, distill
from .evaluate import eval_config, evaluate
from .experts import ExpertSet, plain_experts, smooth_experts, train_experts
from .train import accuracy

# Figure labels of the expert kinds.
EXPERT_LABELS = {"plain": "plain (MTT)", "smooth": "smooth (AST)", "momentum": "momentum only"}
# Undistilled baselines evaluated beside the distilled sets: name -> variant whose initial images they are.
BASELINES = {"Random real": "MTT", "k-means real": "+rep. init"}
# Variants distilled at the further IPCs (cfg.extra).
EXTRA_VARIANTS = ("MTT", "AST (all)")


def expert_sets(
    cfg: Profile,
    data: Dataset,
    spec: ConvNetSpec,
    seed: int,
    device: torch.device | str = "cpu",
    cache: Cache | None = None,
) -> dict[str, ExpertSet]:
    """Train (or load from the cache) the three expert kinds on ``data``'s training set.

    Parameters
    ----------
    cfg : Profile
        The profile (epochs, rates, batch, augmentation, number of experts).
    data : Dataset
    spec : ConvNetSpec
    seed : int
        Seeds every kind's initialisation, data order and augmentation.
    device : torch.device or str
    cache : Cache, optional
        Where epochs are stored; defaults to ``Cache("distill/experts")``.

    Returns
    -------
    dict of str to ExpertSet
        ``"plain"`` (MTT: SGD, no momentum), ``"smooth"`` (AST: momentum, weight
        decay, clipping loss, gradient penalty) and ``"momentum"`` (AST's
        optimiser without clipping loss or penalty).
    """
    cache = Cache("distill/experts") if cache is None else cache
    kinds = {
        "plain": plain_experts(cfg.expert_epochs, cfg.plain_lr, cfg.expert_batch, cfg.augment),
        "smooth": smooth_experts(
            cfg.expert_epochs,
            cfg.smooth_lr,
            cfg.expert_batch,
            cfg.augment,
            clip_epochs=cfg.clip_epochs,
        ),
        "momentum": smooth_experts(
            cfg.expert_epochs,
            cfg.smooth_lr,
            cfg.expert_batch,
            cfg.augment,
            clip_loss=False,
            grad_penalty=0.0,
        ),
    }
    return {
        kind: train_experts(
            spec,
            data.train_images,
            data.train_labels,
            sgd,
            cfg.n_experts,
            seed=seed,
            cache=cache,
            device=device,
        )
        for kind, sgd in kinds.items()
    }


@dataclass
class ExpertScores:
    """Smoothness and test accuracy of each expert kind.

    Attributes
    ----------
    window : int
        Epochs the IPC-1 students are matched against (``T+ + M``).
    scores : dict
        Per kind, :func:`~.ablation.smoothness` over the first ``window`` epochs.
    whole : dict
        Per kind, :func:`~.ablation.smoothness` over the whole trajectory.
    accuracy : dict
        Per kind, mean test accuracy (in [0, 1]) of the experts' final epoch.
    """

    window: int
    scores: dict[str, dict[str, float]]
    whole: dict[str, dict[str, float]]
    accuracy: dict[str, float]

    def describe(self) -> str:
        """One line per kind: accuracy and both smoothness scores, matched window and whole trajectory."""
        return "\n".join(
            f"{k:>8} experts: test accuracy {100 * self.accuracy[k]:.1f}%; first {self.window} epochs: "
            f"peak/median change {self.scores[k]['peak_ratio']:.2f}, direction cosine "
            f"{self.scores[k]['direction_cos']:.3f}; whole trajectory: "
            f"{self.whole[k]['peak_ratio']:.2f}, {self.whole[k]['direction_cos']:.3f}"
            for k in self.scores
        )


def score_experts(
    cfg: Profile, data: Dataset, spec: ConvNetSpec, experts: Mapping[str, ExpertSet]
) -> ExpertScores:
    """Smoothness (matched window and whole trajectory) and final test accuracy of each expert set.

    Parameters
    ----------
    cfg : Profile
        Gives the matched window ``max_start_epoch + match_epochs``.
    data : Dataset
        Its test set scores the experts' final parameters.
    spec : ConvNetSpec
    experts : mapping of str to ExpertSet

    Returns
    -------
    ExpertScores
    """
    window = cfg.max_start_epoch + cfg.match_epochs
    return ExpertScores(
        window=window,
        scores={k: smoothness(e.trajectories, window) for k, e in experts.items()},
        whole={k: smoothness(e.trajectories) for k, e in experts.items()},
        accuracy={
            k: float(
                accuracy(spec, e.trajectories[:, -1], data.test_images, data.test_labels).mean()
            )
            for k, e in experts.items()
        },
    )


def epoch_changes(experts: Mapping[str, ExpertSet]) -> dict[str, torch.Tensor]:
    """Relative parameter change per epoch of each expert set, keyed by its figure label."""
    return {EXPERT_LABELS.get(k, k): e.epoch_change() for k, e in experts.items()}


@dataclass
class Distillation:
    """One batched distillation: its settings, seeds and result.

    Attributes
    ----------
    config : DistillConfig
    seeds : list of int
        Distillation seeds (every variant runs once per seed).
    result : DistillResult
    """

    config: DistillConfig
    seeds: list[int]
    result: DistillResult

    def describe(self) -> str:
        """The run's size and settings in one line."""
        c = self.config
        return (
            f"IPC {c.ipc}: {len(self.result.names)} distillations (N={c.syn_steps}, "
            f"M={c.expert_epochs}, T+={c.max_start_epoch}, batch_syn={c.batch_syn or 'all'}, "
            f"{c.iterations} iterations) in one batch"
        )


def run_setting(
    cfg: Profile,
    setting: IPCSetting,
    variants: Sequence[Variant],
    data: Dataset,
    spec: ConvNetSpec,
    experts: Mapping[str, ExpertSet],
    seeds: Sequence[int],
    device: torch.device | str = "cpu",
) -> Distillation:
    """Distil every variant x seed at one IPC's settings, in one batch.

    Parameters
    ----------
    cfg : Profile
        Its ``augment`` is used.
    setting : IPCSetting
        IPC, iterations, N, M, T+, outer rates and ``batch_syn``.
    variants : sequence of Variant
    data : Dataset
    spec : ConvNetSpec
    experts : mapping of str to ExpertSet
        Must hold the expert kinds the variants use.
    seeds : sequence of int
    device : torch.device or str

    Returns
    -------
    Distillation
    """
    dcfg = DistillConfig(
        ipc=setting.ipc,
        iterations=setting.iterations,
        syn_steps=setting.syn_steps,
        expert_epochs=setting.match_epochs,
        max_start_epoch=setting.max_start_epoch,
        lr_img=setting.lr_img,
        lr_lr=setting.lr_lr,
        batch_syn=setting.batch_syn,
        augment=cfg.augment,
    )
    res = distill(
        spec,
        data.train_images,
        data.train_labels,
        experts,
        list(variants),
        dcfg,
        seeds=list(seeds),
        device=device,
    )
    return Distillation(dcfg, list(seeds), res)


def run_ipc1(
    cfg: Profile,
    data: Dataset,
    spec: ConvNetSpec,
    experts: Mapping[str, ExpertSet],
    seeds: Sequence[int],
    device: torch.device | str = "cpu",
) -> Distillation:
    """The IPC-1 ablation: MTT, each AST addition alone and all together, every seed, one batch.

    Parameters
    ----------
    cfg : Profile
        ``cfg.ablation`` (``ipc_ablation``, ``iterations``, ``syn_steps``,
        ``match_epochs``, ``max_start_epoch``, ``lr_img``, ``lr_lr``) and
        ``augment`` are used.
    data : Dataset
    spec : ConvNetSpec
    experts : mapping of str to ExpertSet
        Must hold ``"plain"`` and ``"smooth"``.
    seeds : sequence of int
    device : torch.device or str

    Returns
    -------
    Distillation
    """
    return run_setting(cfg, cfg.ablation, ablation_variants(), data, spec, experts, seeds, device)


def run_extra_ipcs(
    cfg: Profile,
    data: Dataset,
    spec: ConvNetSpec,
    experts: Mapping[str, ExpertSet],
    seeds: Sequence[int],
    device: torch.device | str = "cpu",
) -> list[Distillation]:
    """MTT and AST (all) at each of the profile's further IPCs (``cfg.extra``), one batch per IPC.

    Parameters
    ----------
    cfg : Profile
        ``extra`` (one :class:`~.config.IPCSetting` per IPC) and ``augment`` are used.
    data : Dataset
    spec : ConvNetSpec
    experts : mapping of str to ExpertSet
        Must hold ``"plain"`` and ``"smooth"``.
    seeds : sequence of int
    device : torch.device or str

    Returns
    -------
    list of Distillation
        One per entry of ``cfg.extra``, in its order.
    """
    variants = [v for v in ablation_variants() if v.name in EXTRA_VARIANTS]
    return [
        run_setting(cfg, setting, variants, data, spec, experts, seeds, device)
        for setting in cfg.extra
    ]


def describe_runs(runs: Sequence[Distillation]) -> str:
    """One line per run (:meth:`Distillation.describe`)."""
    return "\n".join(r.describe() for r in runs)


def synthetic_panels(res: DistillResult) -> dict[str, torch.Tensor]:
    """Initial and distilled images of the first MTT and AST (all) members, keyed by figure label."""
    mtt, ast = res.rows("MTT")[0], res.rows("AST (all)")[0]
    return {
        "MTT init (random real)": res.init_images[mtt],
        "MTT distilled": res.images[mtt],
        "AST init (k-means real)": res.init_images[ast],
        "AST distilled": res.images[ast],
    }


@dataclass
class Evaluation:
    """Test accuracies of evaluated sets (baselines and distilled members) and their summary.

    Attributes
    ----------
    ipc : int
        Images per class of the evaluated sets.
    names, seeds : list
        Row label (variant or baseline name) and seed of each row of ``acc``.
    acc : torch.Tensor
        ``(S, n_nets)`` test accuracies in [0, 1].
    """

    ipc: int
    names: list[str]
    seeds: list[int]
    acc: torch.Tensor

    @property
    def table(self) -> pd.DataFrame:
        """Mean and std over seeds per row label, in % (see :func:`~.ablation.summarise`)."""
        return summarise(self.names, self.seeds, self.acc)

    @property
    def n_seeds(self) -> int:
        """Number of distinct seeds."""
        return len(set(self.seeds))

    def paired(self, variant: str, reference: str = "MTT") -> tuple[float, float]:
        """Mean and std over seeds of ``variant - reference`` in points (:func:`~.ablation.paired_effect`)."""
        return paired_effect(self.names, self.seeds, self.acc, variant, reference)


def evaluate_run(
    cfg: Profile,
    data: Dataset,
    spec: ConvNetSpec,
    run: Distillation,
    seed: int,
    device: torch.device | str = "cpu",
) -> Evaluation:
    """MTT's evaluation of every distilled set of ``run`` and of its undistilled baselines.

    The baselines (:data:`BASELINES`) are the initial images of the variant
    they name, present in ``run``: random real images (MTT's start) and, where
    the run has ``"+rep. init"``, the k-means-selected real images. They are
    trained with the plain experts' rate; distilled sets with their learned rate.

    Parameters
    ----------
    cfg : Profile
        ``eval_epochs``, ``eval_nets``, ``augment`` and ``plain_lr`` are used.
    data : Dataset
    spec : ConvNetSpec
    run : Distillation
    seed : int
        Seeds the evaluation networks.
    device : torch.device or str

    Returns
    -------
    Evaluation
        Baseline rows first, then the distilled members in ``run``'s order.
    """
    res = run.result
    sets, lrs, names, seeds = [], [], [], []
    for name, variant in BASELINES.items():
        if variant not in res.names:
            continue
        rows = res.rows(variant)
        sets.append(res.init_images[rows])
        lrs.append(torch.full((len(rows),), cfg.plain_lr))
        names += [name] * len(rows)
        seeds += [res.seeds[i] for i in rows]
    acc = evaluate(
        spec,
        torch.cat([*sets, res.images]),
        res.labels,
        torch.cat([*lrs, res.lr]),
        data.test_images,
        data.test_labels,
        eval_config(cfg.eval_epochs, augment=cfg.augment),
        n_nets=cfg.eval_nets,
        seed=seed,
        device=device,
    )
    return Evaluation(run.config.ipc, names + res.names, seeds + res.seeds, acc)


def evaluate_runs(
    cfg: Profile,
    data: Dataset,
    spec: ConvNetSpec,
    runs: Sequence[Distillation],
    seed: int,
    device: torch.device | str = "cpu",
) -> list[Evaluation]:
    """:func:`evaluate_run` of each of ``runs``, in order, with the same ``seed``."""
    return [evaluate_run(cfg, data, spec, run, seed, device) for run in runs]


def ablation_tables(
    name: str, evaluations: Sequence[Evaluation], full: pd.DataFrame
) -> dict[str, pd.DataFrame]:
    """Per evaluation, its table with the full-training-set row, titled ``"IPC <ipc> (<name>)"``."""
    return {f"IPC {e.ipc} ({name})": pd.concat([e.table, full]) for e in evaluations}


def stack_tables(evaluations: Sequence[Evaluation]) -> pd.DataFrame:
    """The evaluations' tables one under another, indexed by ``("IPC <ipc>", row label)``."""
    return pd.concat([e.table for e in evaluations], keys=[f"IPC {e.ipc}" for e in evaluations])


def evaluate_full(
    cfg: Profile, data: Dataset, spec: ConvNetSpec, seed: int, device: torch.device | str = "cpu"
) -> pd.DataFrame:
    """Accuracy of ``cfg.eval_nets`` networks trained on the full training set (one table row).

    Trained with the plain experts' rate and batch for ``cfg.full_epochs``; the
    row's spread is over the networks.

    Parameters
    ----------
    cfg : Profile
    data : Dataset
    spec : ConvNetSpec
    seed : int
        Seeds the networks.
    device : torch.device or str

    Returns
    -------
    DataFrame
        The row ``"Full training set"`` with ``mean``, ``std`` and ``runs``.
    """
    full = evaluate(
        spec,
        data.train_images,
        data.train_labels,
        cfg.plain_lr,
        data.test_images,
        data.test_labels,
        eval_config(cfg.full_epochs, cfg.expert_batch, cfg.augment),
        n_nets=cfg.eval_nets,
        seed=seed,
        device=device,
    )
    return summarise(["Full training set"] * cfg.eval_nets, list(range(cfg.eval_nets)), full.T)
