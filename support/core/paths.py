"""Paths resolved from the repository root, never from the kernel's working directory.

papermill and nbval start kernels in ``notebooks/``; every path a notebook or
test uses goes through this module so the same call works from anywhere.
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parents[1]


def checkout_root() -> Path | None:
    """The repository checkout ``support/`` lives in, or None for an installed package.

    A checkout is the directory directly above ``support/`` holding both
    ``pyproject.toml`` and ``notebooks/``; an installed copy (site-packages)
    has neither, and a project that happens to contain the virtual
    environment is never mistaken for it.
    """
    root = _PACKAGE_DIR.parent
    if (root / "pyproject.toml").is_file() and (root / "notebooks").is_dir():
        return root
    return None


def working_checkout() -> Path | None:
    """The checkout, when the working directory lies inside it; else None.

    With ``pip install -e .`` every import comes from the checkout, so where
    ``support/`` lives cannot tell a collection notebook (run from the
    checkout or its ``notebooks/``) from a user's own script elsewhere: the
    working directory does, and a user's outputs stay in their own folder.
    """
    root = checkout_root()
    if root is None:
        return None
    cwd = Path.cwd().resolve()
    return root if cwd == root or root in cwd.parents else None


def repo_root() -> Path:
    """Where relative paths resolve: the checkout when working inside it, else the working directory."""
    root = working_checkout()
    return root if root is not None else Path.cwd()


def resolve(path: str | os.PathLike) -> Path:
    """Resolve ``path`` against :func:`repo_root` unless it is absolute."""
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
        if out.exists() and not out.is_dir():
            raise NotADirectoryError(f"output_dir must be a directory, got the file {str(out)!r}")
    else:
        root = os.environ.get("SUPPORT_FIGURES_ROOT", "")
        out = (resolve(root) if root else repo_root() / "figures") / paper
    out.mkdir(parents=True, exist_ok=True)
    return out


def cache_dir() -> Path:
    """On-disk cache directory.

    ``$SUPPORT_CACHE_DIR`` if set; else ``.cache/`` in the checkout when working
    inside it (:func:`working_checkout`); elsewhere,
    ``$XDG_CACHE_HOME/support-notebooks`` (``~/.cache/...``), never the install location.
    """
    root, checkout = os.environ.get("SUPPORT_CACHE_DIR", ""), working_checkout()
    if root:
        out = resolve(root)
    elif checkout is not None:
        out = checkout / ".cache"
    else:
        xdg = os.environ.get("XDG_CACHE_HOME", "") or Path.home() / ".cache"
        out = Path(xdg).expanduser() / "support-notebooks"
    out.mkdir(parents=True, exist_ok=True)
    return out


def data_dir(data_dir: str | os.PathLike = "") -> Path:
    """Directory real data sets are read from (argument, ``$DATA_DIR``, or ``data/``)."""
    chosen = data_dir or os.environ.get("DATA_DIR", "") or "data"
    return resolve(chosen)
