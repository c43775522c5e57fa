"""tqdm progress bars that behave under papermill and in CI.

``tqdm.auto`` picks the widget bar, which stays frozen at 0 in papermill
output; the plain text bar updates in place and is throttled by
``TQDM_MININTERVAL`` (the Makefile sets 5 s) and silenced by ``TQDM_DISABLE``.
"""

from __future__ import annotations

import os
import sys

from tqdm.std import tqdm


def progress(iterable=None, desc: str = "", total: int | None = None, **kwargs) -> tqdm:
    """Wrap ``iterable`` in a text progress bar written to stderr.

    Parameters
    ----------
    iterable : iterable, optional
        What to iterate over (omit for a manual bar with ``total``).
    desc : str
        Label shown before the bar.
    total : int, optional
        Number of items when ``iterable`` has no length.
    **kwargs
        Passed to :class:`tqdm.std.tqdm`.
    """
    kwargs.setdefault("mininterval", float(os.environ.get("TQDM_MININTERVAL", 1.0)))
    kwargs.setdefault("disable", os.environ.get("TQDM_DISABLE", "") not in ("", "0"))
    kwargs.setdefault("file", sys.stderr)
    kwargs.setdefault("dynamic_ncols", False)
    kwargs.setdefault("ncols", 90)
    return tqdm(iterable, desc=desc, total=total, **kwargs)
