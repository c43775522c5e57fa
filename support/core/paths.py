"""Paths resolved from the repository root, never from the kernel's working directory.

papermill and nbval start kernels in ``notebooks/``; every path a notebook or
test uses goes through this module so the same call works from anywhere.
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parents[1]


def repo_root() -> Path:
    """Return the repository root: the first parent of ``support/`` holding ``pyproject.toml``."""
    for candidate in (_PACKAGE_DIR.parent, *_PACKAGE_DIR.parents):
        if (candidate / "pyproject.toml").is_file():
            return candidate
    return _PACKAGE_DIR.parent


def resolve(path: str | os.PathLike) -> Path:
    """Resolve ``path`` against the repository root unless it is absolute."""
    path = Path(path).expanduser()
    return path if path.is_absolute() else repo_root() / path


def figures_dir(paper: str, output_dir: str | os.PathLike = "") -> Path:
    """Directory for a paper's figures and ``claims.json``, created if missing.

    Parameters
    ----------
    paper : str
        Paper name without its number, e.g. ``"matrix_sensing"``.
    output_dir : str or path, optional
        Explicit directory (relative paths resolve from the repo root). Empty
        means ``figures/<paper>``, or ``$SUPPORT_FIGURES_ROOT/<paper>`` when
        that variable is set (the test suite uses it so nbval runs never
        rewrite the committed figures).
    """
    if output_dir:
        out = resolve(output_dir)
    else:
        root = os.environ.get("SUPPORT_FIGURES_ROOT", "")
        out = (resolve(root) if root else repo_root() / "figures") / paper
    out.mkdir(parents=True, exist_ok=True)
    return out


def cache_dir() -> Path:
    """On-disk cache directory (``$SUPPORT_CACHE_DIR`` or ``.cache/`` in the repo)."""
    root = os.environ.get("SUPPORT_CACHE_DIR", "")
    out = resolve(root) if root else repo_root() / ".cache"
    out.mkdir(parents=True, exist_ok=True)
    return out


def data_dir(data_dir: str | os.PathLike = "") -> Path:
    """Directory real data sets are read from (argument, ``$DATA_DIR``, or ``data/``)."""
    chosen = data_dir or os.environ.get("DATA_DIR", "") or "data"
    return resolve(chosen)
