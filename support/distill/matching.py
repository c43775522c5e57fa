"""MTT's normalised parameter-matching loss."""

from __future__ import annotations

import torch


def matching_loss(student: torch.Tensor, start: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``||student - target||^2 / ||start - target||^2`` for each row.

    Dividing by the expert's own displacement over the segment gives late,
    small-movement segments as much signal as early ones. The loss is 1 when
    the student has not moved and 0 when it lands on the target.

    Parameters
    ----------
    student, start, target : torch.Tensor
        Flat parameters ``(S, P)`` (or ``(P,)``): the student after N steps, the
        expert at epoch t and at epoch t + M.

    Returns
    -------
    torch.Tensor
        ``(S,)`` (or a scalar).
    """
    if not (student.shape == start.shape == target.shape):
        raise ValueError(
            f"student, start and target must have the same shape, got {tuple(student.shape)}, "
            f"{tuple(start.shape)}, {tuple(target.shape)}"
        )
    return (student - target).pow(2).sum(-1) / (start - target).pow(2).sum(-1)
