"""A cell of fixed single-threaded work for bench/executor.py (importable by Ray workers)."""

from __future__ import annotations

import time

import torch


def busy_cell(index: int, work_ms: float) -> dict:
    """Matrix products for about ``work_ms`` milliseconds; returns a seeded value."""
    a = torch.randn(64, 64)
    value = float(torch.rand(()))
    end = time.perf_counter() + work_ms / 1e3
    while time.perf_counter() < end:
        a = torch.tanh(a @ a.T / 64)
    return {"index": index, "value": value}
