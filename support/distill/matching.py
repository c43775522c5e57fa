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
    den = (start - target).pow(2).sum(-1)
    if not bool((den > 0).all()):
        raise ValueError(
            "start and target must differ (the expert must move over the matched segment): "
            f"||start - target||^2 = {den.detach().reshape(-1).tolist()}; an expert that has stopped "
            "moving gives no direction to match (choose earlier start epochs or more expert epochs)"
        )
    return (student - target).pow(2).sum(-1) / den
