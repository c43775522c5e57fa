"""The notebook's experiments: dropout-rate sweeps (with ablations), a larger batch, DLG/iDLG.

A sweep's cells are engine runs: the attacks of one setup and model seed, in
order, grouped into runs of at most ``cfg.chunk`` starts (every start of an
attack in the same run). The engine advances a run's problems together, the
small models' by one ``vmap``, whose float32 rounding depends on which
problems share the run, so the run, not the single attack, is the unit whose
result is fixed by its coordinates. Cells go through
:func:`support.core.executor.run_cells` (serial, or one Ray task each) and are
cached one by one under ``inversion/cells`` with a hash of this package's
code, so an interrupted run loses at most one cell. Every seed is explicit
(model initialisation, the client's masks, the attack's starts), so the
executor's per-cell seeding changes no result.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from support.core.cache import Cache
from support.core.executor import run_cells
from support.core.progress import progress

from .attacks import make_attack, reconstruct_many
from .client import client_update
from .data import victims
from .labels import infer_labels, label_accuracy
from .masks import set_dropout_rate
from .metrics import match, score
from .models import build_model


@dataclass
class SweepResult:
    """Scores per (p, attack, seed, image), every start's outcome, and what the figures need."""

    scores: pd.DataFrame
    starts: pd.DataFrame
    originals: torch.Tensor  # (n, C, H, W) in [0, 1]
    reconstructions: dict = field(default_factory=dict)  # (p, attack, seed, batch) -> [0, 1]
    curves: dict = field(default_factory=dict)  # (p, attack, seed, batch) -> cosine term per it
    seconds: float = 0.0


@dataclass
class _Job:
    key: dict
    seed: int
    p: float
    attack: str
    batch: int
    update: object = None
    label_acc: float = float("nan")


def setup_name(arch: str, dataset: str, side: int) -> str:
    """Label of a sweep setup, e.g. ``"mlp/mnist28"``."""
    return f"{arch}/{dataset}{side}"


def _agreement(est: dict, true: dict) -> float:
    hits = sum(float(((est[k].cpu() > 0.5) == (true[k].cpu() > 0.5)).sum()) for k in true)
    return hits / sum(v.numel() for v in true.values())


def _attack_names(cfg, p, dataset, rates_for_ablation, attacks):
    names = list(attacks)
    if dataset in cfg.ablation_datasets and p in rates_for_ablation:
        names += list(cfg.ablations)
    if p == 0:  # WIIG's all-ones masks at p = 0 make it the very same problem as IG
        names = [n for n in names if n != "wiig" and not n.startswith("dia-") and n != "ig-train"]
    return names


def _jobs(cfg, setup, seed, n_batches, batch_size, rates, attacks, ablation_rates):
    arch, dataset, side = setup
    base = dict(
        setup=setup, model=cfg.model_kwargs(arch), n_images=n_batches * batch_size, B=batch_size
    )
    return [
        _Job(
            dict(base, seed=seed, p=p, attack=a, batch=b, kw=cfg.attack_kwargs(a, arch)),
            seed,
            p,
            a,
            b,
        )
        for p in rates
        for b in range(n_batches)
        for a in _attack_names(cfg, p, dataset, ablation_rates, attacks)
    ]


def _chunks(jobs: list, chunk: int) -> list:
    """``jobs`` in order, grouped into engine runs of at most ``chunk`` starts."""
    chunks, current, size = [], [], 0
    for job in jobs:
        r = job.key["kw"]["restarts"]
        if current and size + r > chunk:
            chunks.append(current)
            current, size = [], 0
        current.append(job)
        size += r
    if current:
        chunks.append(current)
    return chunks


