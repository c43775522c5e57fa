"""LeafInfluence (Sharchilev et al. 2018) and its single-point variant LeafInfluence-SP.

Both hold the tree structures fixed and differentiate every leaf value with
respect to removing one training example r, propagating the change of the
margins through later trees. Derivatives are taken in the *removal*
direction (weight of r goes 1 -> 1 - eps), so with ``da_j`` the accumulated
margin change of example j, leaf l of a tree moves by

    d_l = lr * ([r in l](g_r + v_l h_r) - sum_{j in l, j in U} (dg_j + v_l dh_j)) / (H_l + lambda),

where ``dg_j, dh_j`` are the changes of j's gradient and Hessian along
``da_j``. By default these use the diagonal of the softmax Jacobian
(``dg_c = h_c da_c``, the library's Hessian factor included), as the paper and
the reference implementation do; ``jacobian="full"`` uses the full softmax
Jacobian, which makes multiclass LeafInfluence the exact derivative of
LeafRefit. Both forms are identical for regression and binary models.
"""

from __future__ import annotations

import numpy as np
import torch

from ...core.progress import progress
from ...core.runtime import select_device
from ...core.validate import check_int
from ..trace import leaf_product
from ._threads import torch_threads
from .base import Explainer

JACOBIANS = ("diagonal", "full")


