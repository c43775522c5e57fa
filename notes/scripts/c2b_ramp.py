"""Does the clipping-loss ramp cause C2b's first-epoch cosine deficit? (notes/distill_investigation.md)

Trains the cpu profile's smooth experts with and without their parts on the notebook's data and
split, and prints each kind's cosine between consecutive epochs' displacements, per epoch pair, and
the window scores C2/C2b use. No cache: every run trains from scratch.

    .venv/bin/python notes/scripts/c2b_ramp.py [n_experts] [seed] [only: part of a kind's name]
"""

from __future__ import annotations

import sys

import torch

from support.core.runtime import limit_threads
from support.distill.ablation import smoothness
from support.distill.config import config
from support.distill.convnet import ConvNetSpec
from support.distill.data import load
from support.distill.experts import smooth_experts, train_experts


def kinds(cfg):
    """Smooth experts with their clipping ramp and gradient penalty switched on and off."""
    common = (cfg.expert_epochs, cfg.smooth_lr, cfg.expert_batch, cfg.augment)
    return {
        "smooth (ramp + penalty)": smooth_experts(
            *common, clip_epochs=cfg.clip_epochs, gp_batch=cfg.gp_batch
        ),
        "penalty, no ramp": smooth_experts(*common, clip_loss=False, gp_batch=cfg.gp_batch),
        "ramp, no penalty": smooth_experts(*common, clip_epochs=cfg.clip_epochs, grad_penalty=0.0),
        "momentum only": smooth_experts(*common, clip_loss=False, grad_penalty=0.0),
        "smooth, penalty on every image": smooth_experts(*common, clip_epochs=cfg.clip_epochs),
    }


def epoch_cosines(trajectories: torch.Tensor) -> torch.Tensor:
    """Cosine between consecutive epochs' displacements, ``(n_experts, epochs - 1)``."""
    steps = trajectories[:, 1:] - trajectories[:, :-1]
    return torch.nn.functional.cosine_similarity(steps[:, 1:], steps[:, :-1], dim=2)


def main(n_experts: int = 6, seed: int = 0, only: str = "") -> None:
    limit_threads(1)
    cfg = config("cpu")
    data = load(cfg.dataset, None, seed=seed, size=cfg.image_size, val_fraction=cfg.val_fraction)
    spec = ConvNetSpec(data.shape[0], data.shape[1], data.classes, width=cfg.width, depth=cfg.depth)
    window = max(r.window_end() for r in cfg.runs)
    for name, sgd in kinds(cfg).items():
        if only not in name:
            continue
        t = train_experts(
            spec, data.train_images, data.train_labels, sgd, n_experts, seed, progress=False
        ).trajectories
        cos = epoch_cosines(t)
        scores = smoothness(t, window)
        per_pair = ", ".join(f"{m:.3f}±{s:.3f}" for m, s in zip(cos.mean(0), cos.std(0)))
        print(f"{name:24s} window {scores}  cosine per epoch pair (mean±SD): {per_pair}", flush=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    main(*(int(a) for a in args[:2]), *args[2:3])