def attack_cell(jobs: list, image_seed: int, data_dir, device: str) -> list:
    """One cell of a sweep: the client updates and attacks of ``jobs``, solved in one engine run.

    Parameters
    ----------
    jobs : list of dict
        Each attack's key (setup, model options, images, batch size, model
        seed, p, attack, victim batch, attack options); all share the setup
        and model seed.
    image_seed : int
        Seed of the victim images (:func:`~support.inversion.data.victims`).
    data_dir : str or None
        Where MNIST and CIFAR-10 are read from.
    device : str
        Torch device.

    Returns
    -------
    list of dict
        What is kept of each attack (see ``_unit``), in the order of ``jobs``.
    """
    first = jobs[0]
    arch, dataset, side = first["setup"]
    batch_size = first["B"]
    images, labels, norm = victims(dataset, first["n_images"], side, image_seed, data_dir)
    dev = torch.device(device)
    x_model, y = norm.normalize(images).to(dev), labels.to(dev)
    shape = (batch_size, *x_model.shape[1:])
    model = build_model(
        arch, tuple(images.shape[1:]), p=0.0, seed=first["seed"], **first["model"]
    ).to(dev)
    todo = [_Job(key, key["seed"], key["p"], key["attack"], key["batch"]) for key in jobs]
    specs = []
    for job in todo:
        set_dropout_rate(model, job.p)
        sl = slice(job.batch * batch_size, (job.batch + 1) * batch_size)
        seed = 10_000 * job.seed + 100 * job.batch + int(job.p * 100)
        job.update = client_update(model, x_model[sl], y[sl], seed=seed)
        inferred = infer_labels(model, job.update.gradients, batch_size)
        job.label_acc = label_accuracy(inferred.cpu(), y[sl].cpu())
        attack = make_attack(
            job.attack, box=norm.box, seed=1_000 * job.seed + job.batch, **job.key["kw"]
        )
        specs.append(
            dict(
                attack=attack,
                gradients=job.update.gradients,
                labels=y[sl],
                shape=shape,
                masks=job.update.masks,
                p=job.p,
            )
        )
    return [
        _unit(job, img, hist, norm)
        for job, (img, hist) in zip(todo, reconstruct_many(model, specs))
    ]


def _unit(job, img, hist, norm) -> dict:
    """What is kept of one attack: images in [0, 1], every start's loss, the kept start's curve."""
    agree = np.nan
    if job.attack.startswith("dia") and job.p > 0:
        agree = _agreement(hist["masks"], job.update.masks)
    curve = hist["gradient_loss"][hist["restart"]].numpy()
    return dict(
        image=norm.denormalize(img.cpu()),
        starts=norm.denormalize(hist["restart_images"]),
        start_loss=hist["restart_best_gradient_loss"],
        kept=hist["restart"],
        iterations_run=hist["restart_iterations_run"],
        curve=curve[np.isfinite(curve)].astype(np.float32),
        mask_agreement=agree,
        label_acc=job.label_acc,
        seconds=hist["seconds"],
    )


def _correlation(a: torch.Tensor, b: torch.Tensor) -> float:
    a, b = a.flatten().double(), b.flatten().double()
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).sum() / (a.norm() * b.norm() + 1e-12))


def _mse_normalized(rec, ref, norm) -> np.ndarray:
    """The reference code's MSE: on normalised tensors, per image (after matching for B > 1)."""
    if len(ref) > 1:
        rec = rec[match(rec, ref)]
    d = norm.normalize(rec.double()) - norm.normalize(ref.double())
    return (d**2).flatten(1).mean(1).numpy()


def _score_unit(setup_label, arch, job, unit, ref, norm):
    s = score(unit["image"], ref)
    mse_n = _mse_normalized(unit["image"], ref, norm)
    rows = [
        dict(
            setup=setup_label,
            arch=arch,
            p=job.p,
            attack=job.attack,
            seed=job.seed,
            batch=job.batch,
            image=job.batch * len(ref) + i,
            mse=s["mse"][i],
            mse_normalized=float(mse_n[i]),
            psnr=s["psnr"][i],
            ssim=s["ssim"][i],
            gradient_loss=float(unit["start_loss"][unit["kept"]]),
            iterations_run=int(unit["iterations_run"][unit["kept"]]),
            label_acc=unit["label_acc"],
            mask_agreement=unit["mask_agreement"],
        )
        for i in range(len(ref))
    ]
    starts = []
    if len(ref) == 1:
        for r, img in enumerate(unit["starts"]):
            starts.append(
                dict(
                    setup=setup_label,
                    p=job.p,
                    attack=job.attack,
                    seed=job.seed,
                    image=job.batch,
                    start=r,
                    kept=r == unit["kept"],
                    gradient_loss=float(unit["start_loss"][r]),
                    ssim=float(score(img, ref)["ssim"][0]),
                    mse=float(score(img, ref)["mse"][0]),
                    correlation=_correlation(img, ref),
                )
            )
    return rows, starts