def _batch_size(n: int, k: int, budget: float = 3e6) -> int:
    return int(max(1, min(n, budget // max(1, n * k))))


def check_jacobian(jacobian) -> str:
    """Validate the ``jacobian`` parameter of the LeafInfluence explainers."""
    if jacobian not in JACOBIANS:
        raise ValueError(f"jacobian must be one of {JACOBIANS}, got {jacobian!r}")
    return jacobian


def check_atol(atol) -> float:
    """Validate the Newton-check tolerance: a number >= 0."""
    if isinstance(atol, bool) or not isinstance(atol, (int, float, np.floating)) or not atol >= 0:
        raise ValueError(f"atol must be a number >= 0, got {atol!r}")
    return float(atol)


def check_batch_size(batch_size):
    """Validate an optional batch size: None or an int >= 1."""
    if batch_size is None:
        return None
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, (int, np.integer))
        or batch_size < 1
    ):
        raise ValueError(f"batch_size must be None or an int >= 1, got {batch_size!r}")
    return int(batch_size)


def margin_jvps(loss, jacobian: str):
    """The (gradient, Hessian) changes along a margin change for ``jacobian``."""
    if jacobian == "full":
        return loss.grad_jvp, loss.hess_jvp
    return loss.grad_jvp_diag, loss.hess_jvp_diag


class LeafInfluence(Explainer):
    """LeafInfluence with the update-set option.

    Parameters
    ----------
    update_set : int
        ``-1``: every training example's margin change is propagated (exact
        derivative, O(T n^2)); ``0``: only the removed example's own (equals
        LeafInfluence-SP); ``k > 0``: the removed example plus the examples
        of the k leaves with the largest summed |da| in each tree.
    atol : float
        Tolerance of the check that stored leaves are Newton steps on (X, y).
    device : str
        ``"auto"``, ``"cpu"`` or ``"cuda"``.
    batch_size : int, optional
        Removed examples processed together (default: about 3e6 / n).
    jacobian : {"diagonal", "full"}
        Multiclass margin Jacobian: ``"diagonal"`` (default, the paper's and
        the reference's) or ``"full"`` (the exact derivative of LeafRefit).
    """

    def __init__(
        self,
        update_set: int = -1,
        atol: float = 1e-5,
        device: str = "auto",
        batch_size: int | None = None,
        verbose: bool = False,
        jacobian: str = "diagonal",
    ):
        check_int("update_set", update_set, -1)
        self.update_set = int(update_set)
        self.atol = check_atol(atol)
        self.device = device
        self.batch_size = check_batch_size(batch_size)
        self.verbose = verbose
        self.jacobian = check_jacobian(jacobian)

    def _fit(self):
        tr = self.trace_
        tr.check_newton(self.atol)
        self.device_ = select_device(self.device)
        n = tr.n
        bs = self.batch_size or _batch_size(n, tr.K)
        blocks = []
        it = range(0, n, bs)
        if self.verbose:
            it = progress(it, desc="LeafInfluence", total=len(it))
        fast = self.update_set == -1 and self.jacobian == "diagonal"
        compute = self._derivatives_diagonal if fast else self._derivatives
        for s in it:
            with torch_threads(self.device_):
                blocks.append(compute(np.arange(s, min(n, s + bs))).cpu())
        self.dleaf_ = torch.cat(blocks).numpy()  # (n, total_leaves): d stored leaf / d removal

    def _derivatives_diagonal(self, rows: np.ndarray) -> torch.Tensor:
        """The default case (every example updated, diagonal Jacobian) in one multiply per tree.

        With ``dg = h da`` and ``dh = k da``, a leaf's change is
        ``sum_j (h_j + v_l k_j) da_j``: the multiplier is fixed per (example,
        tree), as in the reference, so each tree costs one product, one
        scatter-add and one gather over the (batch, n) margin changes.
        """
        tr, e = self.trace_, self.ensemble_
        t64 = dict(dtype=torch.float64, device=self.device_)
        b, K = len(rows), tr.K
        v_i = tr.v[tr.cols]
        mult = torch.as_tensor(np.ascontiguousarray((tr.h + v_i * tr.k).T), **t64)  # (T, n)
        own = torch.as_tensor(np.ascontiguousarray((tr.g + v_i * tr.h)[rows].T), **t64)  # (T, b)
        leaves = torch.as_tensor(np.ascontiguousarray(tr.leaves.T), device=self.device_)  # (T, n)
        den = torch.as_tensor(tr.H + e.l2, **t64)
        den = torch.where(den > 0, den, torch.inf)
        rows_t = torch.as_tensor(rows, device=self.device_)
        ar = torch.arange(b, device=self.device_)
        out = torch.zeros(e.total_leaves, b, **t64)
        da = torch.zeros(K, tr.n, b, **t64)  # examples along rows: scatter/gather move whole rows
        for j in range(e.n_trees):
            c, lj = j % K, leaves[j]
            L, o = int(e.n_leaves[j]), int(e.leaf_offset[j])
            S = torch.zeros(L, b, **t64).index_add_(0, lj, da[c] * mult[j][:, None])
            S.index_put_((lj[rows_t], ar), -own[j], accumulate=True)
            d = S.mul_((-e.learning_rate / den[o : o + L])[:, None])
            out[o : o + L] = d
            da[c] += d.index_select(0, lj)
        return out.T

    def _derivatives(self, rows: np.ndarray) -> torch.Tensor:
        tr, e = self.trace_, self.ensemble_
        dev = self.device_
        t64 = dict(dtype=torch.float64, device=dev)
        n, K, b = tr.n, tr.K, len(rows)
        leaves = torch.as_tensor(tr.leaves, device=dev)
        Y = torch.as_tensor(tr.Y, **t64)
        rows_t = torch.as_tensor(rows, device=dev)
        ar = torch.arange(b, device=dev)
        v_all = torch.as_tensor(tr.v, **t64)
        den_all = torch.as_tensor(tr.H + e.l2, **t64)
        g = torch.as_tensor(tr.g, **t64)
        h = torch.as_tensor(tr.h, **t64)
        out = torch.zeros(b, e.total_leaves, **t64)
        da = torch.zeros(b, n, K, **t64)
        self_mask = None
        if self.update_set >= 0:
            self_mask = torch.zeros(b, n, dtype=torch.bool, device=dev)
            self_mask[ar, rows_t] = True
        grad_jvp, hess_jvp = margin_jvps(e.loss, self.jacobian)
        for r in range(e.n_rounds):
            z = torch.as_tensor(tr.margins[r], **t64)
            dG = grad_jvp(z, Y, da)
            dH = hess_jvp(z, Y, da)
            inc = torch.zeros_like(da)
            for c in range(K):
                j = r * K + c
                lj = leaves[:, j]
                L, o = int(e.n_leaves[j]), int(e.leaf_offset[j])
                v, den = v_all[o : o + L], den_all[o : o + L]
                U = self._update_mask(da[..., c], lj, L, self_mask)
                sg, sh = dG[..., c], dH[..., c]
                if U is not None:
                    sg, sh = sg * U, sh * U
                SG = torch.zeros(b, L, **t64).index_add_(1, lj, sg)
                SH = torch.zeros(b, L, **t64).index_add_(1, lj, sh)
                own = torch.zeros(b, L, **t64)
                lr_ = lj[rows_t]
                own[ar, lr_] = g[rows_t, j] + v[lr_] * h[rows_t, j]
                d = e.learning_rate * (own - SG - v * SH) / torch.where(den > 0, den, torch.inf)
                out[:, o : o + L] = d
                upd = d[:, lj]
                inc[..., c] = upd if U is None else upd * U
            da += inc
        return out

    def _update_mask(self, da_c, lj, L, self_mask):
        if self.update_set == -1:
            return None
        if self.update_set == 0 or self.update_set >= L:
            return self_mask if self.update_set == 0 else None
        score = torch.zeros(da_c.shape[0], L, dtype=da_c.dtype, device=da_c.device).index_add_(
            1, lj, da_c.abs()
        )
        top = torch.topk(score, self.update_set, dim=1).indices
        keep = torch.zeros_like(score, dtype=torch.bool).scatter_(1, top, True)
        return keep[:, lj] | self_mask

    def _local(self, X, y):
        cols_te, g_final, _, _ = self._test_grad(X, y, per_iteration=False)
        T = cols_te.shape[1]
        B = np.zeros((len(X), self.ensemble_.total_leaves))
        np.add.at(B, (np.repeat(np.arange(len(X)), T), cols_te.ravel()), g_final.ravel())
        return self.dleaf_ @ B.T

    def self_influence(self, batch_size: int = 0) -> np.ndarray:
        """Each example's own loss: its final gradient against the leaves it reaches."""
        self._check_fitted()
        tr = self.trace_
        g_final = self.ensemble_.loss.grad(tr.final_margin, tr.Y)[:, self.ensemble_.tree_output]
        d_own = np.take_along_axis(self.dleaf_, tr.cols, axis=1)
        return (d_own * g_final).sum(axis=1)


class LeafInfluenceSP(Explainer):
    """LeafInfluence-SP: LeafInfluence with the update set {r} in O(n T).

    Only the removed example's own margin change ``j_r`` is propagated:
    ``d_t = lr * ((g_r + v h_r) - (dg_r + v dh_r)) / (H_l + lambda)`` where
    ``dg_r, dh_r`` are the gradient and Hessian changes along ``j_r``.
    Equal to ``LeafInfluence(update_set=0)``.

    Parameters
    ----------
    jacobian : {"diagonal", "full"}
        Multiclass margin Jacobian, as in :class:`LeafInfluence` (default
        ``"diagonal"``, the paper's).
    """

    def __init__(self, jacobian: str = "diagonal"):
        self.jacobian = check_jacobian(jacobian)

    def _fit(self):
        tr, e = self.trace_, self.ensemble_
        n, K = tr.n, tr.K
        grad_jvp, hess_jvp = margin_jvps(e.loss, self.jacobian)
        ja = np.zeros((n, K))
        D = np.zeros((n, e.n_trees))
        den = (tr.H + e.l2)[tr.cols]
        den = np.where(den > 0, den, np.inf)
        vi = tr.v[tr.cols]
        for r in range(e.n_rounds):
            z = tr.margins[r]
            dg = grad_jvp(z, tr.Y, ja)
            dh = hess_jvp(z, tr.Y, ja)
            inc = np.zeros_like(ja)
            for c in range(K):
                j = r * K + c
                D[:, j] = (
                    e.learning_rate
                    * ((tr.g[:, j] + vi[:, j] * tr.h[:, j]) - (dg[:, c] + vi[:, j] * dh[:, c]))
                    / den[:, j]
                )
                inc[:, c] = D[:, j]
            ja += inc
        self.D_ = D

    def _local(self, X, y):
        cols_te, g_final, _, _ = self._test_grad(X, y, per_iteration=False)
        return leaf_product(
            self.trace_.cols, self.D_, cols_te, g_final, self.ensemble_.total_leaves
        )

    def self_influence(self, batch_size: int = 0) -> np.ndarray:
        """O(n T) self-influence with each example's final gradient."""
        self._check_fitted()
        tr = self.trace_
        g_final = self.ensemble_.loss.grad(tr.final_margin, tr.Y)[:, self.ensemble_.tree_output]
        return (self.D_ * g_final).sum(axis=1)
