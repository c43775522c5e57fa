"""The notebook's experiments: grids of runs over (seed, k, α, method), cached on disk.

Each function returns :class:`Curves`, one row per run, with the run's
settings in a DataFrame and its error curve in an array. Every batched
descent (one unit of work) is cached on its own under ``sensing/``, keyed by
the problem it runs on, its own settings, the device type and (by
:class:`support.core.cache.Cache`) a hash of ``support.sensing``'s source, so
an interrupted notebook resumes at the first unfinished unit and editing one
experiment's settings recomputes only that experiment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from ..core.cache import Cache
from ..core.executor import run_cells
from .config import SensingConfig
from .descent import descend
from .init import initial_factors
from .problem import make_problem


@dataclass
class Curves:
    """Runs of one experiment.

    Attributes
    ----------
    runs : pandas.DataFrame
        One row per run: seed, k, alpha, method, param ("sym" or "asym"), eta.
    errors : ndarray (n_runs, T+1)
        ‖product − M*‖_F per iteration (NaN after the run reached the float64 floor).
    residuals : ndarray (n_runs, T+1)
        Training residual ‖𝒜(product) − y‖₂.
    record_steps : ndarray
        Iterations of the factor statistics.
    imbalance : ndarray (n_runs, n_rec, k_max) or None
        Eigenvalues of FᵀF − GᵀG (asymmetric), NaN-padded to the widest k.
    gram_eigenvalues : ndarray (n_runs, n_rec, k_max) or None
        Ascending eigenvalues of FᵀF (XᵀX), NaN-padded to the widest k.
    switched_at : ndarray (n_runs,)
        Iteration of the one-step rebalancing, -1 if none.
    """

    runs: pd.DataFrame
    errors: np.ndarray
    residuals: np.ndarray
    record_steps: np.ndarray
    imbalance: np.ndarray | None
    gram_eigenvalues: np.ndarray | None
    switched_at: np.ndarray

    @property
    def sigma_min_F_sq(self) -> np.ndarray:
        """λ_min(FᵀF) (λ_min(XᵀX)) at the recorded steps, (n_runs, n_rec)."""
        return self.gram_eigenvalues[..., 0]

    def select(self, **where) -> Curves:
        """The runs whose settings equal every ``column=value`` in ``where``."""
        mask = np.ones(len(self.runs), dtype=bool)
        for col, value in where.items():
            column = self.runs[col].to_numpy()
            mask &= np.isclose(column, value) if isinstance(value, float) else column == value
        return self.take(mask)

    def take(self, mask) -> Curves:
        """The runs where the boolean ``mask`` (one entry per run) is true."""
        pick = np.flatnonzero(np.asarray(mask, dtype=bool))
        return Curves(
            self.runs.iloc[pick].reset_index(drop=True),
            self.errors[pick],
            self.residuals[pick],
            self.record_steps,
            None if self.imbalance is None else self.imbalance[pick],
            None if self.gram_eigenvalues is None else self.gram_eigenvalues[pick],
            self.switched_at[pick],
        )


def run_grid(
    problem,
    param: str,
    method: str,
    ks,
    alphas,
    T: int,
    eta: float,
    seed: int,
    damping: float = 1e-3,
    switch_residual: float = 1e-2,
    record_every: int = 50,
    tol: float = 1e-13,
) -> Curves:
    """Run every (seed, k, α) of a grid with one method; one batched call per k.

    Parameters
    ----------
    problem : SensingProblem
        P problems, one per seed (seeds ``seed, seed+1, ...``).
    param : {"sym", "asym"}
        XXᵀ or FGᵀ.
    method : str
        See :func:`support.sensing.descent.descend`.
    ks, alphas : sequences
        Widths and initialisation scales.
    T, eta : int, float
        Iterations and step size.
    seed : int
        Base seed of the initial directions.
    damping, switch_residual, record_every, tol
        Passed to :func:`support.sensing.descent.descend`.
    """
    if param not in ("sym", "asym"):
        raise ValueError(f"param must be 'sym' or 'asym', got {param!r}")
    seeds = [seed + p for p in range(problem.n_problems)]
    device, k_max = problem.M_star.device, max(ks)
    if param == "sym" and len(ks) > 1:
        return _run_padded(problem, method, ks, alphas, T, eta, seeds, damping, record_every, tol)
    parts, rows = [], []
    for k in ks:
        factors = initial_factors(
            problem.shape, k, alphas, seeds, problem.rank, param == "sym", device=device
        )
        tr = descend(
            problem,
            factors,
            T,
            eta,
            method=method,
            damping=damping,
            switch_residual=switch_residual,
            record_every=record_every,
            tol=tol,
            desc=f"{param} {method} k={k}",
        )
        parts.append(tr)
        rows += [
            dict(seed=s, k=k, alpha=float(a), method=method, param=param, eta=eta)
            for s in seeds
            for a in alphas
        ]

    return _stack_traces(parts, rows, k_max)


def _stack_traces(parts, rows, k_max: int) -> Curves:
    """One :class:`Curves` from the traces of several widths (factor statistics NaN-padded)."""

    def cat(name, pad_k=False):
        arrays = [getattr(tr, name) for tr in parts]
        if arrays[0] is None:
            return None
        if pad_k:
            pad = lambda a: [(0, 0)] * (a.ndim - 1) + [(0, k_max - a.shape[-1])]  # noqa: E731
            arrays = [np.pad(a, pad(a), constant_values=np.nan) for a in arrays]
        return np.concatenate([a.reshape(-1, *a.shape[2:]) for a in arrays])

    return Curves(
        pd.DataFrame(rows),
        cat("errors"),
        cat("residuals"),
        parts[0].record_steps,
        cat("imbalance", pad_k=True),
        cat("gram_eigenvalues", pad_k=True),
        cat("switched_at"),
    )


def _run_padded(problem, method, ks, alphas, T, eta, seeds, damping, record_every, tol) -> Curves:
    """Every width of a symmetric grid in one batched run, narrower factors padded with zero columns.

    Zero columns stay exactly zero under (S + Sᵀ)X, and under the preconditioned
    updates too (XᵀX + λI is then block-diagonal), so the padded runs are the
    unpadded ones, at the cost of one pass over the operator per iteration.
    """
    k_max = max(ks)
    blocks = [
        torch.nn.functional.pad(
            initial_factors(
                problem.shape, k, alphas, seeds, problem.rank, True, device=problem.M_star.device
            ),
            (0, k_max - k),
        )
        for k in ks
    ]
    tr = descend(
        problem,
        torch.cat(blocks, dim=1),
        T,
        eta,
        method=method,
        damping=damping,
        record_every=record_every,
        tol=tol,
        desc=f"sym {method} k={tuple(ks)}",
    )
    rows = [
        dict(seed=s, k=k, alpha=float(a), method=method, param="sym", eta=eta)
        for s in seeds
        for k in ks
        for a in alphas
    ]
    flat = lambda a: a.reshape(-1, *a.shape[2:])  # noqa: E731
    # a run of width k has k_max - k zero columns: drop their zero eigenvalues (sorted first)
    gram = flat(tr.gram_eigenvalues)
    shift = np.array([k_max - row["k"] for row in rows])
    idx = np.arange(k_max)[None, :] + shift[:, None]
    gram = np.take_along_axis(gram, np.minimum(idx, k_max - 1)[:, None, :], axis=-1)
    gram[np.broadcast_to((idx >= k_max)[:, None, :], gram.shape)] = np.nan
    return Curves(
        pd.DataFrame(rows),
        flat(tr.errors),
        flat(tr.residuals),
        tr.record_steps,
        None,
        gram,
        flat(tr.switched_at),
    )


@dataclass
class Results:
    """Every experiment of the notebook, as passed to :func:`support.sensing.claims.record_claims`."""

    sym: Curves
    ident: Curves
    asym: Curves
    one: Curves
    cross: Curves
    comp: Curves
    rate_m: Curves
    drift: Curves


def _problem(cfg: SensingConfig, seed: int, device, m="cfg"):
    """The profile's P = ``cfg.seeds`` problems; ``m=None`` is the identity operator."""
    return make_problem(
        cfg.n,
        cfg.rank,
        cfg.m if m == "cfg" else m,
        cfg.singular_values,
        n_problems=cfg.seeds,
        seed=seed,
        device=device,
    )


