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
    data_dir : path, optional
        The DATA_DIR the loader read from, named in the message; omit it for
        files that do not come from DATA_DIR (data shipped by a package).
    """

    def __init__(self, path: Path, dataset: str, source: str, data_dir: Path | None = None):
        self.path = Path(path)
        self.dataset = dataset
        self.source = source
        where = f" (DATA_DIR={data_dir})" if data_dir is not None else ""
        super().__init__(
            f"{dataset}: expected the file {self.path}, which is missing. "
            f"Get it from {source} and place it there{where}."
        )
