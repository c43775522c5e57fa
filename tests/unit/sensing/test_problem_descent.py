"""Ground truth for the sensing operator, the gradients and the descent methods."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from support.sensing import descend, initial_factors, make_problem, rebalance
from support.sensing.descent import loss_and_gradient


@pytest.fixture(scope="module")
def problem():
    return make_problem(8, 2, 120, (1.0, 0.6), n_problems=2, seed=3)


def test_operator_matches_explicit_sum_and_adjoint(problem):
    E = torch.randn(2, 3, 8, 8, dtype=torch.float64)
    r = problem.residual(E)
    A = problem.A[0].numpy().reshape(120, 8, 8)  # already scaled by m^-1/2
    explicit = np.einsum("ijk,jk->i", A, E[0, 1].numpy())
    np.testing.assert_allclose(r[0, 1].numpy(), explicit, rtol=1e-12)
    z = torch.randn_like(r)
    lhs = (r * z).sum()
    rhs = (E * problem.adjoint(z)).sum()
    assert torch.isclose(lhs, rhs, rtol=1e-12)


def test_gram_path_equals_forward_adjoint_path():
    prob = make_problem(6, 2, 60, n_problems=2, seed=1)  # n² = 36 <= m: Gram path
    assert prob.gram is not None
    E = torch.randn(2, 3, 6, 6, dtype=torch.float64)
    S, res = prob.gradient_matrix(E)
    r = prob.residual(E)
    np.testing.assert_allclose(S.numpy(), prob.adjoint(r).numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(res.numpy(), r.norm(dim=-1).numpy(), rtol=1e-10)


def test_ground_truth_rank_and_spectrum(problem):
    s = torch.linalg.svdvals(problem.M_star[1])
    np.testing.assert_allclose(s[:2].numpy(), [1.0, 0.6], atol=1e-12)
    assert s[2] < 1e-12 and problem.symmetric


@pytest.mark.parametrize("symmetric", [True, False])
def test_gradient_matches_finite_differences(problem, symmetric):
    factors = initial_factors(problem.shape, 3, [0.7], [0, 1], 2, symmetric)
    loss, grad = loss_and_gradient(problem, factors)
    grads = (grad,) if symmetric else grad
    tensors = (factors,) if symmetric else factors
    h = 1e-6

    def loss_at(which, idx, delta):
        shifted = [t.clone() for t in tensors]
        shifted[which][idx] += delta
        return loss_and_gradient(problem, shifted[0] if symmetric else tuple(shifted))[0][idx[:2]]

    for which, g in enumerate(grads):
        for idx in [(0, 0, 1, 2), (1, 0, 5, 0), (1, 0, 7, 1)]:
            fd = (loss_at(which, idx, h) - loss_at(which, idx, -h)) / (2 * h)
            assert abs(fd.item() - g[idx].item()) < 1e-7 * max(1.0, abs(g[idx].item()))


def test_no_sensing_limit_closed_form():
    """With 𝒜 = I and k > r, η·t·‖XXᵀ − M*‖_F → √(k − r)/4 (spurious directions decay like 1/(4ηt))."""
    prob = make_problem(6, 2, None, (1.0, 0.8), n_problems=1, seed=0)
    eta, T = 0.2, 10_000
    for k in (3, 5):
        X0 = initial_factors(prob.shape, k, [0.5], [0], 2, True)
        err = descend(prob, X0, T, eta).errors[0, 0, -1]
        assert eta * T * err == pytest.approx(np.sqrt(k - 2) / 4, rel=0.01)


def test_exact_parameterisation_recovers_m_star(problem):
    X0 = initial_factors(problem.shape, 2, [0.3], [0, 1], 2, True)
    tr = descend(problem, X0, 1500, 0.2)
    assert np.all(np.nanmin(tr.errors, -1) < 1e-9)


def test_batched_runs_equal_single_runs(problem):
    F0, G0 = initial_factors(problem.shape, 3, [0.5, 0.2], [0, 1], 2, False)
    both = descend(problem, (F0, G0), 200, 0.2).errors
    single_problem = make_problem(8, 2, 120, (1.0, 0.6), n_problems=1, seed=4)
    one = descend(single_problem, (F0[1:, 1:], G0[1:, 1:]), 200, 0.2).errors
    np.testing.assert_allclose(both[1, 1], one[0, 0], rtol=1e-10)


def test_rebalance_preserves_product_and_conditions_f():
    g = torch.Generator().manual_seed(0)
    F = torch.randn(3, 10, 4, generator=g, dtype=torch.float64) * torch.tensor(
        [1.0, 0.5, 0.01, 0.001], dtype=torch.float64
    )
    G = torch.randn(3, 9, 4, generator=g, dtype=torch.float64)
    F2, G2 = rebalance(F, G)
    np.testing.assert_allclose(
        (F2 @ G2.transpose(-1, -2)).numpy(), (F @ G.transpose(-1, -2)).numpy(), atol=1e-12
    )
    beta = torch.linalg.matrix_norm(F @ G.transpose(-1, -2), ord=2).sqrt()
    sv = torch.linalg.svdvals(F2)
    np.testing.assert_allclose(sv.numpy(), beta[:, None].expand_as(sv).numpy(), rtol=1e-10)
    with pytest.raises(ValueError, match="width k"):
        rebalance(F, G[..., :3])


def test_one_step_switches_once_and_beats_vanilla_at_small_alpha(problem):
    F0, G0 = initial_factors(problem.shape, 3, [0.05], [0, 1], 2, False)
    vanilla = descend(problem, (F0, G0), 1500, 0.2).errors
    one = descend(problem, (F0, G0), 1500, 0.2, method="one_step", switch_residual=1e-2)
    assert np.all(one.switched_at > 0)
    assert np.all(np.nan_to_num(one.errors[..., -1], nan=0) < 1e-3 * vanilla[..., -1])


def test_precgd_fixes_symmetric_over_parameterisation(problem):
    X0 = initial_factors(problem.shape, 4, [0.3], [0, 1], 2, True)
    gd = descend(problem, X0, 1500, 0.2).errors[..., -1]
    pre = descend(problem, X0, 1500, 0.25, method="precgd").errors
    assert np.all(np.nanmin(pre, -1) < 1e-9) and np.all(gd > 1e-4)


def test_padded_symmetric_grid_equals_separate_runs(problem):
    from support.sensing.experiments import run_grid

    joint = run_grid(problem, "sym", "gd", (2, 3), (0.5, 0.1), 300, 0.2, seed=0)
    alone = run_grid(problem, "sym", "gd", (3,), (0.5, 0.1), 300, 0.2, seed=0)
    for i, row in alone.runs.iterrows():
        j = joint.runs.index[
            (joint.runs.seed == row.seed) & (joint.runs.k == 3) & (joint.runs.alpha == row.alpha)
        ]
        np.testing.assert_allclose(joint.errors[j[0]], alone.errors[i], rtol=1e-9)


def test_blocked_cpu_path_equals_forward_adjoint_path():
    prob = make_problem(9, 2, 40, n_problems=2, seed=5)  # n² = 81 > 2m: A path, blocked on CPU
    assert prob.gram is None
    E = torch.randn(2, 3, 9, 9, dtype=torch.float64)
    S, res = prob.gradient_matrix(E)
    r = prob.residual(E)
    np.testing.assert_allclose(S.numpy(), prob.adjoint(r).numpy(), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(res.numpy(), r.norm(dim=-1).numpy(), rtol=1e-12)


@pytest.mark.parametrize("runs", [1, 3])
def test_blocked_cpu_path_over_several_blocks_matches_numpy(runs):
    # n² = 400 > 2m: A path; 65_536 // 400 = 163 rows a block, so m = 190 ends with a partial block
    prob = make_problem(20, 2, 190, n_problems=2, seed=7)
    assert prob.gram is None
    E = torch.randn(2, runs, 20, 20, dtype=torch.float64)
    S, res = prob.gradient_matrix(E)
    A, flat = prob.A.numpy(), E.reshape(2, runs, -1).numpy()
    r = flat @ A.transpose(0, 2, 1)
    np.testing.assert_allclose(S.reshape(2, runs, -1).numpy(), r @ A, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(res.numpy(), np.linalg.norm(r, axis=-1), rtol=1e-12)


def test_blocked_cpu_path_in_float32_matches_numpy():
    # sgemm, not dgemm: a float32 S must be accumulated too (a copy would leave it at zero)
    prob = make_problem(20, 2, 190, n_problems=2, seed=7, dtype=torch.float32)
    assert prob.gram is None and prob.A.dtype == torch.float32
    E = torch.randn(2, 3, 20, 20, dtype=torch.float32)
    S, res = prob.gradient_matrix(E)
    A, flat = prob.A.double().numpy(), E.reshape(2, 3, -1).double().numpy()
    r = flat @ A.transpose(0, 2, 1)
    np.testing.assert_allclose(S.reshape(2, 3, -1).numpy(), r @ A, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(res.numpy(), np.linalg.norm(r, axis=-1), rtol=1e-4)
