"""Errors for data that is missing or malformed."""

from __future__ import annotations

from pathlib import Path


class MissingDataError(FileNotFoundError):
    """A data file is not where it should be; the message says where to get it.

    Parameters
    ----------
    path : path
        The file that was looked for.
    dataset : str
        Data set name.
    source : str
        Where the file comes from (a URL or instructions).
    """

    def __init__(self, path: Path, dataset: str, source: str):
        self.path = Path(path)
        self.dataset = dataset
        self.source = source
        super().__init__(
            f"{dataset}: expected the file {self.path}, which is missing. "
            f"Get it from {source} and place it there (DATA_DIR={self.path.parent.parent})."
        )
