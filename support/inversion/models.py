"""Models with dropout where the paper puts it: bias-free GELU MLP, small CNN, small ViT, ResNet-18 (GroupNorm).

All use standard ``nn.Dropout`` layers (the attack swaps them for
:class:`~support.inversion.masks.MaskDropout` itself) and no BatchNorm, whose
batch statistics would leak through a different channel than the one studied.
"""

from __future__ import annotations

import math

import torch
from torch import nn

ARCHITECTURES = ("mlp", "cnn", "vit", "resnet18")


class MLP(nn.Module):
    """``Flatten -> depth x [Linear(bias=False) -> GELU -> Dropout(p)] -> Linear(bias=False)``.

    The official DIA code's MLP (width 512, depth 3).
    """

    def __init__(self, in_shape, num_classes=10, width=512, depth=3, p=0.25):
        super().__init__()
        layers: list[nn.Module] = [nn.Flatten()]
        d = math.prod(in_shape)
        for _ in range(depth):
            layers += [nn.Linear(d, width, bias=False), nn.GELU(), nn.Dropout(p)]
            d = width
        layers.append(nn.Linear(d, num_classes, bias=False))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


class CNN(nn.Module):
    """Strided 5x5 convolutions (16/32/64 channels), activation, dropout on every feature map, linear head.

    The shape of the CNN in the authors' follow-up repository, without
    normalisation; ``norm="group"`` adds GroupNorm after each convolution.
    """

    def __init__(
        self, in_shape, num_classes=10, channels=(16, 32, 64), p=0.25, act="gelu", norm="none"
    ):
        super().__init__()
        if norm not in ("none", "group"):
            raise ValueError(f"norm must be 'none' or 'group' (never BatchNorm), got {norm!r}")
        activation = {"gelu": nn.GELU, "relu": nn.ReLU, "sigmoid": nn.Sigmoid}[act]
        c, h, w = in_shape
        layers: list[nn.Module] = []
        for out in channels:
            layers.append(nn.Conv2d(c, out, 5, stride=2, padding=2))
            if norm == "group":
                layers.append(nn.GroupNorm(min(4, out), out))
            layers += [activation(), nn.Dropout(p)]
            c, h, w = out, (h + 1) // 2, (w + 1) // 2
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(c * h * w, num_classes)

    def forward(self, x):
        return self.head(self.features(x).flatten(1))


class _Attention(nn.Module):
    def __init__(self, dim, heads, p):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim, bias=False)
        self.attn_drop = nn.Dropout(p)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(p)

    def forward(self, x):
        b, n, d = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        attn = (q @ k.transpose(-2, -1)) / math.sqrt(d // self.heads)
        attn = self.attn_drop(attn.softmax(dim=-1))
        out = (attn @ v).transpose(1, 2).reshape(b, n, d)
        return self.proj_drop(self.proj(out))


class _Block(nn.Module):
    def __init__(self, dim, heads, mlp_dim, p):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = _Attention(dim, heads, p)
        self.norm2 = nn.LayerNorm(dim)
        self.ff = nn.Sequential(
            nn.Linear(dim, mlp_dim),
            nn.GELU(),
            nn.Dropout(p),
            nn.Linear(mlp_dim, dim),
            nn.Dropout(p),
        )

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.ff(self.norm2(x))


class ViT(nn.Module):
    """A small Vision Transformer (LayerNorm only, CLS pooling) with dropout where the DIA code puts it.

    Dropout after the positional embedding, on the attention probabilities,
    on the attention output projection, on the feed-forward hidden layer and
    on the feed-forward output. Defaults are the official small ViT (patch 4,
    dim 256, depth 4, 16 heads, MLP 256).
    """

    def __init__(
        self, in_shape, num_classes=10, patch=4, dim=256, depth=4, heads=16, mlp_dim=256, p=0.25
    ):
        super().__init__()
        c, h, w = in_shape
        if h % patch or w % patch:
            raise ValueError(f"image size {h}x{w} is not divisible by patch={patch}")
        if dim % heads:
            raise ValueError(f"dim={dim} is not divisible by heads={heads}")
        self.patch = patch
        n = (h // patch) * (w // patch)
        self.embed = nn.Linear(c * patch * patch, dim)
        self.cls = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.pos = nn.Parameter(torch.randn(1, n + 1, dim) * 0.02)
        self.emb_drop = nn.Dropout(p)
        self.blocks = nn.Sequential(*[_Block(dim, heads, mlp_dim, p) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x):
        b, c, h, w = x.shape
        s = self.patch
        x = (
            x.reshape(b, c, h // s, s, w // s, s)
            .permute(0, 2, 4, 1, 3, 5)
            .reshape(b, -1, c * s * s)
        )
        x = torch.cat([self.cls.expand(b, -1, -1), self.embed(x)], dim=1) + self.pos
        x = self.blocks(self.emb_drop(x))
        return self.head(self.norm(x[:, 0]))


class _BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.gn1 = nn.GroupNorm(32 if cout % 32 == 0 else 1, cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.gn2 = nn.GroupNorm(32 if cout % 32 == 0 else 1, cout)
        self.short = nn.Sequential()
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False),
                nn.GroupNorm(32 if cout % 32 == 0 else 1, cout),
            )

    def forward(self, x):
        out = torch.relu(self.gn1(self.conv1(x)))
        return torch.relu(self.gn2(self.conv2(out)) + self.short(x))


class ResNet18(nn.Module):
    """ResNet-18 (CIFAR stem) with GroupNorm, dropout after each stage and before the classifier.

    The paper's ResNet is not released; the placement of dropout here is our
    choice (stated in the notebook).
    """

    def __init__(self, in_shape, num_classes=10, width=64, p=0.25):
        super().__init__()
        c = in_shape[0]
        self.stem = nn.Sequential(
            nn.Conv2d(c, width, 3, 1, 1, bias=False),
            nn.GroupNorm(32 if width % 32 == 0 else 1, width),
            nn.ReLU(),
        )
        stages, cin = [], width
        for i, mult in enumerate((1, 2, 4, 8)):
            cout = width * mult
            stride = 1 if i == 0 else 2
            stages += [_BasicBlock(cin, cout, stride), _BasicBlock(cout, cout, 1), nn.Dropout(p)]
            cin = cout
        self.stages = nn.Sequential(*stages)
        self.head = nn.Linear(cin, num_classes)

    def forward(self, x):
        x = self.stages(self.stem(x))
        return self.head(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


def build_model(arch: str, in_shape, num_classes=10, p=0.25, seed=0, **kwargs) -> nn.Module:
    """Build an untrained, freshly initialised model (the paper attacks models at initialisation).

    Parameters
    ----------
    arch : {"mlp", "cnn", "vit", "resnet18"}
    in_shape : tuple of int
        ``(C, H, W)`` of one image.
    num_classes : int
    p : float
        Drop probability of every dropout layer.
    seed : int
        Seed of the weight initialisation.
    **kwargs
        Architecture options (width, depth, channels, dim, heads, ...).
    """
    if arch not in ARCHITECTURES:
        raise ValueError(f"arch must be one of {ARCHITECTURES}, got {arch!r}")
    if len(tuple(in_shape)) != 3:
        raise ValueError(f"in_shape must be (C, H, W), got {in_shape!r}")
    cls = {"mlp": MLP, "cnn": CNN, "vit": ViT, "resnet18": ResNet18}[arch]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return cls(tuple(in_shape), num_classes=num_classes, p=p, **kwargs)
