"""The notebook's sweep: every (data set, library) pair through the paper's evaluations.

The sweep's cells are (data set, library, method): one method's influences on
one pair and every retrain its evaluations need, the unit of the reference's
own cluster jobs. They run through :func:`support.core.executor.run_cells`
(serial, or one Ray task each) and are cached one by one under
``influence/cells``; every retrain is also cached on its own
(``influence/retrains``), so methods that pick the same examples share it and
an interrupted run loses at most one retrain. Every key carries a hash of
``support.influence``'s source. Each cell seeds what it draws explicitly (the
split, the test examples, SubSample, the label noise, the models'
``random_state``), so the executor's per-cell seeding changes no result.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from ..core.cache import Cache
from ..core.executor import run_cells
from ..core.progress import progress
from .config import SETTINGS
from .data import load_dataset, train_test_split80
from .evaluation import (
    add_noise,
    corrupt_labels,
    fix_mislabelled,
    set_removal,
    single_removal,
    stack_settings,
)
from .explainers import BoostIn, make_explainer
from .explainers.retrain import subsample_contrast
from .losses import get_objective
from .models import make_model, raw_margin, retrain
from .ranks import bootstrap_ranks, summarise
from .store import RetrainStore

GRADIENT = ("boostin", "leaf_inf_sp", "leaf_inf", "leaf_refit", "boostin_newton")
RETRAINED = ("loo", "subsample")


@dataclass
class Pair:
    """One data set and library: the data, the fitted model and the test examples used."""

    dataset: str
    library: str
    task: str
    model: object
    X: np.ndarray
    y: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    single: np.ndarray  # test rows of the single-test experiments
    target: np.ndarray  # test rows whose summed influence ranks the set experiments
    evaluate: np.ndarray  # the other test rows, on which set experiments are scored
    key: dict

    @property
    def n(self) -> int:
        return len(self.X)

    def loss(self, margins, rows) -> np.ndarray:
        """Per-example loss of ``margins`` (on all test rows) at ``rows``."""
        obj = get_objective(self.task, n_outputs=margins.shape[1])
        return obj.loss(margins[rows], obj.targets(self.y_test[rows]))


def _split(dataset, cfg, seed, data_dir):
    """The pair's data: loaded, split 80/20 and cut to ``cfg.max_train`` training rows."""
    kw = {"n_synth": cfg.n_synth} if dataset.startswith("synth") else {}
    X, y, task = load_dataset(dataset, data_dir, **kw) if data_dir else load_dataset(dataset, **kw)
    Xtr, ytr, Xte, yte = train_test_split80(X, y, seed)
    if cfg.max_train and len(Xtr) > cfg.max_train:
        Xtr, ytr = Xtr[: cfg.max_train], ytr[: cfg.max_train]
    return Xtr, ytr, Xte, yte, task


def prepare_pair(dataset, library, cfg, seed=1, data_dir=None) -> Pair:
    """Load, split 80/20, fit the model and draw the test examples (the paper's: 10 % target set)."""
    Xtr, ytr, Xte, yte, task = _split(dataset, cfg, seed, data_dir)
    model = make_model(
        library, task, cfg.n_estimators, cfg.max_leaves, cfg.learning_rate, seed=seed
    ).fit(Xtr, ytr)
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(Xte))
    n_tar = max(2, int(round(0.1 * len(Xte))))
    target, evaluate = perm[:n_tar], perm[n_tar:]
    single = rng.choice(evaluate, size=min(cfg.n_test, len(evaluate)), replace=False)
    key = dict(
        dataset=dataset,
        library=library,
        seed=seed,
        data_dir=str(data_dir),
        model=(cfg.n_estimators, cfg.max_leaves, cfg.learning_rate, cfg.max_train, cfg.n_synth),
    )
    return Pair(dataset, library, task, model, Xtr, ytr, Xte, yte, single, target, evaluate, key)


def methods_for(n: int, cfg) -> list:
    """The configured methods that a training set of ``n`` rows allows (LOO, LeafInfluence/LeafRefit have limits)."""
    out = []
    for m in cfg.methods:
        if m == "loo" and n > cfg.loo_max_n:
            continue
        if m in ("leaf_inf", "leaf_refit") and n > cfg.leaf_max_n:
            continue
        out.append(m)
    return out


def _explainer(method: str):
    if method == "boostin_newton":
        return BoostIn(leaf_value="newton")
    if method in ("leaf_inf", "leaf_refit"):
        return make_explainer(method, device="cpu")
    return make_explainer(method)


def explain(method, model, X, y, X_rows, y_rows) -> tuple[np.ndarray, float]:
    """Fit one explainer and return its influences on the rows given, with the seconds it took."""
    t = time.perf_counter()
    inf = _explainer(method).fit(model, X, y).local_influence(X_rows, y_rows)
    return inf, time.perf_counter() - t


