"""Committed = fresh: the claims nbval's re-run wrote equal the committed ones.

``make test-nbval`` re-executes the committed notebooks from a clean cache
with ``SUPPORT_FIGURES_ROOT=build/nbval-figures``; this test then compares
each re-run ``claims.json`` with ``figures/<paper>/claims.json`` value by
value, within each claim's declared tolerance (timing claims excepted).
"""

from __future__ import annotations

import os

import pytest

from support.core.claims import compare, load
from support.core.paths import repo_root

FRESH_ROOT = repo_root() / os.environ.get("SUPPORT_FRESH_FIGURES", "build/nbval-figures")


def _papers():
    return sorted(p.parent.name for p in (repo_root() / "figures").glob("*/claims.json"))


@pytest.mark.parametrize("paper", _papers())
def test_rerun_reproduces_committed_claims(paper):
    fresh = FRESH_ROOT / paper / "claims.json"
    if not fresh.is_file():
        pytest.skip(f"no re-run of {paper} under {FRESH_ROOT} (run make test-nbval first)")
    committed = load(repo_root() / "figures" / paper / "claims.json")
    problems = compare(committed, load(fresh))
    assert not problems, f"{paper}: the re-run differs from the committed claims:\n" + "\n".join(
        problems
    )
