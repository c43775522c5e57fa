"""What every gradient-based explainer needs from training: leaves, margins, derivatives per tree.

For tree ``j`` (round ``r = j // K``, output ``c = j % K``) the library grew
the tree with the gradients of the training loss at the margins *before*
round ``r``. :class:`Trace` recomputes those margins from the parsed ensemble
and stores per example and tree: its leaf, gradient ``g``, Hessian ``h`` and
third derivative ``k``, plus per-leaf sums and the unscaled Newton values
``v = -G / (H + lambda)`` (stored value = ``learning_rate * v``).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from .ensemble import TreeEnsemble


class NewtonMismatchError(ValueError):
    """Recomputed Newton leaf values disagree with the stored ones."""


class Trace:
    """Training-time quantities of a parsed ensemble on its training data.

    Parameters
    ----------
    ensemble : TreeEnsemble
    X : array, shape (n, d)
        The training inputs the model was fitted on.
    y : array, shape (n,)
        The training labels.
    """

    def __init__(self, ensemble: TreeEnsemble, X, y):
        self.ensemble = e = ensemble
        self.loss = e.loss
        self.Y = e.loss.targets(y)
        # global leaf columns (n, T), made in place from the per-tree leaf ids
        self.cols = e.apply(X)
        self.cols += e.leaf_offset
        if self.cols.shape[0] != self.Y.shape[0]:
            raise ValueError(f"X has {self.cols.shape[0]} rows but y has {self.Y.shape[0]}")
        self.margins = e.staged_margins(columns=self.cols)  # (R+1, n, K)
        n, T, K = self.cols.shape[0], e.n_trees, e.n_outputs
        # one copy to example-major (n, R, K) order: g and h then come out shaped (n, T)
        before = np.ascontiguousarray(self.margins[:-1].transpose(1, 0, 2))
        g, h = e.loss.grad_hess(before, self.Y[:, None, :])
        self.g, self.h = g.reshape(n, T), h.reshape(n, T)
        self.H = np.bincount(self.cols.ravel(), weights=self.h.ravel(), minlength=e.total_leaves)
        self.n, self.T, self.K = n, T, K

    # the rest is computed on first use: BoostIn (stored leaf values) needs none of it
    @cached_property
    def leaves(self) -> np.ndarray:
        """Leaf index within its tree of every example in every tree, shape (n, T)."""
        return self.cols - self.ensemble.leaf_offset

    @cached_property
    def k(self) -> np.ndarray:
        """Third derivative of the loss per example and tree, shape (n, T)."""
        return self._per_tree(self.loss.third(self.margins[:-1], self.Y))

    @cached_property
    def count(self) -> np.ndarray:
        """Training examples per leaf, shape (total_leaves,)."""
        return np.bincount(self.cols.ravel(), minlength=self.ensemble.total_leaves).astype(
            np.float64
        )

    @cached_property
    def G(self) -> np.ndarray:
        """Gradient sum per leaf, shape (total_leaves,)."""
        L = self.ensemble.total_leaves
        return np.bincount(self.cols.ravel(), weights=self.g.ravel(), minlength=L)

    @cached_property
    def v(self) -> np.ndarray:
        """Unscaled Newton leaf values ``-G / (H + lambda)`` (0 where the denominator is 0)."""
        denom = self.H + self.ensemble.l2
        return np.divide(-self.G, denom, out=np.zeros(len(denom)), where=denom > 0)

    def _per_tree(self, a: np.ndarray) -> np.ndarray:
        """(R, n, K) -> (n, T) with tree j = r * K + c."""
        return np.ascontiguousarray(a.transpose(1, 0, 2).reshape(a.shape[1], -1))

    @property
    def final_margin(self) -> np.ndarray:
        """Training margins after the last round, shape (n, K)."""
        return self.margins[-1]

    def newton_error(self) -> float:
        """Largest |learning_rate * v - stored| over non-empty leaves."""
        used = self.count > 0
        return float(
            np.abs(self.ensemble.learning_rate * self.v - self.ensemble.leaf_values)[used].max()
        )

    def check_newton(self, atol: float = 1e-5) -> None:
        """Raise :class:`NewtonMismatchError` when the stored leaves are not Newton steps on (X, y)."""
        err = self.newton_error()
        if not err <= atol:
            raise NewtonMismatchError(
                f"stored leaf values differ from Newton steps recomputed on (X, y) by {err:.3g} > atol={atol}; "
                "pass the exact training data, or a model without bagging/L1/path smoothing/min-hessian clipping"
            )


def leaf_matrix(
    cols: np.ndarray, values: np.ndarray, n_columns: int, dtype=np.float64
) -> sp.csr_matrix:
    """Sparse (n, n_columns) matrix with ``values[i, t]`` at column ``cols[i, t]``."""
    n, T = cols.shape
    indptr = np.arange(0, n * T + 1, T)
    return sp.csr_matrix((values.ravel().astype(dtype), cols.ravel(), indptr), shape=(n, n_columns))


def _n_threads() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _sparse_dense(A: sp.csr_matrix, B: np.ndarray, n_threads: int) -> np.ndarray:
    """``A @ B`` split into row blocks over threads (scipy's kernel releases the GIL)."""
    n = A.shape[0]
    if n_threads <= 1 or n < 2048:
        return A @ B
    edges = np.linspace(0, n, n_threads + 1).astype(int)
    out = np.empty((n, B.shape[1]), dtype=np.result_type(A.dtype, B.dtype))

    def block(k):
        out[edges[k] : edges[k + 1]] = A[edges[k] : edges[k + 1]] @ B

    with ThreadPoolExecutor(n_threads) as pool:
        list(pool.map(block, range(n_threads)))
    return out


def leaf_product(
    cols_a,
    vals_a,
    cols_b,
    vals_b,
    n_columns: int,
    dtype=np.float64,
    block_bytes: float = 64e6,
    n_threads: int | None = None,
) -> np.ndarray:
    """Dense (n_a, n_b) array of sum_t vals_a[i,t] * vals_b[e,t] * [cols_a[i,t] == cols_b[e,t]].

    The ``a`` side is a sparse row matrix with one entry per tree; the ``b``
    side is scattered into a dense (n_columns, n_b) block, so the product is
    one sparse-times-dense pass (n_a * T * n_b multiply-adds, no sparse
    output to assemble), split over ``n_threads`` (default: the CPUs this
    process may use). ``b`` is processed in column blocks of at most
    ``block_bytes``. ``dtype`` float32 about halves the time at ~1e-7
    relative error.
    """
    dtype = np.dtype(dtype)
    n_threads = _n_threads() if n_threads is None else int(n_threads)
    A = leaf_matrix(cols_a, vals_a, n_columns, dtype)
    m = len(cols_b)
    step = int(max(1, min(m, block_bytes // (n_columns * dtype.itemsize))))
    blocks = []
    for s in range(0, m, step):
        cb, vb = cols_b[s : s + step], vals_b[s : s + step]
        B = np.zeros((n_columns, len(cb)), dtype=dtype)
        # trees own disjoint column ranges, so each (column, example) is written at most once
        B[cb, np.arange(len(cb))[:, None]] = vb
        blocks.append(_sparse_dense(A, B, n_threads))
    if not blocks:
        return np.zeros((len(cols_a), 0), dtype=dtype)
    return blocks[0] if len(blocks) == 1 else np.hstack(blocks)
