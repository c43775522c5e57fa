"""Shared test configuration: thread limits, the gpu marker, a private cache."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_configure(config):
    import torch

    # The CI machine has 2 shared cores: a second torch thread spin-waits on a
    # busy core and makes small operations far slower (see runtime.limit_threads).
    torch.set_num_threads(1)


def pytest_collection_modifyitems(config, items):
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs CUDA")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def tmp_cache(tmp_path, monkeypatch):
    """Point the on-disk cache at a fresh temporary directory."""
    monkeypatch.setenv("SUPPORT_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"
