"""Small random initialisation: X0 = α X̃, F0 = α F̃, G0 = (α/3) G̃, entries of X̃, F̃, G̃ i.i.d. N(0, 1/n).

The direction X̃ depends only on (seed, k), not on α, so runs that differ
only in α start from the same direction: the α dependence of a curve is
then the α dependence of the method, not of the draw.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch


def _direction(seed: int, k: int, rows: int, which: int, dtype) -> torch.Tensor:
    g = torch.Generator().manual_seed(1_000_003 * seed + 1_009 * k + which)
    return torch.randn(rows, k, generator=g, dtype=dtype) / rows**0.5


def initial_factors(
    shape: tuple[int, int],
    k: int,
    alphas: Sequence[float],
    seeds: Sequence[int],
    rank: int,
    symmetric: bool,
    g_scale: float = 1 / 3,
    device="cpu",
    dtype=torch.float64,
):
    """Initial factors for a grid of P seeds x R scales.

    Parameters
    ----------
    shape : (n1, n2)
        Shape of M*.
    k : int
        Factor width, k >= r.
    alphas : sequence of float
        Initialisation scales α > 0 (the R runs per problem).
    seeds : sequence of int
        One seed per problem (P of them).
    rank : int
        r, for the k >= r check.
    symmetric : bool
        Return X0 (P, R, n, k) for XX^T; else (F0, G0).
    g_scale : float
        G0 = g_scale * α * G̃; the paper uses 1/3 (imbalanced).

    Raises
    ------
    ValueError
        For k < r or a non-positive α.
    """
    if k < rank:
        raise ValueError(f"k must be at least the rank r={rank} (k < r cannot fit M*), got k={k}")
    alphas = [float(a) for a in alphas]
    if not alphas or any(not a > 0 for a in alphas):
        raise ValueError(f"alpha must be positive, got {alphas}")
    scale = torch.tensor(alphas, dtype=dtype).view(1, -1, 1, 1)
    n1, n2 = shape
    F = torch.stack([_direction(s, k, n1, 0, dtype) for s in seeds])[:, None] * scale
    if symmetric:
        return F.to(device)
    G = torch.stack([_direction(s, k, n2, 1, dtype) for s in seeds])[:, None] * scale * g_scale
    return F.to(device), G.to(device)
