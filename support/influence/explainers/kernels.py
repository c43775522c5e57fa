"""Tree-kernel feature maps shared by TREX and TreeSim."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..trace import leaf_matrix

KERNELS = ("lpw", "lp_", "lo_", "low", "to_")


def tree_features(
    ensemble, cols: np.ndarray, train_count: np.ndarray, kernel: str
) -> sp.csr_matrix:
    """Feature map of examples with global leaf columns ``cols`` (n, T).

    ``lp_``: one-hot leaf path; ``lpw``: one-hot weighted by 1 / (training
    examples in the leaf); ``lo_``: one-hot times the stored leaf value;
    ``low``: both; ``to_``: the vector of tree outputs (n, T).
    """
    if kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {KERNELS}, got {kernel!r}")
    L = ensemble.total_leaves
    if kernel == "to_":
        return sp.csr_matrix(ensemble.leaf_values[cols])
    vals = np.ones(cols.shape)
    if kernel in ("lpw", "low"):
        vals = vals / np.maximum(train_count[cols], 1.0)
    if kernel in ("lo_", "low"):
        vals = vals * ensemble.leaf_values[cols]
    return leaf_matrix(cols, vals, L)
