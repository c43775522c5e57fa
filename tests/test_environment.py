"""environment.yml must list the same packages as pyproject.toml."""

from __future__ import annotations

import re

import tomllib
from packaging.requirements import Requirement

from support.core.paths import repo_root

PY311 = {"python_version": "3.11", "python_full_version": "3.11.0"}

# conda-forge names that differ from PyPI's
CONDA_TO_PYPI = {"pytorch": "torch"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower()


def _pyproject_packages() -> dict[str, str]:
    """Requirements that apply on environment.yml's Python 3.11 (a marker such as
    ``python_version < '3.11'`` names a backport that conda's environment does not need)."""
    meta = tomllib.loads((repo_root() / "pyproject.toml").read_text())["project"]
    reqs = list(meta["dependencies"]) + list(meta["optional-dependencies"]["dev"])
    applies = [
        r for r in reqs if Requirement(r).marker is None or Requirement(r).marker.evaluate(PY311)
    ]
    return {_name(r): r.replace(" ", "") for r in applies}


def _conda_packages() -> dict[str, str]:
    found = {}
    text = (repo_root() / "environment.yml").read_text()
    for line in text.split("dependencies:", 1)[1].splitlines():
        # conda packages at two spaces, pip-only packages (under "- pip:") at six
        m = re.match(r"^(?:\s{2}|\s{6})- ([A-Za-z0-9_.-]+)([<>=!].*)?$", line)
        if m and m.group(1) not in ("python", "pip"):
            name = CONDA_TO_PYPI.get(m.group(1).lower(), m.group(1).lower())
            found[name] = name + (m.group(2) or "")
    return found


def test_environment_yml_matches_pyproject():
    pyproject, conda = _pyproject_packages(), _conda_packages()
    assert sorted(pyproject) == sorted(conda), (
        f"only in pyproject: {sorted(set(pyproject) - set(conda))}; "
        f"only in environment.yml: {sorted(set(conda) - set(pyproject))}"
    )
    for name, req in pyproject.items():
        assert conda[name] == req, (
            f"{name}: pyproject says {req!r}, environment.yml says {conda[name]!r}"
        )


def test_makefile_pins_torch_first():
    text = (repo_root() / "Makefile").read_text()
    pin = text.index("torch==$(TORCH_VERSION)")
    editable = text.index("-e '.[dev,cluster]'")
    assert pin < editable, "torch must be installed, pinned, before the package"
