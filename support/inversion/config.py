"""Profiles of the dropout-inversion notebook: smoke (seconds), cpu (minutes, 2 cores), paper (one GPU, hours)."""

from __future__ import annotations

from dataclasses import dataclass

from support.core.profiles import select_profile


@dataclass(frozen=True)
class InversionConfig:
    """Sizes of every experiment in ``notebooks/03_dropout_inversion.ipynb``.

    Attributes
    ----------
    setups : tuple of (arch, dataset, side)
        Model, victim data set and image side length of each dropout-rate sweep.
    rates : tuple of float
        Dropout rates p of the sweep.
    attacks : tuple of str
        Attacks run at every p.
    ablations, ablation_rates, ablation_datasets
        Ablation attacks, the rates they run at, and on which data sets' setups.
    n_images, n_seeds : int
        Victim images per cell (batch size 1) and seeds (model init, masks, attack start).
    iterations : tuple of (arch, int)
        Attack iterations per architecture (all attacks of a sweep share them).
    restarts : int
        Restarts per attack (best gradient loss kept).
    mlp_width, mlp_depth, cnn_channels, vit_dim, vit_depth, vit_heads, vit_mlp_dim, vit_patch
        Architecture sizes.
    batch_size, batch_rates, n_batches, batch_setup
        The larger-batch experiment: batch size, rates, batches per seed and (arch, dataset, side).
    restart_setups, restart_rate, restart_count
        The restarts check: DIA with several starts (best gradient loss kept) on these setups at this rate.
    dlg_iterations : int
        L-BFGS iterations (x20 evaluations) of the DLG/iDLG demonstration.
    workers : int
        CPU processes the sweeps are spread over (each single-threaded; spawned, so scripts
        calling :func:`~support.inversion.experiments.run_experiments` need a ``__main__`` guard).
    threads : int or None
        Torch threads (1 keeps a shared 2-core machine from thrashing).
    """

    setups: tuple[tuple[str, str, int], ...]
    rates: tuple[float, ...] = (0.0, 0.1, 0.25, 0.5, 0.75)
    attacks: tuple[str, ...] = ("ig", "dia", "wiig")
    ablations: tuple[str, ...] = ("ig-train", "dia-noreg", "dia-frozen")
    ablation_rates: tuple[float, ...] = (0.5,)
    ablation_datasets: tuple[str, ...] = ("mnist",)
    n_images: int = 5
    n_seeds: int = 2
    iterations: tuple[tuple[str, int], ...] = (
        ("mlp", 250),
        ("cnn", 200),
        ("vit", 300),
        ("resnet18", 300),
    )
    restarts: int = 1
    mlp_width: int = 128
    mlp_depth: int = 3
    cnn_channels: tuple[int, ...] = (16, 32)
    vit_dim: int = 64
    vit_depth: int = 2
    vit_heads: int = 4
    vit_mlp_dim: int = 64
    vit_patch: int = 4
    batch_size: int = 4
    batch_rates: tuple[float, ...] = (0.0, 0.5)
    n_batches: int = 2
    batch_setup: tuple[str, str, int] = ("mlp", "mnist", 16)
    restart_setups: tuple[tuple[str, str, int], ...] = (
        ("mlp", "mnist", 16),
        ("mlp", "photographs", 16),
    )
    restart_rate: float = 0.75
    restart_count: int = 3
    dlg_iterations: int = 10
    workers: int = (
        1  # measured: 2 spawned processes were slower than 1 on the shared 2-core machine
    )
    threads: int | None = 1

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
            "resnet18": {},
        }[arch]

    def iterations_for(self, arch: str) -> int:
        """Attack iterations for ``arch``."""
        table = dict(self.iterations)
        if arch not in table:
            raise ValueError(f"no iteration count for arch {arch!r}; have {sorted(table)}")
        return table[arch]


PROFILES = {
    "smoke": InversionConfig(
        setups=(("mlp", "mnist", 12), ("cnn", "photographs", 12)),
        rates=(0.0, 0.5),
        n_images=2,
        n_seeds=1,
        iterations=(("mlp", 15), ("cnn", 15), ("vit", 5), ("resnet18", 5)),
        mlp_width=64,
        cnn_channels=(8, 16),
        batch_size=2,
        batch_rates=(0.0, 0.5),
        n_batches=1,
        batch_setup=("mlp", "mnist", 12),
        restart_setups=(("mlp", "mnist", 12),),
        restart_rate=0.5,
        restart_count=2,
        dlg_iterations=2,
        workers=1,
    ),
    # 16x16 images keep the 4 sweeps x 5 rates x 3 attacks x 5 images x 2 seeds within minutes on 2 cores.
    "cpu": InversionConfig(
        setups=(
            ("mlp", "mnist", 16),
            ("cnn", "mnist", 16),
            ("mlp", "photographs", 16),
            ("cnn", "photographs", 16),
        ),
    ),
    "paper": InversionConfig(
        setups=(
            ("mlp", "mnist", 28),
            ("cnn", "mnist", 28),
            ("vit", "mnist", 28),
            ("resnet18", "mnist", 28),
            ("mlp", "cifar10", 32),
            ("cnn", "cifar10", 32),
            ("vit", "cifar10", 32),
            ("resnet18", "cifar10", 32),
        ),
        ablation_datasets=("mnist", "cifar10"),
        ablation_rates=(0.1, 0.5),
        n_images=16,
        n_seeds=2,
        iterations=(("mlp", 4000), ("cnn", 4000), ("vit", 8000), ("resnet18", 8000)),
        restarts=2,
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
        restart_setups=(("mlp", "cifar10", 32), ("cnn", "cifar10", 32)),
        restart_count=4,
        workers=1,
        threads=None,
    ),
}


def config(profile: str = "cpu", **overrides) -> InversionConfig:
    """The profile's :class:`InversionConfig`, with ``overrides`` applied (see ``select_profile``)."""
    return select_profile(profile, PROFILES, **overrides)
