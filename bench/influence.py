"""Time BoostIn, LeafInfluence and TREX against the reference implementation on the same model and inputs.

Targets (issues 12 and 22): BoostIn fit + influence >= 10x faster than
tree_influence's at n=5,000 (200 test examples); LeafInfluence fit >= 100x at
n=1,000; TREX >= 2x with its first call in the process included; Spearman
>= 0.999 where the formula is the same. The reference
(jjbrophy47/tree_influence) does not install from the registry; build it from
its source (``/work/shared/peer/build_tree_influence.sh``) and run this script
with that environment's Python::

    PYTHONPATH=. /path/to/venv/bin/python bench/influence.py [--repeats 7] [--first-calls 3]
        [--boostin-features 40] [--skip-leaf-influence]

Without the reference, ours are timed alone and the ratios are skipped.
LightGBM, 100 trees, 31 leaves, library defaults, one thread throughout: the
process is pinned to one CPU, so neither side (nor our sparse product's
thread pool) can use a second core.

How each side is timed, the same way for both:

* every call gets its own copy of the fitted model (unpickled outside the
  clock), as a fresh ``fit`` would hand over: no state kept on a model object
  (a parse, a cache) can carry from one timed call to the next;
* BoostIn's "first call" runs each side in a fresh process of its own
  (``--first-calls`` processes per side, alternating; best and median
  reported), after the same imports with both packages' modules loaded, the
  same data and the same model fit, so neither side inherits the other's
  warm caches or freed memory. TREX's and LeafInfluence's first calls are the
  first in this process, ours then the reference's;
* "best of R" / "median of R" come from R (``--repeats``) calls per side, the two
  sides interleaved (alternating which goes first in each round), so a load
  change on the shared machine hits both.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import pickle
import subprocess
import sys
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

import numpy as np  # noqa: E402
from scipy.stats import spearmanr  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from support.influence import BoostIn, LeafInfluence, Trex  # noqa: E402
from support.influence.data import load_embedded  # noqa: E402
from support.influence.models import make_model  # noqa: E402

HAVE_REF = importlib.util.find_spec("tree_influence") is not None


def _data(n, n_test, n_features=40):
    """The reference's synthetic set (40 features) or the same recipe with ``n_features``; a fitted model."""
    if n_features == 40:
        X, y, _ = load_embedded("synth", n_synth=n + n_test)
    else:
        X, y = make_classification(
            n + n_test, n_features, n_informative=5, n_redundant=5, flip_y=0.05, random_state=1
        )
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


def _interleaved(fns, model, repeats):
    """Seconds per call for each side, ``repeats`` rounds alternating which side goes first.

    Returns ``({side: [seconds, ...]}, {side: output of its last call})``.
    """
    times, outputs = {side: [] for side in fns}, {}
    for r in range(repeats):
        for side in list(fns) if r % 2 == 0 else list(fns)[::-1]:
            outputs[side], t = _clock(fns[side], model)
            times[side].append(t)
    return times, outputs


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


def _boostin_fns(X, y, Xt, yt) -> dict:
    """BoostIn fit + influence for each side available: {"ours": fn(model), "reference": ...}."""
    fns = {"ours": lambda m: BoostIn().fit(m, X, y).local_influence(Xt, yt)}
    RefBoostIn = _ref_explainer("BoostIn")
    if RefBoostIn is not None:
        fns["reference"] = lambda m: RefBoostIn().fit(m, X, y).get_local_influence(Xt, yt)
    return fns


def _first_call_worker(side: str, n_features: int) -> None:
    """In a fresh process: the same imports, data and model for either side, then one timed call."""
    # our LightGBM parser is imported on first use; the reference imports all of its code up front
    importlib.import_module("support.influence.parsers.lightgbm")
    with threadpool_limits(1):
        model, X, y, Xt, yt = _data(5000, 200, n_features)
        fns = _boostin_fns(X, y, Xt, yt)
        print(json.dumps({"seconds": _clock(fns[side], model)[1]}))


def _first_call(side: str, n_features: int) -> float:
    """Seconds of ``side``'s first BoostIn call in a fresh process of its own (pinned like this one)."""
    cmd = [sys.executable, os.path.abspath(__file__), "--first-call-worker", side]
    cmd += ["--boostin-features", str(n_features)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])["seconds"]


def _first_calls(sides, n_processes: int, n_features: int) -> dict:
    """{side: [seconds of its first call in each of ``n_processes`` fresh processes]}, sides alternating."""
    out = {side: [] for side in sides}
    for r in range(n_processes):
        for side in list(sides) if r % 2 == 0 else list(sides)[::-1]:
            out[side].append(_first_call(side, n_features))
    return out


def boostin(model, X, y, Xt, yt, repeats, first_calls):
    """BoostIn fit + influence on 200 test examples: first calls in fresh processes, then repeats."""
    fns = _boostin_fns(X, y, Xt, yt)
    first = _first_calls(fns, first_calls, X.shape[1])
    times, outputs = _interleaved(fns, model, repeats)
    ref = "reference" in fns
    print(
        f"BoostIn fit + influence, n={len(X)}, {X.shape[1]} features, {len(Xt)} test, "
        "a fresh model copy per call"
    )
    for label, pick in (("best", min), ("median", np.median)):
        got = {side: float(pick(t)) for side, t in first.items()}
        label = f"first call in a fresh process, {label} of {first_calls} processes"
        _line(label, got["ours"], got.get("reference"), 10)
    best = {side: min(t) for side, t in times.items()}
    _line(f"best of {repeats}", best["ours"], best.get("reference"), 10)
    median = {side: float(np.median(t)) for side, t in times.items()}
    _line(f"median of {repeats}", median["ours"], median.get("reference"), 10)
    if ref:
        rho = _spearman(outputs["ours"], outputs["reference"])
        print(f"  median Spearman vs reference {rho:.4f}")


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
    parser.add_argument(
        "--first-calls",
        type=int,
        default=3,
        help="fresh processes per side for BoostIn's first call",
    )
    parser.add_argument(
        "--boostin-features",
        type=int,
        default=40,
        help="features of BoostIn's synthetic set (>= 10; 40 is the reference's set)",
    )
    parser.add_argument(
        "--first-call-worker", choices=["ours", "reference"], help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.first_call_worker:
        return _first_call_worker(args.first_call_worker, args.boostin_features)
    for name, least in (("repeats", 1), ("first_calls", 1), ("boostin_features", 10)):
        if getattr(args, name) < least:
            flag = "--" + name.replace("_", "-")
            parser.error(f"{flag} must be >= {least}, got {getattr(args, name)}")
    if not HAVE_REF:
        print("tree_influence not importable: timing ours only (build the reference to compare)")
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "all"
    print(f"load average at start: {os.getloadavg()[0]:.2f}; CPUs this process may use: {cpus}")
    with threadpool_limits(1):
        trex_first_call(*_data(1000, 200))
        boostin(*_data(5000, 200, args.boostin_features), args.repeats, args.first_calls)
        if not args.skip_leaf_influence:
            leaf_influence(*_data(1000, 200))
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
