"""Batched gradient descent for matrix sensing and its preconditioned and one-step variants.

All runs of one call share the factor width k; they are laid out as a grid
(P problems, R runs per problem), so each iteration is a handful of batched
matrix products whatever the number of runs.

Conventions (the loss and gradients are exact, no factor folded into η):

* symmetric  L(X) = ½‖𝒜(XXᵀ) − y‖²,  ∇L = (S + Sᵀ) X,
* asymmetric L(F, G) = ½‖𝒜(FGᵀ) − y‖², ∇_F L = S G, ∇_G L = Sᵀ F,

with S = 𝒜*𝒜(product − M*). Simultaneous updates of F and G.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from ..core.progress import progress
from ..core.validate import check_int, check_positive
from .problem import SensingProblem

METHODS = ("gd", "one_step", "scaledgd", "precgd")
__all__ = ["METHODS", "Trace", "descend", "loss_and_gradient", "rebalance"]


@dataclass
class Trace:
    """What a run of :func:`descend` recorded.

    Attributes
    ----------
    errors : ndarray (P, R, T+1)
        ‖product − M*‖_F at every iteration (NaN after all runs hit ``tol``).
    residuals : ndarray (P, R, T+1)
        Training residual ‖𝒜(product) − y‖₂ at every iteration.
    record_steps : ndarray (n_rec,)
        Iterations at which the factor statistics below were recorded.
    imbalance : ndarray (P, R, n_rec, k) or None
        Eigenvalues of FᵀF − GᵀG (asymmetric runs).
    gram_eigenvalues : ndarray (P, R, n_rec, k)
        Ascending eigenvalues of FᵀF (XᵀX for symmetric runs).
    switched_at : ndarray (P, R)
        Iteration of the one-step rebalancing (-1 when it did not happen).
    factors : torch.Tensor or (torch.Tensor, torch.Tensor) or None
        The last iterate, X or (F, G), in the shapes of the starting factors.
    """

    errors: np.ndarray
    residuals: np.ndarray
    record_steps: np.ndarray
    imbalance: np.ndarray | None = None
    gram_eigenvalues: np.ndarray | None = None
    switched_at: np.ndarray = field(default_factory=lambda: np.zeros(0))
    factors: object = None


def rebalance(F: torch.Tensor, G: torch.Tensor, beta: torch.Tensor | float | None = None):
    """The one-step modification: F ← β F (FᵀF)^{-1/2}, G ← G (FᵀF)^{1/2} / β.

    The product FGᵀ is unchanged. Afterwards every singular value of F equals
    β (default √σ₁(FGᵀ), the scale of the fitted matrix), lifting σ_min(F)
    from Θ(α) to Θ(√σ₁), and G's component along F's small directions shrinks
    by the same factor. Works on any leading batch dimensions.

    Parameters
    ----------
    F, G : torch.Tensor
        (..., n1, k) and (..., n2, k) factors, F of full column rank.
    beta : tensor or float, optional
        Target singular value of F, broadcastable to (...,).

    Returns
    -------
    (torch.Tensor, torch.Tensor)
        The rebalanced F and G.
    """
    if F.shape[-1] != G.shape[-1] or F.shape[:-2] != G.shape[:-2]:
        raise ValueError(
            f"F and G must share batch dims and width k; got {tuple(F.shape)} and {tuple(G.shape)}"
        )
    evals, evecs = torch.linalg.eigh(F.transpose(-1, -2) @ F)
    if torch.any(evals <= 0):
        raise ValueError("F must have full column rank to be rebalanced")
    if beta is None:
        beta = torch.linalg.matrix_norm(F @ G.transpose(-1, -2), ord=2).sqrt()
    beta = torch.as_tensor(beta, dtype=F.dtype, device=F.device)
    beta = beta.reshape(beta.shape + (1, 1)) if beta.ndim else beta
    root = evals.sqrt()
    inv_sqrt = (evecs / root.unsqueeze(-2)) @ evecs.transpose(-1, -2)
    sqrt = (evecs * root.unsqueeze(-2)) @ evecs.transpose(-1, -2)
    return beta * F @ inv_sqrt, G @ sqrt / beta


def loss_and_gradient(problem: SensingProblem, factors):
    """Loss ½‖𝒜(product) − y‖² per run and its exact gradient.

    Parameters
    ----------
    problem : SensingProblem
        P problems.
    factors : torch.Tensor or (torch.Tensor, torch.Tensor)
        X of shape (P, R, n, k), or (F, G).

    Returns
    -------
    loss : torch.Tensor (P, R)
    grad : torch.Tensor or (torch.Tensor, torch.Tensor)
        (S + Sᵀ)X for XXᵀ; (SG, SᵀF) for FGᵀ, with S = 𝒜*𝒜(product − M*).
    """
    symmetric = isinstance(factors, torch.Tensor)
    F, G = (factors, factors) if symmetric else factors
    _, res, grad_F, grad_G = _terms(problem, F, G, symmetric)
    return 0.5 * res**2, grad_F if symmetric else (grad_F, grad_G)


def _terms(problem: SensingProblem, F: torch.Tensor, G: torch.Tensor, symmetric: bool):
    """Error E = FGᵀ − M*, training residual ‖𝒜(E)‖ and the factor gradients (G's is None for XXᵀ)."""
    E = F @ G.transpose(-1, -2) - problem.M_star[:, None]
    S, res = problem.gradient_matrix(E)
    if symmetric:
        return E, res, (S + S.transpose(-1, -2)) @ F, None
    return E, res, S @ G, S.transpose(-1, -2) @ F


def _damped_inverse(W: torch.Tensor, damping: torch.Tensor) -> torch.Tensor:
    """(WᵀW + λI)^{-1} for a batch of factors W (..., n, k) and dampings λ (...,).

    λ is floored at machine epsilon times the Gram matrix's trace (at least 1): a run whose
    residual, and so its damping res/√2, reaches 0 or a value lost in rounding against WᵀW
    while WᵀW is singular (an over-parameterised factor at the float64 floor) would
    otherwise have no inverse. Every λ above the floor is used exactly as given.
    """
    k = W.shape[-1]
    eye = torch.eye(k, dtype=W.dtype, device=W.device)
    gram = W.transpose(-1, -2) @ W
    scale = gram.diagonal(dim1=-2, dim2=-1).sum(-1).clamp_min(1.0)
    floor = torch.finfo(W.dtype).eps * scale
    damping = torch.as_tensor(damping, dtype=W.dtype, device=W.device)
    damping = torch.maximum(damping, floor)
    return torch.linalg.inv(gram + damping[..., None, None] * eye)


def descend(
    problem: SensingProblem,
    factors,
    T: int,
    eta: float,
    method: str = "gd",
    switch_residual: float = 1e-2,
    damping: float = 1e-3,
    record_every: int = 50,
    tol: float = 1e-13,
    desc: str = "",
) -> Trace:
    """Run T iterations of a descent method from ``factors``.

    Parameters
    ----------
    problem : SensingProblem
        P problems; ``factors`` carry a matching leading dimension P.
    factors : torch.Tensor or (torch.Tensor, torch.Tensor)
        X0 of shape (P, R, n, k) for XXᵀ, or (F0, G0) for FGᵀ.
    T : int
        Iterations.
    eta : float
        Step size.
    method : {"gd", "one_step", "scaledgd", "precgd"}
        ``gd`` vanilla gradient descent; ``one_step`` vanilla GD plus the
        rebalancing of :func:`rebalance` applied once per run, at the first
        iteration its training residual falls below ``switch_residual``
        (asymmetric only); ``scaledgd`` ScaledGD(λ) with fixed damping λ;
        ``precgd`` PrecGD with damping √L(·) (Zhang, Fattahi, Zhang 2021).
    switch_residual : float
        Residual threshold of the one-step method (Σ is unknown, so the
        switch watches the training residual, ≈ ‖FGᵀ − M*‖_F under RIP).
    damping : float
        λ of ScaledGD(λ).
    record_every : int
        Interval of the (costlier) factor statistics.
    tol : float
        Stop early once every run's error is below ``tol`` (the float64 floor).
    desc : str
        Progress-bar label.

    Raises
    ------
    ValueError
        For an unknown method, a non-positive step size or iteration count,
        mismatched shapes, non-finite factors or a one-step symmetric run.
    FloatingPointError
        If the iterates diverge (step size too large).
    """
    _check_settings(method, T, eta, switch_residual, damping, record_every)
    symmetric, F, G = _unpack(problem, factors, method)
    rec = _Recorder(F, T, record_every, symmetric)
    switched = torch.full(F.shape[:2], -1, dtype=torch.long, device=F.device)
    for t in progress(range(T + 1), desc=desc or f"{method} k={F.shape[-1]}", total=T + 1):
        E, res, grad_F, grad_G = _terms(problem, F, G, symmetric)
        err = rec.log(t, E, res, F, G)
        if not torch.isfinite(err).all():
            raise FloatingPointError(f"{method} diverged at iteration {t}; reduce eta (={eta})")
        if t == T or bool((err < tol).all()):
            break
        if method == "one_step":
            F, G, res, grad_F, grad_G = _switch_due(
                problem, F, G, res, grad_F, grad_G, switched, t, switch_residual
            )
        if method in ("scaledgd", "precgd"):
            lam = torch.full_like(res, damping) if method == "scaledgd" else res / 2**0.5
            grad_F = grad_F @ _damped_inverse(G, lam)
            if not symmetric:
                grad_G = grad_G @ _damped_inverse(F, lam)
        if symmetric:
            F = G = F - eta * grad_F
        else:
            F, G = F - eta * grad_F, G - eta * grad_G
    trace = rec.trace(switched)
    trace.factors = F if symmetric else (F, G)
    return trace


def _check_settings(method, T, eta, switch_residual, damping, record_every) -> None:
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    check_int("T", T)
    check_int("record_every", record_every)
    check_positive("eta", eta)
    check_positive("switch_residual", switch_residual)
    if not (np.isfinite(damping) and damping >= 0):
        raise ValueError(f"damping must be finite and >= 0, got {damping!r}")


def _unpack(problem: SensingProblem, factors, method: str):
    """(symmetric, F, G) as fresh tensors, with shapes and finiteness checked."""
    symmetric = isinstance(factors, torch.Tensor)
    if symmetric and method == "one_step":
        raise ValueError(
            "method='one_step' rebalances F and G: it needs the asymmetric parameterisation"
        )
    F, G = (factors.clone(), None) if symmetric else (f.clone() for f in factors)
    G = F if symmetric else G
    P, (n1, n2) = problem.n_problems, problem.shape
    if (
        F.ndim != 4
        or G.ndim != 4
        or F.shape[0] != P
        or F.shape[2] != n1
        or G.shape[2] != n2
        or F.shape[:2] != G.shape[:2]
        or F.shape[3] != G.shape[3]
    ):
        raise ValueError(
            f"factors must be (P={P}, R, n, k) with n1={n1}, n2={n2}; got {tuple(F.shape)}"
            + ("" if symmetric else f" and {tuple(G.shape)}")
        )
    if not (torch.isfinite(F).all() and torch.isfinite(G).all()):
        raise ValueError("factors must be finite; got NaN or infinite entries")
    return symmetric, F, G


class _Recorder:
    """Errors and residuals at every iteration; factor statistics every ``record_every``."""

    def __init__(self, F: torch.Tensor, T: int, record_every: int, symmetric: bool):
        P, R, _, k = F.shape
        self.every, self.symmetric = record_every, symmetric
        self.errors = torch.full((P, R, T + 1), float("nan"), dtype=F.dtype, device=F.device)
        self.residuals = torch.full_like(self.errors, float("nan"))
        self.steps = np.arange(0, T + 1, record_every)
        shape = (P, R, len(self.steps))
        self.imbalance = None if symmetric else torch.full((*shape, k), float("nan"), dtype=F.dtype)
        self.gram = torch.full((*shape, k), float("nan"), dtype=F.dtype)

    def log(self, t, E, res, F, G) -> torch.Tensor:
        err = torch.linalg.matrix_norm(E)
        self.errors[..., t], self.residuals[..., t] = err, res
        if t % self.every == 0:
            FtF = F.transpose(-1, -2) @ F
            i = t // self.every
            self.gram[:, :, i] = torch.linalg.eigvalsh(FtF).cpu()
            if not self.symmetric:
                Delta = FtF - G.transpose(-1, -2) @ G
                self.imbalance[:, :, i] = torch.linalg.eigvalsh(Delta).cpu()
        return err

    def trace(self, switched: torch.Tensor) -> Trace:
        return Trace(
            errors=self.errors.cpu().numpy(),
            residuals=self.residuals.cpu().numpy(),
            record_steps=self.steps,
            imbalance=None if self.imbalance is None else self.imbalance.numpy(),
            gram_eigenvalues=self.gram.numpy(),
            switched_at=switched.cpu().numpy(),
        )


def _switch_due(problem, F, G, res, grad_F, grad_G, switched, t, switch_residual):
    """Rebalance the runs whose residual first fell below the threshold; recompute gradients."""
    due = (switched < 0) & (res < switch_residual)
    if not bool(due.any()):
        return F, G, res, grad_F, grad_G
    idx = due.nonzero(as_tuple=True)
    F, G = F.clone(), G.clone()
    F[idx], G[idx] = rebalance(F[idx], G[idx])  # only these runs must have full rank
    switched[due] = t
    # the product is unchanged up to rounding, the gradients are not
    _, res, grad_F, grad_G = _terms(problem, F, G, False)
    return F, G, res, grad_F, grad_G
