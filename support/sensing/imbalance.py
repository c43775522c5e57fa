"""The imbalance Δ = FᵀF − GᵀG of asymmetric gradient descent.

Simultaneous GD, F' = F − η S G and G' = G − η Sᵀ F, changes Δ by exactly

    Δ' − Δ = η² (GᵀSᵀSG − FᵀSSᵀF),

so gradient flow conserves Δ, and GD's drift over a fixed flow time η·t is
O(η). The paper's rate exp(−Ω(α²T)) comes from λ_min(Δ) ≈ α²·const staying
positive: FᵀF ⪰ Δ keeps σ_min(F)² away from zero.
"""

from __future__ import annotations

import numpy as np
import torch


def imbalance(F: torch.Tensor, G: torch.Tensor) -> torch.Tensor:
    """Δ = FᵀF − GᵀG for factors of shape (..., n1, k) and (..., n2, k)."""
    return F.transpose(-1, -2) @ F - G.transpose(-1, -2) @ G


def eigenvalue_drift(eigenvalues: np.ndarray) -> np.ndarray:
    """max_i |λ_i(Δ_t) − λ_i(Δ_0)| at each run's last finite record.

    Parameters
    ----------
    eigenvalues : ndarray (n_runs, n_rec, k)
        Ascending eigenvalues of Δ at the recorded steps (NaN where not recorded).
    """
    lam = np.asarray(eigenvalues, float)
    last = np.array([np.flatnonzero(np.isfinite(run[:, 0]))[-1] for run in lam])
    end = lam[np.arange(len(lam)), last]
    return np.nanmax(np.abs(end - lam[:, 0]), axis=-1)


def min_eigenvalue_ratio(eigenvalues: np.ndarray) -> np.ndarray:
    """Per run, min over recorded t of λ_min(Δ_t)/λ_min(Δ_0) (NaN records skipped)."""
    lam = np.asarray(eigenvalues, float)
    ratio = lam[:, :, 0] / lam[:, :1, 0]
    return np.array([np.min(r[np.isfinite(r)]) for r in ratio])
