"""Gradient inversion attacks behind one interface: ``attack.reconstruct(model, gradients, labels, shape)``.

- :class:`DLG` (Zhu et al. 2019): L2 gradient distance, L-BFGS, soft labels optimised jointly.
- :class:`IDLG` (Zhao et al. 2020): DLG with the label read off the last layer's gradient.
- :class:`InvertingGradients` (Geiping et al. 2020): cosine + TV, signed Adam, box, restarts;
  eval-mode attacker by default, ``train_mode=True`` redraws dropout masks every step.
- :class:`WIIG`: IG with the client's true dropout masks (the well-informed upper bound).
- :class:`DIA` (Scheliga et al. 2023): image and one continuous mask per dropout layer
  optimised jointly, mask-rate regulariser, masks projected to [0, 1].

IG, WIIG and DIA share :mod:`support.inversion.engine`, so restarts (and, via
:func:`reconstruct_many`, different targets and attacks with the same recipe)
run in one engine call. IG defaults to IG's own recipe, DIA and WIIG to the
DIA reference code's (see the classes).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch
from torch import nn
from torch.func import functional_call, grad

from ..core.validate import check_int
from .engine import Problem, Settings, prepare, run
from .labels import infer_labels
from .masks import dropout_layers, has_dropout, mask_shapes, set_mode, with_mask_dropout

ATTACKS = ("dlg", "idlg", "ig", "ig-train", "wiig", "dia", "dia-noreg", "dia-frozen")


def check_gradients(model: nn.Module, gradients) -> list[torch.Tensor]:
    """Validate an observed gradient against ``model`` and return it as a list in parameter order.

    Parameters
    ----------
    model : nn.Module
    gradients : list of torch.Tensor or dict of str to torch.Tensor
        One tensor per parameter (``model.parameters()`` order) or keyed by ``named_parameters()`` name.

    Raises
    ------
    ValueError
        If the number of tensors, a name or a shape does not match the model.
    """
    named = list(model.named_parameters())
    if isinstance(gradients, dict):
        missing = [n for n, _ in named if n not in gradients]
        if missing or len(gradients) != len(named):
            raise ValueError(
                f"gradients: dict keys must be the model's parameter names; missing {missing[:3]}, "
                f"got {len(gradients)} entries for {len(named)} parameters"
            )
        gradients = [gradients[n] for n, _ in named]
    if not isinstance(gradients, (list, tuple)) or not all(
        isinstance(g, torch.Tensor) for g in gradients
    ):
        raise TypeError(
            "gradients must be a list of tensors (one per model parameter) or a dict name -> tensor"
        )
    if len(gradients) != len(named):
        raise ValueError(
            f"gradients has {len(gradients)} tensors but the model has {len(named)} parameters"
        )
    for (n, q), g in zip(named, gradients):
        if g.shape != q.shape:
            raise ValueError(
                f"gradients: tensor for {n} has shape {tuple(g.shape)}, the parameter {tuple(q.shape)}"
            )
        if not bool(torch.isfinite(g).all()):
            raise ValueError(f"gradients: tensor for {n} holds NaN or inf values")
    return [g.detach() for g in gradients]


def check_box(box, channels: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel box ``(lo, hi)`` as two float tensors of length ``channels``."""
    lo, hi = (torch.as_tensor(b, dtype=torch.float32).flatten() for b in box)
    lo, hi = (b.expand(channels).clone() if b.numel() == 1 else b for b in (lo, hi))
    if lo.numel() != channels or hi.numel() != channels or bool((lo >= hi).any()):
        raise ValueError(
            f"box must be (lo, hi) with lo < hi, scalars or {channels} values each; got {box!r}"
        )
    return lo, hi


