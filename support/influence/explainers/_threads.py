"""Run small CPU torch loops on one thread.

Many tiny element-wise ops (a few 1e5 elements each, thousands of times) are
dominated by thread start-up; on a shared 2-core machine torch's OpenMP pool
made them ~100x slower than a single thread in our measurements.
"""

from __future__ import annotations

import contextlib

import torch


@contextlib.contextmanager
def torch_threads(device, n: int = 1):
    """Temporarily set torch's intra-op threads to ``n`` when ``device`` is the CPU."""
    if torch.device(device).type != "cpu":
        yield
        return
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)
