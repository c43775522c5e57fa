"""Every bad input the sensing package rejects, each with an error naming the argument."""

from __future__ import annotations

import math

import pytest
import torch

from support.sensing import config, descend, initial_factors, make_problem

PROBLEM = make_problem(6, 2, 60, (1.0, 0.5), n_problems=1, seed=0)
X0 = initial_factors(PROBLEM.shape, 3, [0.1], [0], 2, True)
F0, G0 = initial_factors(PROBLEM.shape, 3, [0.1], [0], 2, False)

BAD = [
    # (callable, expected message fragment)
    (lambda: make_problem(0, 1, 10), "n must be an integer >= 1, got 0"),
    (lambda: make_problem(5, 6, 100), "rank must be in [1, min(n1, n2) = 5], got rank=6"),
    (lambda: make_problem(5, 0, 100), "rank must be in"),
    (lambda: make_problem(5, 1, 0), "m must be an integer >= 1, got 0"),
    (lambda: make_problem(8, 2, 10), "m=10 measurements cannot identify"),
    (lambda: make_problem(5, 1, 50, n_problems=0), "n_problems must be an integer >= 1"),
    (lambda: make_problem(5, 2, 50, singular_values=(1.0, -1.0)), "singular_values must be"),
    (lambda: initial_factors((6, 6), 3, [-0.1], [0], 2, True), "alpha must be positive"),
    (lambda: initial_factors((6, 6), 3, [0.0], [0], 2, True), "alpha must be positive"),
    (lambda: initial_factors((6, 6), 1, [0.1], [0], 2, True), "k must be at least the rank"),
    (lambda: descend(PROBLEM, X0, 10, -0.1), "eta must be a finite number > 0, got -0.1"),
    (lambda: descend(PROBLEM, X0, 10, math.nan), "eta must be a finite number > 0"),
    (lambda: descend(PROBLEM, X0, 0, 0.1), "T must be an integer >= 1, got 0"),
    (lambda: descend(PROBLEM, X0, 10, 0.1, method="adam"), "method must be one of"),
    (lambda: descend(PROBLEM, X0, 10, 0.1, method="one_step"), "asymmetric parameterisation"),
    (lambda: descend(PROBLEM, X0[..., :4, :], 10, 0.1), "factors must be (P=1, R, n, k)"),
    (lambda: descend(PROBLEM, X0 * math.nan, 10, 0.1), "factors must be finite"),
    (lambda: descend(PROBLEM, (F0, G0 * math.inf), 10, 0.1), "factors must be finite"),
    (lambda: descend(PROBLEM, X0, 10, 0.1, switch_residual=0), "switch_residual must be"),
    (lambda: descend(PROBLEM, X0, 10, 0.1, damping=-1), "damping must be finite and >= 0"),
    (lambda: descend(PROBLEM, X0, 10, 0.1, record_every=0), "record_every must be"),
    (lambda: descend(PROBLEM, (F0, G0), 10, -0.2), "eta must be a finite number > 0"),
    (
        lambda: config("cpu", alphas_symmetric=(0.5, 0.1)),
        "alphas_symmetric must span at least 25x",
    ),
    (lambda: config("huge"), "PROFILE must be one of"),
    (lambda: config("cpu", n=0), "n must be an integer >= 1, got 0"),
    (lambda: config("cpu", rank=41), "rank must be in [1, n=40], got rank=41"),
    (lambda: config("cpu", m=0), "m must be an integer >= 1, got 0"),
    (lambda: config("cpu", eta=-0.2), "eta must be a finite number > 0, got -0.2"),
    (lambda: config("cpu", eta=math.inf), "eta must be a finite number > 0"),
    (lambda: config("cpu", seeds=0), "seeds must be an integer >= 1"),
    (
        lambda: config("cpu", alphas_asymmetric=(0.5, -0.1)),
        "alphas_asymmetric must be a finite number > 0",
    ),
    (
        lambda: config("cpu", alphas_symmetric=(0.5, -0.1)),
        "alphas_symmetric must be a finite number > 0",
    ),
    (lambda: config("cpu", alpha_rate_m=0.0), "alpha_rate_m must be a finite number > 0"),
    (lambda: config("cpu", k_over=3), "k_over must exceed rank=3"),
    (lambda: config("cpu", ks_symmetric=(4, 5)), "ks_symmetric must start with k = rank"),
    (lambda: config("cpu", slope_window=(0, 10)), "slope_window must satisfy"),
    (lambda: config("cpu", alphas_crossover=(0.07,)), "alphas_crossover must be a non-empty"),
    (lambda: config("cpu", alphas_one_step=(0.02,)), "must share an α"),
    (lambda: config("cpu", singular_values=(1.0, 0.5)), "singular_values must be rank=3"),
    (lambda: config("cpu", ms_rate=(0, 10)), "ms_rate must be positive integers"),
]


@pytest.mark.parametrize("call, message", BAD, ids=[m for _, m in BAD])
def test_bad_input_raises_naming_the_argument(call, message):
    with pytest.raises(ValueError) as info:
        call()
    assert message in str(info.value)


def test_every_profile_is_valid():
    for profile in ("smoke", "cpu", "paper", "paper_smoke"):
        cfg = config(profile)
        assert cfg.alpha_speedup in cfg.alphas_one_step
        assert set(cfg.alphas_crossover) <= set(cfg.alphas_symmetric)


def test_divergence_names_the_step_size():
    with pytest.raises(FloatingPointError, match="reduce eta"):
        descend(PROBLEM, X0 * 30, 50, 5.0)


def test_no_bad_input_leaks_a_tensor_error():
    """A bad factor shape is a ValueError, not an obscure torch RuntimeError."""
    with pytest.raises(ValueError, match="factors must be"):
        descend(PROBLEM, (F0, G0[..., :2]), 10, 0.1)
    assert torch.isfinite(X0).all()
