"""Data sets: embedded ones shipped by installed packages, and readers for real files under DATA_DIR."""

from .errors import MissingDataError

__all__ = ["MissingDataError"]
