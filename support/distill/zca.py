"""ZCA whitening with an inverse (MTT fits it on the training set; kornia's ``ZCAWhitening``, eps 0.1).

Synthetic images live in the whitened space; :meth:`ZCA.inverse` maps them
back for display.
"""

from __future__ import annotations

import torch


class ZCA:
    """ZCA whitening ``W (x - mean)`` with ``W = U diag((s + eps)^-1/2) U^T``.

    Parameters
    ----------
    eps : float
        Added to the covariance eigenvalues (MTT uses 0.1 on [0, 1] images).
    """

    def __init__(self, eps: float = 0.1):
        if not eps > 0:
            raise ValueError(f"eps must be positive, got {eps!r}")
        self.eps = eps

    def fit(self, x: torch.Tensor) -> ZCA:
        """Fit on images ``(N, C, H, W)``; returns self."""
        if x.dim() != 4 or x.shape[0] < 2:
            raise ValueError(f"x must be images of shape (N >= 2, C, H, W), got {tuple(x.shape)}")
        self.shape_ = tuple(x.shape[1:])
        flat = x.reshape(x.shape[0], -1).double()
        self.mean_ = flat.mean(0)
        centred = flat - self.mean_
        cov = centred.T @ centred / (flat.shape[0] - 1)
        s, u = torch.linalg.eigh(cov)
        s = s.clamp_min(0)
        self.matrix_ = (u * (s + self.eps).rsqrt()) @ u.T
        self.inverse_matrix_ = (u * (s + self.eps).sqrt()) @ u.T
        return self

    def _check(self, x: torch.Tensor) -> None:
        if not hasattr(self, "matrix_"):
            raise RuntimeError("call fit() before transform() or inverse()")
        if tuple(x.shape[-3:]) != self.shape_:
            raise ValueError(f"x must have trailing shape {self.shape_}, got {tuple(x.shape)}")

    def transform(self, x: torch.Tensor) -> torch.Tensor:
        """Whiten images of the fitted shape (any leading dimensions)."""
        self._check(x)
        flat = x.reshape(-1, self.mean_.numel()).double()
        out = (flat - self.mean_) @ self.matrix_
        return out.to(x.dtype).reshape(x.shape)

    def inverse(self, x: torch.Tensor) -> torch.Tensor:
        """Map whitened images back to pixel space."""
        self._check(x)
        flat = x.reshape(-1, self.mean_.numel()).double()
        out = flat @ self.inverse_matrix_ + self.mean_
        return out.to(x.dtype).reshape(x.shape)
