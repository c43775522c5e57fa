"""The shared argument checks: what each accepts and the message it gives otherwise."""

import math

import numpy as np
import pytest
import torch

from support.core.validate import check_finite, check_fraction, check_int, check_positive


@pytest.mark.parametrize("value", [1, 7, np.int64(3)])
def test_check_int_accepts_integers_at_or_above_low(value):
    check_int("n", value)


@pytest.mark.parametrize("value", [0, -2, 1.0, True, "3", None])
def test_check_int_names_argument_value_and_expectation(value):
    with pytest.raises(ValueError, match=rf"^n must be an integer >= 1, got {re_repr(value)}$"):
        check_int("n", value)


def test_check_int_honours_low():
    check_int("k", 0, low=0)
    with pytest.raises(ValueError, match="k must be an integer >= 2, got 1"):
        check_int("k", 1, low=2)


@pytest.mark.parametrize("value", [0.1, 3, np.float32(0.5)])
def test_check_positive_accepts_finite_positive_numbers(value):
    check_positive("eta", value)


@pytest.mark.parametrize("value", [0, -0.1, math.nan, math.inf, True, "1"])
def test_check_positive_refuses(value):
    with pytest.raises(ValueError, match=r"^eta must be a finite number > 0, got "):
        check_positive("eta", value)


def test_check_fraction_bounds():
    check_fraction("momentum", 0)
    check_fraction("momentum", 0.9)
    for bad in (1.0, -0.1, math.nan, False):
        with pytest.raises(ValueError, match=r"momentum must be a number in \[0, 1\)"):
            check_fraction("momentum", bad)


def test_check_finite_counts_bad_values_in_tensors_and_arrays():
    check_finite("x", torch.ones(3))
    check_finite("labels", torch.arange(3))
    with pytest.raises(ValueError, match="x must be finite, got 2 NaN or infinite value"):
        check_finite("x", torch.tensor([1.0, math.nan, math.inf]))
    with pytest.raises(ValueError, match="y must be finite, got 1 NaN"):
        check_finite("y", np.array([math.nan, 0.0]))


def re_repr(value):
    import re

    return re.escape(repr(value))
