"""Profiles for the matrix sensing notebook: one frozen dataclass per size."""

from __future__ import annotations

from dataclasses import dataclass

from ..core.profiles import select_profile


@dataclass(frozen=True)
class SensingConfig:
    """Sizes, grids and step sizes of the matrix sensing experiments.

    Attributes
    ----------
    n : int
        M* is n x n.
    rank : int
        r.
    singular_values : tuple of float
        The r non-zero singular values of M*.
    m : int
        Gaussian measurements.
    eta : float
        Step size of (one-step) gradient descent.
    eta_precond : float
        Step size of ScaledGD and PrecGD.
    seeds : int
        Independent problems and initialisations per setting.
    ks_symmetric : tuple of int
        Widths k for XXᵀ (the first must equal ``rank``).
    alphas_symmetric : tuple of float
        Initialisation scales for XXᵀ.
    T_symmetric : int
        Iterations for XXᵀ.
    slope_window : (int, int)
        Iterations over which the log-log slope is fitted.
    k_over : int
        Over-parameterised width for FGᵀ.
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
        α values of the symmetric vs asymmetric comparison.
    damping : float
        λ of ScaledGD(λ).
    limit_T : int
        Iterations of the 𝒜 = I (matrix factorisation) check.
    """

    n: int = 20
    rank: int = 3
    singular_values: tuple = (1.0, 0.75, 0.5)
    m: int = 400
    eta: float = 0.2
    eta_precond: float = 0.25
    seeds: int = 3
    ks_symmetric: tuple = (3, 4, 5, 8)
    alphas_symmetric: tuple = (0.5, 0.1)
    T_symmetric: int = 10_000
    slope_window: tuple = (1_000, 10_000)
    k_over: int = 4
    alphas_asymmetric: tuple = (0.5, 0.35, 0.25, 0.18)
    T_asymmetric: int = 6_000
    rate_window: tuple = (1e-11, 1e-4)
    switch_residual: float = 1e-2
    alphas_one_step: tuple = (0.5, 0.1, 0.02)
    T_one_step: int = 3_000
    alphas_crossover: tuple = (0.5, 0.1)
    damping: float = 1e-3
    limit_T: int = 20_000

    def __post_init__(self):
        if self.ks_symmetric[0] != self.rank:
            raise ValueError(
                f"ks_symmetric must start with k = rank = {self.rank}, got {self.ks_symmetric}"
            )
        if self.k_over <= self.rank:
            raise ValueError(f"k_over must exceed rank={self.rank}, got {self.k_over}")
        if len(self.singular_values) != self.rank:
            raise ValueError(
                f"singular_values must have rank={self.rank} entries, got {self.singular_values}"
            )


PROFILES = {
    "smoke": SensingConfig(
        n=10,
        m=150,
        seeds=2,
        ks_symmetric=(3, 4),
        alphas_symmetric=(0.5, 0.1),
        T_symmetric=1_000,
        slope_window=(200, 1_000),
        alphas_asymmetric=(0.5, 0.35, 0.25, 0.18),
        T_asymmetric=1_000,
        alphas_one_step=(0.5, 0.1, 0.02),
        T_one_step=600,
        limit_T=2_000,
    ),
    "cpu": SensingConfig(),
    "paper": SensingConfig(
        n=50,
        m=1500,
        seeds=10,
        ks_symmetric=(3, 4, 5, 8),
        alphas_symmetric=(0.5, 0.1, 0.02),
        T_symmetric=100_000,
        slope_window=(1_000, 100_000),
        alphas_asymmetric=(0.5, 0.35, 0.25, 0.18, 0.1, 0.07),
        T_asymmetric=20_000,
        alphas_one_step=(0.5, 0.1, 0.02, 0.005),
        T_one_step=5_000,
        alphas_crossover=(0.5, 0.1, 0.07),
        limit_T=100_000,
    ),
}


def config(profile: str = "cpu", **overrides) -> SensingConfig:
    """The matrix sensing config for ``profile`` ("smoke", "cpu" or "paper"), with optional overrides."""
    return select_profile(profile, PROFILES, **overrides)
