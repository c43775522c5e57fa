"""Trajectory-matching distillation (MTT) with AST's additions as per-run switches.

Many distillations run as one batch of independent "members" (a variant and
a seed each): their students are evaluated together by the batched ConvNet,
and the summed loss gives each member exactly its own gradient. Members with
the same seed share their random draws (initial real images, expert, start
epoch, mini-batch order and augmentation: common random numbers), so the
difference between two variants at one seed is the variants' effect, not
luck of the draw.

One outer iteration, per member (MTT, Alg. 1):

1. draw an expert and a start epoch ``t < T+``; the student starts at the
   expert's ``theta*_t`` (AST: conv weights perturbed, see :func:`perturb`,
   with the reference network's relative noise, :func:`perturb_scales`);
2. take ``N`` SGD steps ``theta <- theta - alpha * grad CE(DSA(x_b), y_b)`` on
   synthetic mini-batches, keeping the graph (AST: CE scaled by the balance
   weight; heavy-ball student momentum as in AST's code);
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
from ..core.validate import check_finite, check_fraction, check_int, check_positive
from . import augment as aug
from .convnet import ConvNetSpec, forward
from .experts import ExpertSet
from .init import check_ipc, class_labels, expert_logits, kmeans_indices, random_indices
from .matching import matching_loss

INITS = ("real", "kmeans")
INTERMEDIATE = ("off", "uniform", "adaptive")
AST_STUDENT_MOMENTUM = (
    0.9  # AST's code: the student's inner SGD always uses heavy-ball momentum 0.9
)
# AST's code starts alpha at lr_teacher = 0.01 (distill.sh, README) while its experts train at
# 0.003 with momentum 0.9 (buffer.py defaults), an effective 0.03: a third of the experts' rate.
AST_STUDENT_RATE = 0.01 / (0.003 / (1 - 0.9))


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
        Heavy-ball momentum of the student's inner SGD, in [0, 1). MTT's code and
        both papers' equations: plain SGD (0, the default); AST's code: 0.9
        (:data:`AST_STUDENT_MOMENTUM`).
    student_rate : float
        Initial synthetic rate as a fraction of the experts' effective rate (> 0).
        MTT's code: 1 (alpha starts at the experts' rate); AST's code, whose
        momentum student starts at a third of its experts' effective rate:
        :data:`AST_STUDENT_RATE` (its student then strides 3.3x an expert).
    """

    name: str
    experts: str = "plain"
    init: str = "real"
    balance: bool = False
    intermediate: str = "off"
    perturb: bool = False
    student_momentum: float = 0.0
    student_rate: float = 1.0

    def __post_init__(self):
        if self.init not in INITS:
            raise ValueError(f"init must be one of {INITS}, got {self.init!r}")
        if self.intermediate not in INTERMEDIATE:
            raise ValueError(
                f"intermediate must be one of {INTERMEDIATE}, got {self.intermediate!r}"
            )
        check_fraction("student_momentum", self.student_momentum)
        check_positive("student_rate", self.student_rate)


