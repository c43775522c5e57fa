import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris


@pytest.fixture(scope="session")
def datasets():
    """Small (X, y) per task; regression targets scaled to O(1)."""
    Xb, yb = load_breast_cancer(return_X_y=True)
    Xr, yr = load_diabetes(return_X_y=True)
    Xm, ym = load_iris(return_X_y=True)
    rng = np.random.default_rng(0)
    ib = rng.choice(len(Xb), 200, replace=False)
    ir = rng.choice(len(Xr), 200, replace=False)
    return {
        "binary": (Xb[ib], yb[ib]),
        "regression": (Xr[ir], (yr[ir] - yr.mean()) / yr.std()),
        "multiclass": (Xm, ym),
    }