def _problem_key(cfg: SensingConfig, seed: int, m) -> dict:
    return dict(n=cfg.n, rank=cfg.rank, sv=cfg.singular_values, m=m, problems=cfg.seeds, seed=seed)


def _unit(cfg, seed, device, m="cfg", **settings) -> Curves:
    """One cached :func:`run_grid` call: the unit of work of every sweep.

    It runs as one cell of :func:`support.core.executor.run_cells`, so on a
    Ray cluster (``RAY_ADDRESS``) it runs on a worker and is cached here.
    """
    m = cfg.m if m == "cfg" else m
    settings.setdefault("eta", cfg.eta)
    cell = {
        "problem": _problem_key(cfg, seed, m),
        "settings": settings,
        "device": str(torch.device(device)),
    }
    return run_cells(
        _descend_unit, [cell], cache=Cache("sensing"), desc="descent", device=cell["device"]
    )[0]


def _descend_unit(problem: dict, settings: dict, device: str) -> Curves:
    """Build the problem a key describes and run :func:`run_grid` on it."""
    built = make_problem(
        problem["n"],
        problem["rank"],
        problem["m"],
        problem["sv"],
        n_problems=problem["problems"],
        seed=problem["seed"],
        device=device,
    )
    return run_grid(built, seed=problem["seed"], **settings)


