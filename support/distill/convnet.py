"""ConvNet-D (MTT's ConvNet) evaluated functionally on flat parameter vectors.

One forward pass runs ``S`` independent networks at once: parameters have
shape ``(S, P)`` and inputs ``(S, B, C, H, W)``; the convolutions become one
grouped convolution with ``groups=S``. Because the parameters are plain
tensors, unrolled SGD steps on them stay differentiable.

Architecture (per block): Conv3x3(width, padding 1) -> instance norm (with
affine, = ``GroupNorm(width, width)``) -> ReLU -> AvgPool2, ``depth`` blocks,
then a linear classifier. For 28x28 inputs the first convolution pads by 3 so
that the feature maps are 32x32 (MTT's rule for MNIST-sized images).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class ConvNetSpec:
    """Shape of a ConvNet-D.

    Parameters
    ----------
    channels : int
        Input channels.
    size : int
        Input height = width in pixels.
    classes : int
        Number of output classes.
    width : int
        Channels of every convolution (MTT: 128).
    depth : int
        Number of conv blocks (MTT: 3 at 32x32).
    """

    channels: int
    size: int
    classes: int
    width: int = 128
    depth: int = 3

    def __post_init__(self):
        for name in ("channels", "size", "classes", "width", "depth"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if self.feature_size() < 1:
            raise ValueError(
                f"depth={self.depth} pools a {self.size}x{self.size} input below 1 pixel; use a smaller depth"
            )

    @property
    def first_padding(self) -> int:
        """Padding of the first convolution: 3 for 28x28 inputs (giving 32x32), else 1."""
        return 3 if self.size == 28 else 1

    def feature_size(self) -> int:
        """Side of the final feature map after ``depth`` poolings."""
        side = self.size + 2 * self.first_padding - 2
        for _ in range(self.depth):
            side //= 2
        return side

    def shapes(self) -> list[tuple[str, tuple[int, ...]]]:
        """Names and shapes of the parameters in flat-vector order."""
        out, cin = [], self.channels
        for i in range(self.depth):
            out += [
                (f"conv{i}.weight", (self.width, cin, 3, 3)),
                (f"conv{i}.bias", (self.width,)),
                (f"norm{i}.weight", (self.width,)),
                (f"norm{i}.bias", (self.width,)),
            ]
            cin = self.width
        feat = self.width * self.feature_size() ** 2
        out += [("classifier.weight", (self.classes, feat)), ("classifier.bias", (self.classes,))]
        return out

    @property
    def num_params(self) -> int:
        """Length of the flat parameter vector."""
        return sum(math.prod(s) for _, s in self.shapes())

    def conv_weight_mask(self) -> torch.Tensor:
        """Boolean mask over the flat vector marking the 4-D convolution weights."""
        parts = [torch.full((math.prod(s),), len(s) == 4) for _, s in self.shapes()]
        return torch.cat(parts)

    def check_images(self, x: torch.Tensor, name: str = "x") -> None:
        """Raise ``ValueError`` unless ``x`` ends in ``(channels, size, size)``."""
        want = (self.channels, self.size, self.size)
        if x.dim() < 4 or tuple(x.shape[-3:]) != want:
            raise ValueError(
                f"{name} must have trailing image shape {want}, got shape {tuple(x.shape)}"
            )


def init_params(
    spec: ConvNetSpec, n: int = 1, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Draw ``n`` flat parameter vectors with PyTorch's default initialisation.

    Conv and linear layers use ``kaiming_uniform(a=sqrt(5))`` (uniform in
    +-1/sqrt(fan_in) for weights and biases), norm layers weight 1, bias 0.

    Returns
    -------
    torch.Tensor
        Shape ``(n, spec.num_params)``, float32.
    """
    parts = []
    for name, shape in spec.shapes():
        if name.startswith("norm"):
            fill = 1.0 if name.endswith("weight") else 0.0
            parts.append(torch.full((n, math.prod(shape)), fill))
            continue
        fan_in = math.prod(shape[1:]) if name.endswith("weight") else _fan_in(spec, name)
        bound = 1.0 / math.sqrt(fan_in)
        parts.append((torch.rand(n, math.prod(shape), generator=generator) * 2 - 1) * bound)
    return torch.cat(parts, dim=1)


def _fan_in(spec: ConvNetSpec, bias_name: str) -> int:
    weight = dict(spec.shapes())[bias_name.replace("bias", "weight")]
    return math.prod(weight[1:])


def unflatten(spec: ConvNetSpec, flat: torch.Tensor) -> dict[str, torch.Tensor]:
    """Split ``(S, P)`` flat parameters into named ``(S, *shape)`` views."""
    if flat.dim() != 2 or flat.shape[1] != spec.num_params:
        raise ValueError(f"params must have shape (S, {spec.num_params}), got {tuple(flat.shape)}")
    out, start = {}, 0
    for name, shape in spec.shapes():
        size = math.prod(shape)
        out[name] = flat[:, start : start + size].reshape(flat.shape[0], *shape)
        start += size
    return out


def forward(spec: ConvNetSpec, flat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Logits of ``S`` networks on their own inputs.

    Parameters
    ----------
    spec : ConvNetSpec
    flat : torch.Tensor
        Parameters, shape ``(S, P)``.
    x : torch.Tensor
        Inputs, shape ``(S, B, C, H, W)`` (network ``s`` sees ``x[s]``).

    Returns
    -------
    torch.Tensor
        Logits of shape ``(S, B, classes)``.
    """
    spec.check_images(x)
    if x.dim() != 5 or x.shape[0] != flat.shape[0]:
        raise ValueError(
            f"x must have shape (S, B, C, H, W) with S={flat.shape[0]} matching params, got {tuple(x.shape)}"
        )
    p = unflatten(spec, flat)
    S, B = x.shape[:2]
    h = x.transpose(0, 1).reshape(B, S * spec.channels, spec.size, spec.size)
    for i in range(spec.depth):
        w = p[f"conv{i}.weight"]
        h = F.conv2d(
            h,
            w.reshape(-1, *w.shape[2:]),
            p[f"conv{i}.bias"].reshape(-1),
            padding=spec.first_padding if i == 0 else 1,
            groups=S,
        )
        h = F.group_norm(
            h, S * spec.width, p[f"norm{i}.weight"].reshape(-1), p[f"norm{i}.bias"].reshape(-1)
        )
        h = F.avg_pool2d(F.relu(h), 2)
    feats = h.reshape(B, S, -1)
    return (
        torch.einsum("bsf,skf->sbk", feats, p["classifier.weight"])
        + p["classifier.bias"][:, None, :]
    )


def module(spec: ConvNetSpec) -> torch.nn.Sequential:
    """The same network as an ``nn.Module`` (parameter order matches :meth:`ConvNetSpec.shapes`)."""
    from torch import nn

    layers, cin = [], spec.channels
    for i in range(spec.depth):
        layers += [
            nn.Conv2d(cin, spec.width, 3, padding=spec.first_padding if i == 0 else 1),
            nn.GroupNorm(spec.width, spec.width, affine=True),
            nn.ReLU(),
            nn.AvgPool2d(2),
        ]
        cin = spec.width
    layers += [nn.Flatten(), nn.Linear(spec.width * spec.feature_size() ** 2, spec.classes)]
    return nn.Sequential(*layers)


def load_module(spec: ConvNetSpec, flat: torch.Tensor) -> torch.nn.Sequential:
    """An ``nn.Module`` holding the parameters of one flat vector ``(P,)``."""
    net = module(spec)
    torch.nn.utils.vector_to_parameters(flat.detach().reshape(-1).clone(), net.parameters())
    return net
