"""Cost of each method as n grows: fit time, influence time, peak memory, fitted exponents."""

from __future__ import annotations

import time
import tracemalloc
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.progress import progress
from .data import load_embedded
from .explainers import make_explainer
from .models import make_model


class PeakAlloc:
    """Context manager: ``peak_mb``, the peak of memory allocated through Python (numpy included) inside it.

    tracemalloc counts each allocation exactly, so a small footprint is
    measured rather than lost in the resident-set noise of the process
    (sampling RSS gave BoostIn 0 MB, drawn at a plotting floor). Memory
    allocated by native libraries outside Python's allocator (LightGBM's own
    buffers) is not counted. Timing runs outside it: tracing slows Python.
    """

    def __enter__(self):
        self._was = tracemalloc.is_tracing()
        if not self._was:
            tracemalloc.start()
        tracemalloc.reset_peak()
        self._start = tracemalloc.get_traced_memory()[0]
        return self

    def __exit__(self, *exc):
        peak = tracemalloc.get_traced_memory()[1]
        if not self._was:
            tracemalloc.stop()
        self.peak_mb = max(peak - self._start, 0) / 2**20


def time_methods(
    make_data, make_model, methods, sizes, repeats: int = 1, params=None, model_n=None
) -> pd.DataFrame:
    """Fit and one-test-example influence time and peak memory per method and training size.

    Parameters
    ----------
    make_data : callable n -> (X, y, X_test, y_test)
    make_model : callable -> unfitted model
    methods : list of str
    sizes : list of int
    repeats : int
        Timings keep the minimum over repeats.
    model_n : int, optional
        Fit one model on ``make_data(model_n)`` and time every explainer on it
        with the first n rows as its training data, so the trees (and so the
        fixed cost of reading them) are the same at every n. Default: a model
        fitted on each n's own data.

    Memory (``peak_mb``) comes from one more, untimed run under :class:`PeakAlloc`.
    """
    params = params or {}
    rows = []
    fixed = None if model_n is None else make_model().fit(*make_data(model_n)[:2])
    for n in progress(sizes, desc="cost scaling"):
        X, y, Xt, yt = make_data(n)
        model = fixed if fixed is not None else make_model().fit(X, y)
        for m in methods:
            best_fit = best_inf = np.inf
            for _ in range(repeats):
                t0 = time.perf_counter()
                ex = make_explainer(m, **params.get(m, {})).fit(model, X, y)
                t1 = time.perf_counter()
                ex.local_influence(Xt[:1], yt[:1])
                t2 = time.perf_counter()
                best_fit, best_inf = min(best_fit, t1 - t0), min(best_inf, t2 - t1)
            with PeakAlloc() as mem:
                make_explainer(m, **params.get(m, {})).fit(model, X, y).local_influence(
                    Xt[:1], yt[:1]
                )
            rows.append(
                dict(
                    method=m,
                    n=n,
                    fit_s=best_fit,
                    influence_s=best_inf,
                    total_s=best_fit + best_inf,
                    peak_mb=mem.peak_mb,
                )
            )
    return pd.DataFrame(rows)


def fit_exponent(n, t) -> float:
    """Least-squares slope of log t against log n."""
    n, t = np.asarray(n, float), np.asarray(t, float)
    if len(n) < 2 or np.any(n <= 0) or np.any(~(t > 0)):
        raise ValueError(f"fit_exponent needs >= 2 positive sizes and times, got n={n}, t={t}")
    return float(np.polyfit(np.log(n), np.log(t), 1)[0])


def overhead_exponent(n, t, t0) -> float:
    """Exponent of the n-dependent part of the time: the slope of log(t - t0) against log n.

    ``t0`` is the time at a tiny n (the fixed overhead: parsing the model,
    allocations, Python calls). Returns NaN when some ``t`` does not exceed
    ``t0``: the time is then all overhead at that n and has no measurable
    n-dependent part, which a claim must read as failing.
    """
    part = np.asarray(t, float) - float(t0)
    if np.any(~(part > 0)):
        return float("nan")
    return fit_exponent(n, part)


# Sizes of the paper's 22 data sets (rows); 80% of them are training data.
PAPER_DATASET_ROWS = (
    13611,
    48842,
    41188,
    6172,
    30000,
    101766,
    100000,
    1000,
    17898,
    110527,
    4601,
    14635,
    250000,
    26707,
    1030,
    768,
    2928,
    11934,
    50000,
    9568,
    45730,
    6497,
)


