"""Saving figures reproducibly: PNG + PDF with fixed metadata and a JSON sidecar."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib

from . import atomic
from .provenance import git_commit
from .runtime import versions

# Fixed metadata makes the files byte-stable across runs (no dates, no versions).
_PNG_METADATA = {"Software": None}
_PDF_METADATA = {"Creator": None, "Producer": None, "CreationDate": None}


def set_style() -> None:
    """Apply the collection's plotting style (seaborn ticks, readable sizes, fixed dpi)."""
    import seaborn as sns

    sns.set_theme(context="notebook", style="ticks", palette="colorblind")
    matplotlib.rcParams.update(
        {
            "figure.dpi": 100,
            "savefig.dpi": 150,
            "savefig.bbox": "tight",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "pdf.fonttype": 42,
            "svg.hashsalt": "support",
        }
    )


def save(
    fig,
    name: str,
    output_dir: str | os.PathLike,
    *,
    params: Mapping[str, Any] | None = None,
    profile: str = "",
    seed: int | None = None,
    device: str = "",
    started: float | None = None,
    pdf: bool = True,
) -> Path:
    """Save ``fig`` as ``<name>.png`` (+ ``.pdf``) and ``<name>.json`` in ``output_dir``.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    name : str
        File stem: letters, digits, ``_`` and ``-`` only.
    output_dir : str or path
        Destination directory (created if missing).
    params : mapping, optional
        Parameters and config the figure was made with (stored in the sidecar).
    profile, seed, device : optional
        Run settings stored in the sidecar.
    started : float, optional
        ``time.time()`` at the start of the run; the sidecar records the wall time since.
    pdf : bool
        Also write a PDF.

    Returns
    -------
    pathlib.Path
        Path of the PNG.
    """
    if not name or not all(c.isalnum() or c in "_-" for c in name):
        raise ValueError(
            f"name must be a non-empty file stem of letters, digits, '_' or '-', got {name!r}"
        )
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    png = out / f"{name}.png"
    atomic.write_with(png, lambda p: fig.savefig(p, format="png", metadata=_PNG_METADATA))
    if pdf:
        atomic.write_with(
            out / f"{name}.pdf", lambda p: fig.savefig(p, format="pdf", metadata=_PDF_METADATA)
        )
    sidecar = {
        "figure": name,
        "profile": profile,
        "seed": seed,
        "device": str(device),
        "params": dict(params or {}),
        "git_commit": git_commit(),
        "versions": versions(),
        "wall_time_s": None if started is None else round(time.time() - started, 2),
        "unlabelled_axes": unlabelled_axes(fig),
    }
    atomic.write_json(out / f"{name}.json", sidecar)
    return png


def unlabelled_axes(fig) -> list[str]:
    """Describe every visible axes of ``fig`` that a reader could not read.

    An axes with its axis switched off (an image in a grid) needs no labels;
    a colour bar needs a label on its long side; any other axes needs an x
    label and a y label, its own or one shared with it (``sharex``/``sharey``,
    or the figure's ``supxlabel``/``supylabel``). The smoke tests assert that
    every saved figure's list is empty.

    Returns
    -------
    list of str
        One line per defect, e.g. ``"axes 2 ('rate'): no y label"``.
    """
    fig_x = bool(getattr(fig, "_supxlabel", None) and fig._supxlabel.get_text())
    fig_y = bool(getattr(fig, "_supylabel", None) and fig._supylabel.get_text())
    problems = []
    for i, ax in enumerate(fig.axes):
        if not ax.get_visible() or not ax.axison:
            continue
        where = f"axes {i} ({ax.get_title() or ax.get_label() or 'untitled'!r})"
        if ax.get_label() == "<colorbar>":
            if not (ax.get_xlabel() or ax.get_ylabel()):
                problems.append(f"{where}: colour bar without a label")
            continue
        shared_x = [a for a in ax.get_shared_x_axes().get_siblings(ax)]
        shared_y = [a for a in ax.get_shared_y_axes().get_siblings(ax)]
        if not (fig_x or any(a.get_xlabel() for a in shared_x)):
            problems.append(f"{where}: no x label")
        if not (fig_y or any(a.get_ylabel() for a in shared_y)):
            problems.append(f"{where}: no y label")
    return problems
