"""Notebook discovery shared by the contract and smoke tests."""

from __future__ import annotations

import os
import re

import pytest

from support.core.paths import repo_root

NOTEBOOK_NAME = re.compile(r"^(\d\d)_([a-z0-9_]+)\.ipynb$")

# Claims of this session's serial smoke runs, by notebook stem: the Ray test (test_smoke_ray.py,
# collected after test_smoke.py) compares with them instead of running each notebook twice.
SERIAL_SMOKE_CLAIMS: dict[str, dict] = {}


def notebook_paths():
    """Every notebook, or those matching ``$SUPPORT_NOTEBOOKS`` (``make smoke NB=02_*``)."""
    pattern = os.environ.get("SUPPORT_NOTEBOOKS", "") or "*"
    found = sorted((repo_root() / "notebooks").glob(f"{pattern}.ipynb"))
    return [p for p in found if NOTEBOOK_NAME.match(p.name)]


def paper_of(path) -> str:
    m = NOTEBOOK_NAME.match(path.name)
    assert m, f"{path.name}: notebooks are named NN_<paper>.ipynb"
    return m.group(2)


def pytest_generate_tests(metafunc):
    if "notebook" in metafunc.fixturenames:
        paths = notebook_paths()
        metafunc.parametrize("notebook", paths, ids=[p.stem for p in paths])


@pytest.fixture
def paper(notebook):
    return paper_of(notebook)


def execute(notebook, executed, parameters: dict) -> float:
    """Run ``notebook`` headlessly with papermill into ``executed``; return the seconds taken."""
    import time

    import papermill as pm

    executed.parent.mkdir(parents=True, exist_ok=True)
    started = time.time()
    pm.execute_notebook(
        str(notebook),
        str(executed),
        kernel_name="python3",
        cwd=str(notebook.parent),
        parameters=parameters,
        progress_bar=False,
    )
    return time.time() - started
