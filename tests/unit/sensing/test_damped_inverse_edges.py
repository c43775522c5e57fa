"""PrecGD's damped inverse at the edge issue 20 found: zero damping on a singular WᵀW."""

from __future__ import annotations

import torch

from support.sensing.descent import _damped_inverse


def test_zero_damping_on_a_rank_deficient_factor_is_finite():
    W = torch.zeros(2, 6, 4, dtype=torch.float64)
    W[:, :, :2] = torch.randn(
        2, 6, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0)
    )
    inv = _damped_inverse(W, torch.zeros(2, dtype=torch.float64))
    assert torch.isfinite(inv).all()
    W[1] = 0.0
    assert torch.isfinite(_damped_inverse(W, torch.zeros(2, dtype=torch.float64))).all()


def test_damping_above_the_floor_is_used_exactly():
    W = torch.randn(3, 5, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    lam = torch.tensor([1e-12, 0.5, 2.0], dtype=torch.float64)
    eye = torch.eye(3, dtype=torch.float64)
    expected = torch.linalg.inv(W.transpose(-1, -2) @ W + lam[:, None, None] * eye)
    assert torch.equal(_damped_inverse(W, lam), expected)


def test_a_tiny_positive_damping_on_a_singular_gram_is_floored():
    """res/√2 of 1e-300 is lost against WᵀW ~ 1: the floor eps x trace keeps the inverse finite."""
    W = torch.zeros(1, 5, 3, dtype=torch.float64)
    W[0, :, 0] = 1.0  # rank one: WᵀW singular
    out = _damped_inverse(W, torch.tensor([1e-300], dtype=torch.float64))
    assert torch.isfinite(out).all()
