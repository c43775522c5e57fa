"""Profiles of the dropout-inversion notebook: smoke, cpu (minutes, 2 cores), paper (one GPU), paper_smoke."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from support.core.profiles import select_profile
from support.core.validate import check_int

ARCHS = ("mlp", "cnn", "vit", "resnet18")
DATASETS = ("mnist", "photographs", "cifar10")
ATTACK_NAMES = ("ig", "ig-train", "wiig", "dia", "dia-noreg", "dia-frozen")
# The DIA reference code (example_configs/attacks/DIA.yaml): at most 20 000 iterations,
# ReduceLROnPlateau patience 800, early stopping after 4 000 iterations without improvement.
REFERENCE_ITERATIONS, REFERENCE_PATIENCE, REFERENCE_STOP = 20_000, 800, 4_000


@dataclass(frozen=True)
class InversionConfig:
    """Sizes of every experiment in ``notebooks/03_dropout_inversion.ipynb``.

    Attributes
    ----------
    setups : tuple of (arch, dataset, side)
        Model, victim data set and image side length of each dropout-rate sweep.
    rates : tuple of float
        Dropout rates p of the sweep (the first must be 0).
    max_rate : tuple of (arch, float)
        Highest rate of an architecture's sweep, where the budget cannot reach
        the higher ones (default: every rate for every architecture).
    attacks : tuple of str
        Attacks run at every p.
    ablations, ablation_rates, ablation_datasets
        Ablation attacks, the rates they run at, and on which data sets' setups.
    n_images, n_seeds : int
        Victim images per cell (batch size 1) and seeds (model init, masks, attack starts).
    iterations : tuple of (arch, int)
        Maximum iterations per start, per architecture (every attack).
    restarts : tuple of (attack, int)
        Starts per attack (the one with the lowest final gradient loss is kept).
    plateau_patience, stop_patience : float
        DIA/WIIG's plateau and early-stopping patience as fractions of the
        iterations (the reference's 800 and 4 000 of 20 000).
    stop_loss : float
        DIA/WIIG stop once the loss is below this (the reference's 1e-5).
    mlp_width, mlp_depth, cnn_channels, vit_*, resnet_width
        Architecture sizes.
    batch_size, batch_rates, n_batches, batch_setup
        The larger-batch experiment.
    dlg_iterations : int
        L-BFGS iterations (x20 evaluations) of the DLG/iDLG demonstration.
    chunk : int
        Most problems per engine run (each run's jobs are cached when it ends).
    threads : int or None
        Torch threads (1 keeps a shared 2-core machine from thrashing).
    """

    setups: tuple[tuple[str, str, int], ...]
    rates: tuple[float, ...] = (0.0, 0.1, 0.25, 0.5, 0.75)
    attacks: tuple[str, ...] = ("ig", "dia", "wiig")
    max_rate: tuple[tuple[str, float], ...] = ()
    ablations: tuple[str, ...] = ("ig-train", "dia-noreg", "dia-frozen")
    ablation_rates: tuple[float, ...] = (0.5,)
    ablation_datasets: tuple[str, ...] = ("mnist",)
    n_images: int = 3
    n_seeds: int = 1
    iterations: tuple[tuple[str, int], ...] = (
        ("mlp", 800),
        ("cnn", 1200),
        ("vit", 2000),
        ("resnet18", 2000),
    )
    restarts: tuple[tuple[str, int], ...] = (("dia", 3),)
    plateau_patience: float = REFERENCE_PATIENCE / REFERENCE_ITERATIONS
    stop_patience: float = REFERENCE_STOP / REFERENCE_ITERATIONS
    stop_loss: float = 1e-5
    mlp_width: int = 64
    mlp_depth: int = 3
    cnn_channels: tuple[int, ...] = (16, 32)
    vit_dim: int = 64
    vit_depth: int = 2
    vit_heads: int = 4
    vit_mlp_dim: int = 64
    vit_patch: int = 4
    resnet_width: int = 64
    batch_size: int = 4
    batch_rates: tuple[float, ...] = (0.0, 0.5)
    n_batches: int = 1
    batch_setup: tuple[str, str, int] = ("mlp", "mnist", 28)
    dlg_iterations: int = 10
    chunk: int = 64
    threads: int | None = 1

    def __post_init__(self):
        for arch, dataset, side in (*self.setups, self.batch_setup):
            if arch not in ARCHS or dataset not in DATASETS:
                raise ValueError(
                    f"setups: ({arch!r}, {dataset!r}, {side!r}) needs arch in {ARCHS} and dataset in {DATASETS}"
                )
            check_int("setups side", side)
        if not self.setups:
            raise ValueError("setups must not be empty")
        for name, rates in (("rates", self.rates), ("batch_rates", self.batch_rates)):
            if not rates or rates[0] != 0.0 or not all(0 <= p < 1 for p in rates):
                raise ValueError(f"{name} must start at 0 and lie in [0, 1), got {rates!r}")
        for arch, top in self.max_rate:
            if arch not in ARCHS or not 0 < top < 1:
                raise ValueError(
                    f"max_rate: ({arch!r}, {top!r}) needs arch in {ARCHS} and a rate in (0, 1)"
                )
        for name in (*self.attacks, *self.ablations, *dict(self.restarts)):
            if name not in ATTACK_NAMES:
                raise ValueError(f"unknown attack {name!r}; choose from {ATTACK_NAMES}")
        for field in ("n_images", "n_seeds", "batch_size", "n_batches", "dlg_iterations", "chunk"):
            check_int(field, getattr(self, field))
        for _, v in (*self.iterations, *self.restarts):
            check_int("iterations/restarts", v)
        for field in ("plateau_patience", "stop_patience"):
            if not 0 < getattr(self, field) <= 1:
                raise ValueError(
                    f"{field} must be a fraction in (0, 1], got {getattr(self, field)!r}"
                )
        if not (isinstance(self.stop_loss, float) and self.stop_loss > 0):
            raise ValueError(f"stop_loss must be a float > 0, got {self.stop_loss!r}")

    def rates_for(self, arch: str) -> tuple[float, ...]:
        """The sweep's rates for ``arch`` (``rates`` up to its ``max_rate``)."""
        top = dict(self.max_rate).get(arch, 1.0)
        return tuple(p for p in self.rates if p <= top)

    def model_kwargs(self, arch: str) -> dict:
        """Constructor options of ``arch`` at this profile."""
        return {
            "mlp": {"width": self.mlp_width, "depth": self.mlp_depth},
            "cnn": {"channels": self.cnn_channels},
            "vit": {
                "dim": self.vit_dim,
                "depth": self.vit_depth,
                "heads": self.vit_heads,
                "mlp_dim": self.vit_mlp_dim,
                "patch": self.vit_patch,
            },
            "resnet18": {"width": self.resnet_width},
        }[arch]

    def iterations_for(self, arch: str) -> int:
        """Maximum attack iterations per start for ``arch``."""
        table = dict(self.iterations)
        if arch not in table:
            raise ValueError(f"no iteration count for arch {arch!r}; have {sorted(table)}")
        return table[arch]

    def attack_kwargs(self, name: str, arch: str) -> dict:
        """Keyword arguments of :func:`~support.inversion.attacks.make_attack` for ``name`` on ``arch``.

        IG (and its train-mode ablation) keeps IG's own schedule (x 0.1 at 3/8,
        5/8, 7/8, no early stopping); DIA, its ablations and WIIG keep the DIA
        reference's plateau schedule and early stopping, with patiences scaled
        by the iteration budget.
        """
        it = self.iterations_for(arch)
        kw = {"iterations": it, "restarts": dict(self.restarts).get(name.split("-")[0], 1)}
        if name in ("ig", "ig-train"):
            return kw
        return {
            **kw,
            "patience": max(1, math.ceil(self.plateau_patience * it)),
            "stop_patience": max(1, math.ceil(self.stop_patience * it)),
            "stop_loss": self.stop_loss,
        }


_PAPER_SETUPS = tuple(
    (arch, dataset, side)
    for dataset, side in (("mnist", 28), ("cifar10", 32))
    for arch in ("mlp", "cnn", "vit", "resnet18")
)

PROFILES = {
    "smoke": InversionConfig(
        setups=(("mlp", "mnist", 12), ("cnn", "photographs", 12)),
        rates=(0.0, 0.5),
        n_images=2,
        iterations=(("mlp", 15), ("cnn", 15), ("vit", 5), ("resnet18", 5)),
        restarts=(("dia", 2),),
        mlp_width=32,
        cnn_channels=(4, 8),
        batch_size=2,
        batch_setup=("mlp", "mnist", 12),
        dlg_iterations=2,
    ),
    # Paper sizes (MNIST 28x28, CIFAR-10-sized colour 32x32 for the MLP); CNN on 16x16 colour.
    # The CNN at p = 0.75 needs the reference's full 20 000 iterations (measured: SSIM 0.60 at
    # 1 200, 0.68 at 4 000, 0.96 at 20 000), more than this profile affords; it stays in the grid
    # (issue 23) and claim C3 reports such a cell as inconclusive.
    "cpu": InversionConfig(
        setups=(
            ("mlp", "mnist", 28),
            ("mlp", "photographs", 32),
            ("cnn", "photographs", 16),
        ),
    ),
    # The paper's data sets and four architectures; the reference's full iteration budget.
    "paper": InversionConfig(
        setups=_PAPER_SETUPS,
        ablation_datasets=("mnist", "cifar10"),
        ablation_rates=(0.1, 0.5),
        n_images=16,
        n_seeds=2,
        iterations=tuple((a, REFERENCE_ITERATIONS) for a in ARCHS),
        restarts=(("dia", 4), ("ig", 2)),
        mlp_width=512,
        cnn_channels=(16, 32, 64),
        vit_dim=256,
        vit_depth=4,
        vit_heads=16,
        vit_mlp_dim=256,
        batch_size=8,
        batch_rates=(0.0, 0.1, 0.25, 0.5),
        n_batches=2,
        batch_setup=("mlp", "cifar10", 32),
        dlg_iterations=300,
        threads=None,
    ),
    # The paper profile's structure (data sets read from DATA_DIR, four architectures) at tiny sizes.
    "paper_smoke": InversionConfig(
        setups=_PAPER_SETUPS,
        rates=(0.0, 0.5),
        ablation_datasets=("mnist", "cifar10"),
        ablation_rates=(0.5,),
        n_images=1,
        iterations=tuple((a, 3) for a in ARCHS),
        restarts=(("dia", 2), ("ig", 2)),
        mlp_width=16,
        cnn_channels=(4, 4, 4),
        vit_dim=16,
        vit_depth=1,
        vit_heads=2,
        vit_mlp_dim=16,
        resnet_width=4,
        batch_size=2,
        batch_rates=(0.0, 0.5),
        batch_setup=("mlp", "cifar10", 32),
        dlg_iterations=1,
    ),
}


# The cpu profile with power (issue 23): the same setups, rates, iterations and restarts, with 20
# (image, seed) pairs per cell (`make record NB=03`). scikit-image embeds only 5 colour photographs,
# so 5 images x 4 seeds, not the 10 x 2 the registry names: fewer distinct images, the same pairs.
PROFILES["cpu_long"] = replace(PROFILES["cpu"], n_images=5, n_seeds=4)


def config(profile: str = "cpu", **overrides) -> InversionConfig:
    """The profile's :class:`InversionConfig` ("smoke", "cpu", "cpu_long", "paper", "paper_smoke"), with ``overrides``."""
    return select_profile(profile, PROFILES, **overrides)
