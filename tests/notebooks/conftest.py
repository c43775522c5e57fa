"""Notebook discovery shared by the contract and smoke tests."""

from __future__ import annotations

import re

import pytest

from support.core.paths import repo_root

NOTEBOOK_NAME = re.compile(r"^(\d\d)_([a-z0-9_]+)\.ipynb$")


def notebook_paths():
    return sorted((repo_root() / "notebooks").glob("[0-9][0-9]_*.ipynb"))


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