def dropout_sweep(
    cfg,
    setup,
    seed: int = 0,
    data_dir=None,
    device="cpu",
    batch_size: int = 1,
    n_batches: int | None = None,
    rates=None,
    attacks=None,
    ablation_rates=None,
    cache: Cache | None = None,
) -> SweepResult:
    """Attack client gradients for every rate, attack, seed and victim batch of one setup; score them.

    For each seed a freshly initialised model is built; for each rate and
    batch the client computes its gradient with dropout active (masks
    recorded) and every attack reconstructs it with its own recipe
    (``cfg.attack_kwargs``). WIIG, the ablations and train-mode IG are not run
    at p = 0, where they solve IG's problem.

    Parameters
    ----------
    cfg : InversionConfig
    setup : (arch, dataset, side)
    seed : int
        Base seed: the victim images and ``cfg.n_seeds`` consecutive model/mask/start seeds.
    data_dir : path, optional
        Where MNIST (IDX) and CIFAR-10 (binary batches) are read from.
    batch_size, n_batches : int
        Images per client gradient and how many batches (default ``cfg.n_images`` batches of 1).
    rates, attacks, ablation_rates : sequences, optional
        Default ``cfg.rates``, ``cfg.attacks``, ``cfg.ablation_rates``.
    cache : Cache, optional
        Where finished cells are kept; default ``Cache("inversion/cells")``.

    Returns
    -------
    SweepResult
        ``scores``: one row per (p, attack, seed, image) with mse, psnr, ssim
        (on [0, 1] images), the kept start's gradient loss and iterations,
        the label accuracy of last-layer inference and (DIA variants) mask
        agreement; ``starts``: every start of every batch-size-1 attack.
    """
    arch, dataset, side = setup
    n_batches = cfg.n_images if n_batches is None else n_batches
    rates = cfg.rates_for(arch) if rates is None else rates
    cache = cache or Cache("inversion/cells")
    started = time.time()
    images, labels, norm = victims(dataset, n_batches * batch_size, side, seed, data_dir)
    data_dir = None if data_dir is None else str(data_dir)
    label = setup_name(*setup) + (f" B={batch_size}" if batch_size > 1 else "")
    rows, starts, recs, curves = [], [], {}, {}
    attacks = cfg.attacks if attacks is None else attacks
    ablation_rates = cfg.ablation_rates if ablation_rates is None else ablation_rates
    chunks = [
        chunk
        for s in range(seed, seed + cfg.n_seeds)
        for chunk in _chunks(
            _jobs(cfg, setup, s, n_batches, batch_size, rates, attacks, ablation_rates), cfg.chunk
        )
    ]
    cells = [
        dict(jobs=[j.key for j in c], image_seed=seed, data_dir=data_dir, device=str(device))
        for c in chunks
    ]
    units = run_cells(
        attack_cell, cells, cache=cache, desc=label, base_seed=seed, device=str(device)
    )
    for chunk, cell_units in zip(chunks, units):
        for job, unit in zip(chunk, cell_units):
            ref = images[job.batch * batch_size : (job.batch + 1) * batch_size]
            r, st = _score_unit(label, arch, job, unit, ref, norm)
            rows += r
            starts += st
            recs[(job.p, job.attack, job.seed, job.batch)] = unit["image"]
            curves[(job.p, job.attack, job.seed, job.batch)] = unit["curve"]
    return SweepResult(
        pd.DataFrame(rows), pd.DataFrame(starts), images, recs, curves, time.time() - started
    )


@dataclass
class Experiments:
    """All results of the notebook: the sweeps by setup name and the larger batch."""

    sweeps: dict
    batch: SweepResult
    seconds: float = 0.0

    @property
    def scores(self) -> pd.DataFrame:
        """Batch-size-1 scores of every setup."""
        return pd.concat([r.scores for r in self.sweeps.values()], ignore_index=True)

    @property
    def starts(self) -> pd.DataFrame:
        """Every start of every batch-size-1 attack."""
        return pd.concat([r.starts for r in self.sweeps.values()], ignore_index=True)


