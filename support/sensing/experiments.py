"""The notebook's experiments: grids of runs over (seed, k, α, method), cached on disk.

Each function returns :class:`Curves`, one row per run, with the run's
settings in a DataFrame and its error curve in an array. Results are cached
under ``.cache/sensing`` keyed by the config, the base seed and the device
type, so re-running the notebook is instant and an interrupted run resumes
at the first unfinished experiment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from ..core.cache import Cache
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
        One row per run: seed, k, alpha, method, param ("sym" or "asym").
    errors : ndarray (n_runs, T+1)
        ‖product − M*‖_F per iteration (NaN after the run reached the float64 floor).
    residuals : ndarray (n_runs, T+1)
        Training residual ‖𝒜(product) − y‖₂.
    record_steps : ndarray
        Iterations of the factor statistics.
    imbalance : ndarray (n_runs, n_rec, k_max) or None
        Eigenvalues of FᵀF − GᵀG (asymmetric), NaN-padded to the widest k.
    sigma_min_F_sq : ndarray (n_runs, n_rec) or None
        λ_min(FᵀF) (asymmetric).
    switched_at : ndarray (n_runs,)
        Iteration of the one-step rebalancing, -1 if none.
    """

    runs: pd.DataFrame
    errors: np.ndarray
    residuals: np.ndarray
    record_steps: np.ndarray
    imbalance: np.ndarray | None
    sigma_min_F_sq: np.ndarray | None
    switched_at: np.ndarray

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
            None if self.sigma_min_F_sq is None else self.sigma_min_F_sq[pick],
            self.switched_at[pick],
        )