@dataclass(frozen=True)
class DistillConfig:
    """Hyperparameters shared by all members of one distillation (one IPC).

    Parameters
    ----------
    ipc : int
        Synthetic images per class (>= 1).
    iterations : int
        Outer iterations.
    syn_steps : int
        N, student steps per iteration.
    expert_epochs : int
        M, expert epochs the student must cover.
    max_start_epoch : int
        T+, start epochs are drawn from ``0 .. T+ - 1``.
    lr_img, lr_lr : float
        Outer learning rates (> 0) of the pixels and of the synthetic learning rate.
    lr_init : float, optional
        Initial synthetic learning rate (> 0), times each variant's
        ``student_rate``; ``None``: the experts' effective rate
        ``lr / (1 - momentum)`` (MTT and AST start alpha at ``lr_teacher``).
    batch_syn : int
        Synthetic images per student step (0 = all).
    outer_momentum : float
        Momentum of the outer SGD, in [0, 1) (MTT: 0.5).
    min_lr : float
        Lower clamp of the synthetic learning rate (keeps it positive).
    augment : tuple of str
        DSA families used in the student's steps (empty = none).
    allow_decay_window : bool
        Allow matching windows that reach an expert's rate decay. AST's
        windows end before its experts' decay, and a segment across the decay
        asks the student for a step the expert did not take at one rate; off
        by default, so such a setting is an error.
    max_experts : int, optional
        Match only the first ``max_experts`` experts of each set (MTT's
        ``--max_experts``); ``None``: all of them.
    seeds : int
        Distillation seeds of this run, consecutive from the profile's first
        (0 = the profile's seeds).
    seeds_per_batch : int
        Seeds distilled together in one batch (0 = all). Part of the run's
        definition, not only of its speed: a batch's random draws come from its
        first seed, and its float rounding depends on which members share it.
    """

    ipc: int
    iterations: int
    syn_steps: int
    expert_epochs: int
    max_start_epoch: int
    lr_img: float
    lr_lr: float
    lr_init: float | None = None
    batch_syn: int = 0
    outer_momentum: float = 0.5
    min_lr: float = 1e-5
    augment: tuple[str, ...] = ("color", "crop", "cutout", "scale", "rotate")
    allow_decay_window: bool = False
    max_experts: int | None = None
    seeds: int = 0
    seeds_per_batch: int = 0

    def __post_init__(self):
        for name in ("ipc", "iterations", "syn_steps", "expert_epochs", "max_start_epoch"):
            check_int(name, getattr(self, name))
        for name in ("lr_img", "lr_lr", "min_lr"):
            check_positive(name, getattr(self, name))
        if self.lr_init is not None:
            check_positive("lr_init", self.lr_init)
        if self.max_experts is not None:
            check_int("max_experts", self.max_experts)
        for name in ("seeds", "seeds_per_batch"):
            check_int(name, getattr(self, name), low=0)
        check_fraction("outer_momentum", self.outer_momentum)
        if not isinstance(self.batch_syn, int) or self.batch_syn < 0:
            raise ValueError(
                f"batch_syn must be an integer >= 0 (0 = all images), got {self.batch_syn!r}"
            )
        if self.augment:
            aug.check_families(self.augment)

    def seed_batches(self, seeds: Sequence[int]) -> list[list[int]]:
        """This run's seeds (see ``seeds``), from the profile's ``seeds``, in batches of ``seeds_per_batch``."""
        seeds = list(seeds)
        if self.seeds:
            seeds = [seeds[0] + i for i in range(self.seeds)]
        size = self.seeds_per_batch or len(seeds)
        return [seeds[i : i + size] for i in range(0, len(seeds), size)]

    def experts_used(self, n_experts: int) -> int:
        """How many of a set's ``n_experts`` experts this run matches (the first ones)."""
        return n_experts if self.max_experts is None else min(self.max_experts, n_experts)

    def window_end(self) -> int:
        """Last expert epoch (1-based) any matching window trains through: ``T+ - 1 + M``."""
        return self.max_start_epoch - 1 + self.expert_epochs


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

    @classmethod
    def join(cls, parts: Sequence[DistillResult]) -> DistillResult:
        """One result from batches of the same run (members in the parts' order)."""
        if len(parts) == 1:
            return parts[0]
        cat = lambda name, dim=0: torch.cat([getattr(p, name) for p in parts], dim=dim)  # noqa: E731
        return cls(
            names=[n for p in parts for n in p.names],
            seeds=[s for p in parts for s in p.seeds],
            images=cat("images"),
            labels=parts[0].labels,
            lr=cat("lr"),
            init_images=cat("init_images"),
            losses=cat("losses", 1),
            lrs=cat("lrs", 1),
            seconds=sum(p.seconds for p in parts),
        )

    def rows(self, name: str) -> list[int]:
        """Member indices of variant ``name``."""
        rows = [i for i, n in enumerate(self.names) if n == name]
        if not rows:
            raise KeyError(f"no variant named {name!r}; have {sorted(set(self.names))}")
        return rows


# The divergence rule, fixed before any run on the colour testbed (issue 21): a distillation has
# diverged when its largest absolute pixel ends above DIVERGENCE_PIXEL_FACTOR times its start's, or
# when the mean matching loss of its last DIVERGENCE_WINDOW iterations is above DIVERGENCE_LOSS_FACTOR
# times that of its first (the margin keeps the segment draws' noise from flagging a flat run).
# The diverged runs seen so far reached 5-25x their start's pixel maximum and a loss back at 0.8-1.1;
# stable ones 1.2-1.7x and a falling loss. Diverged runs are counted and shown, and stay in the
# paired means (the rule is to flag, not to exclude).
DIVERGENCE_PIXEL_FACTOR = 3.0
DIVERGENCE_WINDOW = 10
DIVERGENCE_LOSS_FACTOR = 1.1


