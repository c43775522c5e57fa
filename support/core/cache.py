"""On-disk memoisation keyed by configuration, with atomic writes.

Each entry is stored as ``<namespace>/<hash>.joblib`` (plus a ``.json`` copy of
its key for humans), written to a temporary file and renamed, so an
interrupted run never leaves a corrupt entry and a re-run resumes from the
entries already finished. Only this collection's own results are stored; the
cache directory is not a place for files from elsewhere.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import joblib

from . import atomic
from .paths import cache_dir

T = TypeVar("T")


def key_hash(key: Mapping[str, Any]) -> str:
    """Stable SHA-256 (first 20 hex digits) of a configuration mapping.

    Dataclasses, numpy scalars/arrays and tuples are canonicalised, so equal
    configurations hash equally across runs and machines.
    """
    text = json.dumps(_canonical(key), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


class Cache:
    """A namespace of cached results under the collection's cache directory.

    Parameters
    ----------
    namespace : str
        Sub-directory, e.g. ``"distill/experts"``.
    root : str or path, optional
        Cache root (default :func:`support.core.paths.cache_dir`).
    enabled : bool
        When False every lookup misses and nothing is written.
    code : module, optional
        A package whose source is hashed into every key, so editing the code
        that produced an entry invalidates it instead of serving a stale result.
        Default: the ``support`` sub-package named by the namespace's first
        part (``"distill/experts"`` hashes ``support.distill``), else the whole
        ``support`` package. Every key carries a code hash.
    """

    def __init__(
        self, namespace: str, root: str | os.PathLike | None = None, enabled: bool = True, code=None
    ):
        if not namespace or namespace.startswith("/") or ".." in namespace.split("/"):
            raise ValueError(
                f"namespace must be a relative name such as 'distill/experts', got {namespace!r}"
            )
        self.dir = Path(root) if root is not None else cache_dir()
        self.dir = self.dir / namespace
        self.enabled = enabled
        self.code_hash = source_hash(code if code is not None else _package_of(namespace))

    def path(self, key: Mapping[str, Any]) -> Path:
        """File an entry for ``key`` lives in."""
        key = {**key, "__code__": self.code_hash}
        return self.dir / f"{key_hash(key)}.joblib"

    def __contains__(self, key: Mapping[str, Any]) -> bool:
        return self.enabled and self.path(key).is_file()

    def load(self, key: Mapping[str, Any]) -> Any:
        """Load the entry for ``key``; ``KeyError`` if absent."""
        path = self.path(key)
        if not (self.enabled and path.is_file()):
            raise KeyError(f"no cache entry for {key}")
        return joblib.load(path)

    def save(self, key: Mapping[str, Any], value: Any) -> Path:
        """Store ``value`` under ``key`` atomically and return the entry's path."""
        path = self.path(key)
        if not self.enabled:
            return path
        atomic.write_with(path, lambda p: joblib.dump(value, p), suffix=".joblib")
        atomic.write_json(path.with_suffix(".json"), _canonical(key))
        return path

    def get_or_compute(self, key: Mapping[str, Any], compute: Callable[[], T]) -> T:
        """Return the cached value for ``key``, computing and storing it on a miss."""
        if key in self:
            try:
                return self.load(key)
            except (EOFError, OSError, ValueError):
                pass  # unreadable entry (e.g. from another library version): recompute
        value = compute()
        self.save(key, value)
        return value

    def clear(self) -> int:
        """Delete every entry in this namespace; return how many were removed."""
        removed = 0
        if self.dir.is_dir():
            for f in self.dir.iterdir():
                if f.suffix in (".joblib", ".json"):
                    f.unlink()
                    removed += f.suffix == ".joblib"
        return removed


def _package_of(namespace: str):
    """The ``support`` sub-package a namespace belongs to (the whole package if none)."""
    import importlib

    import support

    head = namespace.split("/")[0]
    try:
        return importlib.import_module(f"support.{head}")
    except ImportError:
        return support


def source_hash(package) -> str:
    """SHA-256 (first 16 hex digits) of every ``.py`` file of a package (or one module)."""
    root = Path(package.__file__)
    files = sorted(root.parent.rglob("*.py")) if root.name == "__init__.py" else [root]
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.relative_to(root.parent).as_posix().encode())
        digest.update(f.read_bytes())
    return digest.hexdigest()[:16]


def _canonical(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {"__dataclass__": type(obj).__name__, **_canonical(dataclasses.asdict(obj))}
    if isinstance(obj, Mapping):
        return {str(k): _canonical(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_canonical(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, float) and obj != obj:
        return "nan"
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(
        f"cache keys may hold plain values, dataclasses and arrays; got {type(obj).__name__}"
    )