def symmetric_sweep(cfg: SensingConfig, seed: int = 0, device="cpu") -> Curves:
    """XXᵀ for every k in ``cfg.ks_symmetric`` (k = r first) and α in ``cfg.alphas_symmetric``."""
    return _unit(
        cfg,
        seed,
        device,
        param="sym",
        method="gd",
        ks=cfg.ks_symmetric,
        alphas=cfg.alphas_symmetric,
        T=cfg.T_symmetric,
    )


def identity_limit(cfg: SensingConfig, seed: int = 0, device="cpu") -> Curves:
    """XXᵀ with 𝒜 = I (matrix factorisation), k > r, α = ``cfg.alphas_symmetric[0]``."""
    return _unit(
        cfg,
        seed,
        device,
        m=None,
        param="sym",
        method="gd",
        ks=cfg.ks_symmetric[1:],
        alphas=cfg.alphas_symmetric[:1],
        T=cfg.limit_T,
    )


def asymmetric_sweep(cfg: SensingConfig, seed: int = 0, device="cpu") -> Curves:
    """FGᵀ with k = r and k = ``cfg.k_over`` over ``cfg.alphas_asymmetric`` (one unit per k)."""
    parts = [
        _unit(
            cfg,
            seed,
            device,
            param="asym",
            method="gd",
            ks=(k,),
            alphas=cfg.alphas_asymmetric,
            T=cfg.T_asymmetric,
            record_every=10,
        )
        for k in (cfg.rank, cfg.k_over)
    ]
    return concat(parts, pad_k=cfg.k_over)


def one_step_sweep(cfg: SensingConfig, seed: int = 0, device="cpu") -> Curves:
    """The one-step method (k = ``cfg.k_over``) over ``cfg.alphas_one_step``."""
    return _unit(
        cfg,
        seed,
        device,
        param="asym",
        method="one_step",
        ks=(cfg.k_over,),
        alphas=cfg.alphas_one_step,
        T=cfg.T_one_step,
        switch_residual=cfg.switch_residual,
    )


def crossover_runs(cfg: SensingConfig, seed: int = 0, device="cpu") -> Curves:
    """Vanilla FGᵀ (k = ``cfg.k_over``) at ``cfg.alphas_crossover``, run as long as XXᵀ."""
    return _unit(
        cfg,
        seed,
        device,
        param="asym",
        method="gd",
        ks=(cfg.k_over,),
        alphas=cfg.alphas_crossover,
        T=cfg.T_symmetric,
    )


