"""Rate fits on synthetic sequences with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from support.sensing.rates import fit_linear_rate, fit_loglog_slope


def test_linear_rate_skips_plateau_and_floor():
    t = np.arange(3000)
    curve = np.where(t < 500, 1.0, np.exp(-0.03 * (t - 500)))  # plateau, then linear
    curve = np.maximum(curve, 1e-15)  # float64 floor
    assert fit_linear_rate(curve, (1e-11, 1e-4)) == pytest.approx(0.03, rel=1e-9)


def test_linear_rate_batched_and_nan():
    t = np.arange(2000)
    curves = np.stack([np.exp(-0.01 * t), np.exp(-0.02 * t), np.full(2000, np.nan)])
    rates = fit_linear_rate(curves, (1e-8, 1e-1))
    np.testing.assert_allclose(rates[:2], [0.01, 0.02], rtol=1e-9)
    assert np.isnan(rates[2])
    with pytest.raises(ValueError, match="window"):
        fit_linear_rate(curves, (1e-2, 1e-4))


def test_loglog_slope_power_laws():
    t = np.arange(10_001, dtype=float)
    t[0] = 1
    assert fit_loglog_slope(3.0 / t, (100, 10_000)) == pytest.approx(-1.0, abs=1e-9)
    curves = np.stack([t**-1.0, t**-2.0])
    np.testing.assert_allclose(fit_loglog_slope(curves, (10, 1000)), [-1, -2], atol=1e-9)
    with pytest.raises(ValueError, match="window"):
        fit_loglog_slope(curves, (0, 10))