def retrained_influence(method, store, pair, rows, cfg, seed) -> np.ndarray:
    """LOO or SubSample influences on test ``rows`` from the store's (cached) retrains."""
    base = pair.loss(raw_margin(pair.model, pair.X_test), rows)
    n = pair.n
    if method == "loo":
        return np.stack(
            [pair.loss(store.drop([i]), rows) - base for i in progress(range(n), desc="LOO")]
        )
    rng = np.random.default_rng(seed)
    size = int(round(0.7 * n))
    masks = np.zeros((cfg.subsample_iter, n), dtype=bool)
    losses = np.empty((cfg.subsample_iter, len(rows)))
    for s in progress(range(cfg.subsample_iter), desc="SubSample"):
        idx = np.sort(rng.choice(n, size=size, replace=False))
        masks[s, idx] = True
        losses[s] = pair.loss(store.keep_only(idx), rows)
    M = masks.astype(np.float64)
    return subsample_contrast(M, losses)


def influence(method, pair, store, cfg, seed=1) -> tuple[np.ndarray, float]:
    """One method's influences on the single-test rows then the target set, and the seconds it took.

    Returns an array of shape ``(n_train, n_single + n_target)``.
    """
    rows = np.concatenate([pair.single, pair.target])
    if method not in RETRAINED:
        return explain(method, pair.model, pair.X, pair.y, pair.X_test[rows], pair.y_test[rows])
    t = time.perf_counter()
    inf = retrained_influence(method, store, pair, rows, cfg, seed)
    return inf, time.perf_counter() - t


def degenerate_share(inf: np.ndarray, atol: float = 1e-12) -> float:
    """Share of test examples whose influence vector is constant to ``atol``.

    Gradient-based influences vanish when every leaf holds examples with
    identical gradients (e.g. one-example leaves); their rankings are then
    floating-point noise.
    """
    return float(np.mean(np.ptp(inf, axis=0) <= atol))


def run_method(dataset, library, method, cfg, seed=1, data_dir=None, cache=True) -> dict:
    """One cell of the sweep: ``method``'s influences on one pair and the evaluations of them.

    Returns ``method``, ``task``, ``n_train``, ``fit_s`` (seconds),
    ``influence`` (on the single-test rows), one one-method
    :class:`~support.influence.evaluation.Setting` per configured evaluation
    and ``variants`` (the retrains it used). OpenMP is held to one thread:
    the hundreds of tiny retrains are dominated by thread start-up and
    spin-waiting otherwise.
    """
    with threadpool_limits(limits=1):
        pair = prepare_pair(dataset, library, cfg, seed, data_dir)
        store = RetrainStore(pair.model, pair.X, pair.y, pair.X_test, pair.key, cache)
        inf, fit_s = influence(method, pair, store, cfg, seed)
        T = len(pair.single)
        single, target = {method: inf[:, :T]}, {method: inf[:, T:].sum(axis=1)}
        out = dict(method=method, task=pair.task, n_train=pair.n, fit_s=fit_s, influence=inf[:, :T])
        out.update(_evaluate(pair, store, single, target, cfg, seed, cache))
        out["variants"] = store.variants
        return out


def _evaluate(pair, store, single, target, cfg, seed, cache) -> dict:
    out = {}
    base = pair.loss(raw_margin(pair.model, pair.X_test), pair.single)
    if "single_removal" in cfg.settings:
        out["single_removal"] = single_removal(
            store, single, pair.single, pair.y_test[pair.single], pair.task, cfg.single_fracs, base
        )
    ev, y_ev = pair.evaluate, pair.y_test[pair.evaluate]
    if "set_removal" in cfg.settings:
        out["set_removal"] = set_removal(store, target, ev, y_ev, pair.task, cfg.set_fracs)
    if "add_noise" in cfg.settings:
        out["add_noise"] = add_noise(store, target, ev, y_ev, pair.task, cfg.set_fracs, seed)
    methods = [m for m in single if m not in RETRAINED]
    if "fix_mislabelled" in cfg.settings and methods:
        out["fix_mislabelled"] = _fix(pair, methods, cfg, seed, cache)
    return out


def _fix(pair, methods, cfg, seed, cache):
    """The paper's fixing experiment: 40 % noise, explainers refitted on the noisy model."""
    y_noisy, noisy_idx = corrupt_labels(pair.y, pair.task, 0.4, seed)
    noisy = retrain(pair.model, pair.X, y_noisy)
    store = RetrainStore(noisy, pair.X, y_noisy, pair.X_test, dict(pair.key, noisy=True), cache)
    rows = pair.target
    set_inf = {}
    for m in methods:
        inf, _ = explain(m, noisy, pair.X, y_noisy, pair.X_test[rows], pair.y_test[rows])
        set_inf[m] = inf.sum(axis=1)
    ev = pair.evaluate
    return fix_mislabelled(
        store, pair.y, noisy_idx, set_inf, ev, pair.y_test[ev], pair.task, cfg.fix_fracs
    )


