"""The imbalance Δ = FᵀF − GᵀG along descend()'s iterates: the per-step identity, its O(η) drift, the one-step switch."""

from __future__ import annotations

import numpy as np
import torch

from support.sensing import descend, initial_factors, make_problem
from support.sensing.imbalance import eigenvalue_drift, imbalance, min_eigenvalue_ratio

ETA = 0.2


def _iterates(prob, F0, G0, eta, steps):
    """(F_t, G_t) for t = 0..steps, each the last iterate of descend() run for t steps."""
    out = [(F0, G0)]
    for t in range(1, steps + 1):
        out.append(descend(prob, (F0, G0), t, eta, tol=0).factors)
    return out


def _brute_S(prob, F, G) -> np.ndarray:
    """S = 𝒜*𝒜(FGᵀ − M*) from the measurement matrices, independent of the descent's code."""
    E = (F @ G.transpose(-1, -2) - prob.M_star[:, None]).numpy()
    A = prob.A.numpy()  # (P, m, n1 n2)
    r = np.einsum("pmn,prn->prm", A, E.reshape(*E.shape[:2], -1))
    return np.einsum("pmn,prm->prn", A, r).reshape(E.shape)


def _identity_mismatch(prob, iterates, eta) -> tuple[float, float]:
    """Largest |(Δ_{t+1} − Δ_t) − η²(GᵀSᵀSG − FᵀSSᵀF)| and largest η² term, over the iterates."""
    worst, size = 0.0, 0.0
    for (F, G), (F1, G1) in zip(iterates[:-1], iterates[1:]):
        S = _brute_S(prob, F, G)
        SG, StF = S @ G.numpy(), np.swapaxes(S, -1, -2) @ F.numpy()
        predicted = eta**2 * (np.swapaxes(SG, -1, -2) @ SG - np.swapaxes(StF, -1, -2) @ StF)
        actual = (imbalance(F1, G1) - imbalance(F, G)).numpy()
        worst = max(worst, float(np.abs(actual - predicted).max()))
        size = max(size, float(np.abs(predicted).max()))
    return worst, size


def test_descend_changes_the_imbalance_by_exactly_its_eta_squared_term():
    """descend()'s recorded iterates obey Δ' − Δ = η²(GᵀSᵀSG − FᵀSSᵀF), S from 𝒜 itself.

    A wrong gradient (first-order terms no longer cancel), a wrong step (η² scales the
    change) or a missing update of F or G breaks it far above rounding.
    """
    prob = make_problem(8, 2, 100, (1.0, 0.6), n_problems=2, seed=1)
    F0, G0 = initial_factors(prob.shape, 3, [0.5, 0.2], [0, 1], 2, False)
    its = _iterates(prob, F0, G0, ETA, 3)
    assert not torch.equal(its[1][0], F0)  # the descent moved
    worst, size = _identity_mismatch(prob, its, ETA)
    assert size > 1e-6  # the identity is not 0 = 0
    # rounding gives ~1e-16; descend() with 1.05 η gives 3e-4, with S for Sᵀ in G's step 1e-2
    assert worst < 1e-12
    # the same check sees a step of 1.1 η: it is sensitive to the step size
    assert _identity_mismatch(prob, its, 1.1 * ETA)[0] > 0.1 * size


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


def test_every_one_step_run_switches_once_when_its_residual_first_falls_below_the_threshold():
    """The former claim C5d, a sanity check: every run switches, at its first residual < threshold."""
    prob = make_problem(8, 2, 100, (1.0, 0.6), n_problems=2, seed=3)
    F0, G0 = initial_factors(prob.shape, 3, [0.5, 0.1, 0.02], [0, 1], 2, False)
    thr = 0.05
    tr = descend(prob, (F0, G0), 1500, ETA, method="one_step", switch_residual=thr)
    at = tr.switched_at
    assert (at >= 0).all(), at
    for p, r in np.ndindex(at.shape):
        res = tr.residuals[p, r]
        assert res[at[p, r]] < thr and (res[: at[p, r]] >= thr).all()
