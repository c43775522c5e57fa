"""Trajectory-matching distillation (MTT) with AST's additions as per-run switches.

Many distillations run as one batch of independent "members" (a variant and
a seed each): their students are evaluated together by the batched ConvNet,
and the summed loss gives each member exactly its own gradient. Members with
the same seed start from the same random real images, so variants are
compared on paired runs.

One outer iteration, per member (MTT, Alg. 1):

1. draw an expert and a start epoch ``t < T+``; the student starts at the
   expert's ``theta*_t`` (AST: conv weights perturbed, see :func:`perturb`);
2. take ``N`` SGD steps ``theta <- theta - alpha * grad CE(DSA(x_b), y_b)`` on
   synthetic mini-batches, keeping the graph (AST: CE scaled by the balance
   weight; optional heavy-ball student momentum as in AST's code);
3. loss ``||theta_N - theta*_{t+M}||^2 / ||theta*_t - theta*_{t+M}||^2``
   (AST: plus the same term at intermediate steps against ``theta*_{t+i}``);
4. SGD (momentum 0.5) on the pixels with ``lr_img`` and on ``alpha`` with
   ``lr_lr``; ``alpha`` is clamped to stay positive.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from ..core.progress import progress as _progress
from . import augment as aug
from .convnet import ConvNetSpec, forward
from .experts import ExpertSet
from .init import check_ipc, class_labels, expert_logits, kmeans_indices, random_indices
from .matching import matching_loss

INITS = ("real", "kmeans")
INTERMEDIATE = ("off", "uniform", "adaptive")


@dataclass(frozen=True)
class Variant:
    """Which method a member runs.

    Parameters
    ----------
    name : str
        Label in tables and figures.
    experts : str
        Key of the expert set to match (e.g. ``"plain"`` or ``"smooth"``).
    init : str
        ``"real"``: random real images per class (MTT); ``"kmeans"``: AST's
        representative initialisation (k-means on a trained expert's logits).
    balance : bool
        AST's balanced inner loss (CE scaled by a weight of the start epoch).
    intermediate : str
        ``"off"``; ``"uniform"``: AST's intermediate matching with weight 1;
        ``"adaptive"``: weights ``i / M``.
    perturb : bool
        AST's weight perturbation of the starting conv weights.
    student_momentum : float
        Heavy-ball momentum of the student's inner SGD. The papers' update is
        plain SGD (0, the default); AST's code uses 0.9.
    """

    name: str
    experts: str = "plain"
    init: str = "real"
    balance: bool = False
    intermediate: str = "off"
    perturb: bool = False
    student_momentum: float = 0.0

    def __post_init__(self):
        if self.init not in INITS:
            raise ValueError(f"init must be one of {INITS}, got {self.init!r}")
        if self.intermediate not in INTERMEDIATE:
            raise ValueError(
                f"intermediate must be one of {INTERMEDIATE}, got {self.intermediate!r}"
            )
        if not 0 <= self.student_momentum < 1:
            raise ValueError(f"student_momentum must be in [0, 1), got {self.student_momentum}")


@dataclass(frozen=True)
class DistillConfig:
    """Hyperparameters shared by all members of one distillation.

    Parameters
    ----------
    ipc : int
        Synthetic images per class.
    iterations : int
        Outer iterations.
    syn_steps : int
        N, student steps per iteration.
    expert_epochs : int
        M, expert epochs the student must cover.
    max_start_epoch : int
        T+, start epochs are drawn from ``0 .. T+ - 1``.
    lr_img, lr_lr : float
        Outer learning rates of the pixels and of the synthetic learning rate.
    lr_init : float
        Initial synthetic learning rate; 0 means the experts' effective rate
        ``lr / (1 - momentum)`` times ``(1 - student_momentum)``.
    batch_syn : int
        Synthetic images per student step (0 = all).
    outer_momentum : float
        Momentum of the outer SGD (MTT: 0.5).
    min_lr : float
        Lower clamp of the synthetic learning rate (keeps it positive).
    augment : tuple of str
        DSA families used in the student's steps (empty = none).
    """

    ipc: int
    iterations: int
    syn_steps: int
    expert_epochs: int
    max_start_epoch: int
    lr_img: float
    lr_lr: float
    lr_init: float = 0.0
    batch_syn: int = 0
    outer_momentum: float = 0.5
    min_lr: float = 1e-5
    augment: tuple[str, ...] = ("color", "crop", "cutout", "scale", "rotate")

    def __post_init__(self):
        for name in ("ipc", "iterations", "syn_steps", "expert_epochs", "max_start_epoch"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        if self.batch_syn < 0:
            raise ValueError(f"batch_syn must be >= 0 (0 = all images), got {self.batch_syn}")
        if self.augment:
            aug.check_families(self.augment)


@dataclass
class DistillResult:
    """Outcome of :func:`distill`: one row per member (variant x seed)."""

    names: list[str]
    seeds: list[int]
    images: torch.Tensor  # (S, n, C, H, W)
    labels: torch.Tensor  # (n,)
    lr: torch.Tensor  # (S,)
    init_images: torch.Tensor  # (S, n, C, H, W)
    losses: torch.Tensor  # (iterations, S) matching loss (final term)
    lrs: torch.Tensor  # (iterations, S)
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    def rows(self, name: str) -> list[int]:
        """Member indices of variant ``name``."""
        rows = [i for i, n in enumerate(self.names) if n == name]
        if not rows:
            raise KeyError(f"no variant named {name!r}; have {sorted(set(self.names))}")
        return rows


def balance_weight(start_epoch: torch.Tensor, max_start_epoch: int) -> torch.Tensor:
    """AST's balanced-loss weight: ``log5(t - h + 8)`` for ``t >= h = T+ // 2``, else ``1 / log5(h - t + 8)``."""
    h = max_start_epoch // 2
    t = start_epoch.double()
    late = torch.log(t - h + 8) / math.log(5)
    early = math.log(5) / torch.log(h - t + 8)
    return torch.where(t >= h, late, early).float()


def perturb(
    spec: ConvNetSpec, params: torch.Tensor, generator: torch.Generator, scale: float = 1.0
) -> torch.Tensor:
    """AST's weight perturbation: each conv weight ``W <- W + scale * (d / ||d||_F) * W``, ``d ~ N(0, I)``."""
    out, start = [], 0
    for _, shape in spec.shapes():
        size = math.prod(shape)
        seg = params[:, start : start + size]
        if len(shape) == 4:
            d = torch.randn(seg.shape, generator=generator).to(seg.device)
            seg = seg + scale * d / d.norm(dim=1, keepdim=True) * seg
        out.append(seg)
        start += size
    return torch.cat(out, dim=1)


def student_step(
    spec: ConvNetSpec,
    theta: torch.Tensor,
    buf: torch.Tensor,
    x: torch.Tensor,
    y: torch.Tensor,
    lr: torch.Tensor,
    momentum: torch.Tensor | float = 0.0,
    weight: torch.Tensor | float = 1.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One differentiable student step for ``S`` members: ``buf <- mu buf + grad``, ``theta <- theta - lr buf``.

    Parameters
    ----------
    theta, buf : torch.Tensor
        Student parameters and momentum buffer ``(S, P)``.
    x, y : torch.Tensor
        Batch ``(S, B, C, H, W)`` and labels ``(S, B)``.
    lr : torch.Tensor
        Learning rate per member ``(S,)``.
    momentum : tensor ``(S, 1)`` or float
        Heavy-ball momentum (0 = plain SGD as in the papers).
    weight : tensor ``(S,)`` or float
        Multiplies each member's cross-entropy (AST's balanced loss).

    The step keeps the graph (``create_graph=True``) so that the matching loss
    can be differentiated through it into ``x`` and ``lr``.
    """
    S, B = y.shape
    ce = F.cross_entropy(
        forward(spec, theta, x).reshape(S * B, -1), y.reshape(-1), reduction="none"
    )
    ce = ce.reshape(S, B).mean(1) * weight
    (grad,) = torch.autograd.grad(ce.sum(), theta, create_graph=True)
    buf = momentum * buf + grad
    return theta - lr[:, None] * buf, buf


def check_fit(cfg: DistillConfig, experts: ExpertSet, name: str) -> None:
    """Raise ``ValueError`` if N, M or T+ do not fit the saved trajectories."""
    if cfg.max_start_epoch - 1 + cfg.expert_epochs > experts.epochs:
        raise ValueError(
            f"max_start_epoch={cfg.max_start_epoch} and expert_epochs={cfg.expert_epochs} need trajectories of at "
            f"least {cfg.max_start_epoch - 1 + cfg.expert_epochs} epochs; expert set {name!r} has {experts.epochs}"
        )


def distill(
    spec: ConvNetSpec,
    images: torch.Tensor,
    labels: torch.Tensor,
    experts: Mapping[str, ExpertSet],
    variants: Sequence[Variant],
    cfg: DistillConfig,
    seeds: Sequence[int] = (0,),
    device: torch.device | str = "cpu",
    progress: bool = True,
) -> DistillResult:
    """Distil ``cfg.ipc`` images per class for every (variant, seed) pair at once.

    Parameters
    ----------
    spec : ConvNetSpec
    images, labels : torch.Tensor
        Real training set ``(n, C, H, W)``, ``(n,)`` (already ZCA-whitened if used).
    experts : mapping of str to ExpertSet
        Expert sets by name, referenced by ``Variant.experts``.
    variants : sequence of Variant
    cfg : DistillConfig
    seeds : sequence of int
    device : torch.device or str
    progress : bool
        Show a progress bar.
    """
    spec.check_images(images, "images")
    if labels.shape != images.shape[:1]:
        raise ValueError(f"labels must have shape ({images.shape[0]},), got {tuple(labels.shape)}")
    check_ipc(labels, cfg.ipc, spec.classes)
    for v in variants:
        if v.experts not in experts:
            raise ValueError(
                f"variant {v.name!r} uses expert set {v.experts!r}; have {sorted(experts)}"
            )
        ex = experts[v.experts]
        if ex.trajectories.shape[-1] != spec.num_params:
            raise ValueError(
                f"expert set {v.experts!r} has {ex.trajectories.shape[-1]} parameters; spec needs {spec.num_params}"
            )
        check_fit(cfg, ex, v.experts)
        if v.intermediate != "off" and cfg.syn_steps < cfg.expert_epochs:
            raise ValueError(
                f"intermediate matching needs syn_steps >= expert_epochs, got N={cfg.syn_steps}, M={cfg.expert_epochs}"
            )
    dev = torch.device(device)
    members = [(v, int(s)) for v in variants for s in seeds]
    S, n_syn = len(members), cfg.ipc * spec.classes
    syn_labels = class_labels(cfg.ipc, spec.classes)

    init, lr0 = [], []
    for v, s in members:
        ex = experts[v.experts]
        if v.init == "real":
            idx = random_indices(labels, cfg.ipc, spec.classes, torch.Generator().manual_seed(s))
        else:
            final = ex.trajectories[s % ex.n_experts, -1]
            idx = kmeans_indices(
                expert_logits(spec, final, images), labels, cfg.ipc, spec.classes, seed=s
            )
        init.append(images[idx])
        lr0.append(cfg.lr_init or ex.config.effective_lr * (1 - v.student_momentum))
    init_images = torch.stack(init)
    syn = init_images.clone().to(dev).requires_grad_(True)
    syn_lr = torch.tensor(lr0, device=dev).requires_grad_(True)
    opt_img = torch.optim.SGD([syn], lr=cfg.lr_img, momentum=cfg.outer_momentum)
    opt_lr = torch.optim.SGD([syn_lr], lr=cfg.lr_lr, momentum=cfg.outer_momentum)
    y_syn = syn_labels.to(dev)

    trajs = {k: e.trajectories.to(dev) for k, e in experts.items()}
    mom = torch.tensor([v.student_momentum for v, _ in members], device=dev)[:, None]
    use_balance = torch.tensor([v.balance for v, _ in members], device=dev)
    do_perturb = torch.tensor([v.perturb for v, _ in members], device=dev)[:, None]
    mid_w = torch.tensor(
        [
            [
                0.0
                if v.intermediate == "off"
                else 1.0
                if v.intermediate == "uniform"
                else i / cfg.expert_epochs
                for i in range(1, cfg.expert_epochs)
            ]
            for v, _ in members
        ],
        device=dev,
    ).reshape(S, cfg.expert_epochs - 1)
    mid_steps = {(cfg.syn_steps // cfg.expert_epochs) * i: i for i in range(1, cfg.expert_epochs)}
    batch = cfg.batch_syn or n_syn
    g = torch.Generator().manual_seed(int(seeds[0]) * 7919 + 17)
    losses, lrs = [], []
    started = time.time()
    bar = _progress(
        range(cfg.iterations),
        desc=f"distill IPC{cfg.ipc} x{S}",
        **({} if progress else {"disable": True}),
    )
    for _ in bar:
        t = torch.randint(cfg.max_start_epoch, (S,), generator=g)
        snaps = []
        for j, (v, _) in enumerate(members):
            tr = trajs[v.experts]
            e = int(torch.randint(tr.shape[0], (1,), generator=g))
            snaps.append(tr[e, int(t[j]) : int(t[j]) + cfg.expert_epochs + 1])
        snaps = torch.stack(snaps)  # (S, M + 1, P)
        start, target = snaps[:, 0], snaps[:, -1]
        if bool(do_perturb.any()):
            start = torch.where(do_perturb, perturb(spec, start, g), start)
        w = torch.where(
            use_balance, balance_weight(t, cfg.max_start_epoch).to(dev), torch.ones(S, device=dev)
        )
        theta = start.detach().clone().requires_grad_(True)
        buf = torch.zeros_like(theta)
        order = torch.argsort(torch.rand(S, n_syn, generator=g), dim=1).to(dev)
        pos, loss = 0, torch.zeros(S, device=dev)
        for step in range(cfg.syn_steps):
            if pos + batch > n_syn:
                order, pos = torch.argsort(torch.rand(S, n_syn, generator=g), dim=1).to(dev), 0
            idx = order[:, pos : pos + batch]
            pos += batch
            xb = torch.gather(syn, 1, idx[:, :, None, None, None].expand(-1, -1, *syn.shape[2:]))
            yb = y_syn[idx]
            if cfg.augment:
                xb = aug.augment(
                    xb.reshape(S * batch, *syn.shape[2:]), cfg.augment, groups=S, generator=g
                ).reshape(xb.shape)
            theta, buf = student_step(spec, theta, buf, xb, yb, syn_lr, mom, w)
            if step + 1 in mid_steps:
                i = mid_steps[step + 1]
                loss = loss + mid_w[:, i - 1] * matching_loss(theta, start, snaps[:, i])
        final = matching_loss(theta, start, target)
        opt_img.zero_grad()
        opt_lr.zero_grad()
        (loss + final).sum().backward()
        opt_img.step()
        opt_lr.step()
        with torch.no_grad():
            syn_lr.clamp_(min=cfg.min_lr)
        losses.append(final.detach().cpu())
        lrs.append(syn_lr.detach().cpu().clone())
    return DistillResult(
        names=[v.name for v, _ in members],
        seeds=[s for _, s in members],
        images=syn.detach().cpu(),
        labels=syn_labels,
        lr=syn_lr.detach().cpu(),
        init_images=init_images.cpu(),
        losses=torch.stack(losses),
        lrs=torch.stack(lrs),
        seconds=time.time() - started,
    )
