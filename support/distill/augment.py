"""Differentiable siamese augmentation (DSA; Zhao & Bilen 2021), as MTT uses it.

Each call draws one family per group (DSA draws one per call; a group is one
network's batch when several networks are trained at once) from colour, crop,
cutout, flip, scale and rotate, and per-sample parameters within it. All
transforms are differentiable in the pixels. Drawing the parameters from the
same seed gives the same transform, which is how DSA shares ("siamese")
parameters between a real and a synthetic batch; use :func:`sample` once and
:func:`apply` twice for the same effect explicitly.

Parameter ranges follow DSA's ``ParamDiffAug``: brightness +-0.5, saturation
x U(0, 2), contrast x U(0.5, 1.5); crop = translation by up to 12.5% of the
side (here through the sampling grid, whole pixels, zero padding); cutout of
half the side; flip with p = 0.5; scale x U(1/1.2, 1.2) per axis; rotation
+-15 degrees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

FAMILIES = ("color", "crop", "cutout", "flip", "scale", "rotate")
GEOMETRIC = ("crop", "flip", "scale", "rotate")


def check_families(families) -> tuple[str, ...]:
    """Validate a sequence of family names; return it as a tuple."""
    if isinstance(families, str):
        families = tuple(f for f in families.replace("_", ",").split(",") if f)
    families = tuple(families)
    unknown = [f for f in families if f not in FAMILIES]
    if unknown or not families:
        raise ValueError(
            f"augmentation families must be a non-empty subset of {FAMILIES}, got {families!r}"
        )
    return families


@dataclass(frozen=True)
class AugParams:
    """Per-sample transform parameters for a batch of ``n`` images (all tensors of length ``n``)."""

    family: torch.Tensor  # index into the families tuple used to draw it
    families: tuple[str, ...]
    theta: torch.Tensor  # (n, 2, 3) affine matrices; identity for non-geometric samples
    brightness: torch.Tensor
    saturation: torch.Tensor
    contrast: torch.Tensor
    cutout: torch.Tensor  # (n, 2) centre of the cutout square in [0, 1), -1 for none
    size: int


def sample(
    n: int, size: int, families=FAMILIES, groups: int = 1, generator: torch.Generator | None = None
) -> AugParams:
    """Draw transform parameters for ``n`` images of side ``size``.

    Parameters
    ----------
    n : int
        Batch size; must be divisible by ``groups``.
    size : int
        Image side in pixels.
    families : sequence of str
        Families to choose from (drop ``"flip"`` for digits).
    groups : int
        Consecutive blocks of ``n // groups`` samples share one family.
    generator : torch.Generator, optional
        Source of randomness (seed it identically to repeat a transform).
    """
    families = check_families(families)
    if n % groups:
        raise ValueError(f"n={n} must be divisible by groups={groups}")
    g = generator

    def u(lo, hi):
        return torch.rand(n, generator=g) * (hi - lo) + lo

    pick = torch.randint(len(families), (groups,), generator=g).repeat_interleave(n // groups)
    is_ = {
        f: pick == families.index(f) if f in families else torch.zeros(n, dtype=torch.bool)
        for f in FAMILIES
    }
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = theta[:, 1, 1] = 1.0
    # scale: independent factors per axis
    sx, sy = u(1 / 1.2, 1.2), u(1 / 1.2, 1.2)
    theta[is_["scale"], 0, 0] = sx[is_["scale"]]
    theta[is_["scale"], 1, 1] = sy[is_["scale"]]
    # rotate by up to 15 degrees
    ang = u(-15.0, 15.0) * math.pi / 180
    rot = torch.stack(
        [torch.stack([ang.cos(), -ang.sin()], 1), torch.stack([ang.sin(), ang.cos()], 1)], 1
    )
    theta[is_["rotate"], :, :2] = rot[is_["rotate"]]
    # crop: whole-pixel translation up to 12.5% of the side, zeros shifted in
    limit = int(size * 0.125 + 0.5)
    shift = torch.randint(-limit, limit + 1, (n, 2), generator=g).float() * 2.0 / size
    theta[is_["crop"], :, 2] = shift[is_["crop"]]
    flip = torch.rand(n, generator=g) < 0.5
    theta[is_["flip"] & flip, 0, 0] = -1.0
    brightness = torch.where(is_["color"], u(-0.5, 0.5), torch.zeros(n))
    saturation = torch.where(is_["color"], u(0.0, 2.0), torch.ones(n))
    contrast = torch.where(is_["color"], u(0.5, 1.5), torch.ones(n))
    centre = torch.rand(n, 2, generator=g)
    cutout = torch.where(is_["cutout"][:, None], centre, torch.full((n, 2), -1.0))
    return AugParams(pick, families, theta, brightness, saturation, contrast, cutout, size)


def apply(x: torch.Tensor, params: AugParams) -> torch.Tensor:
    """Apply drawn parameters to images ``x`` of shape ``(n, C, H, W)``; differentiable in ``x``."""
    n = x.shape[0]
    if x.dim() != 4 or n != params.theta.shape[0] or x.shape[-1] != params.size:
        raise ValueError(
            f"x must have shape ({params.theta.shape[0]}, C, {params.size}, {params.size}), got {tuple(x.shape)}"
        )
    dev = x.device
    col = lambda v: v.to(dev).view(n, 1, 1, 1)  # noqa: E731
    if bool((params.brightness != 0).any()):
        x = x + col(params.brightness)
        x = (x - x.mean(1, keepdim=True)) * col(params.saturation) + x.mean(1, keepdim=True)
        mean = x.mean((1, 2, 3), keepdim=True)
        x = (x - mean) * col(params.contrast) + mean
    geometric = [params.families.index(f) for f in GEOMETRIC if f in params.families]
    if any(bool((params.family == k).any()) for k in geometric):
        grid = F.affine_grid(params.theta.to(dev, x.dtype), list(x.shape), align_corners=False)
        x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    if bool((params.cutout >= 0).any()):
        side = x.shape[-1]
        half = int(side * 0.5 + 0.5) / 2
        coords = (torch.arange(side, device=dev, dtype=x.dtype) + 0.5) / side
        c = params.cutout.to(dev, x.dtype)
        inside_y = (coords[None] - c[:, :1]).abs() * side < half
        inside_x = (coords[None] - c[:, 1:]).abs() * side < half
        hole = inside_y[:, :, None] & inside_x[:, None, :] & (c[:, :1] >= 0)[:, :, None]
        x = x * (~hole)[:, None].to(x.dtype)
    return x


def augment(
    x: torch.Tensor,
    families=FAMILIES,
    seed: int | None = None,
    groups: int = 1,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Draw parameters (from ``seed`` or ``generator``) and apply them to ``x`` ``(n, C, H, W)``.

    Two calls with the same ``seed`` on batches of the same size apply
    identical transforms (the siamese use).
    """
    if seed is not None:
        generator = torch.Generator().manual_seed(int(seed))
    return apply(x, sample(x.shape[0], x.shape[-1], families, groups, generator))


def select(params: AugParams, index: torch.Tensor) -> AugParams:
    """The parameters of samples ``index`` (e.g. to give several members one draw: common random numbers)."""
    return AugParams(
        params.family[index],
        params.families,
        params.theta[index],
        params.brightness[index],
        params.saturation[index],
        params.contrast[index],
        params.cutout[index],
        params.size,
    )