def diverged(
    res: DistillResult,
    pixel_factor: float = DIVERGENCE_PIXEL_FACTOR,
    window: int = DIVERGENCE_WINDOW,
    loss_factor: float = DIVERGENCE_LOSS_FACTOR,
) -> torch.Tensor:
    """Which members of ``res`` diverged by the pre-set rule (see :data:`DIVERGENCE_PIXEL_FACTOR`).

    Parameters
    ----------
    res : DistillResult
    pixel_factor : float
        Largest final ``|pixel|`` allowed, as a multiple of the member's initial largest ``|pixel|``.
    window : int
        Iterations averaged at each end of the loss curve (at most a quarter of them, at least 1).
    loss_factor : float
        Largest last-window mean loss allowed, as a multiple of the first window's.

    Returns
    -------
    torch.Tensor
        Boolean ``(S,)``: True where a member diverged (a non-finite pixel or loss counts too).
    """
    check_positive("pixel_factor", pixel_factor)
    check_int("window", window)
    check_positive("loss_factor", loss_factor)
    S = res.images.shape[0]
    final = res.images.reshape(S, -1).abs().amax(1)
    start = res.init_images.reshape(S, -1).abs().amax(1)
    big = ~(final <= pixel_factor * start)
    losses = res.losses.double()
    if losses.shape[0] == 0:
        return big
    w = max(1, min(window, losses.shape[0] // 4))
    rising = ~(losses[-w:].mean(0) <= loss_factor * losses[:w].mean(0))
    return big | rising


def balance_weight(start_epoch: torch.Tensor, max_start_epoch: int) -> torch.Tensor:
    """AST's balanced-loss weight: ``log5(t - h + 8)`` for ``t >= h = T+ // 2``, else ``1 / log5(h - t + 8)``."""
    h = max_start_epoch // 2
    t = start_epoch.double()
    late = torch.log(t - h + 8) / math.log(5)
    early = math.log(5) / torch.log(h - t + 8)
    return torch.where(t >= h, late, early).float()


REFERENCE_WIDTH = 128  # MTT/AST's ConvNet-3 on CIFAR-10: width 128, 3x3 kernels
REFERENCE_DEPTH = 3


def perturb_scales(
    spec: ConvNetSpec, width: int = REFERENCE_WIDTH, depth: int = REFERENCE_DEPTH
) -> tuple[float, ...]:
    """Per conv layer, the ``scale`` that gives :func:`perturb` the reference network's relative noise.

    AST's rule ``W + (d / ||d||_F) * W`` moves a layer of ``n`` weights by about
    ``||W|| / sqrt(n)``, so a small network is perturbed more, relative to its
    weights, than AST's ConvNet-3 (width 128). Scaling layer ``l`` by
    ``sqrt(n_l / n_ref_l)``, with ``n_ref_l`` the weights of the reference's
    layer ``l`` (its last layer for deeper ones), makes the relative noise the
    reference's; at the reference's own size every scale is 1.
    """
    check_int("width", width)
    check_int("depth", depth)
    convs = [shape for _, shape in spec.shapes() if len(shape) == 4]
    out = []
    for layer, shape in enumerate(convs):
        k = shape[-1] * shape[-2]
        n_ref = (spec.channels if layer == 0 else width) * width * k
        if layer >= depth:
            n_ref = width * width * k
        out.append(math.sqrt(math.prod(shape) / n_ref))
    return tuple(out)


def perturb(
    spec: ConvNetSpec,
    params: torch.Tensor,
    generator: torch.Generator,
    scale: float | Sequence[float] = 1.0,
) -> torch.Tensor:
    """AST's weight perturbation: each conv weight ``W <- W + scale * (d / ||d||_F) * W``, ``d ~ N(0, I)``.

    ``scale`` is one number or one per conv layer (see :func:`perturb_scales`).
    """
    n_conv = sum(len(shape) == 4 for _, shape in spec.shapes())
    scales = [float(scale)] * n_conv if isinstance(scale, (int, float)) else list(scale)
    if len(scales) != n_conv or not all(math.isfinite(c) and c >= 0 for c in scales):
        raise ValueError(
            f"scale must be one number >= 0 or {n_conv} (one per conv layer), got {scale!r}"
        )
    out, start, layer = [], 0, 0
    for _, shape in spec.shapes():
        size = math.prod(shape)
        seg = params[:, start : start + size]
        if len(shape) == 4:
            d = torch.randn(seg.shape, generator=generator).to(seg.device)
            seg = seg + scales[layer] * d / d.norm(dim=1, keepdim=True) * seg
            layer += 1
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
    """Raise ``ValueError`` if the matching windows do not fit the saved trajectories.

    Every window ``[t, t + M]``, ``t < T+``, must lie within the experts'
    epochs and, unless ``cfg.allow_decay_window``, end before their rate decay.
    """
    if cfg.window_end() > experts.epochs:
        raise ValueError(
            f"max_start_epoch={cfg.max_start_epoch} and expert_epochs={cfg.expert_epochs} need trajectories of at "
            f"least {cfg.window_end()} epochs; expert set {name!r} has {experts.epochs}"
        )
    decay = experts.config.decay_epoch
    if decay and cfg.window_end() > decay and not cfg.allow_decay_window:
        raise ValueError(
            f"max_start_epoch={cfg.max_start_epoch} and expert_epochs={cfg.expert_epochs} match expert "
            f"epochs up to {cfg.window_end()}, past the rate decay of expert set {name!r} after epoch {decay}; "
            f"expected max_start_epoch + expert_epochs - 1 <= {decay} (or allow_decay_window=True)"
        )


def check_inputs(spec, images, labels, experts, variants, cfg) -> None:
    """Validate :func:`distill`'s arguments; each error names the argument and the value."""
    spec.check_images(images, "images")
    check_finite("images", images)
    if labels.shape != images.shape[:1] or labels.dtype.is_floating_point:
        raise ValueError(
            f"labels must be integers of shape ({images.shape[0]},), got {labels.dtype} {tuple(labels.shape)}"
        )
    if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) >= spec.classes):
        raise ValueError(
            f"labels must lie in [0, {spec.classes - 1}], got [{int(labels.min())}, {int(labels.max())}]"
        )
    check_ipc(labels, cfg.ipc, spec.classes)
    if not variants:
        raise ValueError("variants must name at least one Variant")
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


