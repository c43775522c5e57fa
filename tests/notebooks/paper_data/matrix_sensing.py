"""Matrix sensing reads no files: its paper profile draws every problem from seeded generators."""

from __future__ import annotations

from pathlib import Path


def write(data_dir: Path) -> None:
    """Write nothing: the paper profile of notebook 02 needs no data files."""
