"""Cost of each method as n grows: fit time, influence time, peak memory, fitted exponents."""

from __future__ import annotations

import threading
import time

import numpy as np
import pandas as pd
import psutil

from ..core.progress import progress
from .explainers import make_explainer


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
