"""The notebook's profiles (smoke / cpu / paper) as frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass

from ..core.profiles import select_profile


@dataclass(frozen=True)
class Profile:
    """Sizes and hyperparameters of one notebook run.

    Parameters
    ----------
    dataset : str
        ``digits`` / ``mnist_5k`` (embedded) or ``cifar10`` (read from DATA_DIR).
    width, depth : int
        ConvNet-D size.
    zca : bool
        ZCA-whiten the data (MTT/AST do on CIFAR).
    augment : tuple of str
        DSA families (digits drop ``flip``, as DSA's README advises).
    n_experts, expert_epochs, expert_batch : int
        Experts per kind, their epochs and batch size.
    plain_lr, smooth_lr : float
        Expert rates: MTT plain SGD, AST SGD with momentum 0.9 (AST's code default 0.003). The cpu
        profile uses 0.001, the same effective step ``lr / (1 - momentum)`` as the plain experts, so that
        the smoothness comparison is not a step-size comparison.
    ipc_ablation : int
        IPC of the full ablation.
    ipc_extra : int
        A second IPC run with MTT and AST only (0 = skip).
    iterations, iterations_extra : int
        Outer iterations for the ablation and the second IPC.
    syn_steps, match_epochs, max_start_epoch : int
        N, M and T+.
    lr_img, lr_lr : float
        Outer learning rates.
    batch_syn_extra : int
        Synthetic mini-batch of the second IPC (0 = all).
    seeds : int
        Distillation seeds per variant.
    eval_nets, eval_epochs : int
        MTT evaluation: fresh networks per synthetic set and their epochs.
    full_epochs : int
        Epochs of the full-training-set baseline.
    """

    dataset: str
    width: int
    depth: int
    zca: bool
    augment: tuple[str, ...]
    n_experts: int
    expert_epochs: int
    expert_batch: int
    plain_lr: float
    smooth_lr: float
    ipc_ablation: int
    ipc_extra: int
    iterations: int
    iterations_extra: int
    syn_steps: int
    match_epochs: int
    max_start_epoch: int
    lr_img: float
    lr_lr: float
    batch_syn_extra: int
    seeds: int
    eval_nets: int
    eval_epochs: int
    full_epochs: int


_DIGITS_AUG = ("color", "crop", "cutout", "scale", "rotate")

PROFILES = {
    "smoke": Profile(
        dataset="digits",
        width=8,
        depth=2,
        zca=False,
        augment=_DIGITS_AUG,
        n_experts=2,
        expert_epochs=4,
        expert_batch=64,
        plain_lr=0.01,
        smooth_lr=0.003,
        ipc_ablation=1,
        ipc_extra=2,
        iterations=4,
        iterations_extra=2,
        syn_steps=4,
        match_epochs=2,
        max_start_epoch=2,
        lr_img=100.0,
        lr_lr=1e-5,
        batch_syn_extra=10,
        seeds=2,
        eval_nets=2,
        eval_epochs=10,
        full_epochs=2,
    ),
    "cpu": Profile(
        dataset="digits",
        width=16,
        depth=2,
        zca=False,
        augment=_DIGITS_AUG,
        n_experts=6,
        expert_epochs=12,
        expert_batch=32,
        plain_lr=0.01,
        smooth_lr=0.001,
        ipc_ablation=1,
        ipc_extra=10,
        iterations=150,
        iterations_extra=100,
        syn_steps=10,
        match_epochs=2,
        max_start_epoch=6,
        lr_img=100.0,
        lr_lr=1e-5,
        batch_syn_extra=20,
        seeds=3,
        eval_nets=3,
        eval_epochs=300,
        full_epochs=30,
    ),
    # CIFAR-10 ConvNet-3 at MTT/AST's IPC-10 settings (C10 row of the brief's tables); needs a GPU.
    "paper": Profile(
        dataset="cifar10",
        width=128,
        depth=3,
        zca=True,
        augment=("color", "crop", "cutout", "flip", "scale", "rotate"),
        n_experts=20,
        expert_epochs=50,
        expert_batch=256,
        plain_lr=0.01,
        smooth_lr=0.003,
        ipc_ablation=1,
        ipc_extra=10,
        iterations=5000,
        iterations_extra=5000,
        syn_steps=50,
        match_epochs=2,
        max_start_epoch=2,
        lr_img=100.0,
        lr_lr=1e-7,
        batch_syn_extra=0,
        seeds=3,
        eval_nets=5,
        eval_epochs=1000,
        full_epochs=50,
    ),
}


def config(profile: str = "cpu", **overrides) -> Profile:
    """The frozen :class:`Profile` for ``profile`` with optional field overrides."""
    return select_profile(profile, PROFILES, **overrides)
