"""Matrix sensing by gradient descent (Xiong, Ding, Du, ICLR 2024).

Modules
-------
problem    Gaussian (and identity) sensing operators and ground-truth matrices, batched over seeds.
init       Small random initialisation of the factors.
descent    Batched gradient descent for XX^T and FG^T, the one-step rebalancing, ScaledGD and PrecGD.
imbalance  The imbalance F^T F - G^T G: its exact per-step identity and its drift.
rates      Fitting linear rates and log-log slopes to error curves.
experiments  The notebook's sweeps, cached on disk one batched descent at a time.
analysis   Rates, slopes and ratios computed from the sweeps.
claims     One function per claim, behind record_claims.
plots      The notebook's figures.
config     The smoke / cpu / paper / paper_smoke profiles, validated.
"""

from .config import SensingConfig, config
from .descent import Trace, descend, rebalance
from .init import initial_factors
from .problem import SensingProblem, make_problem
from .rates import fit_linear_rate, fit_loglog_slope

__all__ = [
    "SensingConfig",
    "config",
    "Trace",
    "descend",
    "rebalance",
    "initial_factors",
    "SensingProblem",
    "make_problem",
    "fit_linear_rate",
    "fit_loglog_slope",
]
