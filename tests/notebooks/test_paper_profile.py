"""Run every notebook's paper-profile code path at shrunk sizes on fake files.

The ``paper_smoke`` profile of each paper keeps the ``paper`` profile's
structure (grids, data sets, architectures, loaders that read ``DATA_DIR``)
with tiny sizes and iterations; ``tests/notebooks/paper_data/<paper>.py``
writes small files in the real formats for it to read. The run goes through
``make figures`` itself, so the Makefile's parameters (PROFILE, DEVICE, SEED,
DATA_DIR, OUTPUT_DIR) are tested as a user passes them.
"""

from __future__ import annotations

import importlib
import subprocess
import time

from support.core.claims import load
from support.core.paths import repo_root


def test_paper_profile_code_path_runs(notebook, paper, tmp_path, monkeypatch):
    monkeypatch.setenv("SUPPORT_CACHE_DIR", str(tmp_path / "cache"))
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    importlib.import_module(f"tests.notebooks.paper_data.{paper}").write(data_dir)
    out_dir = tmp_path / "figures"
    start = time.time()
    _make(
        "figures",
        NB=notebook.stem,
        PROFILE="paper_smoke",
        DEVICE="cpu",
        SEED="0",
        DATA_DIR=str(data_dir),
        OUTPUT_DIR=str(out_dir),
    )
    print(f"{notebook.name}: make figures PROFILE=paper_smoke took {time.time() - start:.1f} s")
    claims = load(out_dir / "claims.json")
    assert claims["paper"] == paper and claims["profile"] == "paper_smoke"
    assert claims["claims"], "the notebook recorded no claims"
    assert sorted(out_dir.glob("*.png")), "the notebook saved no figures"


def test_an_nb_that_matches_nothing_names_the_notebooks():
    result = _make("figures", "-n", NB="99_nothing", check=False)
    assert result.returncode != 0
    assert "NB=99_nothing matches no notebook" in result.stderr
    assert "02_matrix_sensing.ipynb" in result.stderr


def test_nb_by_number_selects_the_notebook():
    result = _make("figures", "-n", NB="02")
    assert "for nb in notebooks/02_matrix_sensing.ipynb; do" in result.stdout


def _make(target: str, *flags: str, check: bool = True, **variables: str):
    cmd = ["make", "--no-print-directory", "-C", str(repo_root()), target, *flags]
    cmd += [f"{k}={v}" for k, v in variables.items()]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if check:
        assert result.returncode == 0, (
            f"{' '.join(cmd)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result