def run_sweeps(cfg, setups, seed: int = 0, device="cpu", data_dir=None) -> dict:
    """The batch-size-1 sweeps of ``setups`` (a slice of ``cfg.setups``), by setup name."""
    return {setup_name(*s): dropout_sweep(cfg, s, seed, data_dir, device) for s in setups}


def run_batch(cfg, seed: int = 0, device="cpu", data_dir=None) -> SweepResult:
    """The larger-batch experiment: ``cfg.batch_setup`` with batches of ``cfg.batch_size``."""
    return dropout_sweep(
        cfg,
        cfg.batch_setup,
        seed + 1,
        data_dir,
        device,
        batch_size=cfg.batch_size,
        n_batches=cfg.n_batches,
        rates=cfg.batch_rates,
        ablation_rates=(),
    )


def run_experiments(cfg, seed: int = 0, device="cpu", data_dir=None) -> Experiments:
    """Run every sweep of ``cfg`` (each setup at batch size 1, then the larger batch)."""
    started = time.time()
    sweeps = run_sweeps(cfg, cfg.setups, seed, device, data_dir)
    batch = run_batch(cfg, seed, device, data_dir)
    return Experiments(sweeps, batch, time.time() - started)


def summarize(
    scores: pd.DataFrame, metric: str = "ssim", by=("setup", "p", "attack")
) -> pd.DataFrame:
    """Mean, standard deviation and count of ``metric`` over images and seeds per group."""
    g = scores.groupby(list(by))[metric]
    return g.agg(["mean", "std", "count"]).reset_index()


def sweep_table(scores: pd.DataFrame, metric: str = "ssim") -> pd.DataFrame:
    """Mean ``metric`` per (setup, attack) and p: the sweep at a glance."""
    t = summarize(scores, metric, by=("setup", "attack", "p"))
    return t.pivot_table(index=["setup", "attack"], columns="p", values="mean")


def start_table(starts: pd.DataFrame, attack: str = "dia") -> pd.DataFrame:
    """Single-start outcomes of ``attack`` per setup and p: flipped starts (correlation < 0) and their losses."""
    d = starts[(starts.attack == attack) & (starts.p > 0)].copy()
    d["flipped"] = d.correlation < 0
    g = d.groupby(["setup", "p"])
    out = pd.DataFrame(
        {
            "starts": g.size(),
            "flipped": g.flipped.sum(),
            "loss, flipped (median)": g.apply(
                lambda e: e[e.flipped].gradient_loss.median(), include_groups=False
            ),
            "loss, not flipped (median)": g.apply(
                lambda e: e[~e.flipped].gradient_loss.median(), include_groups=False
            ),
            "kept start flipped": g.apply(
                lambda e: int(e[e.kept].flipped.sum()), include_groups=False
            ),
        }
    )
    return out


def run_dlg_family(cfg, seed: int = 0, device="cpu", data_dir=None, rates=(0.0, 0.5)):
    """DLG (soft labels learned) and iDLG (label inferred) on one image per rate, on the first setup's model."""
    arch, dataset, side = cfg.setups[0]
    x, y, norm = victims(dataset, 1, side, seed=seed, data_dir=data_dir)
    model = build_model(arch, tuple(x.shape[1:]), seed=seed, **cfg.model_kwargs(arch)).to(device)
    rows = []
    for p in progress(rates, desc="DLG/iDLG"):
        set_dropout_rate(model, p)
        upd = client_update(model, norm.normalize(x).to(device), y.to(device), seed=seed)
        for name in ("dlg", "idlg"):
            attack = make_attack(name, iterations=cfg.dlg_iterations, box=norm.box, seed=seed)
            img, hist = attack.reconstruct(model, upd.gradients, None, tuple(x.shape))
            s = score(norm.denormalize(img.cpu()), x)
            rows.append(
                dict(
                    setup=setup_name(arch, dataset, side),
                    p=p,
                    attack=name,
                    ssim=s["ssim"][0],
                    psnr=s["psnr"][0],
                    label_correct=bool(int(hist["labels"][0]) == int(y[0])),
                )
            )
    return pd.DataFrame(rows)
