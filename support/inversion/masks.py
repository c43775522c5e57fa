"""Mask-carrying dropout: a drop-in for ``nn.Dropout`` whose masks can be recorded or supplied.

A :class:`MaskDropout` layer works in one of three modes:

``"sample"``
    the client's training forward: draw a Bernoulli(1 - p) mask, remember it
    in ``last_mask`` and return ``x * m / (1 - p)`` (what ``nn.Dropout`` does);
``"mask"``
    the attacker's forward: return ``x * mask * scale`` with the ``mask`` and
    ``scale`` buffers, which the attack substitutes through
    ``torch.func.functional_call`` (a continuous mask in [0, 1] for DIA, the
    true mask for WIIG, ones with scale 1 for an eval-mode attacker);
``"identity"``
    eval mode: return ``x``.

Dropout implemented inside a module's ``forward`` with ``F.dropout`` (for
example ``nn.MultiheadAttention(dropout=...)``) cannot be swapped; the models
in :mod:`support.inversion.models` use ``nn.Dropout`` modules only.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

MODES = ("sample", "mask", "identity")


class MaskDropout(nn.Module):
    """Dropout whose mask is recorded (client) or supplied (attacker).

    Parameters
    ----------
    p : float
        Drop probability in [0, 1).
    """

    def __init__(self, p: float = 0.5):
        super().__init__()
        self.p = _check_rate(p)
        self.mode = "sample"
        self.generator: torch.Generator | None = None
        self.last_mask: torch.Tensor | None = None
        self.register_buffer("mask", torch.ones(()), persistent=False)
        self.register_buffer("scale", torch.ones(()), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.mode == "mask":
            return x * self.mask * self.scale
        if self.mode == "sample" and self.training and self.p > 0:
            keep = torch.full_like(x, 1.0 - self.p)
            if self.generator is not None and keep.device == self.generator.device:
                m = torch.bernoulli(keep, generator=self.generator)
            else:
                m = torch.bernoulli(keep)
            self.last_mask = m.detach()
            return x * m / (1.0 - self.p)
        if self.mode == "sample" and self.training:
            self.last_mask = torch.ones_like(x).detach()
        return x

    def supply(self, mask: torch.Tensor, scale: torch.Tensor) -> None:
        """Set the ``mask`` and ``scale`` buffers for the next ``"mask"``-mode forward.

        What ``layer.mask, layer.scale = mask, scale`` does, without
        re-registering the buffers (a cost the attacker's loop pays every step).
        """
        self._buffers["mask"], self._buffers["scale"] = mask, scale

    def extra_repr(self) -> str:
        return f"p={self.p}, mode={self.mode}"


def _check_rate(p: float) -> float:
    p = float(p)
    if not 0.0 <= p < 1.0:
        raise ValueError(f"dropout rate p must be in [0, 1), got {p}")
    return p


def has_dropout(model: nn.Module) -> bool:
    """True when ``model`` contains an ``nn.Dropout`` or a :class:`MaskDropout`."""
    return any(isinstance(m, (nn.Dropout, MaskDropout)) for m in model.modules())


def with_mask_dropout(model: nn.Module, copy_model: bool = True) -> nn.Module:
    """Return ``model`` with every ``nn.Dropout`` replaced by a :class:`MaskDropout` of the same p.

    Parameters
    ----------
    model : nn.Module
        Any model; its ``nn.Dropout`` layers (not ``Dropout2d`` and friends,
        which drop whole channels) are replaced. Existing ``MaskDropout``
        layers are kept.
    copy_model : bool
        Work on a deep copy (default) so the caller's model is untouched.

    Raises
    ------
    TypeError
        If ``model`` is not an ``nn.Module`` or holds channel-wise dropout.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    out = copy.deepcopy(model) if copy_model else model
    for name, module in list(out.named_modules()):
        for child_name, child in list(module.named_children()):
            if isinstance(child, (nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout)):
                raise TypeError(
                    f"{name + '.' if name else ''}{child_name} is {type(child).__name__}; only "
                    "element-wise nn.Dropout layers can be swapped for mask-carrying dropout"
                )
            if type(child) is nn.Dropout:
                setattr(module, child_name, MaskDropout(child.p))
    return out


def dropout_layers(model: nn.Module) -> dict[str, MaskDropout]:
    """The :class:`MaskDropout` layers of ``model`` by qualified name, in forward-definition order."""
    return {n: m for n, m in model.named_modules() if isinstance(m, MaskDropout)}


def set_mode(model: nn.Module, mode: str) -> nn.Module:
    """Put every :class:`MaskDropout` of ``model`` into ``mode`` (see module docstring)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    for m in dropout_layers(model).values():
        m.mode = mode
    return model


def set_dropout_rate(model: nn.Module, p: float) -> nn.Module:
    """Set the drop probability of every dropout layer (``nn.Dropout`` or :class:`MaskDropout`)."""
    p = _check_rate(p)
    for m in model.modules():
        if isinstance(m, (nn.Dropout, MaskDropout)):
            m.p = p
    return model


def mask_shapes(model: nn.Module, input_shape: tuple[int, ...]) -> dict[str, tuple[int, ...]]:
    """Activation shape at each dropout layer for an input of ``input_shape`` (batch included).

    Runs one forward pass of zeros with recording hooks; ``model`` must
    already hold :class:`MaskDropout` layers.
    """
    layers = dropout_layers(model)
    shapes: dict[str, tuple[int, ...]] = {}
    hooks = [
        m.register_forward_hook(
            lambda mod, inp, out, n=n: shapes.__setitem__(n, tuple(inp[0].shape))
        )
        for n, m in layers.items()
    ]
    modes = {n: m.mode for n, m in layers.items()}
    try:
        set_mode(model, "identity")
        device = next(iter(model.parameters())).device
        with torch.no_grad():
            model(torch.zeros(input_shape, device=device))
    finally:
        for h in hooks:
            h.remove()
        for n, m in layers.items():
            m.mode = modes[n]
    missing = [n for n in layers if n not in shapes]
    if missing:
        raise RuntimeError(f"dropout layer(s) {missing} were not reached by the forward pass")
    return shapes
