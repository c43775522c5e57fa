"""The imbalance Δ = FᵀF − GᵀG: the exact per-step identity, its O(η) drift, and the one-step switch."""

from __future__ import annotations

import numpy as np
import torch

from support.sensing import descend, initial_factors, make_problem
from support.sensing.imbalance import (
    eigenvalue_drift,
    imbalance,
    min_eigenvalue_ratio,
    step_identity,
)


def test_step_identity_holds_to_machine_precision():
    prob = make_problem(8, 2, 100, (1.0, 0.6), n_problems=2, seed=1)
    F, G = initial_factors(prob.shape, 3, [0.5, 0.2], [0, 1], 2, False)
    residual, change = step_identity(prob, F, G, 0.2, 30)
    assert residual.max() < 1e-14
    assert change.max() > 1e-6  # the identity is not trivially 0 = 0


def test_imbalance_is_conserved_by_a_tiny_step_and_drifts_linearly_in_eta():
    """Over a fixed flow time the drift of Δ halves with η (GD's change is η² per step)."""
    prob = make_problem(8, 2, 100, (1.0, 0.6), n_problems=1, seed=2)
    F0, G0 = initial_factors(prob.shape, 3, [0.5], [0], 2, False)
    drifts = []
    for eta in (0.1, 0.05, 0.025):
        T = round(20 / eta)
        lam = descend(prob, (F0, G0), T, eta, record_every=T, tol=0).imbalance
        drifts.append(eigenvalue_drift(lam.reshape(-1, *lam.shape[2:]))[0])
    ratios = np.array(drifts[1:]) / np.array(drifts[:-1])
    np.testing.assert_allclose(ratios, 0.5, atol=0.06)


def test_eigenvalue_helpers_on_known_arrays():
    lam = np.array(
        [
            [[1.0, 2.0], [0.9, 2.2], [0.8, 2.1]],
            [[0.5, 1.0], [0.6, 1.0], [np.nan, np.nan]],  # stopped early
        ]
    )
    np.testing.assert_allclose(eigenvalue_drift(lam), [0.2, 0.1])
    np.testing.assert_allclose(min_eigenvalue_ratio(lam), [0.8, 1.0])
    F = torch.eye(3, 2, dtype=torch.float64) * 2
    G = torch.eye(3, 2, dtype=torch.float64)
    np.testing.assert_allclose(imbalance(F, G).numpy(), 3 * np.eye(2))


def test_one_step_rebalances_only_the_runs_due():
    """A rank-deficient F in a run not due to switch must not stop the others from switching."""
    prob = make_problem(6, 2, 80, (1.0, 0.5), n_problems=1, seed=0)
    M = prob.M_star[0]
    evals, evecs = torch.linalg.eigh(M)
    root = evecs[:, -2:] * evals[-2:].sqrt()
    near = torch.cat([root, 1e-3 * torch.ones(6, 1, dtype=root.dtype)], dim=1)  # F ≈ G: due
    small = torch.zeros(6, 3, dtype=root.dtype)
    small[:, :2] = 0.01  # rank one, far from M*: not due
    F = torch.stack([near, small])[None]
    G = torch.stack([near.clone(), small.clone()])[None]
    tr = descend(prob, (F, G), 3, 0.1, method="one_step", switch_residual=0.1)
    assert tr.switched_at.tolist() == [[0, -1]]
