"""The notebook's experiments: dropout-rate sweeps with ablations, batched into one optimisation per seed."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from support.core.progress import progress

from .attacks import make_attack, reconstruct_many
from .client import client_update
from .labels import infer_labels, label_accuracy
from .masks import set_dropout_rate
from .metrics import score
from .models import build_model


@dataclass
class SweepResult:
    """Scores per (p, attack, seed, image) and what the figures need."""

    scores: pd.DataFrame
    originals: torch.Tensor  # (n, C, H, W) in [0, 1]
    reconstructions: dict = field(
        default_factory=dict
    )  # (p, attack, seed, image) -> (B, C, H, W) in [0, 1]
    curves: dict = field(
        default_factory=dict
    )  # (p, attack, seed, image) -> (T,) cosine term of the best restart
    seconds: float = 0.0
    iterations: int = 0
    problems: int = 0


def _agreement(est: dict, true: dict) -> float:
    hits = sum(float(((est[k].cpu() > 0.5) == (true[k].cpu() > 0.5)).sum()) for k in true)
    return hits / sum(v.numel() for v in true.values())


def dropout_sweep(
    arch: str,
    images: torch.Tensor,
    labels: torch.Tensor,
    norm,
    rates,
    attacks,
    seeds,
    batch_size: int = 1,
    iterations: int = 300,
    restarts: int = 1,
    model_kwargs: dict | None = None,
    ablations=(),
    ablation_rates=(),
    device="cpu",
    desc: str = "",
) -> SweepResult:
    """Attack client gradients for every dropout rate, attack and seed; score the reconstructions.

    For each seed one freshly initialised model is built; for each rate and
    each batch of ``batch_size`` images the client computes its gradient with
    dropout active (masks recorded), and every attack in ``attacks`` (plus
    ``ablations`` at ``ablation_rates``) reconstructs it. All jobs of a seed run
    in one vectorised optimisation. WIIG is not run at p = 0, where it is IG.

    Parameters
    ----------
    arch : str
        Model name for :func:`~support.inversion.models.build_model`.
    images, labels : torch.Tensor
        Victims in [0, 1] ``(n, C, H, W)`` and ``(n,)``; ``n`` a multiple of ``batch_size``.
    norm : Normalization
        Model-space normalisation (defines the box).
    rates : sequence of float
        Dropout rates p.
    attacks, ablations : sequence of str
        Attack names (see :data:`~support.inversion.attacks.ATTACKS`); IG, WIIG, DIA and variants.
    seeds : sequence of int
        Each seed sets the model weights, the client's masks and the attack's start.

    Returns
    -------
    SweepResult
        ``scores`` holds one row per (p, attack, seed, batch, image) with mse,
        psnr, ssim, the best cosine loss, the label accuracy of last-layer
        inference and (DIA variants) agreement of the masks with the true ones.
    """
    if len(images) % batch_size:
        raise ValueError(f"len(images)={len(images)} is not a multiple of batch_size={batch_size}")
    device = torch.device(device)
    shape = (batch_size, *images.shape[1:])
    rows, recs, curves = [], {}, {}
    started, n_problems = time.time(), 0
    x_model = norm.normalize(images).to(device)
    bar = progress(total=len(seeds) * iterations, desc=desc or f"{arch} sweep")
    for seed in seeds:
        model = build_model(
            arch, tuple(images.shape[1:]), p=0.0, seed=seed, **(model_kwargs or {})
        ).to(device)
        jobs, meta = [], []
        for p in rates:
            set_dropout_rate(model, p)
            names = list(attacks) + (list(ablations) if p in ablation_rates else [])
            if p == 0:  # WIIG's all-ones masks at p = 0 make it the very same problem as IG
                names = [n for n in names if n != "wiig" or "ig" not in names]
            for b in range(len(images) // batch_size):
                sl = slice(b * batch_size, (b + 1) * batch_size)
                upd = client_update(
                    model,
                    x_model[sl],
                    labels[sl].to(device),
                    seed=10_000 * seed + 100 * b + int(p * 100),
                )
                inferred = infer_labels(model, upd.gradients, batch_size)
                lab_acc = label_accuracy(inferred.cpu(), labels[sl])
                for name in names:
                    attack = make_attack(
                        name,
                        iterations=iterations,
                        restarts=restarts,
                        box=norm.box,
                        seed=1_000 * seed + b,
                    )
                    jobs.append(
                        dict(
                            attack=attack,
                            gradients=upd.gradients,
                            labels=labels[sl],
                            shape=shape,
                            masks=upd.masks,
                            p=p,
                        )
                    )
                    meta.append((p, name, b, lab_acc, upd.masks))
        out = reconstruct_many(model, jobs, callback=lambda it: bar.update(1))
        n_problems += sum(j["attack"].restarts for j in jobs)
        for (p, name, b, lab_acc, true_masks), (img, hist) in zip(meta, out):
            rec = norm.denormalize(img.cpu())
            ref = images[b * batch_size : (b + 1) * batch_size]
            s = score(rec, ref)
            agree = (
                _agreement(hist["masks"], true_masks)
                if name.startswith("dia") and p > 0
                else np.nan
            )
            recs[(p, name, seed, b)] = rec
            curves[(p, name, seed, b)] = hist["gradient_loss"][hist["restart"]].numpy()
            for i in range(batch_size):
                rows.append(
                    dict(
                        arch=arch,
                        p=p,
                        attack=name,
                        seed=seed,
                        batch=b,
                        image=b * batch_size + i,
                        mse=s["mse"][i],
                        psnr=s["psnr"][i],
                        ssim=s["ssim"][i],
                        best_loss=float(hist["gradient_loss"][hist["restart"]].min()),
                        label_acc=lab_acc,
                        mask_agreement=agree,
                    )
                )
    bar.close()
    return SweepResult(
        pd.DataFrame(rows), images, recs, curves, time.time() - started, iterations, n_problems
    )


def summarize(
    scores: pd.DataFrame, metric: str = "ssim", by=("arch", "p", "attack")
) -> pd.DataFrame:
    """Mean, standard deviation and count of ``metric`` over images and seeds per group."""
    g = scores.groupby(list(by))[metric]
    return g.agg(["mean", "std", "count"]).reset_index()


def setup_name(arch: str, dataset: str, side: int) -> str:
    """Label of a sweep setup, e.g. ``"mlp/mnist16"``."""
    return f"{arch}/{dataset}{side}"


def _specs(cfg, seed: int, data_dir) -> list[tuple[str, dict]]:
    """(key, dropout_sweep keyword arguments) of every sweep job in ``cfg``, most expensive first."""
    from .data import victims

    seeds = range(seed, seed + cfg.n_seeds)
    specs = []
    for arch, dataset, side in cfg.setups:
        x, y, norm = victims(dataset, cfg.n_images, side, seed=seed, data_dir=data_dir)
        abl = cfg.ablations if dataset in cfg.ablation_datasets else ()
        name = setup_name(arch, dataset, side)
        specs.append(
            (
                name,
                dict(
                    arch=arch,
                    images=x,
                    labels=y,
                    norm=norm,
                    rates=cfg.rates,
                    attacks=cfg.attacks,
                    seeds=seeds,
                    iterations=cfg.iterations_for(arch),
                    restarts=cfg.restarts,
                    model_kwargs=cfg.model_kwargs(arch),
                    ablations=abl,
                    ablation_rates=cfg.ablation_rates,
                    desc=name,
                ),
            )
        )
    arch, dataset, side = cfg.batch_setup
    x, y, norm = victims(
        dataset, cfg.batch_size * cfg.n_batches, side, seed=seed + 1, data_dir=data_dir
    )
    specs.append(
        (
            "batch",
            dict(
                arch=arch,
                images=x,
                labels=y,
                norm=norm,
                rates=cfg.batch_rates,
                attacks=cfg.attacks,
                seeds=seeds,
                batch_size=cfg.batch_size,
                iterations=cfg.iterations_for(arch),
                restarts=cfg.restarts,
                model_kwargs=cfg.model_kwargs(arch),
                desc=f"{arch} B={cfg.batch_size}",
            ),
        )
    )
    for arch, dataset, side in cfg.restart_setups:
        x, y, norm = victims(dataset, cfg.n_images, side, seed=seed, data_dir=data_dir)
        specs.append(
            (
                f"restarts {setup_name(arch, dataset, side)}",
                dict(
                    arch=arch,
                    images=x,
                    labels=y,
                    norm=norm,
                    rates=(cfg.restart_rate,),
                    attacks=("dia",),
                    seeds=seeds,
                    iterations=cfg.iterations_for(arch),
                    restarts=cfg.restart_count,
                    model_kwargs=cfg.model_kwargs(arch),
                    desc=f"DIA x{cfg.restart_count} restarts",
                ),
            )
        )
    cost = {"mlp": 1.0, "cnn": 1.2, "vit": 4.0, "resnet18": 8.0}
    specs.sort(
        key=lambda kv: (
            -cost[kv[1]["arch"]]
            * kv[1]["iterations"]
            * kv[1]["images"][0].numel() ** 0.5
            * len(kv[1]["rates"])
            * kv[1]["restarts"]
        )
    )
    return specs


def _init_worker():
    import os

    os.environ["TQDM_DISABLE"] = "1"
    torch.set_num_threads(1)


def _run_spec(spec: dict, device: str) -> SweepResult:
    return dropout_sweep(**spec, device=device)


@dataclass
class Experiments:
    """All results of the notebook: the sweeps by setup name, the larger batch and the restarts check."""

    sweeps: dict
    batch: SweepResult
    restarts: dict
    seconds: float = 0.0


def run_experiments(
    cfg, seed: int = 0, device="cpu", data_dir=None, workers: int | None = None
) -> Experiments:
    """Run every sweep of ``cfg`` (setups, larger batch, DIA restarts), in parallel worker processes on CPU.

    Parameters
    ----------
    cfg : InversionConfig
    seed : int
        Base seed: victim images and ``cfg.n_seeds`` consecutive model/mask/attack seeds.
    device : str or torch.device
        On CUDA the jobs run one after another in this process (one GPU).
    data_dir : path, optional
        Where CIFAR-10 is read from (paper profile).
    workers : int, optional
        Processes (default ``cfg.workers``); each runs single-threaded, so
        results equal a serial run.
    """
    import concurrent.futures as cf
    import multiprocessing as mp

    started = time.time()
    specs = _specs(cfg, seed, data_dir)
    device = torch.device(device)
    workers = cfg.workers if workers is None else workers
    results = {}
    if workers <= 1 or device.type != "cpu":
        for key, spec in specs:
            results[key] = _run_spec(spec, device)
    else:
        bar = progress(total=len(specs), desc=f"{len(specs)} sweeps on {workers} processes")
        with cf.ProcessPoolExecutor(
            workers, mp_context=mp.get_context("spawn"), initializer=_init_worker
        ) as ex:
            futures = {ex.submit(_run_spec, spec, "cpu"): key for key, spec in specs}
            for fut in cf.as_completed(futures):
                results[futures[fut]] = fut.result()
                bar.update(1)
        bar.close()
    for key, res in results.items():
        if key == "batch":
            arch, dataset, side = cfg.batch_setup
            res.scores.insert(1, "setup", f"{setup_name(arch, dataset, side)} B={cfg.batch_size}")
        else:
            res.scores.insert(1, "setup", key.removeprefix("restarts "))
    names = [setup_name(*s) for s in cfg.setups]
    restarts = {
        k.removeprefix("restarts "): v for k, v in results.items() if k.startswith("restarts ")
    }
    return Experiments(
        {n: results[n] for n in names}, results["batch"], restarts, time.time() - started
    )


def restart_table(sweeps: dict, restarts: dict) -> pd.DataFrame:
    """DIA's SSIM at the restarts check's rate: one start (the sweep) vs the best of several (by gradient loss)."""
    rows = []
    for name, res in restarts.items():
        p = float(res.scores.p.iloc[0])
        one = sweeps[name].scores.query("attack == 'dia' and p == @p").ssim
        many = res.scores.ssim
        k = res.problems // max(len(res.scores), 1)
        rows.append(
            {
                "setup": name,
                "p": p,
                "SSIM, 1 start": f"{one.mean():.3f} ± {one.std():.3f}",
                f"SSIM, best of {k}": f"{many.mean():.3f} ± {many.std():.3f}",
                "failures (<0.5), 1 start": int((one < 0.5).sum()),
                f"failures (<0.5), best of {k}": int((many < 0.5).sum()),
                "n": len(many),
            }
        )
    return pd.DataFrame(rows).set_index("setup")


def run_dlg_family(
    cfg, seed: int = 0, device="cpu", data_dir=None, rates=(0.0, 0.5)
) -> pd.DataFrame:
    """DLG (soft labels learned) and iDLG (label inferred) on one image per rate, on the first setup's model."""
    from .attacks import make_attack
    from .data import victims

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
                    seconds=hist["seconds"],
                )
            )
    return pd.DataFrame(rows)


def all_scores(sweeps: dict[str, SweepResult]) -> pd.DataFrame:
    """Concatenate the score tables of several sweeps."""
    return pd.concat([r.scores for r in sweeps.values()], ignore_index=True)
