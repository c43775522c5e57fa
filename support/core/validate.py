"""Argument checks shared by every paper package.

Each check raises ``ValueError`` naming the argument, the value given and
what was expected, so a bad setting fails where it is set.
"""

from __future__ import annotations

import math
import numbers
from typing import Any


def check_int(name: str, value: Any, low: int = 1) -> None:
    """Raise ``ValueError`` unless ``value`` is an integer ``>= low`` (booleans are refused).

    Parameters
    ----------
    name : str
        The argument's name, as the caller spells it.
    value : object
        The value given.
    low : int
        The smallest value allowed.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")


def check_positive(name: str, value: Any) -> None:
    """Raise ``ValueError`` unless ``value`` is a finite real number ``> 0``.

    Parameters
    ----------
    name : str
        The argument's name.
    value : object
        The value given.
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not (math.isfinite(value) and value > 0)
    ):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")


def check_fraction(name: str, value: Any) -> None:
    """Raise ``ValueError`` unless ``0 <= value < 1`` (a momentum, a dropout rate).

    Parameters
    ----------
    name : str
        The argument's name.
    value : object
        The value given.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
        raise ValueError(f"{name} must be a number in [0, 1), got {value!r}")


def check_finite(name: str, x: Any) -> None:
    """Raise ``ValueError`` if the tensor or array ``x`` holds a NaN or an infinity.

    Parameters
    ----------
    name : str
        The argument's name.
    x : torch.Tensor or numpy.ndarray
        The values given.
    """
    import numpy as np

    values = x.detach().cpu().numpy() if hasattr(x, "detach") else np.asarray(x)
    if np.issubdtype(values.dtype, np.floating) and not np.isfinite(values).all():
        bad = int((~np.isfinite(values)).sum())
        raise ValueError(f"{name} must be finite, got {bad} NaN or infinite value(s)")
