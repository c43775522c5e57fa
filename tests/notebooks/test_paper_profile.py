"""Run every notebook's paper-profile code path at shrunk sizes on fake files.

The ``paper_smoke`` profile of each paper keeps the ``paper`` profile's
structure (grids, data sets, architectures, loaders that read ``DATA_DIR``)
with tiny sizes and iterations; ``tests/notebooks/paper_data/<paper>.py``
writes small files in the real formats for it to read.
"""

from __future__ import annotations

import importlib
import time

import papermill as pm

from support.core.claims import load
from support.core.paths import repo_root


def test_paper_profile_code_path_runs(notebook, paper, tmp_path, monkeypatch):
    monkeypatch.setenv("SUPPORT_CACHE_DIR", str(tmp_path / "cache"))
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    importlib.import_module(f"tests.notebooks.paper_data.{paper}").write(data_dir)
    out_dir = tmp_path / "figures"
    executed = repo_root() / "build" / "paper_smoke" / notebook.name
    executed.parent.mkdir(parents=True, exist_ok=True)
    started = time.time()
    pm.execute_notebook(
        str(notebook),
        str(executed),
        kernel_name="python3",
        cwd=str(notebook.parent),
        parameters={
            "PROFILE": "paper_smoke",
            "DEVICE": "cpu",
            "DATA_DIR": str(data_dir),
            "OUTPUT_DIR": str(out_dir),
        },
        progress_bar=False,
    )
    print(f"{notebook.name}: paper_smoke run took {time.time() - started:.1f} s")
    claims = load(out_dir / "claims.json")
    assert claims["paper"] == paper and claims["profile"] == "paper_smoke"
    assert claims["claims"], "the notebook recorded no claims"
    assert sorted(out_dir.glob("*.png")), "the notebook saved no figures"
