"""Data sets: embedded ones for the cpu profile and loaders for the paper's 22 from DATA_DIR.

The paper's data sets are read from ``DATA_DIR/<name>/<file>`` in their
distribution formats (CSV, whitespace text, Excel); a missing file raises
:class:`~support.data.errors.MissingDataError` naming the file and where to
get it. Preprocessing is the same for all: drop identifier columns, map the
target, one-hot encode text columns, fill missing numbers with the median.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.errors import MissingDataError

UCI = "https://archive.ics.uci.edu/dataset/"


@dataclass(frozen=True)
class Spec:
    """How to read one of the paper's data sets."""

    task: str
    files: tuple
    source: str
    target: str | int
    positive: tuple = ()  # target values mapped to 1 (binary)
    sep: str = ","
    header: int | None = 0
    drop: tuple = ()
    join_on: str = ""  # second file holds the labels, joined on this key
    n_paper: int = 0  # examples before the split (standard source size)
    extra: dict = field(default_factory=dict)


PAPER_DATASETS: dict[str, Spec] = {
    "adult": Spec(
        "binary",
        ("adult.data",),
        UCI + "2/adult",
        14,
        (">50K",),
        sep=r",\s*",
        header=None,
        n_paper=48842,
    ),
    "bank_marketing": Spec(
        "binary",
        ("bank-additional-full.csv",),
        UCI + "222/bank+marketing",
        "y",
        ("yes",),
        sep=";",
        n_paper=41188,
    ),
    "compas": Spec(
        "binary",
        ("propublica_data_for_fairml.csv",),
        "https://www.kaggle.com/danofer/compass",
        "Two_yr_Recidivism",
        (1,),
        n_paper=6172,
    ),
    "credit_card": Spec(
        "binary",
        ("default of credit card clients.xls",),
        UCI + "350",
        "default payment next month",
        (1,),
        header=1,
        drop=("ID",),
        n_paper=30000,
    ),
    "diabetes": Spec(
        "binary",
        ("diabetic_data.csv",),
        UCI + "296",
        "readmitted",
        ("<30", ">30"),
        drop=("encounter_id", "patient_nbr"),
        n_paper=101766,
    ),
    "flight_delays": Spec(
        "binary",
        ("flight_delays_train.csv",),
        "https://www.kaggle.com/kashnitsky/mlcourse",
        "dep_delayed_15min",
        ("Y",),
        n_paper=100000,
    ),
    "german_credit": Spec(
        "binary", ("german.data",), UCI + "144", 20, (2,), sep=r"\s+", header=None, n_paper=1000
    ),
    "htru2": Spec(
        "binary", ("HTRU_2.csv",), UCI + "372/htru2", 8, (1,), header=None, n_paper=17898
    ),
    "no_show": Spec(
        "binary",
        ("KaggleV2-May-2016.csv",),
        "https://www.kaggle.com/joniarroba/noshowappointments",
        "No-show",
        ("Yes",),
        drop=("PatientId", "AppointmentID", "ScheduledDay", "AppointmentDay"),
        n_paper=110527,
    ),
    "spambase": Spec(
        "binary", ("spambase.data",), UCI + "94/spambase", 57, (1,), header=None, n_paper=4601
    ),
    "surgical": Spec(
        "binary",
        ("Surgical-deepnet.csv",),
        "https://www.kaggle.com/omnamahshivai/surgical-dataset-binary-classification",
        "complication",
        (1,),
        n_paper=14635,
    ),
    "twitter": Spec(
        "binary",
        ("twitter.csv",),
        "the paper's authors (first 250,000 rows; jjbrophy47/tree_influence)",
        "label",
        (1,),
        n_paper=250000,
    ),
    "vaccine": Spec(
        "binary",
        ("training_set_features.csv", "training_set_labels.csv"),
        "https://www.drivendata.org/competitions/66/flu-shot-learning/",
        "h1n1_vaccine",
        (1,),
        join_on="respondent_id",
        n_paper=26707,
    ),
    "concrete": Spec("regression", ("Concrete_Data.xls",), UCI + "165", -1, n_paper=1030),
    "energy": Spec(
        "regression",
        ("ENB2012_data.xlsx",),
        UCI + "242/energy+efficiency",
        "Y1",
        drop=("Y2",),
        n_paper=768,
    ),
    "life": Spec(
        "regression",
        ("Life Expectancy Data.csv",),
        "https://www.kaggle.com/kumarajarshi/life-expectancy-who",
        "Life expectancy ",
        n_paper=2928,
    ),
    "naval": Spec(
        "regression",
        ("data.txt",),
        UCI + "316",
        17,
        sep=r"\s+",
        header=None,
        drop=(16,),
        n_paper=11934,
    ),
    "obesity": Spec(
        "regression",
        (
            "Nutrition__Physical_Activity__and_Obesity_-_Behavioral_Risk_Factor_Surveillance_System.csv",
        ),
        "https://www.kaggle.com/spittman1248/cdc-data-nutrition-physical-activity-obesity",
        "Data_Value",
        n_paper=50000,
    ),
    "power": Spec("regression", ("Folds5x2_pp.xlsx",), UCI + "294", "PE", n_paper=9568),
    "protein": Spec("regression", ("CASP.csv",), UCI + "265", "RMSD", n_paper=45730),
    "wine": Spec(
        "regression",
        ("winequality-red.csv", "winequality-white.csv"),
        UCI + "186/wine+quality",
        "quality",
        sep=";",
        n_paper=6497,
    ),
    "bean": Spec(
        "multiclass",
        ("Dry_Bean_Dataset.xlsx",),
        UCI + "602/dry+bean+dataset",
        "Class",
        n_paper=13611,
    ),
}

