"""TREX: representer points of a kernel model on tree-kernel features (Brophy and Lowd 2021)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.special import expit as _expit

from .base import Explainer
from .kernels import tree_features


class Trex(Explainer):
    """TREX.

    Fits ``W`` minimising ``mean_i loss(phi_i W, y_i) + lmbd ||W||^2`` on the
    tree-kernel features ``phi`` (the actual labels, as in the paper's runs);
    at the optimum ``W = sum_i alpha_i phi_i`` with
    ``alpha_i = -grad loss_i / (2 lmbd n)``. Influence of i on e is the loss
    change when i's term ``alpha_i <phi_i, phi_e>`` is dropped from the
    surrogate's margin. The convex objective is solved with L-BFGS (the
    reference uses backtracking gradient descent for up to 3000 epochs; both
    reach the same optimum).

    Parameters
    ----------
    kernel : str
        See :func:`support.influence.explainers.kernels.tree_features`.
    lmbd : float
        L2 penalty.
    max_iter : int
        L-BFGS iterations.
    """

    def __init__(self, kernel: str = "lpw", lmbd: float = 0.003, max_iter: int = 500):
        if lmbd <= 0:
            raise ValueError(f"lmbd must be > 0, got {lmbd}")
        self.kernel = kernel
        self.lmbd = lmbd
        self.max_iter = max_iter

    def _fit(self):
        tr, e = self.trace_, self.ensemble_
        Phi = tree_features(e, tr.cols, tr.count, self.kernel)
        self.phi_ = Phi
        n, K = tr.n, tr.K
        if self.objective_ == "regression":
            A = (Phi.T @ Phi).toarray() / n + 2 * self.lmbd * np.eye(Phi.shape[1])
            W = np.linalg.solve(A, Phi.T @ tr.Y / n)
        else:
            W = self._lbfgs(Phi, tr.Y, K)
        Z = Phi @ W
        grad = e.loss.grad(Z, tr.Y) if self.objective_ != "multiclass" else _softmax_grad(Z, tr.Y)
        self.alpha_ = -grad / (2 * self.lmbd * n)  # (n, K)
        self.W_ = W

    def _lbfgs(self, Phi, Y, K):
        """Minimise the convex surrogate with scipy's L-BFGS-B on the sparse features.

        scipy rather than torch: a process's first torch optimiser step pays
        about a second of one-off imports, more than the whole fit.
        """
        from scipy.optimize import minimize

        n, d = Phi.shape
        PhiT = Phi.T.tocsr()
        multiclass = self.objective_ == "multiclass"

        def fun(w):
            W = w.reshape(d, K)
            Z = Phi @ W
            if multiclass:
                Zs = Z - Z.max(1, keepdims=True)
                logp = Zs - np.log(np.exp(Zs).sum(1, keepdims=True))
                loss = -(Y * logp).sum() / n
                G = np.exp(logp) - Y
            else:
                loss = (np.logaddexp(0.0, Z) - Y * Z).sum() / n
                G = _expit(Z) - Y
            grad = PhiT @ G / n + 2 * self.lmbd * W
            return loss + self.lmbd * (W**2).sum(), grad.ravel()

        res = minimize(
            fun,
            np.zeros(d * K),
            jac=True,
            method="L-BFGS-B",
            options=dict(maxiter=self.max_iter, gtol=1e-10, ftol=1e-15, maxcor=20),
        )
        return res.x.reshape(d, K)

    def _surrogate_loss(self, Z, Y):
        if self.objective_ == "regression":
            return 0.5 * ((Z - Y) ** 2).sum(-1)
        if self.objective_ == "binary":
            return (np.logaddexp(0.0, Z) - Y * Z).sum(-1)
        Zs = Z - Z.max(-1, keepdims=True)
        return -(Y * (Zs - np.log(np.exp(Zs).sum(-1, keepdims=True)))).sum(-1)

    def kernel_matrix(self, X) -> np.ndarray:
        """<phi_i, phi_e> for training i and test e, shape (n_train, n_test)."""
        e = self.ensemble_
        phi_te = tree_features(e, e.leaf_columns(e.apply(X)), self.trace_.count, self.kernel)
        return (
            np.asarray((self.phi_ @ phi_te.T).toarray())
            if sp.issparse(self.phi_)
            else self.phi_ @ phi_te.T
        )

    def _local(self, X, y):
        Kmat = self.kernel_matrix(X)  # (n, m)
        Y = self.ensemble_.loss.targets(y)
        f = Kmat.T @ self.alpha_  # (m, K)
        base = self._surrogate_loss(f, Y)
        out = np.empty_like(Kmat)
        for s in range(0, Kmat.shape[1], 32):
            sl = slice(s, s + 32)
            Zr = f[None, sl, :] - Kmat[:, sl, None] * self.alpha_[:, None, :]
            out[:, sl] = self._surrogate_loss(Zr, Y[None, sl]) - base[None, sl]
        return out


def _softmax_grad(Z, Y):
    Zs = Z - Z.max(1, keepdims=True)
    p = np.exp(Zs)
    return p / p.sum(1, keepdims=True) - Y
