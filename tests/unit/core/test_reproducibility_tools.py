"""Claim tolerances and compare(), default code hashes, unlabelled axes, installed-package paths."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import support.distill  # noqa: E402
from support.core.cache import Cache, source_hash  # noqa: E402
from support.core.claims import Claim, ClaimSet, compare  # noqa: E402
from support.core.figures import unlabelled_axes  # noqa: E402
from support.core.paths import repo_root  # noqa: E402


def _payload(*claims):
    cs = ClaimSet("p", "cpu")
    for c in claims:
        cs.add(**c)
    return json.loads(json.dumps({"claims": [c.__dict__ for c in cs.claims]}))


def _claim(id="C1", measured=1.0, passed=True, **kw):
    return dict(id=id, statement="s", measured=measured, criterion="c", passed=passed, **kw)


def test_compare_within_and_beyond_tolerance():
    committed = _payload(_claim(measured=0.80, tolerance=0.05), _claim("C2", measured=3))
    assert compare(committed, _payload(_claim(measured=0.84), _claim("C2", measured=3))) == []
    problems = compare(committed, _payload(_claim(measured=0.86), _claim("C2", measured=4)))
    assert len(problems) == 2 and problems[0].startswith("C1: measured 0.8 -> 0.86")
    assert "tolerance 0" in problems[1]


def test_compare_verdicts_strings_missing_and_timing():
    committed = _payload(
        _claim(measured="a"),
        _claim("C2", passed=False),
        _claim("T", measured=10.0, deterministic=False),
        _claim("C3"),
    )
    fresh = _payload(
        _claim(measured="b"), _claim("C2", passed=True), _claim("T", measured=99.0, passed=False)
    )
    fresh["claims"].append(_claim("C9"))
    problems = compare(committed, fresh)
    assert "C1: measured 'a' -> 'b' (compared exactly)" in problems
    assert "C2: verdict fail -> pass" in problems
    assert "C3: missing from the re-run" in problems
    assert "C9: new in the re-run" in problems
    assert not any(p.startswith("T:") for p in problems)


def test_compare_nan_equals_nan_and_float_noise_passes():
    committed = _payload(_claim(measured=float("nan")), _claim("C2", measured=1.0))
    fresh = _payload(_claim(measured=float("nan")), _claim("C2", measured=1.0 + 1e-13))
    assert compare(committed, fresh) == []


@pytest.mark.parametrize("bad", [-0.1, float("nan"), "0.1", True])
def test_tolerance_must_be_a_non_negative_number(bad):
    with pytest.raises(ValueError, match="tolerance of claim 'C1' must be a number >= 0"):
        Claim("C1", "s", 1.0, "c", True, tolerance=bad)


def test_cache_hashes_the_namespaces_package_by_default(tmp_path):
    cache = Cache("distill/experts", root=tmp_path)
    assert cache.code_hash == source_hash(support.distill)
    other = Cache("not_a_package/x", root=tmp_path)
    assert other.code_hash == source_hash(__import__("support"))
    assert cache.path({"a": 1}) != Cache("sensing/x", root=tmp_path).path({"a": 1})


def test_unlabelled_axes_finds_missing_labels_and_accepts_grids():
    fig, axes = plt.subplots(1, 3, sharey=True)
    axes[0].set(xlabel="t", ylabel="loss")
    axes[1].set(xlabel="t")  # y label shared with axes 0
    axes[2].plot([0, 1])
    assert unlabelled_axes(fig) == ["axes 2 ('untitled'): no x label"]
    grid, cells = plt.subplots(2, 2)
    for ax in cells.flat:
        ax.imshow(np.zeros((4, 4)))
        ax.axis("off")
    assert unlabelled_axes(grid) == []
    image = grid.axes[0].images[0]
    bar = grid.colorbar(image, ax=cells[0, 0])
    assert any("colour bar" in p for p in unlabelled_axes(grid))
    bar.set_label("value")
    assert unlabelled_axes(grid) == []
    plt.close("all")


def test_installed_package_writes_to_cwd_and_user_cache(tmp_path):
    """Outside a checkout, figures go to the working directory and the cache to ~/.cache."""
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(repo_root())],
        check=True,
    )  # fmt: skip
    work, home = tmp_path / "work", tmp_path / "home"
    work.mkdir()
    script = textwrap.dedent(
        """
        import support, support.core.paths as p
        from support.core.session import Session
        s = Session("demo", "smoke", device="cpu")
        print(support.__file__); print(s.output_dir); print(p.cache_dir())
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPPORT_")}
    env.update(PYTHONPATH=str(target), HOME=str(home), XDG_CACHE_HOME="")
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=work, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    package, figures, cache = out.stdout.split()
    assert package.startswith(str(target))
    assert figures == str(work / "figures" / "demo")
    assert cache == str(home / ".cache" / "support-notebooks")
    assert not any(target.rglob("claims.json")) and not (target / ".cache").exists()


def test_compare_equal_infinities_agree_and_a_sign_flip_does_not():
    inf = float("inf")
    assert compare(_payload(_claim(measured=inf)), _payload(_claim(measured=inf))) == []
    assert compare(_payload(_claim(measured=inf)), _payload(_claim(measured=-inf))) != []