EMBEDDED = ("breast_cancer", "diabetes_sk", "wine_sk", "digits", "synth", "synth10")


def _read(path: Path, spec: Spec) -> pd.DataFrame:
    if path.suffix in (".xls", ".xlsx"):
        try:
            return pd.read_excel(path, header=spec.header)
        except ImportError as err:
            raise ImportError(
                f"reading {path.name} needs an Excel reader (openpyxl or xlrd): {err}"
            ) from err
    try:
        df = pd.read_csv(
            path, sep=spec.sep, header=spec.header, engine="python" if len(spec.sep) > 1 else "c"
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise ValueError(
            f"{path}: not a well-formed {spec.sep!r}-separated file as distributed ({err}); "
            "re-download it"
        ) from err
    return df


def load_paper_dataset(name: str, data_dir) -> tuple[np.ndarray, np.ndarray, str]:
    """Read one of the paper's data sets from ``data_dir/<name>/``.

    Returns
    -------
    X : ndarray (n, d) float64
    y : ndarray (n,) (0/1, class index, or float)
    task : str
    """
    if name not in PAPER_DATASETS:
        raise ValueError(f"name must be one of {sorted(PAPER_DATASETS)}, got {name!r}")
    X, y, task = _read_dataset(name, data_dir)
    _check_loaded(name, X, y, task)
    return X, y, task


def _check_loaded(name, X, y, task) -> None:
    spec = PAPER_DATASETS[name]
    if len(X) == 0:
        raise ValueError(f"{name}: no usable rows in {spec.files[0]}; the file looks truncated")
    if task == "binary" and (y.sum() == 0 or y.sum() == len(y)):
        raise ValueError(
            f"{name}: the target has {'no' if y.sum() == 0 else 'only'} positive examples "
            f"(positive values {spec.positive!r}); the file's target column holds unexpected values"
        )
    if task == "multiclass" and len(np.unique(y)) < 3:
        raise ValueError(f"{name}: expected >= 3 classes in the target, got {len(np.unique(y))}")


def _read_dataset(name: str, data_dir):
    spec = PAPER_DATASETS[name]
    folder = Path(data_dir) / name
    paths = [folder / f for f in spec.files]
    for p in paths:
        if not p.is_file():
            raise MissingDataError(p, name, spec.source, data_dir)
    if spec.join_on:
        df = (
            _read(paths[0], spec)
            .merge(_read(paths[1], spec), on=spec.join_on)
            .drop(columns=[spec.join_on])
        )
    else:
        df = pd.concat([_read(p, spec) for p in paths], ignore_index=True)
    if isinstance(spec.target, int) and not -df.shape[1] <= spec.target < df.shape[1]:
        raise ValueError(
            f"{name}: {paths[0].name} has {df.shape[1]} columns, but the target is column "
            f"{spec.target}; the file looks truncated or malformed"
        )
    target = df.columns[spec.target] if isinstance(spec.target, int) else spec.target
    if target not in df.columns:
        raise ValueError(f"{name}: target column {target!r} not found in {paths[0].name}")
    y_raw = df[target]
    if spec.task != "regression" and y_raw.isna().any():
        raise ValueError(
            f"{name}: {int(y_raw.isna().sum())} rows of {paths[0].name} have no target value; "
            "the file looks truncated or malformed"
        )
    df = df.drop(columns=[target, *[c for c in spec.drop if c in df.columns]])
    if spec.task == "binary":
        if pd.api.types.is_numeric_dtype(y_raw):
            y = y_raw.isin([float(v) for v in spec.positive if not isinstance(v, str)]).to_numpy(
                np.int64
            )
        else:
            y = (
                y_raw.astype(str)
                .str.strip()
                .str.rstrip(".")
                .isin([str(v) for v in spec.positive])
                .to_numpy(np.int64)
            )
    elif spec.task == "multiclass":
        y = pd.factorize(y_raw, sort=True)[0].astype(np.int64)
    else:
        y = pd.to_numeric(y_raw, errors="coerce").to_numpy(np.float64)
        keep = ~np.isnan(y)
        df, y = df[keep], y[keep]
    text = [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])]
    df = pd.get_dummies(df, columns=text, dummy_na=False, dtype=np.float64) if text else df
    X = df.to_numpy(np.float64)
    med = np.nanmedian(X, axis=0) if len(X) else np.zeros(X.shape[1])
    X = np.where(np.isnan(X), np.nan_to_num(med)[None, :], X)
    return X, y, spec.task


