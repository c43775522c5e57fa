"""Cost of each method as n grows: fit time, influence time, peak memory, fitted exponents."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import psutil

from ..core.progress import progress
from .data import load_embedded
from .explainers import make_explainer
from .models import make_model


class PeakRSS:
    """Context manager sampling this process's resident memory; ``peak_mb`` above the start."""

    def __init__(self, interval: float = 0.005):
        self.interval = interval

    def __enter__(self):
        self._proc = psutil.Process()
        self._start = self._peak = self._proc.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            self._peak = max(self._peak, self._proc.memory_info().rss)
            time.sleep(self.interval)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._peak = max(self._peak, self._proc.memory_info().rss)
        self.peak_mb = (self._peak - self._start) / 2**20


def time_methods(
    make_data, make_model, methods, sizes, repeats: int = 1, params=None
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
    """
    params = params or {}
    rows = []
    for n in progress(sizes, desc="cost scaling"):
        X, y, Xt, yt = make_data(n)
        model = make_model().fit(X, y)
        for m in methods:
            best_fit = best_inf = np.inf
            peak = 0.0
            for _ in range(repeats):
                with PeakRSS() as mem:
                    t0 = time.perf_counter()
                    ex = make_explainer(m, **params.get(m, {})).fit(model, X, y)
                    t1 = time.perf_counter()
                    ex.local_influence(Xt[:1], yt[:1])
                    t2 = time.perf_counter()
                best_fit, best_inf = min(best_fit, t1 - t0), min(best_inf, t2 - t1)
                peak = max(peak, mem.peak_mb)
            rows.append(
                dict(
                    method=m,
                    n=n,
                    fit_s=best_fit,
                    influence_s=best_inf,
                    total_s=best_fit + best_inf,
                    peak_mb=peak,
                )
            )
    return pd.DataFrame(rows)


def fit_exponent(n, t) -> float:
    """Least-squares slope of log t against log n."""
    return float(np.polyfit(np.log(np.asarray(n, float)), np.log(np.asarray(t, float)), 1)[0])


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
        Fitted exponent of total time in n, per method.
    ratio : float
        LeafInfluence / BoostIn total time at the largest measured n.
    n_paper : int
        Median training-set size of the paper's data sets.
    boostin_paper : float
        BoostIn's measured total time at ``n_paper``.
    leafinf_paper : float
        LeafInfluence's time at ``n_paper``, extrapolated with its own fitted exponent.
    """

    cost: pd.DataFrame
    slopes: dict
    ratio: float
    n_measured: int
    n_paper: int
    boostin_paper: float
    leafinf_paper: float

    @property
    def ratio_paper(self) -> float:
        """LeafInfluence (extrapolated) / BoostIn (measured) at the paper's median size."""
        return self.leafinf_paper / self.boostin_paper

    def describe(self) -> str:
        """The study's numbers in two lines."""
        both = self.ratio * (self.n_paper / self.n_measured) ** (
            self.slopes["leaf_inf"] - self.slopes["boostin"]
        )
        return (
            f"slopes { ({k: round(v, 2) for k, v in self.slopes.items()}) }, ratio at n={self.n_measured}: {self.ratio:.1f}\n"
            f"n={self.n_paper}: BoostIn measured {self.boostin_paper:.3f} s, LeafInfluence extrapolated "
            f"{self.leafinf_paper:.0f} s, ratio {self.ratio_paper:.3g} (extrapolating both with their fitted "
            f"exponents would give {both:.3g})"
        )


def cost_study(cfg) -> CostStudy:
    """Time BoostIn and LeafInfluence on LightGBM over ``cfg.cost_sizes``; time BoostIn at the paper's median size."""
    n_paper = int(0.8 * np.median(PAPER_DATASET_ROWS))
    X, y, _ = load_embedded("synth", n_synth=max(max(cfg.cost_sizes) + 200, n_paper + 1))

    def model():
        return make_model("lightgbm", "binary", cfg.cost_trees, cfg.max_leaves)

    cost = time_methods(
        lambda n: (X[:n], y[:n], X[-200:], y[-200:]), model, ["boostin", "leaf_inf"], cfg.cost_sizes
    )
    slopes = {m: fit_exponent(g["n"], g["total_s"]) for m, g in cost.groupby("method")}
    t = cost.pivot(index="n", columns="method", values="total_s")
    boostin_paper = time_methods(
        lambda n: (X[:n], y[:n], X[-1:], y[-1:]), model, ["boostin"], [n_paper]
    )
    return CostStudy(
        cost=cost,
        slopes=slopes,
        ratio=float(t["leaf_inf"].iloc[-1] / t["boostin"].iloc[-1]),
        n_measured=int(t.index[-1]),
        n_paper=n_paper,
        boostin_paper=float(boostin_paper["total_s"].iloc[0]),
        leafinf_paper=float(t["leaf_inf"].iloc[-1] * (n_paper / t.index[-1]) ** slopes["leaf_inf"]),
    )
