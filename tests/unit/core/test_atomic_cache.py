from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from support.core import atomic
from support.core.cache import Cache, key_hash


def test_atomic_write_keeps_old_file_when_interrupted(tmp_path):
    target = tmp_path / "f.txt"
    atomic.write_text(target, "old")

    def failing_writer(p):
        p.write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic.write_with(target, failing_writer)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"], "no temporary file left behind"


def test_write_json_handles_numpy(tmp_path):
    path = atomic.write_json(tmp_path / "a.json", {"x": np.float64(1.5), "y": np.arange(3)})
    assert json.loads(path.read_text()) == {"x": 1.5, "y": [0, 1, 2]}


@dataclasses.dataclass(frozen=True)
class _Key:
    a: int
    b: tuple = (1, 2)


def test_key_hash_stable_and_sensitive():
    assert key_hash({"a": 1, "b": 2}) == key_hash({"b": 2, "a": 1})
    assert key_hash({"a": 1}) != key_hash({"a": 2})
    assert key_hash({"cfg": _Key(1)}) == key_hash({"cfg": _Key(1)})
    assert key_hash({"cfg": _Key(1)}) != key_hash({"cfg": _Key(2)})
    assert key_hash({"x": np.int64(3)}) == key_hash({"x": 3})
    with pytest.raises(TypeError):
        key_hash({"f": object()})


def test_cache_computes_once_and_resumes(tmp_path):
    calls = []
    cache = Cache("t", root=tmp_path)

    def compute():
        calls.append(1)
        return np.arange(4)

    key = {"n": 4}
    np.testing.assert_array_equal(cache.get_or_compute(key, compute), np.arange(4))
    fresh = Cache("t", root=tmp_path)  # a new process would see the same entry
    np.testing.assert_array_equal(fresh.get_or_compute(key, compute), np.arange(4))
    assert len(calls) == 1
    assert cache.path(key).with_suffix(".json").is_file()
    assert cache.clear() == 1 and key not in cache


def test_interrupted_compute_leaves_no_entry(tmp_path):
    cache = Cache("t", root=tmp_path)

    def boom():
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        cache.get_or_compute({"k": 1}, boom)
    assert {"k": 1} not in cache
    assert cache.get_or_compute({"k": 1}, lambda: 7) == 7


def test_corrupt_entry_is_recomputed(tmp_path):
    cache = Cache("t", root=tmp_path)
    cache.save({"k": 1}, 5)
    cache.path({"k": 1}).write_bytes(b"garbage")
    assert cache.get_or_compute({"k": 1}, lambda: 6) == 6


def test_disabled_cache_never_hits(tmp_path):
    cache = Cache("t", root=tmp_path, enabled=False)
    cache.save({"k": 1}, 5)
    assert {"k": 1} not in cache
    assert cache.get_or_compute({"k": 1}, lambda: 6) == 6


def test_bad_namespace():
    with pytest.raises(ValueError, match="namespace"):
        Cache("../x")


def test_code_hash_invalidates_entries(tmp_path):
    import types

    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("x = 1\n")
    module = types.SimpleNamespace(__file__=str(pkg / "__init__.py"))
    Cache("t", root=tmp_path / "c", code=module).save({"k": 1}, "old")
    assert Cache("t", root=tmp_path / "c", code=module).load({"k": 1}) == "old"
    (pkg / "__init__.py").write_text("x = 2\n")
    assert {"k": 1} not in Cache("t", root=tmp_path / "c", code=module)