@dataclass
class _Base:
    """Shared settings; see the subclasses. Defaults: the DIA reference code's recipe.

    Parameters
    ----------
    iterations : int
        Maximum iterations per start.
    lr, tv : float
        Adam step size and weight of the total-variation prior.
    restarts : int
        Independent starts; the one whose returned iterate has the lowest
        gradient-matching loss is kept.
    box : (lo, hi) or None
        Image bounds in normalised space, per channel or scalar.
    seed : int
        Seed of the starts (images and masks).
    schedule, patience, factor, stop_patience, stop_loss, milestones
        Step-size schedule and early stopping (see :class:`~support.inversion.engine.Settings`).
    strategy : {"auto", "loop", "vmap"}
        How the engine computes per-problem gradients.
    """

    iterations: int = 20_000
    lr: float = 0.1
    tv: float = 1e-5
    restarts: int = 1
    box: tuple | None = None  # (lo, hi) in normalised space, per channel or scalar
    seed: int = 0
    schedule: str = "plateau"
    patience: int = 800
    factor: float = 0.1
    stop_patience: int | None = 4000
    stop_loss: float | None = 1e-5
    milestones: tuple = (3 / 8, 5 / 8, 7 / 8)
    strategy: str = "auto"

    name = "base"
    needs_masks = False

    def __post_init__(self):
        check_int("restarts", self.restarts)
        box, self.box = self.box, None
        try:
            self.settings(1)  # validates iterations, lr, tv, schedule, patience... (ValueError)
        finally:
            self.box = box

    def settings(self, channels: int) -> Settings:
        """The engine settings of this attack for images with ``channels`` channels."""
        return Settings(
            iterations=self.iterations,
            lr=self.lr,
            tv=self.tv,
            schedule=self.schedule,
            milestones=tuple(self.milestones),
            factor=self.factor,
            patience=self.patience,
            stop_patience=self.stop_patience,
            stop_loss=self.stop_loss,
            seed=self.seed,
            strategy=self.strategy,
            box=None if self.box is None else check_box(self.box, channels),
        )

    def settings_key(self) -> tuple:
        """Settings that must agree for two attacks to share one engine run."""
        return (
            self.iterations,
            self.lr,
            self.tv,
            self.schedule,
            tuple(self.milestones),
            self.factor,
            self.patience,
            self.stop_patience,
            self.stop_loss,
            self.strategy,
        )

    def _validate(self, model, gradients, labels, shape, masks, init):
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        gradients = check_gradients(model, gradients)
        shape = tuple(int(s) for s in shape)
        if len(shape) != 4:
            raise ValueError(f"shape must be (B, C, H, W), got {shape!r}")
        if any(s < 1 for s in shape):
            raise ValueError(f"shape must be positive (B, C, H, W), got {shape!r}")
        num_classes = _num_classes(model, shape)
        if labels is None:
            labels = infer_labels(model, gradients, shape[0])
        labels = torch.as_tensor(labels).long().flatten()
        if labels.numel() != shape[0]:
            raise ValueError(
                f"labels has {labels.numel()} entries but shape has batch size {shape[0]}"
            )
        if bool((labels < 0).any() or (labels >= num_classes).any()):
            raise ValueError(
                f"labels must lie in [0, {num_classes}) for this model's {num_classes} classes, "
                f"got {labels.tolist()}"
            )
        if self.needs_masks and masks is None:
            raise ValueError(
                f"{self.name} needs the client's true dropout masks (masks=update.masks)"
            )
        if init is not None:
            init = torch.as_tensor(init, dtype=torch.float32)
            if tuple(init.shape) != shape:
                raise ValueError(f"init has shape {tuple(init.shape)}, expected {shape}")
            if self.box is not None:
                lo, hi = check_box(self.box, shape[1])
                if bool((init < lo.view(1, -1, 1, 1)).any() or (init > hi.view(1, -1, 1, 1)).any()):
                    raise ValueError(
                        "init: images lie outside the box (lo, hi); clip or normalise them first"
                    )
        return gradients, labels, shape, init

    def problems(
        self, net, gradients, labels, shape, masks=None, init=None, generator=None, tag=None
    ):
        """The engine problems (one per restart) this attack solves for one target."""
        raise NotImplementedError

    def reconstruct(self, model, gradients, labels, shape, masks=None, init=None):
        """Reconstruct the client's batch from its gradient.

        Parameters
        ----------
        model : nn.Module
            The global model (weights known to the attacker); its ``nn.Dropout``
            layers are swapped for mask-carrying ones on a copy.
        gradients : list or dict of torch.Tensor
            The observed gradient (see :func:`check_gradients`).
        labels : array-like of int or None
            The batch's labels; ``None`` infers them from the last layer.
        shape : tuple of int
            ``(B, C, H, W)`` of the batch.
        masks : dict of str to torch.Tensor, optional
            The client's true masks (WIIG only).
        init : torch.Tensor, optional
            Initial images (default: standard normal), inside the box.

        Returns
        -------
        images : torch.Tensor
            ``(B, C, H, W)`` reconstruction in the model's input (normalised) space.
        history : dict
            ``loss`` and ``gradient_loss`` (tensors, restarts x iterations);
            ``best_loss``, ``best_gradient_loss`` (floats) and ``iterations_run``
            (int) of the returned restart; ``restart_best_loss``,
            ``restart_best_gradient_loss`` and ``restart_iterations_run`` (numpy
            arrays, one entry a restart); ``restart`` (the one returned),
            ``restart_images``, ``masks`` (final masks of that restart),
            ``labels`` and ``seconds`` (float).
        """
        gradients, labels, shape, init = self._validate(
            model, gradients, labels, shape, masks, init
        )
        started = time.time()
        net = prepare(model)
        gen = torch.Generator().manual_seed(self.seed)
        probs = self.problems(net, gradients, labels, shape, masks, init, gen)
        res = run(net, probs, self.settings(shape[1]))
        images, hist = _history(res, torch.arange(len(probs)), labels)
        hist["seconds"] = time.time() - started
        return images, hist


