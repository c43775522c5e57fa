"""Provenance for figures and results: git commit, package versions."""

from __future__ import annotations

import subprocess
from functools import lru_cache

from .paths import repo_root


@lru_cache(maxsize=1)
def git_commit() -> str:
    """Current commit hash, suffixed ``-dirty`` when the tree has changes; ``unknown`` outside git."""
    root = repo_root()
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if not sha:
        return "unknown"
    return sha + ("-dirty" if dirty else "")