def run_pairs(cfg, seed=1, data_dir=None, cache=True, combos=None) -> list:
    """Every (data set, library, method) cell of ``combos`` (default ``cfg.combos``) through the executor; one result per pair.

    ``combos`` lets a notebook spread the pairs over several cells (each
    under a cell time limit); results concatenate. Each result holds the
    pair's ``dataset``, ``library``, ``task``, ``n_train``, ``fit_s`` and
    ``influence`` per method, ``degenerate`` (see :func:`degenerate_share`),
    one :class:`~support.influence.evaluation.Setting` per evaluation with
    every method, and ``retrains`` (distinct retrains of the original model).
    """
    combos = cfg.combos if combos is None else tuple(combos)
    unknown = [c for c in combos if tuple(c) not in cfg.combos]
    if unknown:
        raise ValueError(f"combos must be pairs of cfg.combos {cfg.combos}, got {unknown}")
    data_dir = None if data_dir is None else str(data_dir)
    cells = [
        dict(dataset=d, library=lib, method=m, cfg=cfg, seed=seed, data_dir=data_dir, cache=cache)
        for d, lib in combos
        for m in methods_for(len(_split(d, cfg, seed, data_dir)[0]), cfg)
    ]
    units = run_cells(
        run_method,
        cells,
        cache=Cache("influence/cells", enabled=cache),
        desc="(data set, library, method) cells",
        base_seed=seed,
    )
    return [
        _combine_methods(
            d, lib, [u for c, u in zip(cells, units) if c["dataset"] == d and c["library"] == lib]
        )
        for d, lib in combos
    ]


def _combine_methods(dataset, library, units) -> dict:
    """One pair's result from its per-method cells (methods in ``cfg.methods`` order)."""
    out = dict(
        dataset=dataset,
        library=library,
        task=units[0]["task"],
        n_train=units[0]["n_train"],
        fit_s={u["method"]: u["fit_s"] for u in units},
        influence={u["method"]: u["influence"] for u in units},
    )
    out["degenerate"] = degenerate_share(out["influence"]["boostin"])
    for key in SETTINGS:
        parts = [u[key] for u in units if key in u]
        if parts:
            out[key] = stack_settings(parts)
    out["retrains"] = len(set().union(*(u["variants"] for u in units)))
    return out


def _first_checkpoint(s):
    from .evaluation import Setting

    return Setting(s.methods, s.fracs[:1], s.ks[:1], s.loss[..., :1], s.base)


def pairs_table(results) -> pd.DataFrame:
    """One row per pair: size, degenerate share, retrains, explainer fit seconds."""
    return pd.DataFrame(
        [
            {
                "dataset": r["dataset"],
                "library": r["library"],
                "task": r["task"],
                "n_train": r["n_train"],
                "degenerate": r["degenerate"],
                "retrains": r["retrains"],
                **{f"fit_s[{m}]": round(s, 3) for m, s in r["fit_s"].items()},
            }
            for r in results
        ]
    )


def combine(results, cfg, degenerate_max: float = 0.5) -> dict:
    """Ranks per setting over the non-degenerate pairs, with two-stage bootstrap spreads (pairs, examples).

    Returns ``ranks`` ({name: summary}), ``boot`` ({name: bootstrap ranks}),
    ``pairs`` (the table), ``ranked_pairs`` and long ``frames`` per setting.
    """
    used = [r for r in results if r["degenerate"] <= degenerate_max]
    ranked = list(cfg.ranked)
    with_leaf = [r for r in used if all(m in r["fit_s"] for m in cfg.separate)]
    groups = {
        "single: removal": ("single_removal", used, ranked, True),
        "single: removal, k = 0.1 %": ("first_k", used, ranked, True),
        "single: removal, with LeafInfluence/LeafRefit": (
            "single_removal",
            with_leaf,
            ranked + list(cfg.separate),
            True,
        ),
        "multi: removal": ("set_removal", used, ranked, True),
        "multi: add noise": ("add_noise", used, ranked, True),
    }
    if cfg.extra:
        groups["single: removal, BoostIn variants"] = (
            "single_removal",
            used,
            ranked + list(cfg.extra),
            True,
        )
    out = {"ranks": {}, "boot": {}, "pairs": pairs_table(results), "ranked_pairs": len(used)}
    for name, (key, rs, methods, hib) in groups.items():
        src = "single_removal" if key == "first_k" else key
        sets = [r[src] for r in rs if src in r]
        if not sets or any(m not in sets[0].methods for m in methods):
            continue
        if key == "first_k":
            sets = [_first_checkpoint(s) for s in sets]
        out["ranks"][name] = summarise(sets, methods, hib, cfg.n_boot)
        out["boot"][name] = bootstrap_ranks(sets, methods, hib, cfg.n_boot)
    fixes = [r["fix_mislabelled"] for r in used if "fix_mislabelled" in r]
    if fixes:
        methods = [m for m in fixes[0].methods if m in ranked]
        name = "multi: fix mislabelled"
        out["ranks"][name] = summarise(fixes, methods, True, cfg.n_boot, use_score=True)
        out["boot"][name] = bootstrap_ranks(fixes, methods, True, cfg.n_boot, use_score=True)
    out["frames"] = {
        key: pd.concat(
            [
                r[key].frame().assign(dataset=r["dataset"], library=r["library"])
                for r in used
                if key in r
            ],
            ignore_index=True,
        )
        for key in cfg.settings
        if any(key in r for r in used)
    }
    return out
