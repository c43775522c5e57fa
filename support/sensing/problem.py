"""Sensing operators and ground truths, batched over independent problems (seeds).

The operator is 𝒜(M) = m^{-1/2} (<A_i, M>)_{i=1..m} with i.i.d. N(0, 1) entries
in every A_i, stored as one dense (m, n1*n2) matrix per problem so that the
forward map and its adjoint are one batched matrix product for all runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.linalg.blas import get_blas_funcs

from ..core.validate import check_int


@dataclass
class SensingProblem:
    """P independent matrix sensing problems of the same size.

    Attributes
    ----------
    A : torch.Tensor or None
        (P, m, n1*n2) measurement matrices, already scaled by m^{-1/2};
        ``None`` means the identity operator (matrix factorisation, no sensing).
    M_star : torch.Tensor
        (P, n1, n2) ground-truth matrices of rank r.
    rank : int
        r, the rank of every ground truth.
    """

    A: torch.Tensor | None
    M_star: torch.Tensor
    rank: int
    gram: torch.Tensor | None = None

    def __post_init__(self):
        # With n1*n2 <= 2m, one product with the Gram matrix 𝒜*𝒜 (n1n2 x n1n2)
        # streams fewer numbers per iteration than the forward and adjoint
        # products with A (m x n1n2); the iteration is memory-bound either way.
        if self.A is not None and self.gram is None:
            P, m, N = self.A.shape
            if N <= 2 * m and P * N * N * self.A.element_size() <= 2**30:
                self.gram = torch.bmm(self.A.transpose(1, 2), self.A)

    @property
    def n_problems(self) -> int:
        return self.M_star.shape[0]

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.M_star.shape[1:])

    @property
    def symmetric(self) -> bool:
        """Whether every ground truth is symmetric (PSD problems)."""
        return self.shape[0] == self.shape[1] and bool(
            torch.allclose(self.M_star, self.M_star.transpose(1, 2))
        )

    def residual(self, E: torch.Tensor) -> torch.Tensor:
        """𝒜(E) for errors E of shape (P, R, n1, n2); returns (P, R, m) (or E flattened for identity)."""
        flat = E.reshape(E.shape[0], E.shape[1], -1)
        return flat if self.A is None else torch.bmm(flat, self.A.transpose(1, 2))

    def adjoint(self, r: torch.Tensor) -> torch.Tensor:
        """𝒜*(r) for residuals r of shape (P, R, m); returns (P, R, n1, n2)."""
        flat = r if self.A is None else torch.bmm(r, self.A)
        return flat.reshape(r.shape[0], r.shape[1], *self.shape)

    def gradient_matrix(self, E: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """S = 𝒜*𝒜(E) and the per-run training residual norm ||𝒜(E)||_2."""
        if self.A is not None and self.gram is None and E.device.type == "cpu":
            flat = E.reshape(E.shape[0], E.shape[1], -1).contiguous()
            S, res = _forward_adjoint_blocked(self.A.numpy(), flat.numpy())
            return torch.from_numpy(S).reshape(E.shape), torch.from_numpy(res)
        if self.gram is None:
            r = self.residual(E)
            return self.adjoint(r), r.norm(dim=-1)
        flat = E.reshape(E.shape[0], E.shape[1], -1)
        S = torch.bmm(flat, self.gram)
        res = (flat * S).sum(-1).clamp_min(0).sqrt()  # ||𝒜(E)||² = <E, 𝒜*𝒜(E)>
        return S.reshape(E.shape), res


def _forward_adjoint_blocked(A: np.ndarray, E: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """𝒜*𝒜(E) and ‖𝒜(E)‖ in one pass over A, block of measurements by block.

    r_i = <A_i, E> needs only row i of A, so each block of rows (about 512 KiB)
    serves the forward product and, still in cache, the adjoint product: the
    iteration streams the operator from memory once instead of twice. On CPUs
    NumPy's BLAS ran these skinny products faster than torch's
    (bench/sensing.py measures both).
    """
    P, R, N = E.shape
    m = A.shape[1]
    block = max(16, 65_536 // N)
    S = np.zeros_like(E)
    r = np.empty((P, R, m), dtype=E.dtype)
    gemm = get_blas_funcs("gemm", (S,))  # dgemm for float64, sgemm for float32
    for p in range(P):
        for i in range(0, m, block):
            _forward_adjoint_block(gemm, A[p, i : i + block], E[p], r[p, :, i : i + block], S[p])
    return S, np.sqrt(_blockwise_sum_of_squares(r, block))


def _forward_adjoint_block(gemm, Ab: np.ndarray, E: np.ndarray, rb: np.ndarray, S: np.ndarray):
    """rb = E Abᵀ (the block's residuals) and S += rb Ab, both in place."""
    np.matmul(E, Ab.T, out=rb)
    # gemm with beta=1 accumulates into S without a temporary; S.T is S's
    # Fortran-ordered view, so Sᵀ += Abᵀ rbᵀ is S += rb Ab.
    out = gemm(1.0, Ab.T, rb.T, 1.0, S.T, overwrite_c=True)
    if not np.shares_memory(out, S):  # BLAS worked on a copy (another dtype or layout)
        S[...] = out.T


def _blockwise_sum_of_squares(r: np.ndarray, block: int) -> np.ndarray:
    """Σ_i r_i² over the last axis, block by block in order (the rounding of a per-block sum)."""
    total = np.zeros(r.shape[:-1])
    for i in range(0, r.shape[-1], block):
        rb = r[..., i : i + block]
        total += np.einsum("...j,...j->...", rb, rb)
    return total


def make_problem(
    n: int,
    rank: int,
    m: int | None,
    singular_values=None,
    n_problems: int = 1,
    seed: int = 0,
    symmetric: bool = True,
    n2: int | None = None,
    device="cpu",
    dtype=torch.float64,
) -> SensingProblem:
    """Draw ``n_problems`` independent sensing problems.

    Parameters
    ----------
    n : int
        Rows of M* (and columns, unless ``n2`` is given).
    rank : int
        r, the rank of M*.
    m : int or None
        Number of Gaussian measurements; ``None`` gives the identity operator.
    singular_values : sequence of float, optional
        The r non-zero singular values (default ``linspace(1, 0.5, r)``).
    n_problems : int
        P, independent draws of (A, M*) (one per seed).
    seed : int
        Seed of the first problem; problem p uses ``seed + p``.
    symmetric : bool
        PSD ground truth U diag(σ) U^T (else U diag(σ) V^T).
    n2 : int, optional
        Columns of an asymmetric M*.
    device, dtype : torch device and dtype
        float64 by default: float32 floors near 1e-6 and spoils rate fits.

    Raises
    ------
    ValueError
        If ``n``, ``m`` or ``n_problems`` is not a positive integer, ``rank``
        is not in [1, min(n1, n2)], the singular values do not
        match it, or ``m`` is below the r(n1 + n2 - r) degrees of freedom of a
        rank-r matrix (no operator can then identify M*).
    """
    for name, value in (("n", n), ("n2", n2), ("m", m), ("n_problems", n_problems)):
        if value is not None:
            check_int(name, value)
    n1, n2 = n, (n2 if n2 is not None else n)
    if symmetric and n2 != n1:
        raise ValueError(f"a symmetric problem needs n2 == n; got n={n1}, n2={n2}")
    if not 1 <= rank <= min(n1, n2):
        raise ValueError(f"rank must be in [1, min(n1, n2) = {min(n1, n2)}], got rank={rank}")
    sv = (
        np.linspace(1.0, 0.5, rank)
        if singular_values is None
        else np.asarray(singular_values, float)
    )
    if sv.shape != (rank,) or np.any(sv <= 0) or not np.all(np.isfinite(sv)):
        raise ValueError(
            f"singular_values must be {rank} positive finite numbers, got {singular_values!r}"
        )
    dof = rank * (n1 + n2 - rank)
    if m is not None and m < dof:
        raise ValueError(
            f"m={m} measurements cannot identify a rank-{rank} {n1}x{n2} matrix: "
            f"m must be at least r(n1 + n2 - r) = {dof} (and several times that for RIP)"
        )
    A, M = [], []
    for p in range(n_problems):
        g = torch.Generator().manual_seed(10_007 * (seed + p) + 17)
        U = torch.linalg.qr(torch.randn(n1, rank, generator=g, dtype=dtype))[0]
        V = U if symmetric else torch.linalg.qr(torch.randn(n2, rank, generator=g, dtype=dtype))[0]
        M.append(U @ torch.diag(torch.as_tensor(sv, dtype=dtype)) @ V.T)
        if m is not None:
            A.append(torch.randn(m, n1 * n2, generator=g, dtype=dtype) / np.sqrt(m))
    A_t = torch.stack(A).to(device) if m is not None else None
    return SensingProblem(A_t, torch.stack(M).to(device), rank)