@dataclass
class Members:
    """Per-member switches of one batch, as tensors ``(S, ...)``; ``group`` is each member's seed index."""

    variants: list[Variant]
    seeds: list[int]
    group: torch.Tensor
    momentum: torch.Tensor
    balance: torch.Tensor
    perturb: torch.Tensor
    mid_weight: torch.Tensor

    @classmethod
    def build(cls, variants, seeds, cfg: DistillConfig, device) -> Members:
        pairs = [(v, int(s)) for v in variants for s in seeds]
        M = cfg.expert_epochs
        weight = {"off": lambda i: 0.0, "uniform": lambda i: 1.0, "adaptive": lambda i: i / M}
        mid = [[weight[v.intermediate](i) for i in range(1, M)] for v, _ in pairs]
        tensor = lambda values: torch.tensor(values, device=device)  # noqa: E731
        return cls(
            [v for v, _ in pairs],
            [s for _, s in pairs],
            tensor([list(seeds).index(s) for _, s in pairs]),
            tensor([v.student_momentum for v, _ in pairs])[:, None],
            tensor([v.balance for v, _ in pairs]),
            tensor([v.perturb for v, _ in pairs])[:, None],
            tensor(mid).reshape(len(pairs), M - 1),
        )


def initial_sets(spec, images, labels, experts, members: Members, cfg: DistillConfig):
    """Initial synthetic images ``(S, n, C, H, W)`` and rates ``(S,)``: random real (per seed) or k-means."""
    init, lr0 = [], []
    for v, s in zip(members.variants, members.seeds):
        ex = experts[v.experts]
        if v.init == "real":
            idx = random_indices(labels, cfg.ipc, spec.classes, torch.Generator().manual_seed(s))
        else:
            final = ex.trajectories[s % cfg.experts_used(ex.n_experts), -1]
            feats = expert_logits(spec, final, images)
            idx = kmeans_indices(feats, labels, cfg.ipc, spec.classes, seed=s)
        init.append(images[idx])
        lr0.append((cfg.lr_init or ex.config.effective_lr) * v.student_rate)
    return torch.stack(init), torch.tensor(lr0)


def draw_segments(trajs, members: Members, cfg: DistillConfig, g: torch.Generator):
    """Start epochs ``(S,)`` and expert snapshots ``(S, M + 1, P)``; one draw per seed, shared by its members."""
    K = int(members.group.max()) + 1
    t_seed = torch.randint(cfg.max_start_epoch, (K,), generator=g)
    e_seed = torch.randint(1 << 30, (K,), generator=g)
    group = members.group.cpu()
    snaps = []
    for v, k in zip(members.variants, group.tolist()):
        tr = trajs[v.experts]
        e, t = int(e_seed[k]) % cfg.experts_used(tr.shape[0]), int(t_seed[k])
        snaps.append(tr[e, t : t + cfg.expert_epochs + 1])
    return t_seed[group], torch.stack(snaps)


