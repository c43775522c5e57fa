"""Published CIFAR-10 test accuracies (ConvNet-3, %, IPC 1/10/50), each row with the paper and table it is from.

All values are as quoted by later papers (the MTT paper's own table and the
AST paper's tables could not be read; research note published_numbers.md).
AST's row is left empty rather than filled from memory.
"""

from __future__ import annotations

import pandas as pd

# method: (IPC 1, IPC 10, IPC 50, source)
CIFAR10 = {
    "Random real": (
        14.4,
        26.0,
        43.4,
        "MTT (Cazenavette et al. 2022) Table 1, as quoted in AutoPalette's comparison table",
    ),
    "MTT": (46.2, 65.4, 71.6, "MTT Table 1, as quoted in PAD Table 1"),
    "FTD": (46.0, 65.3, 73.2, "FTD (Du et al. 2023) as re-run in PAD Table 1"),
    "DATM": (46.9, 66.8, 76.1, "DATM (Guo et al. 2024) Table 1, as quoted in PAD Table 1"),
    "AST": (None, None, None, "AST (Shen et al. 2023) Table 1: not available to us"),
    "Full data": (84.8, 84.8, 84.8, "DC/DSA/DM (Adam + schedule), as quoted in PAD Table 1"),
}


def published_cifar10() -> pd.DataFrame:
    """The published numbers (rows: method; columns: ``IPC 1``, ``IPC 10``, ``IPC 50``, ``source``)."""
    return pd.DataFrame.from_dict(
        CIFAR10, orient="index", columns=["IPC 1", "IPC 10", "IPC 50", "source"]
    )
