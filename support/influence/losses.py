"""The three boosting objectives in margin space: loss, gradient, Hessian, third derivative.

Arrays are always 2-D, shape (n, n_outputs): one column for regression and
binary, one per class for multiclass. ``hess_factor`` is the constant some
libraries multiply the softmax Hessian by (K/(K-1) for LightGBM, CatBoost and
scikit-learn GradientBoosting, 2 for XGBoost); it enters the Newton leaf
values and therefore every derivative of them.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.special import expit as _np_expit
from scipy.special import log_softmax as _np_log_softmax
from scipy.special import softmax as _np_softmax


# Array-agnostic primitives: the same objective code runs on numpy arrays and on
# torch tensors (CPU or CUDA), so the batched LeafInfluence/LeafRefit loops can
# live on the GPU when one is present.
def expit(z):
    return torch.sigmoid(z) if isinstance(z, torch.Tensor) else _np_expit(z)


def softmax(z, axis=-1):
    return torch.softmax(z, dim=axis) if isinstance(z, torch.Tensor) else _np_softmax(z, axis=axis)


def log_softmax(z, axis=-1):
    return (
        torch.log_softmax(z, dim=axis)
        if isinstance(z, torch.Tensor)
        else _np_log_softmax(z, axis=axis)
    )


def _logaddexp0(z):
    return torch.nn.functional.softplus(z) if isinstance(z, torch.Tensor) else np.logaddexp(0.0, z)


def _ones_like(z):
    return torch.ones_like(z) if isinstance(z, torch.Tensor) else np.ones_like(z)


def _zeros_like(z):
    return torch.zeros_like(z) if isinstance(z, torch.Tensor) else np.zeros_like(z)


def _minus(a, b):
    """``a - b``, written into ``a`` (a temporary of the caller's) when the result has its shape."""
    if tuple(a.shape) != np.broadcast_shapes(tuple(a.shape), tuple(b.shape)):
        return a - b
    a -= b
    return a


OBJECTIVES = ("regression", "binary", "multiclass")


class Objective:
    """Base class; see :func:`get_objective`."""

    name = ""

    def __init__(self, n_outputs: int = 1, hess_factor: float = 1.0):
        self.n_outputs = n_outputs
        self.hess_factor = float(hess_factor)

    def targets(self, y) -> np.ndarray:
        """Labels as a float array of shape (n, n_outputs)."""
        y = np.asarray(y, dtype=np.float64)
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D, got shape {y.shape}")
        return y[:, None]

    def link(self, z):
        """Margin to output space."""
        return z

    def loss(self, z, Y) -> np.ndarray:
        """Per-example loss, shape (n,)."""
        raise NotImplementedError

    def grad(self, z, Y):
        """Gradient of the loss wrt the margin, shape (n, n_outputs)."""
        raise NotImplementedError

    def hess(self, z, Y):
        """Diagonal Hessian as the library uses it (with its factor)."""
        raise NotImplementedError

    def third(self, z, Y):
        """Derivative of :meth:`hess` wrt its own margin (diagonal)."""
        raise NotImplementedError

    def grad_hess(self, z, Y):
        """:meth:`grad` and :meth:`hess` together, the link evaluated once where they share it."""
        return self.grad(z, Y), self.hess(z, Y)

    def grad_jvp(self, z, Y, dz):
        """Change of :meth:`grad` along a margin change ``dz`` (full Jacobian)."""
        return self.hess(z, Y) / self.hess_factor * dz

    def hess_jvp(self, z, Y, dz):
        """Change of :meth:`hess` along a margin change ``dz`` (full Jacobian)."""
        return self.third(z, Y) * dz

    def grad_jvp_diag(self, z, Y, dz):
        """Change of :meth:`grad` along ``dz`` with its Jacobian cut to the diagonal :meth:`hess`.

        The paper's (and the reference implementation's) LeafInfluence treats
        each output separately: ``dg_c = h_c dz_c``, with the library's
        Hessian factor. Equal to :meth:`grad_jvp` for one output.
        """
        return self.hess(z, Y) * dz

    def hess_jvp_diag(self, z, Y, dz):
        """Change of :meth:`hess` along ``dz``, diagonal only (``dh_c = k_c dz_c``)."""
        return self.third(z, Y) * dz


class Regression(Objective):
    """Half squared error."""

    name = "regression"

    def loss(self, z, Y):
        return 0.5 * ((z - Y) ** 2).sum(-1)

    def grad(self, z, Y):
        return z - Y

    def hess(self, z, Y):
        return _ones_like(z)

    def third(self, z, Y):
        return _zeros_like(z)


class Binary(Objective):
    """Logistic loss on a single margin."""

    name = "binary"

    def targets(self, y):
        Y = super().targets(y)
        if not np.isin(Y, (0.0, 1.0)).all():
            raise ValueError("y must hold 0/1 labels for a binary model")
        return Y

    def link(self, z):
        return expit(z)

    def loss(self, z, Y):
        return (_logaddexp0(z) - Y * z).sum(-1)

    def grad(self, z, Y):
        return expit(z) - Y

    def hess(self, z, Y):
        p = expit(z)
        return p * (1 - p)

    def grad_hess(self, z, Y):
        p = expit(z)
        h = 1 - p
        h *= p
        return _minus(p, Y), h

    def third(self, z, Y):
        p = expit(z)
        return p * (1 - p) * (1 - 2 * p)


class Multiclass(Objective):
    """Softmax cross-entropy; the Hessian is diagonal times ``hess_factor``."""

    name = "multiclass"

    def targets(self, y):
        y = np.asarray(y)
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D, got shape {y.shape}")
        yi = y.astype(np.int64)
        if (yi != y).any() or yi.min() < 0 or yi.max() >= self.n_outputs:
            raise ValueError(f"y must hold integer class labels 0..{self.n_outputs - 1}")
        return np.eye(self.n_outputs)[yi]

    def link(self, z):
        return softmax(z, axis=-1)

    def loss(self, z, Y):
        return -(Y * log_softmax(z, axis=-1)).sum(-1)

    def grad(self, z, Y):
        return softmax(z, axis=-1) - Y

    def hess(self, z, Y):
        p = softmax(z, axis=-1)
        return self.hess_factor * p * (1 - p)

    def grad_hess(self, z, Y):
        p = softmax(z, axis=-1)
        return p - Y, self.hess_factor * p * (1 - p)

    def third(self, z, Y):
        p = softmax(z, axis=-1)
        return self.hess_factor * p * (1 - p) * (1 - 2 * p)

    def grad_jvp(self, z, Y, dz):
        p = softmax(z, axis=-1)
        return p * (dz - (p * dz).sum(-1)[..., None])

    def hess_jvp(self, z, Y, dz):
        p = softmax(z, axis=-1)
        dp = p * (dz - (p * dz).sum(-1)[..., None])
        return self.hess_factor * (1 - 2 * p) * dp


def get_objective(name: str, n_outputs: int = 1, hess_factor: float = 1.0) -> Objective:
    """Objective by name: ``"regression"``, ``"binary"`` or ``"multiclass"``."""
    table = {"regression": Regression, "binary": Binary, "multiclass": Multiclass}
    if name not in table:
        raise ValueError(f"objective must be one of {OBJECTIVES}, got {name!r}")
    if name != "multiclass" and n_outputs != 1:
        raise ValueError(f"a {name} objective has one output, got {n_outputs}")
    return table[name](n_outputs=n_outputs, hess_factor=hess_factor)