def _history(res, idx, labels):
    """The kept restart of problems ``idx`` (lowest gradient loss at the returned iterate) and its history."""
    b = int(idx[torch.argmin(res.best_gradient_loss[idx])])
    return res.images[b], {
        "loss": res.loss[idx].cpu(),
        "gradient_loss": res.gradient_loss[idx].cpu(),
        "best_loss": float(res.best_loss[b]),
        "best_gradient_loss": float(res.best_gradient_loss[b]),
        "iterations_run": int(res.stopped[b]),
        "restart_best_loss": res.best_loss[idx].cpu().numpy(),
        "restart_best_gradient_loss": res.best_gradient_loss[idx].cpu().numpy(),
        "restart_iterations_run": res.stopped[idx].cpu().numpy(),
        "restart": int(b - idx[0]),
        "restart_images": res.images[idx].cpu(),
        "masks": {k: v[b] for k, v in res.masks.items()},
        "labels": labels,
    }


def _num_classes(model: nn.Module, shape: tuple) -> int:
    """Classes the model outputs for an input of ``shape``; ValueError if the shape does not fit it."""
    net = set_mode(with_mask_dropout(model), "identity").eval()
    device = next(net.parameters()).device
    try:
        with torch.no_grad():
            out = net(torch.zeros((1, *shape[1:]), device=device))
    except (RuntimeError, ValueError) as err:
        raise ValueError(
            f"shape {shape!r}: images of this shape do not fit the model ({err})"
        ) from None
    if out.ndim != 2:
        raise ValueError(f"the model must output (B, classes) logits, got shape {tuple(out.shape)}")
    return int(out.shape[1])


def _eval_masks(shapes):
    return {k: torch.ones(s) for k, s in shapes.items()}, {k: 1.0 for k in shapes}


def _layer_rates(net) -> dict[str, float]:
    return {n: m.p for n, m in dropout_layers(net).items()}


def _init(shape, init, gen):
    return init.clone() if init is not None else torch.randn(shape, generator=gen)


