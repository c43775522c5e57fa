"""Profiles for the matrix sensing notebook: one frozen, validated dataclass per size."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..core import registry
from ..core.profiles import select_profile
from ..core.validate import check_int, check_positive


@dataclass(frozen=True)
class SensingConfig:
    """Sizes, grids and step sizes of the matrix sensing experiments.

    Attributes
    ----------
    n : int
        M* is n x n.
    rank : int
        r, in [1, n].
    singular_values : tuple of float
        The r non-zero singular values of M*.
    m : int
        Gaussian measurements (compressive when well below n(n+1)/2).
    eta : float
        Step size of (one-step) gradient descent.
    eta_precond : float
        Step size of ScaledGD and PrecGD.
    seeds : int
        Independent problems (operator, M*, initial directions) per setting.
    ks_symmetric : tuple of int
        Widths k for XXᵀ (the first must equal ``rank``).
    alphas_symmetric : tuple of float
        Initialisation scales for XXᵀ (spanning at least C2b's registered ``alpha_span``).
    T_symmetric : int
        Iterations for XXᵀ.
    slope_window : (int, int)
        Iterations over which the log-log slope is fitted.
    k_over : int
        Over-parameterised width for FGᵀ (> rank).
    alphas_asymmetric : tuple of float
        α grid for the rate-vs-α study (≥ 4 values spanning ≥ 2.5x).
    T_asymmetric : int
        Iterations for FGᵀ.
    rate_window : (float, float)
        Error window of the linear-rate fit.
    switch_residual : float
        Training residual at which the one-step method rebalances.
    alphas_one_step : tuple of float
        α grid of the one-step comparison (spanning ≥ 25x).
    T_one_step : int
        Iterations of the one-step comparison.
    alphas_crossover : tuple of float
        α values of the symmetric vs asymmetric comparison; each must be in
        ``alphas_symmetric`` (C7) and at least one in ``alphas_one_step`` (C5c).
    damping : float
        λ of ScaledGD(λ).
    limit_T : int
        Iterations of the 𝒜 = I (matrix factorisation) check.
    ms_rate : tuple of int
        Measurement counts of the rate-constant-vs-m study (C3c).
    alpha_rate_m : float
        α of that study.
    T_rate_m : int
        Iterations of that study.
    eta_fractions : tuple of float
        Step sizes η·f of the imbalance-drift study (C6b), largest first.
    drift_horizon : float
        Gradient-flow time η·t over which the drift is measured.
    """

    n: int = 40
    rank: int = 3
    singular_values: tuple = (1.0, 0.75, 0.5)
    m: int = 480
    eta: float = 0.2
    eta_precond: float = 0.25
    seeds: int = 3
    ks_symmetric: tuple = (3, 4, 5, 8)
    alphas_symmetric: tuple = (0.5, 0.1, 0.02)
    T_symmetric: int = 30_000
    slope_window: tuple = (3_000, 30_000)
    k_over: int = 4
    alphas_asymmetric: tuple = (0.5, 0.35, 0.25, 0.18)
    T_asymmetric: int = 10_000
    rate_window: tuple = (1e-11, 1e-4)
    switch_residual: float = 1e-2
    alphas_one_step: tuple = (0.5, 0.1, 0.02)
    T_one_step: int = 3_000
    alphas_crossover: tuple = (0.5, 0.1)
    damping: float = 1e-3
    limit_T: int = 20_000
    ms_rate: tuple = (480, 960, 1920)
    alpha_rate_m: float = 0.5
    T_rate_m: int = 3_000
    eta_fractions: tuple = (1.0, 0.5, 0.25)
    drift_horizon: float = 100.0

    def __post_init__(self):
        check_int("n", self.n)
        check_int("rank", self.rank)
        if self.rank > self.n:
            raise ValueError(f"rank must be in [1, n={self.n}], got rank={self.rank}")
        check_int("m", self.m)
        check_int("seeds", self.seeds)
        for name in ("T_symmetric", "T_asymmetric", "T_one_step", "limit_T", "T_rate_m"):
            check_int(name, getattr(self, name))
        for name in ("eta", "eta_precond", "switch_residual", "alpha_rate_m", "drift_horizon"):
            check_positive(name, getattr(self, name))
        if not (math.isfinite(self.damping) and self.damping >= 0):
            raise ValueError(f"damping must be a finite number >= 0, got {self.damping!r}")
        sv = tuple(self.singular_values)
        if len(sv) != self.rank or not all(math.isfinite(s) and s > 0 for s in sv):
            raise ValueError(
                f"singular_values must be rank={self.rank} positive finite numbers, got {sv}"
            )
        self._check_grids()

    def _check_grids(self):
        for name in ("alphas_symmetric", "alphas_asymmetric", "alphas_one_step", "eta_fractions"):
            values = getattr(self, name)
            if not values:
                raise ValueError(f"{name} must not be empty")
            for v in values:
                check_positive(name, v)
        span = max(self.alphas_symmetric) / min(self.alphas_symmetric)
        need = registry.load("support.sensing")["C2b"]["alpha_span"]
        if span < need:
            raise ValueError(
                f"alphas_symmetric must span at least {need}x (C2b's registered α range), got "
                f"{self.alphas_symmetric} ({span:.3g}x)"
            )
        if self.ks_symmetric[0] != self.rank or any(k < self.rank for k in self.ks_symmetric):
            raise ValueError(
                f"ks_symmetric must start with k = rank = {self.rank} and hold no k < rank, "
                f"got {self.ks_symmetric}"
            )
        if self.k_over <= self.rank:
            raise ValueError(f"k_over must exceed rank={self.rank}, got {self.k_over}")
        if self.k_over not in self.ks_symmetric:
            raise ValueError(f"k_over={self.k_over} must be one of ks_symmetric (C7 compares them)")
        t0, t1 = self.slope_window
        if not 1 <= t0 < t1 <= self.T_symmetric:
            raise ValueError(
                f"slope_window must satisfy 1 <= t0 < t1 <= T_symmetric={self.T_symmetric}, "
                f"got {self.slope_window}"
            )
        lo, hi = self.rate_window
        if not 0 < lo < hi:
            raise ValueError(f"rate_window must satisfy 0 < low < high, got {self.rate_window}")
        missing = [a for a in self.alphas_crossover if a not in self.alphas_symmetric]
        if missing or not self.alphas_crossover:
            raise ValueError(
                f"alphas_crossover must be a non-empty subset of alphas_symmetric="
                f"{self.alphas_symmetric} (C7 needs a symmetric run at each); not there: {missing}"
            )
        if not set(self.alphas_crossover) & set(self.alphas_one_step):
            raise ValueError(
                f"alphas_crossover={self.alphas_crossover} and alphas_one_step="
                f"{self.alphas_one_step} must share an α (C5c compares the methods there)"
            )
        if not self.ms_rate or any(int(m) != m or m < 1 for m in self.ms_rate):
            raise ValueError(f"ms_rate must be positive integers, got {self.ms_rate}")

    @property
    def alpha_speedup(self) -> float:
        """The α at which C5c compares the one-step method with vanilla GD."""
        return float(min(set(self.alphas_crossover) & set(self.alphas_one_step)))


PROFILES = {
    "smoke": SensingConfig(
        n=10,
        m=100,
        seeds=2,
        ks_symmetric=(3, 4),
        T_symmetric=1_000,
        slope_window=(200, 1_000),
        T_asymmetric=1_000,
        T_one_step=600,
        limit_T=2_000,
        ms_rate=(60, 100, 200),
        T_rate_m=600,
        drift_horizon=20.0,
    ),
    "cpu": SensingConfig(),
    "paper": SensingConfig(
        n=50,
        m=600,
        seeds=10,
        alphas_symmetric=(0.5, 0.1, 0.02),
        T_symmetric=100_000,
        slope_window=(1_000, 100_000),
        alphas_asymmetric=(0.5, 0.35, 0.25, 0.18, 0.1, 0.07),
        T_asymmetric=20_000,
        alphas_one_step=(0.5, 0.1, 0.02, 0.005),
        T_one_step=5_000,
        alphas_crossover=(0.5, 0.1),
        limit_T=100_000,
        ms_rate=(600, 1200, 2400),
        T_rate_m=5_000,
    ),
}
# The paper profile's structure (grids, widths, every experiment) at toy sizes, for CI.
PROFILES["paper_smoke"] = SensingConfig(
    **{
        **PROFILES["paper"].__dict__,
        "n": 10,
        "m": 100,
        "seeds": 2,
        "T_symmetric": 400,
        "slope_window": (100, 400),
        "T_asymmetric": 300,
        "T_one_step": 300,
        "limit_T": 400,
        "ms_rate": (60, 100, 200, 400),
        "T_rate_m": 300,
        "drift_horizon": 10.0,
    }
)


def config(profile: str = "cpu", **overrides) -> SensingConfig:
    """The matrix sensing config for ``profile`` ("smoke", "cpu", "paper" or "paper_smoke")."""
    return select_profile(profile, PROFILES, **overrides)
