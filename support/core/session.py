"""A notebook's run context: output directory, device, seed, timing, figures and claims.

Every notebook's setup cell makes one :class:`Session`; afterwards each figure
is one ``session.save(fig, name)`` call and the claims are collected in
``session.claims``.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

from . import figures
from .claims import ClaimSet
from .paths import data_dir as _data_dir
from .paths import figures_dir
from .runtime import describe, limit_threads, seed_everything, select_device, versions


class Session:
    """Settings and outputs of one notebook run.

    Parameters
    ----------
    paper : str
        Paper name without its number, e.g. ``"matrix_sensing"``.
    profile : str
        ``"smoke"``, ``"cpu"`` or ``"paper"`` (validated by the paper's ``config``).
    seed : int
        Base seed; seeds everything on creation.
    device : str
        ``"auto"``, ``"cpu"``, ``"cuda"``...; see :func:`support.core.runtime.select_device`.
    output_dir : str
        Where figures and ``claims.json`` go; empty means ``figures/<paper>``.
    data_dir : str
        Where real data sets are read from; empty means embedded data only.
    config : dataclass, optional
        The profile's config, recorded in every figure's sidecar.
    threads : int, optional
        Torch thread cap (default: see :func:`support.core.runtime.limit_threads`).
    """

    def __init__(
        self,
        paper: str,
        profile: str,
        seed: int = 0,
        device: str = "auto",
        output_dir: str = "",
        data_dir: str = "",
        config: Any = None,
        threads: int | None = None,
    ):
        self.started = time.time()
        self.paper = paper
        self.profile = profile
        self.seed = seed
        self.device = select_device(device)
        self.threads = limit_threads(threads)
        self.rng = seed_everything(seed)
        self.output_dir: Path = figures_dir(paper, output_dir)
        self.data_dir: Path | None = _data_dir(data_dir) if data_dir else None
        self.config = config
        self.claims = ClaimSet(paper, profile)
        figures.set_style()
        _show_tables_in_full()

    def describe(self) -> str:
        """Human-readable summary of the run settings and package versions."""
        lines = [
            f"paper={self.paper} profile={self.profile} seed={self.seed}",
            f"device={self.device} [{describe(self.device)}]",
            f"output_dir={self.output_dir}",
            f"data_dir={self.data_dir or '(embedded data)'}",
            "versions: " + ", ".join(f"{k} {v}" for k, v in versions().items() if k != "platform"),
        ]
        return "\n".join(lines)

    def save(self, fig, name: str, **params: Any) -> Path:
        """Save ``fig`` under ``name`` with a sidecar holding the config and ``params``."""
        recorded = dict(params)
        if self.config is not None and dataclasses.is_dataclass(self.config):
            recorded = {"config": dataclasses.asdict(self.config), **recorded}
        return figures.save(
            fig,
            name,
            self.output_dir,
            params=recorded,
            profile=self.profile,
            seed=self.seed,
            device=str(self.device),
            started=self.started,
        )

    def finish(self) -> str:
        """Write ``claims.json`` and return the stable claims summary."""
        self.claims.write(self.output_dir)
        return self.claims.summary()

    @property
    def elapsed(self) -> float:
        """Seconds since the session started."""
        return time.time() - self.started


def _show_tables_in_full() -> None:
    """A notebook's claims table shows every cell whole (pandas cuts cells at 50 characters)."""
    import pandas as pd

    pd.set_option("display.max_colwidth", None)
    pd.set_option("display.max_columns", None)