@dataclass
class InvertingGradients(_Base):
    """Inverting Gradients: cosine + TV, signed Adam, box, restarts (Geiping et al. 2020).

    Defaults are IG's own recipe (Geiping et al. 2020; breaching's
    ``invertinggradients`` config): 24 000 iterations, step size x 0.1 at 3/8,
    5/8 and 7/8 of the run, no early stopping; the restart with the lowest
    final gradient loss is kept. With ``train_mode=False`` (default) the
    attacker's dropout is off (eval); with ``train_mode=True`` a fresh
    Bernoulli mask is drawn every iteration.
    """

    iterations: int = 24_000
    schedule: str = "multistep"
    stop_patience: int | None = None
    stop_loss: float | None = None
    train_mode: bool = False
    name = "ig"

    def problems(
        self, net, gradients, labels, shape, masks=None, init=None, generator=None, tag=None
    ):
        shapes = mask_shapes(net, shape)
        rates = _layer_rates(net)
        p = max(rates.values(), default=0.0)
        out = []
        for r in range(self.restarts):
            if self.train_mode:
                m0 = {k: torch.ones(s) for k, s in shapes.items()}
                sc = {k: 1.0 / (1.0 - rates[k]) for k in shapes}
            else:
                m0, sc = _eval_masks(shapes)
            out.append(
                Problem(
                    gradients,
                    labels,
                    _init(shape, init, generator),
                    m0,
                    sc,
                    p=p,
                    resample=self.train_mode,
                    tag={**(tag or {}), "restart": r},
                )
            )
        return out


@dataclass
class WIIG(_Base):
    """Well-informed IG: IG whose dropout uses the client's true masks (an upper bound).

    Defaults: the DIA reference code's recipe (its ``WIIG.yaml``): up to 20 000
    iterations, ``ReduceLROnPlateau`` (x 0.1, patience 800), early stopping
    after 4 000 iterations without improvement or at loss 1e-5.
    """

    name = "wiig"
    needs_masks = True

    def problems(
        self, net, gradients, labels, shape, masks=None, init=None, generator=None, tag=None
    ):
        shapes = mask_shapes(net, shape)
        rates = _layer_rates(net)
        if masks is None or set(masks) != set(shapes):
            raise ValueError(f"masks must have one entry per dropout layer {sorted(shapes)}")
        for k, s in shapes.items():
            if tuple(masks[k].shape) != s:
                raise ValueError(
                    f"masks[{k!r}] has shape {tuple(masks[k].shape)}, the layer's activation {s}"
                )
        sc = {k: 1.0 / (1.0 - rates[k]) for k in shapes}
        return [
            Problem(
                gradients,
                labels,
                _init(shape, init, generator),
                {k: masks[k].float().cpu() for k in shapes},
                sc,
                p=max(rates.values(), default=0.0),
                tag={**(tag or {}), "restart": r},
            )
            for r in range(self.restarts)
        ]


@dataclass
class DIA(_Base):
    """Dropout Inversion Attack: image and continuous masks optimised jointly (Scheliga et al. 2023).

    Defaults: the reference code's recipe (``DIA.yaml``): up to 20 000
    iterations, ``ReduceLROnPlateau`` (x 0.1, patience 800), early stopping
    after 4 000 iterations without improvement or at loss 1e-5.

    Parameters
    ----------
    mask_reg : float
        Weight of ``sum_l |(1 - mean(m_l)) - p|`` (1e-4 in the reference code; 0 for the ablation).
    freeze_masks : bool
        Keep the masks at their random Bernoulli start (ablation).
    fallback_at_zero : bool
        At p = 0 run IG, as the reference code does.
    """

    mask_reg: float = 1e-4
    freeze_masks: bool = False
    fallback_at_zero: bool = True
    name = "dia"

    def _validate(self, model, *args):
        if not has_dropout(model):
            raise ValueError(
                "DIA needs a model with dropout: model has no nn.Dropout layer to attack; use IG"
            )
        return super()._validate(model, *args)

    def problems(
        self, net, gradients, labels, shape, masks=None, init=None, generator=None, tag=None
    ):
        rates = _layer_rates(net)
        if not rates:
            raise ValueError(
                "DIA needs a model with dropout: model has no nn.Dropout layer to attack; use IG"
            )
        shapes = mask_shapes(net, shape)
        if self.fallback_at_zero and max(rates.values()) == 0.0:
            return InvertingGradients(restarts=self.restarts).problems(
                net, gradients, labels, shape, None, init, generator, tag
            )
        p = max(rates.values())
        sc = {k: 1.0 / (1.0 - rates[k]) for k in shapes}
        out = []
        for r in range(self.restarts):
            x0 = _init(shape, init, generator)
            m0 = {
                k: torch.bernoulli(torch.full(s, 1.0 - rates[k]), generator=generator)
                for k, s in shapes.items()
            }
            out.append(
                Problem(
                    gradients,
                    labels,
                    x0,
                    m0,
                    sc,
                    p=p,
                    learn_masks=not self.freeze_masks,
                    mask_reg=self.mask_reg,
                    tag={**(tag or {}), "restart": r},
                )
            )
        return out


