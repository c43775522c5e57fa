"""Each notebook's smoke sweep on a local Ray instance (2 CPUs) equals the serial run.

The serial run is test_smoke.py's from the same session where it ran (this file is collected
after it); run alone, this test runs the serial smoke itself.
"""

from __future__ import annotations

import pytest

from support.core.claims import compare, load
from support.core.paths import repo_root

from .conftest import SERIAL_SMOKE_CLAIMS, execute

pytest.importorskip("ray", reason="the Ray executor is the optional [cluster] extra")

# The notebooks whose sweeps go through support.core.executor.run_cells.
NOTEBOOKS = (
    "01_gbdt_influence",
    "02_matrix_sensing",
    "03_dropout_inversion",
    "04_dataset_distillation",
)


def _smoke(tmp_path, monkeypatch, notebook_name: str, name: str, executor: str) -> dict:
    monkeypatch.setenv("SUPPORT_CACHE_DIR", str(tmp_path / name / "cache"))
    monkeypatch.setenv("SUPPORT_EXECUTOR", executor)
    monkeypatch.setenv("SUPPORT_RAY_CPUS", "2")
    monkeypatch.setenv("SUPPORT_EXECUTOR_LOG", str(tmp_path / name / "executor.log"))
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    notebook = repo_root() / "notebooks" / f"{notebook_name}.ipynb"
    out = tmp_path / name / "figures"
    parameters = {"PROFILE": "smoke", "DEVICE": "cpu", "OUTPUT_DIR": str(out)}
    execute(notebook, tmp_path / name / notebook.name, parameters)
    return load(out / "claims.json")


@pytest.mark.parametrize("notebook_name", NOTEBOOKS)
def test_local_ray_sweep_equals_serial(tmp_path, monkeypatch, notebook_name):
    serial = SERIAL_SMOKE_CLAIMS.get(notebook_name) or _smoke(
        tmp_path, monkeypatch, notebook_name, "serial", "serial"
    )
    ray = _smoke(tmp_path, monkeypatch, notebook_name, "ray", "ray")
    used = (tmp_path / "ray" / "executor.log").read_text().split()
    assert used and used[0] == "ray", "the notebook's sweep did not go through the Ray executor"
    assert compare(serial, ray, rel=0.0) == []
