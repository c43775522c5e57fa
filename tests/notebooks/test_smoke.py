"""Run every notebook at the smoke profile and check it wrote its figures and claims."""

from __future__ import annotations

import json
import os
from pathlib import Path

from support.core.claims import load
from support.core.paths import repo_root

from .conftest import SERIAL_SMOKE_CLAIMS, execute


def test_smoke_run_writes_figures_and_claims(notebook, paper, tmp_path, monkeypatch):
    monkeypatch.setenv("SUPPORT_CACHE_DIR", str(tmp_path / "cache"))
    # SUPPORT_SMOKE_DIR keeps the claims for `make test-altblas`, which compares two code paths.
    keep = os.environ.get("SUPPORT_SMOKE_DIR", "")
    out_dir = Path(keep).resolve() / paper if keep else tmp_path / "figures"
    executed = repo_root() / "build" / "smoke" / notebook.name
    parameters = {"PROFILE": "smoke", "DEVICE": "cpu", "OUTPUT_DIR": str(out_dir)}
    print(f"{notebook.name}: smoke run took {execute(notebook, executed, parameters):.1f} s")

    claims = load(out_dir / "claims.json")
    if not os.environ.get("SUPPORT_EXECUTOR"):
        SERIAL_SMOKE_CLAIMS[notebook.stem] = claims
    assert claims["paper"] == paper and claims["profile"] == "smoke"
    assert claims["claims"], "the notebook recorded no claims"

    pngs = sorted(out_dir.glob("*.png"))
    assert pngs, "the notebook saved no figures"
    for png in pngs:
        assert png.stat().st_size > 1000, f"{png.name} is suspiciously small"
        sidecar = json.loads(png.with_suffix(".json").read_text())
        assert sidecar["profile"] == "smoke" and sidecar["device"] == "cpu"
        assert not sidecar["unlabelled_axes"], f"{png.name}: {sidecar['unlabelled_axes']}"
        assert png.with_suffix(".pdf").is_file()
