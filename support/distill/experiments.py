"""The notebook's experiments: expert sets and their smoothness, the distillations (ablation and further IPCs), evaluation.

Each sweep goes through :func:`support.core.executor.run_cells`, serially, on
local processes or as Ray tasks. Its cells: one expert kind (its epochs are
cached one by one under ``distill/experts`` where the cell runs), one batched
distillation per batch of seeds of each IPC (all variants of those seeds
together; a run's batches are part of its definition, as the batched inner
loop's draws and rounding depend on which runs share a batch), and one
evaluation network per distillation run; the last two are cached per cell
under ``distill/cells``. The data and the
expert trajectories travel as the executor's unhashed ``shared`` inputs, with
their fingerprints in the cells. Every seed is explicit (initialisations,
data order, augmentation, evaluation networks), so the executor's per-cell
seeding changes no result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd
import torch

from ..core.cache import Cache
from ..core.executor import run_cells
from .ablation import Effect, ablation_variants, paired_effect, smoothness, summarise
from .config import Profile
from .convnet import ConvNetSpec
from .data import Dataset
from .distill import DistillConfig, DistillResult, distill
from .evaluate import eval_config, evaluate
from .experts import ExpertSet, data_fingerprint, plain_experts, smooth_experts, train_experts
from .published import published_cifar10
from .train import accuracy

# Figure labels of the expert kinds.
EXPERT_LABELS = {"plain": "plain (MTT)", "smooth": "smooth (AST)", "momentum": "momentum only"}
# Undistilled baselines evaluated beside the distilled sets: name -> variant whose initial images they are.
BASELINES = {"Random real": "MTT", "k-means real": "+rep. init"}


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
        ``"plain"`` (MTT: SGD, no momentum; ``cfg.n_plain_experts`` of them), ``"smooth"`` (AST: momentum, weight
        decay, clipping loss, gradient penalty) and ``"momentum"`` (AST's
        optimiser without clipping loss or penalty).
    """
    cache = Cache("distill/experts") if cache is None else cache
    kinds = {
        "plain": plain_experts(cfg.expert_epochs, cfg.expert_lr, cfg.expert_batch, cfg.augment),
        "smooth": smooth_experts(
            cfg.expert_epochs,
            cfg.smooth_lr,
            cfg.expert_batch,
            cfg.augment,
            clip_epochs=cfg.clip_epochs,
            gp_batch=cfg.gp_batch,
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
    cells = [
        {
            "sgd": sgd,
            "n_experts": cfg.n_plain_experts if kind == "plain" else cfg.n_experts,
            "spec": spec,
            "seed": seed,
            "device": str(device),
            "data": data_fingerprint(data.train_images, data.train_labels),
        }
        for kind, sgd in kinds.items()
    ]
    shared = {"images": data.train_images, "labels": data.train_labels, "cache": cache}
    trained = run_cells(
        _expert_cell,
        cells,
        desc="expert kinds",
        device=str(device),
        shared=shared,
        workers=cfg.workers,
    )
    return dict(zip(kinds, trained))


def _expert_cell(sgd, n_experts, spec, seed, device, data, images, labels, cache) -> ExpertSet:
    """One cell of :func:`expert_sets`: one kind's experts (``data`` is the fingerprint of ``images``)."""
    return train_experts(
        spec, images, labels, sgd, n_experts, seed=seed, cache=cache, device=device
    )


@dataclass
class ExpertScores:
    """Smoothness and test accuracy of each expert kind.

    Attributes
    ----------
    window : int
        Epochs some run's students are matched against: the longest window
        ``T+ - 1 + M`` of the profile's runs.
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
        Its runs give the matched window (the longest of them).
    data : Dataset
        Its test set scores the experts' final parameters.
    spec : ConvNetSpec
    experts : mapping of str to ExpertSet

    Returns
    -------
    ExpertScores
    """
    window = max(r.window_end() for r in cfg.runs)
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
            f"{c.iterations} iterations, {'all' if c.max_experts is None else f'the first {c.max_experts}'} "
            f"experts of each kind) in {len(c.seed_batches(self.seeds))} batch(es)"
        )


def run_cell(spec, data, experts, variants, dcfg, seeds, device) -> dict:
    """The executor cell of one distillation: settings, variants, seeds and inputs' fingerprints."""
    return {
        "spec": spec,
        "dcfg": dcfg,
        "variants": list(variants),
        "seeds": list(seeds),
        "device": str(device),
        "data": data_fingerprint(data.train_images, data.train_labels),
        "expert_trajectories": {
            k: data_fingerprint(e.trajectories, torch.zeros(1)) for k, e in experts.items()
        },
    }


def _distill_cell(
    spec, dcfg, variants, seeds, device, data, expert_trajectories, images, labels, experts
) -> DistillResult:
    """One cell of :func:`run_distillations` (``data`` and ``expert_trajectories`` are fingerprints)."""
    return distill(spec, images, labels, experts, variants, dcfg, seeds, device)


def run_distillations(
    cfg: Profile,
    data: Dataset,
    spec: ConvNetSpec,
    experts: Mapping[str, ExpertSet],
    seeds: Sequence[int],
    device: torch.device | str = "cpu",
    cache: Cache | None = None,
) -> list[Distillation]:
    """Every distillation of the profile (``cfg.runs``), one executor cell per batch of seeds.

    The run at ``cfg.ablation_ipc`` distils every variant of
    :func:`~.ablation.ablation_variants`; the others ``cfg.extra_variants``.
    Each run's seeds (:meth:`~.distill.DistillConfig.seed_batches`) are
    distilled in batches of all its variants, each batch one cached cell.

    Parameters
    ----------
    cfg : Profile
    data : Dataset
    spec : ConvNetSpec
    experts : mapping of str to ExpertSet
        Must hold ``"plain"`` and ``"smooth"``.
    seeds : sequence of int
        The profile's distillation seeds (a run may use more or fewer, see
        ``DistillConfig.seeds``).
    device : torch.device or str
    cache : Cache, optional
        Defaults to ``Cache("distill/cells")`` (its keys carry a hash of ``support.distill``).

    Returns
    -------
    list of Distillation
        In the order of ``cfg.runs``.
    """
    cache = Cache("distill/cells") if cache is None else cache
    cells, owner = [], []
    for i, dcfg in enumerate(cfg.runs):
        variants = ablation_variants()
        if dcfg.ipc != cfg.ablation_ipc:
            variants = [v for v in variants if v.name in cfg.extra_variants]
        for batch in dcfg.seed_batches(seeds):
            cells.append(run_cell(spec, data, experts, variants, dcfg, batch, device))
            owner.append(i)
    shared = {"images": data.train_images, "labels": data.train_labels, "experts": dict(experts)}
    results = run_cells(
        _distill_cell,
        cells,
        cache=cache,
        desc="distillations",
        device=str(device),
        shared=shared,
        workers=cfg.workers,
    )
    runs = []
    for i, dcfg in enumerate(cfg.runs):
        parts = [r for r, o in zip(results, owner) if o == i]
        joined = DistillResult.join(parts)
        runs.append(Distillation(dcfg, list(dict.fromkeys(joined.seeds)), joined))
    return runs


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
        ``(S, n_nets)`` final-epoch test accuracies in [0, 1] (MTT's protocol, primary).
    best : torch.Tensor
        ``(S, n_nets)`` best test accuracies over the evaluation (as AST's code reports).
    baseline_lrs : dict
        Per baseline, the evaluation rate chosen on the validation set (its rows use it).
    lr_grid : DataFrame or None
        Per baseline and rate of the grid, mean validation and test accuracy (%) over seeds.
    """

    ipc: int
    names: list[str]
    seeds: list[int]
    acc: torch.Tensor
    best: torch.Tensor
    baseline_lrs: dict[str, float] = field(default_factory=dict)
    lr_grid: pd.DataFrame | None = None

    @property
    def table(self) -> pd.DataFrame:
        """Final-epoch accuracy: mean and std over seeds per row label, in % (:func:`~.ablation.summarise`)."""
        return summarise(self.names, self.seeds, self.acc)

    @property
    def best_table(self) -> pd.DataFrame:
        """The same for the best accuracy over the evaluation (AST's code)."""
        return summarise(self.names, self.seeds, self.best)

    @property
    def n_seeds(self) -> int:
        """Number of distinct seeds."""
        return len(set(self.seeds))

    def paired(self, variant: str, reference: str = "MTT", report: str = "final") -> Effect:
        """Paired effect ``variant - reference`` in points (:func:`~.ablation.paired_effect`)."""
        if report not in ("final", "best"):
            raise ValueError(f"report must be 'final' or 'best', got {report!r}")
        acc = self.acc if report == "final" else self.best
        return paired_effect(self.names, self.seeds, acc, variant, reference)

    def effects(self, reference: str = "MTT", report: str = "final") -> pd.DataFrame:
        """Every other row label's paired effect against ``reference``: mean, CI bounds, MDE.

        ``seeds for MDE 2`` is how many paired seeds the measured spread would
        need to detect a 2-point effect (the paper's effects are 1-3 points).
        """
        rows = {}
        for name in dict.fromkeys(self.names):
            if name != reference:
                e = self.paired(name, reference, report)
                rows[name] = {
                    "effect": e.mean,
                    "ci low": e.low,
                    "ci high": e.high,
                    "MDE": e.mde,
                    "seeds": e.n,
                    "seeds for MDE 2": e.seeds_for(2.0),
                }
        return pd.DataFrame.from_dict(rows, orient="index").round(2)


def baseline_sets(cfg: Profile, res: DistillResult):
    """The undistilled baselines of ``res`` at every rate of ``cfg.random_lrs``.

    Returns
    -------
    list of (str, float, list of int)
        Per (baseline, rate): its name, the rate and the members of ``res`` whose initial images it is.
    """
    return [
        (name, lr, res.rows(variant))
        for name, variant in BASELINES.items()
        if variant in res.names
        for lr in cfg.random_lrs
    ]


def choose_rates(blocks, val: torch.Tensor, test: torch.Tensor) -> tuple[dict, pd.DataFrame]:
    """Per baseline, the rate of highest mean validation accuracy, and the grid's table (%)."""
    rows, start = [], 0
    for name, lr, members in blocks:
        stop = start + len(members)
        rows.append(
            {
                "baseline": name,
                "lr": lr,
                "val": 100 * float(val[start:stop].double().mean()),
                "test": 100 * float(test[start:stop].double().mean()),
            }
        )
        start = stop
    grid = pd.DataFrame(rows)
    chosen = {n: float(g.loc[g["val"].idxmax(), "lr"]) for n, g in grid.groupby("baseline")}
    return chosen, grid.set_index(["baseline", "lr"]).round(2)


def net_seed(seed: int, net: int) -> int:
    """Seed of evaluation network ``net`` (its initialisation, data order and augmentation)."""
    return seed + 7919 * net


def evaluate_net(
    cfg: Profile,
    data: Dataset,
    spec: ConvNetSpec,
    run: Distillation,
    seed: int,
    device: torch.device | str = "cpu",
):
    """One evaluation network per set of ``run``: its baselines at every rate, then its distilled sets.

    The baselines (:data:`BASELINES`) are the initial images of the variant
    they name, present in ``run``: random real images (MTT's start) and, where
    the run has ``"+rep. init"``, the k-means-selected real images, each trained
    at every rate of ``cfg.random_lrs``; distilled sets train at their learned
    rate. All sets share the network's initialisation (``seed``) and train in
    one batch.

    Parameters
    ----------
    cfg : Profile
        ``eval_epochs``, ``eval_test_every``, ``augment`` and ``random_lrs`` are used.
    data : Dataset
        Needs a validation split when ``cfg.random_lrs`` has more than one rate.
    spec : ConvNetSpec
    run : Distillation
    seed : int
        Seeds the network's initialisation, data order and augmentation (:func:`net_seed`).
    device : torch.device or str

    Returns
    -------
    Accuracies
        ``(S, 1)`` each, rows in the order of :func:`baseline_sets` then ``run``'s members.
    """
    res = run.result
    blocks = baseline_sets(cfg, res)
    if len(cfg.random_lrs) > 1 and (data.val_images is None or not len(data.val_images)):
        raise ValueError(
            f"random_lrs={cfg.random_lrs} is a grid to choose from on a validation split; "
            "load the data with val_fraction > 0"
        )
    sets = [res.init_images[m] for _, _, m in blocks] + [res.images]
    lrs = [torch.full((len(m),), lr) for _, lr, m in blocks] + [res.lr]
    has_val = data.val_images is not None and len(data.val_images) > 0
    return evaluate(
        spec,
        torch.cat(sets),
        res.labels,
        torch.cat(lrs),
        data.test_images,
        data.test_labels,
        eval_config(cfg.eval_epochs, augment=cfg.augment),
        n_nets=1,
        seed=seed,
        test_every=cfg.eval_test_every,
        device=device,
        val_images=data.val_images if has_val else None,
        val_labels=data.val_labels if has_val else None,
    )


def assemble(cfg: Profile, run: Distillation, nets: Sequence) -> Evaluation:
    """The :class:`Evaluation` of ``run`` from its networks' :func:`evaluate_net` results.

    Each baseline is kept at the rate of best mean accuracy on the validation
    split (never the test set).

    Parameters
    ----------
    cfg : Profile
        Its ``random_lrs`` give the baselines' rate grid.
    run : Distillation
    nets : sequence of Accuracies
        One :func:`evaluate_net` result per network, in network order.

    Returns
    -------
    Evaluation
        Baseline rows (at their chosen rate) first, then ``run``'s members; one column per network.
    """
    res = run.result
    blocks = baseline_sets(cfg, res)
    final = torch.cat([a.final for a in nets], dim=1)
    best = torch.cat([a.best for a in nets], dim=1)
    val = (
        torch.cat([a.val for a in nets], dim=1)
        if nets[0].val is not None
        else torch.zeros_like(final)
    )
    n_base = sum(len(m) for _, _, m in blocks)
    chosen, grid = choose_rates(blocks, val[:n_base].mean(1), final[:n_base].mean(1))
    keep, names, seeds, start = [], [], [], 0
    for name, lr, members in blocks:
        if lr == chosen[name]:
            keep += range(start, start + len(members))
            names += [name] * len(members)
            seeds += [res.seeds[i] for i in members]
        start += len(members)
    keep += range(n_base, n_base + len(res.names))
    return Evaluation(
        run.config.ipc, names + res.names, seeds + res.seeds, final[keep], best[keep], chosen, grid
    )


def evaluate_runs(
    cfg: Profile,
    data: Dataset,
    spec: ConvNetSpec,
    runs: Sequence[Distillation],
    seed: int,
    device: torch.device | str = "cpu",
) -> list[Evaluation]:
    """MTT's evaluation of every distilled set of ``runs`` and of their undistilled baselines.

    The run at ``cfg.ablation_ipc`` gets ``cfg.ablation_eval_nets`` networks per
    set, the others ``cfg.eval_nets``; network ``j`` is seeded by
    :func:`net_seed` ``(seed, j)`` in every run. One executor cell per (run,
    network) (:func:`evaluate_net`), the largest IPC first, cached under ``distill/cells``.

    Returns
    -------
    list of Evaluation
        One per run, in order; baseline rows first, then the distilled members.
    """
    cells = [
        {
            "cfg": cfg,
            "spec": spec,
            "seed": net_seed(seed, net),
            "device": str(device),
            "index": i,
            "data": data_fingerprint(data.test_images, data.test_labels),
            "val": data_fingerprint(*_val_split(data)),
            "run": data_fingerprint(run.result.images, run.result.lr),
        }
        for i, run in enumerate(runs)
        for net in range(cfg.eval_nets_of(run.config.ipc))
    ]
    # Largest sets first, so that the longest cell does not start last and leave a worker idle.
    cells.sort(key=lambda c: -runs[c["index"]].config.ipc)
    nets = run_cells(
        _evaluate_cell,
        cells,
        cache=Cache("distill/cells"),
        desc="evaluations",
        device=str(device),
        shared={"dataset": data, "runs": list(runs)},
        workers=cfg.workers,
    )
    return [
        assemble(cfg, run, [a for c, a in zip(cells, nets) if c["index"] == i])
        for i, run in enumerate(runs)
    ]


def _val_split(data: Dataset) -> tuple[torch.Tensor, torch.Tensor]:
    if data.val_images is None:
        return torch.zeros(0), torch.zeros(0)
    return data.val_images, data.val_labels


def _evaluate_cell(cfg, spec, seed, device, index, data, val, run, dataset, runs):
    """One cell of :func:`evaluate_runs` (``data``, ``val`` and ``run`` are fingerprints)."""
    return evaluate_net(cfg, dataset, spec, runs[index], seed, device)


def rate_grids(evaluations: Sequence[Evaluation]) -> pd.DataFrame:
    """The undistilled baselines' validation and test accuracy at each evaluation rate, per IPC."""
    grids = [e.lr_grid for e in evaluations if e.lr_grid is not None]
    keys = [f"IPC {e.ipc}" for e in evaluations if e.lr_grid is not None]
    return pd.concat(grids, keys=keys)


def ablation_tables(
    name: str, evaluations: Sequence[Evaluation], full: pd.DataFrame
) -> dict[str, pd.DataFrame]:
    """Per evaluation, its table with the full-training-set row, titled ``"IPC <ipc> (<name>)"``."""
    return {f"IPC {e.ipc} ({name})": pd.concat([e.table, full]) for e in evaluations}


def stack_tables(evaluations: Sequence[Evaluation]) -> pd.DataFrame:
    """Final and best accuracy tables one under another, indexed by ``("IPC <ipc>", row label)``."""
    tables = [
        e.table.join(e.best_table[["mean"]].rename(columns={"mean": "best (AST code)"}))
        for e in evaluations
    ]
    return pd.concat(tables, keys=[f"IPC {e.ipc}" for e in evaluations])


def evaluate_full(
    cfg: Profile, data: Dataset, spec: ConvNetSpec, seed: int, device: torch.device | str = "cpu"
) -> pd.DataFrame:
    """Accuracy of ``cfg.eval_nets`` networks trained on the full training set (one table row).

    Trained with the evaluation protocol at the experts' rate and batch for
    ``cfg.full_epochs``; the row's spread is over the networks.

    Returns
    -------
    DataFrame
        The row ``"Full training set"`` with ``mean``, ``std`` and ``runs``.
    """
    full = evaluate(
        spec,
        data.train_images,
        data.train_labels,
        cfg.expert_lr,
        data.test_images,
        data.test_labels,
        eval_config(cfg.full_epochs, cfg.expert_batch, cfg.augment),
        n_nets=cfg.eval_nets,
        seed=seed,
        test_every=cfg.full_epochs,
        device=device,
    ).final
    return summarise(["Full training set"] * cfg.eval_nets, list(range(cfg.eval_nets)), full.T)


DC_LR = 0.01  # MTT's lr_net default: the rate its code (and DC's protocol) trains real subsets at


def headroom(name: str, evaluations: Sequence[Evaluation], full: pd.DataFrame) -> pd.DataFrame:
    """How far random real subsets sit below the full training set, here and on CIFAR-10 (%).

    Per IPC of ``evaluations``: the random subsets at their validation-chosen rate and at
    :data:`DC_LR` (the DC/MTT protocol, when that rate is in the grid), the full-data accuracy and
    the ratio random / full; beside them the published CIFAR-10 row (random: MTT Table 1, full
    data: DC/DSA/DM).
    """
    full_acc = float(full["mean"].iloc[0])
    row, pub = {}, published_cifar10()
    cifar = {}
    for e in evaluations:
        rnd = float(e.table.loc["Random real", "mean"])
        row[f"random IPC {e.ipc}"] = rnd
        grid = e.lr_grid
        if grid is not None and ("Random real", DC_LR) in grid.index:
            row[f"random IPC {e.ipc} at lr {DC_LR:g}"] = float(
                grid.loc[("Random real", DC_LR), "test"]
            )
        row[f"random / full, IPC {e.ipc}"] = rnd / full_acc if full_acc > 0 else float("nan")
        if f"IPC {e.ipc}" in pub.columns:
            r = float(pub.loc["Random real", f"IPC {e.ipc}"])
            cifar[f"random IPC {e.ipc}"] = r
            cifar[f"random IPC {e.ipc} at lr {DC_LR:g}"] = (
                r  # the published numbers are DC's protocol
            )
            cifar[f"random / full, IPC {e.ipc}"] = r / float(pub.loc["Full data", "IPC 1"])
    row["full training set"] = full_acc
    cifar["full training set"] = float(pub.loc["Full data", "IPC 1"])
    out = pd.DataFrame({name: row, "CIFAR-10 (published)": cifar})
    return out.loc[list(row)].round(3)
