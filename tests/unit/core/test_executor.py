"""The sweep executor: seeds from coordinates, per-cell cache and resume, Ray = serial."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from support.core.cache import Cache
from support.core.executor import cell_seed, choose_backend, run_cells


def noisy_cell(scale: float, index: int) -> list[float]:
    """A cell whose result depends on the seed the executor sets (module level for Ray)."""
    return [scale * float(np.random.rand()), float(torch.rand(()))]  # noqa: NPY002 (global RNG on purpose)


def shifted_cell(scale: float, index: int, offset: np.ndarray) -> float:
    """A cell that also takes a shared (unhashed) input."""
    return scale * index + float(offset.sum())


def failing_cell(index: int) -> int:
    if index == 2:
        raise KeyboardInterrupt("killed")
    return index


CELLS = [{"scale": s, "index": i} for i, s in enumerate([1.0, 2.0, 3.0, 4.0])]


def test_results_depend_on_coordinates_not_order(tmp_path):
    forward = run_cells(noisy_cell, CELLS, backend="serial")
    backward = run_cells(noisy_cell, CELLS[::-1], backend="serial")[::-1]
    assert forward == backward
    assert len({r[1] for r in forward}) == 4
    assert cell_seed(CELLS[0]) != cell_seed(CELLS[0], base=1)


def test_interrupted_sweep_resumes_from_finished_cells(tmp_path):
    cache = Cache("executor-test", root=tmp_path)
    cells = [{"index": i} for i in range(4)]
    with pytest.raises(KeyboardInterrupt):
        run_cells(failing_cell, cells, cache=cache, backend="serial")
    assert len(list(cache.dir.glob("*.joblib"))) == 2
    calls = []
    import tests.unit.core.test_executor as me

    original = me.failing_cell

    def counting(index):
        calls.append(index)
        return index

    counting.__module__, counting.__qualname__ = original.__module__, original.__qualname__
    assert run_cells(counting, cells, cache=cache, backend="serial") == [0, 1, 2, 3]
    assert calls == [2, 3]


def test_shared_inputs_reach_every_cell_without_entering_the_key(tmp_path):
    cache = Cache("executor-shared", root=tmp_path)
    first = run_cells(
        shifted_cell, CELLS, cache=cache, backend="serial", shared={"offset": np.ones(3)}
    )
    assert first == [3.0, 5.0, 9.0, 15.0]
    # Shared inputs are not part of the key: the caller fingerprints them in the cells.
    again = run_cells(
        shifted_cell, CELLS, cache=cache, backend="serial", shared={"offset": np.zeros(3)}
    )
    assert again == first
    with pytest.raises(ValueError, match=r"shared names \['index'\] are also cell coordinates"):
        run_cells(shifted_cell, CELLS, backend="serial", shared={"index": 1, "offset": 0})


def test_backend_choice_and_errors(monkeypatch):
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    monkeypatch.delenv("SUPPORT_EXECUTOR", raising=False)
    assert choose_backend() == "serial"
    monkeypatch.setenv("SUPPORT_EXECUTOR", "ray")
    assert choose_backend() == "ray"
    monkeypatch.setenv("SUPPORT_EXECUTOR", "dask")
    with pytest.raises(ValueError, match="SUPPORT_EXECUTOR must be 'serial' or 'ray', got 'dask'"):
        choose_backend()
    with pytest.raises(ValueError, match="backend must be one of"):
        choose_backend("threads")


ray = pytest.importorskip("ray", reason="the Ray executor is an optional extra ([cluster])")


def test_local_ray_equals_serial():
    script = (
        "from support.core.executor import run_cells\n"
        "import numpy as np\n"
        "from tests.unit.core.test_executor import CELLS, noisy_cell, shifted_cell\n"
        "print(run_cells(shifted_cell, CELLS, backend='ray', shared={'offset': np.ones(3)}))\n"
        "print(run_cells(noisy_cell, CELLS, backend='ray'))\n"
        "from tests.unit.core.test_executor import listening_beyond_loopback\n"
        "print(listening_beyond_loopback())\n"
    )
    env = {**os.environ, "SUPPORT_RAY_CPUS": "2", "RAY_ADDRESS": ""}
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().splitlines()[-3:] == [
        str([3.0, 5.0, 9.0, 15.0]),
        str(run_cells(noisy_cell, CELLS, backend="serial")),
        "[]",
    ], "results equal serial, and no port of the local Ray instance listens beyond loopback"


def listening_beyond_loopback() -> list[str]:
    """Listening TCP sockets of this process's descendants (Ray's) bound beyond loopback."""
    import ipaddress

    import psutil

    found = []
    for proc in psutil.Process().children(recursive=True):
        try:
            conns = proc.net_connections(kind="tcp")
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        for c in conns:
            host = c.laddr.ip.removeprefix("::ffff:")
            if c.status == psutil.CONN_LISTEN and not ipaddress.ip_address(host).is_loopback:
                found.append(f"{proc.name()} {c.laddr.ip}:{c.laddr.port}")
    return found


def test_ray_address_pointing_nowhere_is_a_clear_error():
    script = (
        "from support.core.executor import run_cells\n"
        "from tests.unit.core.test_executor import CELLS, noisy_cell\n"
        "run_cells(noisy_cell, CELLS)\n"
    )
    env = {**os.environ, "RAY_ADDRESS": "127.0.0.1:1"}
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode != 0
    assert "RAY_ADDRESS='127.0.0.1:1': no Ray cluster answered there" in out.stderr


def test_serial_cells_leave_the_callers_rng_alone():
    torch.manual_seed(123)
    np.random.seed(123)  # noqa: NPY002
    expected = float(torch.rand(())), float(np.random.rand())  # noqa: NPY002
    torch.manual_seed(123)
    np.random.seed(123)  # noqa: NPY002
    run_cells(noisy_cell, CELLS, backend="serial")
    assert (float(torch.rand(())), float(np.random.rand())) == expected  # noqa: NPY002


def value_error_cell(index: int) -> int:
    if index == 1:
        raise ValueError(f"bad cell {index}")
    return index


def test_local_processes_equal_serial(tmp_path, monkeypatch):
    monkeypatch.delenv("SUPPORT_WORKERS", raising=False)
    log = tmp_path / "executor.log"
    monkeypatch.setenv("SUPPORT_EXECUTOR_LOG", str(log))
    serial = run_cells(noisy_cell, CELLS, backend="serial")
    cache = Cache("executor-processes", root=tmp_path)
    parallel = run_cells(noisy_cell, CELLS, backend="serial", workers=2, cache=cache)
    assert parallel == serial
    shared = {"offset": np.ones(3)}
    assert run_cells(shifted_cell, CELLS, workers=2, shared=shared) == [3.0, 5.0, 9.0, 15.0]
    assert log.read_text().splitlines()[1].startswith("processes ")
    assert len(list(cache.dir.glob("*.joblib"))) == 4


def test_worker_count_and_cell_errors(tmp_path, monkeypatch):
    log = tmp_path / "executor.log"
    monkeypatch.setenv("SUPPORT_EXECUTOR_LOG", str(log))
    monkeypatch.setenv("SUPPORT_WORKERS", "1")  # overrides workers=2: stays in this process
    assert run_cells(noisy_cell, CELLS, workers=2) == run_cells(noisy_cell, CELLS, backend="serial")
    assert [line.split()[0] for line in log.read_text().splitlines()] == ["serial", "serial"]
    monkeypatch.setenv("SUPPORT_WORKERS", "two")
    with pytest.raises(ValueError, match="SUPPORT_WORKERS must be an integer >= 1, got 'two'"):
        run_cells(noisy_cell, CELLS, workers=2)
    monkeypatch.delenv("SUPPORT_WORKERS")
    with pytest.raises(ValueError, match="workers must be an integer >= 1, got 0"):
        run_cells(noisy_cell, CELLS, workers=0)
    with pytest.raises(ValueError, match="bad cell 1"):
        run_cells(value_error_cell, [{"index": i} for i in range(3)], workers=2)
