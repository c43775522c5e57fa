"""One (data set, library) pair through every evaluation, as the notebook runs it."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from ..core.cache import Cache
from .data import load_dataset, train_test_split80
from .evaluation import (
    corrupt_labels,
    fit_explainers,
    fix_mislabelled,
    label_edit,
    set_experiments,
    single_removal,
)
from .models import make_model


def run_pair(dataset: str, library: str, cfg, seed: int = 1, data_dir=None) -> dict:
    """Fit the model, every applicable explainer, and run the single-test and set-level evaluations.

    Returns a dict of DataFrames (``single``, ``edit``, ``sets``, ``fix``),
    the influences on the single-test examples, and fit times. OpenMP is
    held to one thread: the hundreds of tiny retrains are dominated by
    thread start-up and spin-waiting otherwise (scikit-learn's
    HistGradientBoosting was 30x slower with two threads on a busy 2-core
    machine).
    """
    with threadpool_limits(limits=1):
        return _run_pair(dataset, library, cfg, seed, data_dir)


def run_pairs(cfg, seed: int = 1, data_dir=None, cache: bool = True) -> list:
    """:func:`run_pair` over ``cfg.combos``, cached on disk per pair.

    Entries are keyed by the pair, the whole config, the seed and the source
    of ``support.influence`` (editing the code invalidates them).
    """
    from .. import influence as package

    store = Cache("gbdt_influence/pairs", enabled=cache, code=package)
    out = []
    for dataset, library in cfg.combos:
        key = dict(
            dataset=dataset, library=library, cfg=asdict(cfg), seed=seed, data_dir=str(data_dir)
        )
        out.append(
            store.get_or_compute(
                key, lambda d=dataset, lib=library: run_pair(d, lib, cfg, seed, data_dir)
            )
        )
    return out


def _run_pair(dataset, library, cfg, seed, data_dir) -> dict:
    X, y, task = load_dataset(dataset, data_dir) if data_dir else load_dataset(dataset)
    Xtr, ytr, Xte, yte = train_test_split80(X, y, seed)
    if cfg.max_train and len(Xtr) > cfg.max_train:
        Xtr, ytr = Xtr[: cfg.max_train], ytr[: cfg.max_train]
    model = make_model(
        library, task, cfg.n_estimators, cfg.max_leaves, cfg.learning_rate, seed=seed
    ).fit(Xtr, ytr)
    n = len(Xtr)
    methods = [
        m
        for m in cfg.methods
        if not (m == "loo" and n > cfg.loo_max_n)
        and not (m in ("leaf_inf", "leaf_refit") and n > cfg.leaf_max_n)
    ]
    params = {"subsample": {"n_iter": cfg.subsample_iter}}
    exps, fit_s = fit_explainers(methods, model, Xtr, ytr, params)
    rng = np.random.default_rng(seed)
    n_tar = max(2, int(round(0.1 * len(Xte))))
    perm = rng.permutation(len(Xte))
    tar, ev = perm[:n_tar], perm[n_tar:]
    single_idx = rng.choice(ev, size=min(cfg.n_test, len(ev)), replace=False)
    inf = {m: e.local_influence(Xte[single_idx], yte[single_idx]) for m, e in exps.items()}
    set_inf = {m: e.local_influence(Xte[tar], yte[tar]).sum(axis=1) for m, e in exps.items()}
    out = {"task": task, "n_train": n, "influence": inf, "fit_s": fit_s}
    tag = dict(dataset=dataset, library=library)
    out["single"] = single_removal(
        model, Xtr, ytr, Xte[single_idx], yte[single_idx], inf, cfg.single_fracs
    ).assign(**tag)
    if task != "regression":
        e_idx = single_idx[: cfg.edit_n_test]
        e_inf = {m: v[:, : cfg.edit_n_test] for m, v in inf.items()}
        out["edit"] = label_edit(
            model, Xtr, ytr, Xte[e_idx], yte[e_idx], e_inf, cfg.single_fracs[:2], task
        ).assign(**tag)
    else:
        out["edit"] = pd.DataFrame()
    out["sets"] = set_experiments(
        model, Xtr, ytr, Xte[ev], yte[ev], set_inf, cfg.set_fracs, task, seed
    ).assign(**tag)
    y_noisy, noisy_idx = corrupt_labels(ytr, task, 0.4, seed)
    fix_methods = [m for m in methods if m not in ("loo", "subsample")]
    out["fix"] = fix_mislabelled(
        model,
        Xtr,
        ytr,
        y_noisy,
        noisy_idx,
        Xte[tar],
        yte[tar],
        Xte[ev],
        yte[ev],
        fix_methods,
        cfg.fix_fracs,
        task,
        params,
    ).assign(**tag)
    return out


def combine(results: list) -> dict:
    """Concatenate the pairs' tables and aggregate method ranks per setting (the paper's protocol)."""
    from .evaluation import rank_methods, summarise_ranks

    cat = {
        k: pd.concat([r[k] for r in results if len(r[k])], ignore_index=True)
        for k in ("single", "edit", "sets", "fix")
    }
    cat["single"]["rel"] = cat["single"]["loss"] / np.maximum(cat["single"]["base"], 1e-12)
    sets = cat["sets"]
    ranks = {
        "single: removal": rank_methods(cat["single"], "loss", True),
        "single: targeted edit": rank_methods(cat["edit"], "loss", False)
        if len(cat["edit"])
        else None,
        "multi: removal": rank_methods(sets[sets.setting == "set_removal"], "loss", True),
        "multi: add noise": rank_methods(sets[sets.setting == "add_noise"], "loss", True),
        "multi: fix mislabelled": rank_methods(cat["fix"], "detected", True),
    }
    cat["ranks"] = {k: summarise_ranks(v) for k, v in ranks.items() if v is not None}
    # LOO's rank at the first checkpoint (remove the single most influential example)
    first = cat["single"][cat["single"].frac == cat["single"].frac.min()]
    cat["first_k"] = summarise_ranks(rank_methods(first, "loss", True))
    return cat