def synthetic_batches(syn, members: Members, cfg: DistillConfig, g: torch.Generator):
    """Yield ``cfg.syn_steps`` augmented mini-batches ``(S, B, C, H, W)`` and their positions ``(S, B)``.

    Order (without replacement, reshuffled when exhausted) and augmentation are
    drawn once per seed and shared by the seed's members.
    """
    S, n_syn = syn.shape[:2]
    K, group = int(members.group.max()) + 1, members.group.cpu()
    batch = cfg.batch_syn or n_syn
    order, pos = None, n_syn
    for _ in range(cfg.syn_steps):
        if pos + batch > n_syn:
            order, pos = torch.argsort(torch.rand(K, n_syn, generator=g), dim=1), 0
        idx = order[group, pos : pos + batch].to(syn.device)
        pos += batch
        xb = torch.gather(syn, 1, idx[:, :, None, None, None].expand(-1, -1, *syn.shape[2:]))
        if cfg.augment:
            drawn = aug.sample(K * batch, syn.shape[-1], cfg.augment, groups=K, generator=g)
            rows = (group[:, None] * batch + torch.arange(batch)).reshape(-1)
            flat = aug.apply(xb.reshape(S * batch, *syn.shape[2:]), aug.select(drawn, rows))
            xb = flat.reshape(xb.shape)
        yield xb, idx


def unroll(spec, syn, y_syn, syn_lr, snaps, t, members: Members, cfg: DistillConfig, g):
    """N differentiable student steps from ``snaps[:, 0]``; returns the per-member loss ``(S,)`` and its final term."""
    start, S = snaps[:, 0], snaps.shape[0]
    if bool(members.perturb.any()):
        start = torch.where(members.perturb, perturb(spec, start, g, perturb_scales(spec)), start)
    ones = torch.ones(S, device=syn.device)
    w = torch.where(members.balance, balance_weight(t, cfg.max_start_epoch).to(syn.device), ones)
    mid_steps = {(cfg.syn_steps // cfg.expert_epochs) * i: i for i in range(1, cfg.expert_epochs)}
    theta = start.detach().clone().requires_grad_(True)
    buf, loss = torch.zeros_like(theta), torch.zeros(S, device=syn.device)
    for step, (xb, idx) in enumerate(synthetic_batches(syn, members, cfg, g), start=1):
        theta, buf = student_step(spec, theta, buf, xb, y_syn[idx], syn_lr, members.momentum, w)
        if step in mid_steps:
            i = mid_steps[step]
            loss = loss + members.mid_weight[:, i - 1] * matching_loss(theta, start, snaps[:, i])
    final = matching_loss(theta, start, snaps[:, -1])
    return loss + final, final


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
        Distinct seeds; every variant runs once per seed.
    device : torch.device or str
    progress : bool
        Show a progress bar.
    """
    check_inputs(spec, images, labels, experts, variants, cfg)
    if len(set(seeds)) != len(seeds) or not len(seeds):
        raise ValueError(f"seeds must be distinct and non-empty, got {list(seeds)}")
    dev = torch.device(device)
    members = Members.build(variants, seeds, cfg, dev)
    init_images, lr0 = initial_sets(spec, images, labels, experts, members, cfg)
    syn = init_images.clone().to(dev).requires_grad_(True)
    syn_lr = lr0.to(dev).requires_grad_(True)
    opt_img = torch.optim.SGD([syn], lr=cfg.lr_img, momentum=cfg.outer_momentum)
    opt_lr = torch.optim.SGD([syn_lr], lr=cfg.lr_lr, momentum=cfg.outer_momentum)
    y_syn = class_labels(cfg.ipc, spec.classes).to(dev)
    trajs = {k: e.trajectories.to(dev) for k, e in experts.items()}
    g = torch.Generator().manual_seed(int(seeds[0]) * 7919 + 17)
    losses, lrs, started = [], [], time.time()
    label = f"distill IPC{cfg.ipc} x{len(members.seeds)}"
    for _ in _progress(
        range(cfg.iterations), desc=label, **({} if progress else {"disable": True})
    ):
        t, snaps = draw_segments(trajs, members, cfg, g)
        loss, final = unroll(spec, syn, y_syn, syn_lr, snaps, t, members, cfg, g)
        opt_img.zero_grad()
        opt_lr.zero_grad()
        loss.sum().backward()
        opt_img.step()
        opt_lr.step()
        with torch.no_grad():
            syn_lr.clamp_(min=cfg.min_lr)
        losses.append(final.detach().cpu())
        lrs.append(syn_lr.detach().cpu().clone())
    return DistillResult(
        names=[v.name for v in members.variants],
        seeds=members.seeds,
        images=syn.detach().cpu(),
        labels=y_syn.cpu(),
        lr=syn_lr.detach().cpu(),
        init_images=init_images.cpu(),
        losses=torch.stack(losses),
        lrs=torch.stack(lrs),
        seconds=time.time() - started,
    )
