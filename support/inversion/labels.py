"""Label inference from the last layer's gradient (iDLG for one image, Yin et al. for a batch)."""

from __future__ import annotations

import torch
from torch import nn


def _last_layer(model: nn.Module, gradients: list[torch.Tensor]):
    """The gradient of the last 2-D weight and of its bias (if the model has one right after it)."""
    named = [n for n, _ in model.named_parameters()]
    idx = max(i for i, g in enumerate(gradients) if g.ndim == 2)
    bias = (
        gradients[idx + 1] if idx + 1 < len(gradients) and named[idx + 1].endswith("bias") else None
    )
    return gradients[idx], bias


def infer_labels(model: nn.Module, gradients: list[torch.Tensor], batch_size: int) -> torch.Tensor:
    """Infer the batch's labels from the gradient of the last linear layer.

    Batch size 1 (exact, iDLG): the last layer's weight gradient is
    ``(softmax - onehot) h^T``, so every class row is a multiple of the
    feature vector ``h`` and the true class is the single row whose
    coefficient ``softmax_c - 1`` has the opposite sign to all others (the
    bias gradient, when there is a bias, shows the same sign directly). No
    assumption on the sign of the features is needed.

    Larger batches (Yin et al. 2021): the ``batch_size`` classes whose
    weight-gradient rows have the most negative minimum entry (assumes
    non-negative features and distinct labels; returns distinct labels).

    Returns
    -------
    torch.Tensor
        ``(batch_size,)`` int64 labels (sorted for batches, which carry no order).
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if not any(g.ndim == 2 for g in gradients):
        raise ValueError("gradients: no 2-D weight gradient found; cannot infer labels")
    w, b = _last_layer(model, gradients)
    w = w.detach().double()
    if batch_size > w.shape[0]:
        raise ValueError(
            f"batch_size={batch_size} exceeds the {w.shape[0]} classes; labels would repeat"
        )
    if batch_size == 1:
        if b is not None:
            return torch.argmin(b.detach()).reshape(1).long()
        u = w[torch.argmax(w.norm(dim=1))]  # any row: all rows are parallel to the features
        coeff = w @ u
        neg, pos = coeff < 0, coeff > 0
        if int(neg.sum()) == 1:
            return torch.nonzero(neg).flatten().long()
        if int(pos.sum()) == 1:
            return torch.nonzero(pos).flatten().long()
        return torch.argmin(w.sum(1)).reshape(1).long()  # degenerate: fall back to iDLG's row sum
    score = w.min(dim=1).values if b is None else b.detach().double()
    return torch.sort(torch.argsort(score)[:batch_size]).values.long()


def label_accuracy(predicted, true) -> float:
    """Fraction of labels recovered, as multisets (order-free for batches)."""
    p = torch.as_tensor(predicted).flatten().tolist()
    t = torch.as_tensor(true).flatten().tolist()
    if len(p) != len(t):
        raise ValueError(f"predicted has {len(p)} labels, true has {len(t)}")
    hits = 0
    for c in set(t):
        hits += min(p.count(c), t.count(c))
    return hits / len(t)
