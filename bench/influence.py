"""Time BoostIn, LeafInfluence and TREX against the reference implementation on the same model and inputs.

Targets (issues 12 and 22): BoostIn fit + influence >= 10x faster than
tree_influence's at n=5,000 (200 test examples); LeafInfluence fit >= 100x at
n=1,000; TREX >= 2x with its first call in the process included; Spearman
>= 0.999 where the formula is the same. The reference
(jjbrophy47/tree_influence) does not install from the registry; build it from
its source (``/work/shared/peer/build_tree_influence.sh``) and run this script
with that environment's Python::

    PYTHONPATH=. /path/to/venv/bin/python bench/influence.py [--repeats 7] [--skip-leaf-influence]

Without the reference, ours are timed alone and the ratios are skipped.
LightGBM, 100 trees, 31 leaves, library defaults, one thread throughout: the
process is pinned to one CPU, so neither side (nor our sparse product's
thread pool) can use a second core.

How each side is timed, the same way for both:

* every call gets its own copy of the fitted model (unpickled outside the
  clock), as a fresh ``fit`` would hand over: no state kept on a model object
  (a parse, a cache) can carry from one timed call to the next;
* "first call" is that method's first call in this process for each side
  (ours, then the reference's), imports done beforehand;
* "best of R" / "median of R" come from R further calls per side, the two
  sides interleaved (alternating which goes first in each round), so a load
  change on the shared machine hits both.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import pickle
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

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


def _fresh(model):
    """A copy of ``model`` that shares no Python object with it (what a new fit returns)."""
    return pickle.loads(pickle.dumps(model))


def _clock(fn, model):
    """``fn`` on a fresh copy of ``model``: (its output, seconds); the copy is made off the clock."""
    m = _fresh(model)
    t = time.perf_counter()
    out = fn(m)
    return out, time.perf_counter() - t


def _spearman(a, b) -> float:
    return float(np.median([spearmanr(a[:, e], b[:, e])[0] for e in range(a.shape[1])]))


def _line(label, ours, ref, target):
    line = f"  {label}: ours {ours:.3f} s"
    if ref is not None:
        line += f", reference {ref:.3f} s, ratio {ref / ours:.1f}x (target >= {target}x)"
    print(line, flush=True)


def _interleaved(ours_fn, ref_fn, model, repeats):
    """Seconds per call for each side, ``repeats`` rounds alternating which side goes first."""
    ours, ref = [], []
    for r in range(repeats):
        sides = [(ours_fn, ours), (ref_fn, ref)]
        for fn, times in sides if r % 2 == 0 else sides[::-1]:
            if fn is not None:
                times.append(_clock(fn, model)[1])
    return ours, ref or None


def _ref_explainer(name):
    if not HAVE_REF:
        return None
    from tree_influence import explainers

    return getattr(explainers, name)


def trex_first_call(model, X, y, Xt, yt):
    """TREX fit + influence, ours then the reference's, each its first call in this process."""
    inf, ours = _clock(lambda m: Trex().fit(m, X, y).local_influence(Xt, yt), model)
    ref = ref_inf = None
    RefTrex = _ref_explainer("Trex")
    if RefTrex is not None:
        ref_inf, ref = _clock(lambda m: RefTrex().fit(m, X, y).get_local_influence(Xt, yt), model)
    print(f"TREX fit + influence, n={len(X)}, {len(Xt)} test")
    _line("first call in the process", ours, ref, 2)
    if ref is not None:
        print(f"  median Spearman vs reference {_spearman(inf, ref_inf):.4f}")


def boostin(model, X, y, Xt, yt, repeats):
    """BoostIn fit + influence on 200 test examples: first calls, then best and median of ``repeats``."""

    def ours_fn(m):
        return BoostIn().fit(m, X, y).local_influence(Xt, yt)

    RefBoostIn = _ref_explainer("BoostIn")
    ref_fn = None
    if RefBoostIn is not None:

        def ref_fn(m):
            return RefBoostIn().fit(m, X, y).get_local_influence(Xt, yt)

    inf, ours_first = _clock(ours_fn, model)
    ref_inf, ref_first = _clock(ref_fn, model) if ref_fn else (None, None)
    ours, ref = _interleaved(ours_fn, ref_fn, model, repeats)
    print(f"BoostIn fit + influence, n={len(X)}, {len(Xt)} test, a fresh model copy per call")
    _line("first call in the process", ours_first, ref_first, 10)
    _line(f"best of {repeats}", min(ours), ref and min(ref), 10)
    _line(f"median of {repeats}", float(np.median(ours)), ref and float(np.median(ref)), 10)
    if ref_inf is not None:
        print(f"  median Spearman vs reference {_spearman(inf, ref_inf):.4f}")


def leaf_influence(model, X, y, Xt, yt):
    """LeafInfluence fit (the O(T n^2) part): first calls; ours also best of 2."""
    ex, ours_first = _clock(lambda m: LeafInfluence(device="cpu").fit(m, X, y), model)
    ours_best = min(
        ours_first, _clock(lambda m: LeafInfluence(device="cpu").fit(m, X, y), model)[1]
    )
    ref = None
    RefLeafInfluence = _ref_explainer("LeafInfluence")
    if RefLeafInfluence is not None:
        rex, ref = _clock(lambda m: RefLeafInfluence(n_jobs=1).fit(m, X, y), model)
    print(f"LeafInfluence fit, n={len(X)} (the reference's takes minutes: one call each)")
    _line("first call in the process", ours_first, ref, 100)
    print(f"  ours best of 2: {ours_best:.3f} s")
    if ref is not None:
        rho = _spearman(
            ex.local_influence(Xt[:20], yt[:20]), rex.get_local_influence(Xt[:20], yt[:20])
        )
        print(f"  median Spearman vs reference {rho:.4f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--repeats", type=int, default=7, help="BoostIn timed calls per side (>= 1)"
    )
    parser.add_argument(
        "--skip-leaf-influence",
        action="store_true",
        help="skip LeafInfluence (the reference's takes minutes)",
    )
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error(f"--repeats must be >= 1, got {args.repeats}")
    if not HAVE_REF:
        print("tree_influence not importable: timing ours only (build the reference to compare)")
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "all"
    print(f"load average at start: {os.getloadavg()[0]:.2f}; CPUs this process may use: {cpus}")
    with threadpool_limits(1):
        trex_first_call(*_data(1000, 200))
        boostin(*_data(5000, 200), repeats=args.repeats)
        if not args.skip_leaf_influence:
            leaf_influence(*_data(1000, 200))
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