def comparator_runs(cfg: SensingConfig, seed: int = 0, device="cpu") -> Curves:
    """ScaledGD(λ) and PrecGD for XXᵀ and FGᵀ at k = ``cfg.k_over``, α = ``cfg.alphas_one_step``."""
    return concat(
        [
            _unit(
                cfg,
                seed,
                device,
                param=param,
                method=method,
                ks=(cfg.k_over,),
                alphas=cfg.alphas_one_step,
                T=cfg.T_one_step,
                eta=cfg.eta_precond,
                damping=cfg.damping,
            )
            for param in ("sym", "asym")
            for method in ("scaledgd", "precgd")
        ]
    )


def rate_vs_m(cfg: SensingConfig, seed: int = 0, device="cpu") -> Curves:
    """FGᵀ (k = ``cfg.k_over``, α = ``cfg.alpha_rate_m``) for every m in ``cfg.ms_rate`` and 𝒜 = I.

    The runs carry their measurement count in the column ``m`` (0 for the identity).
    """
    parts = []
    for m in (*cfg.ms_rate, None):
        part = _unit(
            cfg,
            seed,
            device,
            m=m,
            param="asym",
            method="gd",
            ks=(cfg.k_over,),
            alphas=(cfg.alpha_rate_m,),
            T=cfg.T_rate_m,
            record_every=10,
        )
        part.runs["m"] = 0 if m is None else int(m)
        parts.append(part)
    return concat(parts)


def drift_vs_eta(cfg: SensingConfig, seed: int = 0, device="cpu") -> Curves:
    """FGᵀ (k = ``cfg.k_over``) over ``cfg.alphas_asymmetric`` at step sizes η·f, f in
    ``cfg.eta_fractions``, each for the same flow time ``cfg.drift_horizon`` = η·f·t.

    Δ is recorded at the start and the end only; the runs carry their step size in ``eta``.
    """
    parts = []
    for f in cfg.eta_fractions:
        eta = cfg.eta * f
        T = max(1, round(cfg.drift_horizon / eta))
        part = _unit(
            cfg,
            seed,
            device,
            param="asym",
            method="gd",
            ks=(cfg.k_over,),
            alphas=cfg.alphas_asymmetric,
            T=T,
            eta=eta,
            record_every=T,
            tol=0.0,
        )
        parts.append(_ends(part))
    return concat(parts)


def _ends(curves: Curves) -> Curves:
    """Keep only the first and last error of each run (the drift runs differ in length)."""
    keep = [0, curves.errors.shape[1] - 1]
    return Curves(
        curves.runs,
        curves.errors[:, keep],
        curves.residuals[:, keep],
        curves.record_steps,
        curves.imbalance,
        curves.gram_eigenvalues,
        curves.switched_at,
    )


def concat(parts: list[Curves], pad_k: int | None = None) -> Curves:
    """Stack the runs of several experiments of equal length T.

    Factor statistics (eigenvalues of Δ and of FᵀF) are kept when every part
    has them, NaN-padded to ``pad_k`` columns, and dropped otherwise; the
    record steps are the first part's.
    """
    return Curves(
        pd.concat([p.runs for p in parts], ignore_index=True),
        np.concatenate([p.errors for p in parts]),
        np.concatenate([p.residuals for p in parts]),
        parts[0].record_steps,
        _cat_padded([p.imbalance for p in parts], pad_k),
        _cat_padded([p.gram_eigenvalues for p in parts], pad_k),
        np.concatenate([p.switched_at for p in parts]),
    )


def _cat_padded(arrays, k=None):
    """Concatenate (n_runs, n_rec, k_i) arrays along runs, NaN-padding the last axis to k."""
    if any(a is None for a in arrays):
        return None
    k = k or max(a.shape[-1] for a in arrays)
    pad = [np.pad(a, [(0, 0)] * 2 + [(0, k - a.shape[-1])], constant_values=np.nan) for a in arrays]
    return np.concatenate(pad)