@dataclass
class DLG(_Base):
    """Deep Leakage from Gradients: L2 gradient distance, L-BFGS, soft labels learned jointly.

    The attacker's dropout is off (eval). ``labels`` passed to ``reconstruct``
    are ignored unless ``learn_labels`` is False.
    """

    iterations: int = 300
    lr: float = 1.0
    tv: float = 0.0
    learn_labels: bool = True
    inner_steps: int = 20  # L-BFGS evaluations per iteration (torch's default, as in the DLG code)
    name = "dlg"

    def reconstruct(self, model, gradients, labels, shape, masks=None, init=None):
        if self.learn_labels and labels is None:
            labels = torch.zeros(
                int(shape[0]), dtype=torch.long
            )  # placeholder; soft labels are learned
        gradients, labels, shape, init = self._validate(
            model, gradients, labels, shape, masks, init
        )
        started = time.time()
        net = prepare(model)
        shapes = mask_shapes(net, shape)
        bufs = {n: b for n, b in net.named_buffers()}
        for k, s in shapes.items():
            bufs[f"{k}.mask"], bufs[f"{k}.scale"] = torch.ones(s), torch.ones(())
        params = {n: q.detach() for n, q in net.named_parameters()}
        gen = torch.Generator().manual_seed(self.seed)
        with torch.no_grad():
            num_classes = functional_call(net, (params, bufs), (torch.zeros(shape),)).shape[1]
        best_x, best_loss, best_y, all_losses = None, float("inf"), labels, []
        for _ in range(self.restarts):
            x = _init(shape, init, gen).requires_grad_(True)
            y = torch.randn(shape[0], num_classes, generator=gen).requires_grad_(True)
            opt = torch.optim.LBFGS(
                [x, y] if self.learn_labels else [x],
                lr=self.lr,
                max_iter=self.inner_steps,
                history_size=100,
                line_search_fn=None,
            )
            losses = []

            def closure(x=x, y=y, losses=losses, opt=opt):
                opt.zero_grad()
                target = y.softmax(-1) if self.learn_labels else labels

                def ce(prm):
                    return nn.functional.cross_entropy(
                        functional_call(net, (prm, bufs), (x,)), target
                    )

                g = grad(ce)(params)
                loss = sum(((gi - ti) ** 2).sum() for gi, ti in zip(g.values(), gradients))
                loss = loss + self.tv * _tv(x)
                loss.backward()
                losses.append(loss.item())
                return loss

            for _ in range(self.iterations):
                opt.step(closure)
                if self.box is not None:
                    lo, hi = check_box(self.box, shape[1])
                    with torch.no_grad():
                        x.copy_(
                            torch.maximum(
                                torch.minimum(x, hi.view(1, -1, 1, 1)), lo.view(1, -1, 1, 1)
                            )
                        )
                if not torch.isfinite(torch.tensor(losses[-1])):
                    break
            final = losses[-1] if losses else float("inf")
            if final < best_loss or best_x is None:
                best_x, best_loss = x.detach().clone(), final
                best_y = y.detach().argmax(-1) if self.learn_labels else labels
            all_losses.append(losses)
        return best_x, {
            "loss": all_losses,
            "best_loss": best_loss,
            "labels": best_y,
            "seconds": time.time() - started,
        }


def _tv(x):
    return (x[..., :, 1:] - x[..., :, :-1]).abs().mean() + (
        x[..., 1:, :] - x[..., :-1, :]
    ).abs().mean()


@dataclass
class IDLG(DLG):
    """iDLG: DLG with the label inferred analytically from the last layer (only the image is optimised)."""

    learn_labels: bool = False
    name = "idlg"

    def reconstruct(self, model, gradients, labels, shape, masks=None, init=None):
        grads = check_gradients(model, gradients)
        inferred = infer_labels(model, grads, int(shape[0]))
        images, hist = super().reconstruct(model, grads, inferred, shape, masks, init)
        hist["labels"] = inferred
        return images, hist


