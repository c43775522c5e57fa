from __future__ import annotations

import dataclasses
import os

import numpy as np
import pytest
import torch

from support.core import paths
from support.core.profiles import select_profile
from support.core.runtime import limit_threads, seed_everything, select_device, versions


def test_repo_root_is_the_checkout_from_anywhere_inside_it(monkeypatch):
    root = paths.checkout_root()
    assert root is not None and (root / "pyproject.toml").is_file()
    monkeypatch.chdir(root / "notebooks")  # papermill's and nbval's kernels start here
    assert paths.repo_root() == root
    assert paths.resolve("figures/x") == root / "figures" / "x"


def test_a_script_outside_the_checkout_writes_under_its_working_directory(tmp_path, monkeypatch):
    # pip install -e . imports support from the checkout; a user's script elsewhere must not
    # write into the repository's figures/ or .cache/.
    monkeypatch.delenv("SUPPORT_FIGURES_ROOT", raising=False)
    monkeypatch.delenv("SUPPORT_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    assert paths.working_checkout() is None and paths.repo_root() == tmp_path
    assert paths.figures_dir("p") == tmp_path / "figures" / "p"
    assert paths.cache_dir() == tmp_path / "xdg" / "support-notebooks"
    assert paths.resolve(tmp_path / "abs") == tmp_path / "abs"


def test_figures_dir_default_override_and_env(tmp_path, monkeypatch):
    monkeypatch.delenv("SUPPORT_FIGURES_ROOT", raising=False)
    assert paths.figures_dir("p", tmp_path / "o") == tmp_path / "o"
    monkeypatch.setenv("SUPPORT_FIGURES_ROOT", str(tmp_path / "root"))
    assert paths.figures_dir("p") == tmp_path / "root" / "p"
    assert (tmp_path / "root" / "p").is_dir()


def test_select_device():
    assert select_device("cpu").type == "cpu"
    assert select_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="device"):
        select_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            select_device("cuda")


def test_seed_everything_reproduces_streams():
    rng = seed_everything(3)
    a = (np.random.rand(3), torch.rand(3), rng.random(3))  # noqa: NPY002
    rng = seed_everything(3)
    b = (np.random.rand(3), torch.rand(3), rng.random(3))  # noqa: NPY002
    for x, y in zip(a, b):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
    with pytest.raises(ValueError, match="seed"):
        seed_everything(-1)


def test_limit_threads():
    before = torch.get_num_threads()
    try:
        assert limit_threads(1) == 1 and torch.get_num_threads() == 1
        with pytest.raises(ValueError):
            limit_threads(0)
    finally:
        torch.set_num_threads(before)


def test_versions_lists_core_packages():
    v = versions()
    assert {"python", "numpy", "torch"} <= set(v)


@dataclasses.dataclass(frozen=True)
class _Cfg:
    n: int
    lr: float = 0.1


def test_select_profile():
    table = {"smoke": _Cfg(1), "cpu": _Cfg(10)}
    assert select_profile("cpu", table).n == 10
    assert select_profile("cpu", table, lr=0.5, n=None) == _Cfg(10, 0.5)
    with pytest.raises(ValueError, match="PROFILE must be one of"):
        select_profile("gpu", table)
    with pytest.raises(ValueError, match="unknown config field"):
        select_profile("cpu", table, epochs=3)


def test_data_dir_env(monkeypatch, tmp_path):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    assert paths.data_dir() == tmp_path
    assert paths.data_dir(os.fspath(tmp_path / "x")) == tmp_path / "x"