@dataclass
class CostStudy:
    """BoostIn and LeafInfluence cost as n grows, and the speed-up at the paper's sizes.

    Attributes
    ----------
    cost : DataFrame
        One row per (method, n): fit, influence and total seconds, peak memory.
    slopes : dict
        Fitted exponent of the n-dependent part of the total time (the time
        minus ``overhead``) in n, per method (NaN: no n-dependent part).
    raw_slopes : dict
        Fitted exponent of the total time itself (the earlier notebooks' measure).
    overhead : dict
        Total seconds at the tiny size ``n0``, per method.
    ratio : float
        LeafInfluence / BoostIn total time at the largest n both were timed at.
    n_measured : int
        That n.
    n_paper : int
        Median training-set size of the paper's data sets.
    boostin_paper : float
        BoostIn's measured total time at ``n_paper``.
    leafinf_paper : float
        LeafInfluence's time at ``n_paper``, extrapolated with its own fitted exponent.
    n0 : int
        The size whose time estimates the fixed overhead.
    """

    cost: pd.DataFrame
    slopes: dict
    ratio: float
    n_measured: int
    n_paper: int
    boostin_paper: float
    leafinf_paper: float
    raw_slopes: dict = None
    overhead: dict = None
    n0: int = 0

    @property
    def ratio_paper(self) -> float:
        """LeafInfluence (extrapolated) / BoostIn (measured) at the paper's median size."""
        return self.leafinf_paper / self.boostin_paper

    def span(self, method: str) -> float:
        """Largest over smallest n at which ``method`` was timed (a decade: 10)."""
        n = self.cost.loc[self.cost.method == method, "n"]
        return float(n.max() / n.min())

    def describe(self) -> str:
        """The study's numbers in three lines."""
        r = {k: round(v, 2) for k, v in (self.raw_slopes or {}).items()}
        o = {k: round(v, 4) for k, v in (self.overhead or {}).items()}
        return (
            f"exponents above the overhead { ({k: round(v, 2) for k, v in self.slopes.items()}) }, "
            f"of the raw times {r}; overhead (s, at n={self.n0}) {o}\n"
            f"ratio at n={self.n_measured}: {self.ratio:.1f}\n"
            f"n={self.n_paper}: BoostIn measured {self.boostin_paper:.3f} s, LeafInfluence extrapolated "
            f"{self.leafinf_paper:.0f} s, ratio {self.ratio_paper:.3g}"
        )


def cost_study(cfg, repeats: int = 3) -> CostStudy:
    """Time BoostIn over ``cfg.cost_sizes`` and LeafInfluence over ``cfg.cost_sizes_leaf`` (LightGBM).

    BoostIn explains one model, fitted on its largest size, with the first n
    rows as training data, so its fixed cost of reading the trees is the same
    at every n; LeafInfluence, which checks the leaf values against its
    data, a model fitted on each n. Each is also timed at ``cfg.cost_n0``
    (on that same model for BoostIn); that time, the fixed overhead, is
    subtracted before the exponents are fitted. BoostIn is also timed at the
    paper's median training size (on a model fitted there).
    """
    n_paper = int(0.8 * np.median(PAPER_DATASET_ROWS))
    biggest = max(max(cfg.cost_sizes), max(cfg.cost_sizes_leaf), n_paper + 1)
    X, y, _ = load_embedded("synth", n_synth=biggest + 200)

    def model():
        return make_model("lightgbm", "binary", cfg.cost_trees, cfg.max_leaves)

    def data(n):
        return X[:n], y[:n], X[-200:], y[-200:]

    sizes = {"boostin": cfg.cost_sizes, "leaf_inf": cfg.cost_sizes_leaf}
    # LeafInfluence checks the leaf values against Newton steps on its data,
    # so it needs each n's own model; its overhead is small beside n^2.
    fixed = {"boostin": max(cfg.cost_sizes)}
    cost = pd.concat(
        [
            time_methods(data, model, [m], (cfg.cost_n0, *sz), repeats, model_n=fixed.get(m))
            for m, sz in sizes.items()
        ],
        ignore_index=True,
    )
    tiny = cost[cost.n == cfg.cost_n0].set_index("method")["total_s"].to_dict()
    cost = cost[cost.n != cfg.cost_n0].reset_index(drop=True)
    groups = dict(tuple(cost.groupby("method")))
    slopes = {m: overhead_exponent(g["n"], g["total_s"], tiny[m]) for m, g in groups.items()}
    raw = {m: fit_exponent(g["n"], g["total_s"]) for m, g in groups.items()}
    t = cost.pivot(index="n", columns="method", values="total_s").dropna()
    if t.empty:
        raise ValueError(
            f"cost_sizes {cfg.cost_sizes} and cost_sizes_leaf {cfg.cost_sizes_leaf} share no size"
        )
    boostin_paper = time_methods(data, model, ["boostin"], [n_paper], repeats)
    leaf = groups["leaf_inf"]
    return CostStudy(
        cost=cost,
        slopes=slopes,
        ratio=float(t["leaf_inf"].iloc[-1] / t["boostin"].iloc[-1]),
        n_measured=int(t.index[-1]),
        n_paper=n_paper,
        boostin_paper=float(boostin_paper["total_s"].iloc[0]),
        leafinf_paper=float(
            leaf["total_s"].iloc[-1] * (n_paper / leaf["n"].iloc[-1]) ** raw["leaf_inf"]
        ),
        raw_slopes=raw,
        overhead=tiny,
        n0=cfg.cost_n0,
    )
