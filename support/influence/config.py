"""Profiles of the GBDT-influence notebook (smoke, cpu, paper)."""

from __future__ import annotations

from dataclasses import dataclass

from ..core.profiles import select_profile
from .data import PAPER_DATASETS

ALL_METHODS = (
    "boostin",
    "leaf_inf_sp",
    "trex",
    "tree_sim",
    "leaf_inf",
    "leaf_refit",
    "subsample",
    "loo",
    "input_sim",
    "target",
    "random",
)


@dataclass(frozen=True)
class Config:
    """Sizes and grids of one profile.

    Attributes
    ----------
    combos : tuple of (dataset, library)
        Model/data pairs evaluated (ranks are aggregated over them).
    n_estimators, max_leaves, learning_rate : int, int, float
        GBDT settings (the paper tunes these per data set; LightGBM lr 0.1).
    max_train : int
        Training examples kept after the 80/20 split (0 = all).
    n_test : int
        Random test examples for the single-test experiments.
    edit_n_test : int
        How many of them also get the targeted label edits (classification only).
    single_fracs, set_fracs, fix_fracs : tuple of float
        Checkpoints: fractions of the training set removed/edited/checked.
    methods : tuple of str
        Explainers run.
    subsample_iter : int
        Retrains of SubSample.
    loo_max_n, leaf_max_n : int
        Largest training set on which LOO and LeafInfluence/LeafRefit run.
    cost_sizes : tuple of int
        Training sizes of the cost experiment (synthetic data).
    cost_trees : int
        Trees in the cost experiment.
    """

    combos: tuple
    n_estimators: int = 50
    max_leaves: int = 15
    learning_rate: float = 0.1
    max_train: int = 0
    n_test: int = 6
    edit_n_test: int = 6
    single_fracs: tuple = (0.005, 0.01, 0.02, 0.04)
    set_fracs: tuple = (0.05, 0.1, 0.2, 0.3)
    fix_fracs: tuple = (0.05, 0.1, 0.2, 0.3)
    methods: tuple = ALL_METHODS
    subsample_iter: int = 100
    loo_max_n: int = 600
    leaf_max_n: int = 2000
    cost_sizes: tuple = (250, 500, 1000, 2000)
    cost_trees: int = 100
    agreement_combo: int = 0


PROFILES = {
    "smoke": Config(
        combos=(("breast_cancer", "lightgbm"), ("wine_sk", "lightgbm")),
        n_estimators=10,
        max_leaves=7,
        max_train=150,
        n_test=2,
        edit_n_test=2,
        single_fracs=(0.01, 0.04),
        set_fracs=(0.1, 0.3),
        fix_fracs=(0.1, 0.3),
        subsample_iter=10,
        cost_sizes=(100, 200, 300, 400),
        cost_trees=10,
    ),
    "cpu": Config(
        combos=tuple(
            (d, lib)
            for d in ("breast_cancer", "wine_sk", "diabetes_sk")
            for lib in ("lightgbm", "xgboost", "sklearn_hgb")
        ),
        n_estimators=20,
        max_leaves=15,
        max_train=150,
        n_test=8,
        edit_n_test=3,
        single_fracs=(0.005, 0.02, 0.04),
        set_fracs=(0.1, 0.3),
        fix_fracs=(0.1, 0.2, 0.3),
        subsample_iter=30,
        cost_sizes=(250, 500, 1000, 2000),
    ),
    "paper": Config(
        # CatBoost's multiclass leaves use the full softmax Hessian, which the
        # explainers cannot represent, so its parser refuses MultiClass models.
        combos=tuple(
            (d, lib)
            for d, spec in PAPER_DATASETS.items()
            for lib in ("lightgbm", "sklearn_hgb", "xgboost", "catboost")
            if not (lib == "catboost" and spec.task == "multiclass")
        ),
        n_estimators=100,
        max_leaves=31,
        n_test=100,
        edit_n_test=100,
        single_fracs=(0.001, 0.005, 0.01, 0.015, 0.02),
        set_fracs=(0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5),
        fix_fracs=(0.05, 0.1, 0.15, 0.2, 0.25, 0.3),
        subsample_iter=4000,
        loo_max_n=20000,
        leaf_max_n=20000,
        cost_sizes=(1000, 2000, 4000, 8000, 16000),
    ),
}


def config(profile: str, **overrides) -> Config:
    """The frozen config of ``profile`` (``smoke``, ``cpu`` or ``paper``), with optional overrides."""
    return select_profile(profile, PROFILES, **overrides)