def make_attack(name: str, **kwargs) -> _Base:
    """Build an attack by name: one of ``ATTACKS``.

    ``"ig-train"`` is IG with the attacker in train mode, ``"dia-noreg"`` DIA
    without the mask regulariser, ``"dia-frozen"`` DIA with masks frozen at
    their random start.
    """
    factories = {
        "dlg": lambda: DLG(**kwargs),
        "idlg": lambda: IDLG(**kwargs),
        "ig": lambda: InvertingGradients(**kwargs),
        "ig-train": lambda: InvertingGradients(train_mode=True, **kwargs),
        "wiig": lambda: WIIG(**kwargs),
        "dia": lambda: DIA(**kwargs),
        "dia-noreg": lambda: DIA(**{"mask_reg": 0.0, **kwargs}),
        "dia-frozen": lambda: DIA(**{"freeze_masks": True, **kwargs}),
    }
    if name not in factories:
        raise ValueError(f"unknown attack {name!r}; choose from {ATTACKS}")
    attack = factories[name]()
    attack.name = name
    return attack


def reconstruct_many(model, jobs, callback=None):
    """Run several (attack, target) jobs on one model, one engine run per distinct recipe.

    Parameters
    ----------
    model : nn.Module
        The global model; every job's target gradient must come from it.
    jobs : list of dict
        Each with ``attack`` (an engine attack: IG, WIIG or DIA), ``gradients``,
        ``labels``, ``shape``, and optionally ``masks``, ``p`` (the dropout
        rate the client used; the attacker assumes it), ``init`` and ``tag``.
        Jobs whose attacks share a recipe (:meth:`settings_key`) are solved in
        one run; a train-mode attacker's masks come from the first such job's seed.
    callback : callable, optional
        Called with the iteration number after every step of every run.

    Returns
    -------
    list of (images, history)
        One per job, in order; each the kept restart as in ``reconstruct``.
    """
    if not jobs:
        raise ValueError("jobs is empty")
    for j in jobs:
        a = j["attack"]
        if isinstance(a, DLG) or not isinstance(a, _Base):
            raise TypeError(
                "reconstruct_many runs IG, IG-train, WIIG and DIA jobs only (DLG uses L-BFGS)"
            )
    groups: dict = {}
    for i, j in enumerate(jobs):
        groups.setdefault(j["attack"].settings_key(), []).append(i)
    out: list = [None] * len(jobs)
    for members in groups.values():
        for i, result in zip(members, _run_group(model, [jobs[i] for i in members], callback)):
            out[i] = result
    return out


def _run_group(model, jobs, callback):
    net = prepare(model)
    rates = _layer_rates(net)
    problems, owners = [], []
    for i, j in enumerate(jobs):
        a = j["attack"]
        grads, labels, shape, init = a._validate(
            model, j["gradients"], j["labels"], j["shape"], j.get("masks"), j.get("init")
        )
        for name, m in dropout_layers(net).items():
            m.p = _check_p(j["p"]) if "p" in j else rates[name]
        gen = torch.Generator().manual_seed(a.seed)
        probs = a.problems(net, grads, labels, shape, j.get("masks"), init, gen, tag=j.get("tag"))
        problems += probs
        owners += [i] * len(probs)
    started = time.time()
    res = run(net, problems, jobs[0]["attack"].settings(int(jobs[0]["shape"][1])), callback)
    seconds = time.time() - started
    owners = torch.tensor(owners)
    out = []
    for i in range(len(jobs)):
        idx = torch.nonzero(owners == i).flatten()
        images, hist = _history(res, idx, problems[int(idx[0])].labels)
        hist["seconds"] = seconds * len(idx) / len(problems)
        out.append((images, hist))
    return out


def _check_p(p):
    p = float(p)
    if not 0.0 <= p < 1.0:
        raise ValueError(f"p must be a dropout rate in [0, 1), got {p!r}")
    return p


__all__ = [
    "ATTACKS",
    "DIA",
    "DLG",
    "IDLG",
    "WIIG",
    "InvertingGradients",
    "check_box",
    "check_gradients",
    "make_attack",
    "reconstruct_many",
    "with_mask_dropout",
]
