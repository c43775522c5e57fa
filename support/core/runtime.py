"""Runtime switches: device selection, seeding, determinism, thread limits, versions."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import random

import numpy as np

_VERSIONED_PACKAGES = (
    "numpy",
    "scipy",
    "pandas",
    "torch",
    "scikit-learn",
    "lightgbm",
    "xgboost",
    "matplotlib",
    "seaborn",
    "scikit-image",
    "catboost",
)


def select_device(device: str = "auto"):
    """Return a ``torch.device``.

    Parameters
    ----------
    device : str
        ``"auto"`` (CUDA when present, else CPU), ``"cpu"``, ``"cuda"`` or
        ``"cuda:N"``. MPS is opt-in only (``"mps"``).

    Raises
    ------
    ValueError
        If ``device`` is not a recognised name.
    RuntimeError
        If CUDA (or MPS) is asked for but is not available.
    """
    import torch

    if not isinstance(device, str):
        raise TypeError(f"device must be a string such as 'auto', 'cpu' or 'cuda', got {device!r}")
    name = device.strip().lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise RuntimeError(
                f"device={device!r} was requested but CUDA is not available on this machine; "
                "use DEVICE='auto' or 'cpu'"
            )
        dev = torch.device(name)
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise RuntimeError(
                f"device={device!r}: only {torch.cuda.device_count()} CUDA device(s) present"
            )
        return dev
    if name == "mps":
        if not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
            raise RuntimeError("device='mps' was requested but MPS is not available")
        return torch.device("mps")
    raise ValueError(f"device must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps', got {device!r}")


def seed_everything(seed: int, deterministic: bool = True) -> np.random.Generator:
    """Seed Python, NumPy and torch; optionally switch torch to deterministic kernels.

    Parameters
    ----------
    seed : int
        Non-negative seed.
    deterministic : bool
        Use deterministic algorithms (and a fixed cuBLAS workspace on CUDA).

    Returns
    -------
    numpy.random.Generator
        A generator seeded with ``seed`` for code that takes one explicitly.
    """
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 - seed the legacy global RNG too
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a hard dependency
        return np.random.default_rng(seed)
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True
    torch.manual_seed(seed)
    return np.random.default_rng(seed)


def limit_threads(n: int | None = None) -> int:
    """Cap torch's intra-op threads; return the number set.

    The default is ``$SUPPORT_THREADS`` or 1. On a small shared machine,
    OpenMP workers spin-wait for one another: with two threads and a busy
    second core we measured batched small matrix products 30-100x slower than
    with one. Set ``SUPPORT_THREADS`` (or pass ``n``) on a machine with idle
    cores to spare. BLAS threads for NumPy follow ``OMP_NUM_THREADS``, which
    must be set before NumPy starts.
    """
    import torch

    if n is None:
        n = int(os.environ.get("SUPPORT_THREADS", 0) or 1)
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    torch.set_num_threads(n)
    return n


def versions() -> dict[str, str]:
    """Python, platform and the versions of the packages this collection relies on."""
    found = {"python": platform.python_version(), "platform": platform.platform()}
    for name in _VERSIONED_PACKAGES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return found


def describe(device) -> str:
    """One-line description of a device (GPU name and memory, or CPU cores)."""
    import torch

    device = torch.device(device)
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        return f"{props.name} ({props.total_memory / 2**30:.0f} GiB)"
    return f"CPU ({os.cpu_count()} cores, torch threads {torch.get_num_threads()})"
