"""Run every notebook's paper-profile code path at shrunk sizes on fake files.

The ``paper_smoke`` profile of each paper keeps the ``paper`` profile's
structure (grids, data sets, architectures, loaders that read ``DATA_DIR``)
with tiny sizes and iterations; ``tests/notebooks/paper_data/<paper>.py``
writes small files in the real formats for it to read.
"""

from __future__ import annotations

import importlib

from support.core.claims import load
from support.core.paths import repo_root

from .conftest import execute


def test_paper_profile_code_path_runs(notebook, paper, tmp_path, monkeypatch):
    monkeypatch.setenv("SUPPORT_CACHE_DIR", str(tmp_path / "cache"))
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    importlib.import_module(f"tests.notebooks.paper_data.{paper}").write(data_dir)
    out_dir = tmp_path / "figures"
    executed = repo_root() / "build" / "paper_smoke" / notebook.name
    parameters = {
        "PROFILE": "paper_smoke",
        "DEVICE": "cpu",
        "DATA_DIR": str(data_dir),
        "OUTPUT_DIR": str(out_dir),
    }
    seconds = execute(notebook, executed, parameters)
    print(f"{notebook.name}: paper_smoke run took {seconds:.1f} s")
    claims = load(out_dir / "claims.json")
    assert claims["paper"] == paper and claims["profile"] == "paper_smoke"
    assert claims["claims"], "the notebook recorded no claims"
    assert sorted(out_dir.glob("*.png")), "the notebook saved no figures"