def load_embedded(
    name: str, n_synth: int = 2000, seed: int = 1
) -> tuple[np.ndarray, np.ndarray, str]:
    """An embedded data set: scikit-learn's breast cancer, diabetes, wine, digits, or the reference's synthetic set.

    ``synth`` is the reference repo's recipe, ``make_classification(n, 40 features,
    5 informative, 5 redundant, flip_y=0.05, random_state=1)``, at ``n_synth`` rows;
    ``synth10`` the same with 10 features (5 informative, 2 redundant), which
    retrains about 3x faster (LightGBM's histogram cost grows with the features).
    """
    from sklearn import datasets as ds

    if name == "breast_cancer":
        X, y = ds.load_breast_cancer(return_X_y=True)
        return X, y, "binary"
    if name == "diabetes_sk":
        X, y = ds.load_diabetes(return_X_y=True)
        return X, y.astype(np.float64), "regression"
    if name == "wine_sk":
        X, y = ds.load_wine(return_X_y=True)
        return X, y, "multiclass"
    if name == "digits":
        X, y = ds.load_digits(return_X_y=True)
        return X, y, "multiclass"
    if name == "synth10":
        X, y = ds.make_classification(
            n_samples=n_synth,
            n_features=10,
            n_informative=5,
            n_redundant=2,
            flip_y=0.05,
            random_state=seed,
        )
        return X, y, "binary"
    if name == "synth":
        X, y = ds.make_classification(
            n_samples=n_synth,
            n_features=40,
            n_informative=5,
            n_redundant=5,
            flip_y=0.05,
            random_state=seed,
        )
        return X, y, "binary"
    raise ValueError(f"name must be one of {EMBEDDED}, got {name!r}")


def load_dataset(name: str, data_dir=None, **kw):
    """Embedded set by name, or a paper set read from ``data_dir``."""
    if name in EMBEDDED:
        return load_embedded(name, **kw)
    if name not in PAPER_DATASETS:
        raise ValueError(
            f"name must be an embedded data set {EMBEDDED} or one of the paper's "
            f"{sorted(PAPER_DATASETS)}, got {name!r}"
        )
    if data_dir is None:
        raise ValueError(
            f"data set {name!r} is read from DATA_DIR; pass data_dir (the paper profile)"
        )
    return load_paper_dataset(name, data_dir)


def train_test_split80(X, y, seed: int = 1):
    """The paper's 80/20 split (stratified for classification is not used; plain random)."""
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(X))
    cut = int(round(0.8 * len(X)))
    return X[idx[:cut]], y[idx[:cut]], X[idx[cut:]], y[idx[cut:]]
