"""Published CIFAR-10 test accuracies (ConvNet-3, %, IPC 1/10/50) to set beside the paper profile.

Sources: MTT (Cazenavette et al. 2022, Table 1), FTD and DATM (DATM Table 1), as
collected in the research brief. AST's own table was not available to us;
its row is left empty rather than filled from memory.
"""

from __future__ import annotations

import pandas as pd

CIFAR10 = {
    "Random real": (15.4, 31.0, 50.6),
    "MTT": (46.2, 65.4, 71.6),
    "FTD": (46.8, 66.6, 73.8),
    "DATM": (46.9, 66.8, 76.1),
    "AST": (None, None, None),
    "Full data": (84.8, 84.8, 84.8),
}


def published_cifar10() -> pd.DataFrame:
    """The published numbers as a table (rows: method; columns: IPC)."""
    return pd.DataFrame.from_dict(CIFAR10, orient="index", columns=["IPC 1", "IPC 10", "IPC 50"])