def _problem(cfg: SensingConfig, seed: int, device, identity: bool = False):
    return make_problem(
        cfg.n,
        cfg.rank,
        None if identity else cfg.m,
        cfg.singular_values,
        n_problems=cfg.seeds,
        seed=seed,
        device=device,
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
    """
    if param not in ("sym", "asym"):
        raise ValueError(f"param must be 'sym' or 'asym', got {param!r}")
    seeds = [seed + p for p in range(problem.n_problems)]
    device, k_max = problem.M_star.device, max(ks)
    if param == "sym" and len(ks) > 1:
        return _run_padded(problem, method, ks, alphas, T, eta, seeds, damping, record_every)
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
            desc=f"{param} {method} k={k}",
        )
        parts.append(tr)
        rows += [
            dict(seed=s, k=k, alpha=float(a), method=method, param=param)
            for s in seeds
            for a in alphas
        ]

    def cat(name, pad_k=False):
        arrays = [getattr(tr, name) for tr in parts]
        if arrays[0] is None:
            return None
        if pad_k:
            arrays = [
                np.pad(
                    a, [(0, 0)] * (a.ndim - 1) + [(0, k_max - a.shape[-1])], constant_values=np.nan
                )
                for a in arrays
            ]
        return np.concatenate([a.reshape(-1, *a.shape[2:]) for a in arrays])

    return Curves(
        pd.DataFrame(rows),
        cat("errors"),
        cat("residuals"),
        parts[0].record_steps,
        cat("imbalance", pad_k=True),
        cat("sigma_min_F_sq"),
        cat("switched_at"),
    )


def _run_padded(problem, method, ks, alphas, T, eta, seeds, damping, record_every) -> Curves:
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
        desc=f"sym {method} k={tuple(ks)}",
    )
    rows = [
        dict(seed=s, k=k, alpha=float(a), method=method, param="sym")
        for s in seeds
        for k in ks
        for a in alphas
    ]
    flat = lambda a: a.reshape(-1, *a.shape[2:])  # noqa: E731
    return Curves(
        pd.DataFrame(rows),
        flat(tr.errors),
        flat(tr.residuals),
        tr.record_steps,
        None,
        None,
        flat(tr.switched_at),
    )


def _cached(name: str, cfg: SensingConfig, seed: int, device, compute) -> Curves:
    key = {
        "experiment": name,
        "config": cfg,
        "seed": seed,
        "device": torch.device(device).type,
        "version": 1,
    }
    import support.sensing

    return Cache("sensing", code=support.sensing).get_or_compute(key, compute)


def _cached_grid(name, cfg, seed, device, param, method, ks, alphas, T, identity=False, **kwargs):
    """One cached :func:`run_grid` over the profile's problems."""

    def compute():
        problem = _problem(cfg, seed, device, identity=identity)
        return run_grid(problem, param, method, ks, alphas, T, cfg.eta, seed, **kwargs)

    return _cached(name, cfg, seed, device, compute)


def symmetric_sweep(cfg: SensingConfig, seed: int = 0, device="cpu") -> Curves:
    """XXᵀ for every k in ``cfg.ks_symmetric`` (k = r first) and α in ``cfg.alphas_symmetric``."""
    return _cached_grid(
        "symmetric",
        cfg,
        seed,
        device,
        "sym",
        "gd",
        cfg.ks_symmetric,
        cfg.alphas_symmetric,
        cfg.T_symmetric,
    )


def asymmetric_sweep(cfg: SensingConfig, seed: int = 0, device="cpu") -> Curves:
    """FGᵀ with k = r and k = ``cfg.k_over`` over the α grid ``cfg.alphas_asymmetric``."""
    return _cached_grid(
        "asymmetric",
        cfg,
        seed,
        device,
        "asym",
        "gd",
        (cfg.rank, cfg.k_over),
        cfg.alphas_asymmetric,
        cfg.T_asymmetric,
    )


def one_step_sweep(cfg: SensingConfig, seed: int = 0, device="cpu") -> Curves:
    """The one-step method (k = ``cfg.k_over``) over ``cfg.alphas_one_step``."""
    return _cached_grid(
        "one_step",
        cfg,
        seed,
        device,
        "asym",
        "one_step",
        (cfg.k_over,),
        cfg.alphas_one_step,
        cfg.T_one_step,
        switch_residual=cfg.switch_residual,
    )


def crossover_runs(cfg: SensingConfig, seed: int = 0, device="cpu") -> Curves:
    """Vanilla FGᵀ (k = ``cfg.k_over``) at the α values of the crossover, run as long as XXᵀ."""
    return _cached_grid(
        "crossover",
        cfg,
        seed,
        device,
        "asym",
        "gd",
        (cfg.k_over,),
        cfg.alphas_crossover,
        cfg.T_symmetric,
    )


def comparator_runs(cfg: SensingConfig, seed: int = 0, device="cpu") -> Curves:
    """ScaledGD(λ) and PrecGD for XXᵀ and FGᵀ at k = ``cfg.k_over``, α = ``cfg.alphas_one_step``."""

    def compute():
        problem = _problem(cfg, seed, device)
        parts = [
            run_grid(
                problem,
                param,
                method,
                (cfg.k_over,),
                cfg.alphas_one_step,
                cfg.T_one_step,
                cfg.eta_precond,
                seed,
                damping=cfg.damping,
            )
            for param in ("sym", "asym")
            for method in ("scaledgd", "precgd")
        ]
        return concat(parts)

    return _cached("comparators", cfg, seed, device, compute)


def identity_limit(cfg: SensingConfig, seed: int = 0, device="cpu") -> Curves:
    """XXᵀ with 𝒜 = I (matrix factorisation), k > r, α = ``cfg.alphas_symmetric[0]``."""
    return _cached_grid(
        "identity",
        cfg,
        seed,
        device,
        "sym",
        "gd",
        cfg.ks_symmetric[1:],
        cfg.alphas_symmetric[:1],
        cfg.limit_T,
        identity=True,
    )


def concat(parts: list[Curves]) -> Curves:
    """Stack the runs of several experiments of equal length T (factor statistics dropped if mixed)."""
    stats = all(p.imbalance is not None for p in parts)
    return Curves(
        pd.concat([p.runs for p in parts], ignore_index=True),
        np.concatenate([p.errors for p in parts]),
        np.concatenate([p.residuals for p in parts]),
        parts[0].record_steps,
        np.concatenate([p.imbalance for p in parts]) if stats else None,
        np.concatenate([p.sigma_min_F_sq for p in parts]) if stats else None,
        np.concatenate([p.switched_at for p in parts]),
    )
