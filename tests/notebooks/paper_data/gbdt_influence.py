"""Fake copies of three of the GBDT paper's data files, in their distribution formats.

The ``paper_smoke`` profile reads ``spambase/spambase.data`` (UCI: comma
separated, no header, 57 features then the 0/1 class), ``wine/winequality-red.csv``
and ``wine/winequality-white.csv`` (UCI: ``;``-separated with a quoted header,
``quality`` last) and ``german_credit/german.data`` (UCI Statlog: whitespace
separated, 13 categorical codes such as ``A11`` and 7 numbers, class 1/2 last).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

WINE_COLUMNS = (
    "fixed acidity", "volatile acidity", "citric acid", "residual sugar", "chlorides",
    "free sulfur dioxide", "total sulfur dioxide", "density", "pH", "sulphates", "alcohol",
)  # fmt: skip
GERMAN_CATEGORICAL = (0, 2, 3, 5, 6, 8, 9, 11, 13, 14, 16, 18, 19)


def _spambase(folder: Path, rng, n=150):
    X = rng.exponential(0.3, size=(n, 57)).round(3)
    y = (X[:, :5].sum(1) + rng.normal(0, 0.3, n) > 1.5).astype(int)
    lines = [",".join([*(f"{v:g}" for v in row), str(c)]) for row, c in zip(X, y)]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "spambase.data").write_text("\n".join(lines) + "\n")


def _wine(folder: Path, rng, n=80):
    folder.mkdir(parents=True, exist_ok=True)
    header = ";".join(f'"{c}"' for c in (*WINE_COLUMNS, "quality"))
    for colour in ("red", "white"):
        X = rng.uniform(0.1, 10, size=(n, len(WINE_COLUMNS))).round(3)
        q = np.clip(np.round(3 + X[:, 10] / 2 + rng.normal(0, 0.5, n)), 3, 9).astype(int)
        rows = [";".join([*(f"{v:g}" for v in r), str(c)]) for r, c in zip(X, q)]
        (folder / f"winequality-{colour}.csv").write_text("\n".join([header, *rows]) + "\n")


def _german(folder: Path, rng, n=150):
    lines = []
    for _ in range(n):
        vals = []
        for j in range(20):
            if j in GERMAN_CATEGORICAL:
                vals.append(f"A{j + 1}{rng.integers(1, 4)}")
            else:
                vals.append(str(int(rng.integers(1, 60))))
        good = vals[0] != "A11" or rng.random() < 0.3
        lines.append(" ".join([*vals, "1" if good else "2"]))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "german.data").write_text("\n".join(lines) + "\n")


def write(data_dir: Path) -> None:
    """Write the three fake data sets under ``data_dir``."""
    rng = np.random.default_rng(0)
    data_dir = Path(data_dir)
    _spambase(data_dir / "spambase", rng)
    _wine(data_dir / "wine", rng)
    _german(data_dir / "german_credit", rng)
