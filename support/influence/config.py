"""Profiles of the GBDT-influence notebook (smoke, cpu, paper, paper_smoke).

Every profile follows the paper's protocol (jjbrophy47/tree_influence's
scripts): the library's default leaf constraints, an 80/20 split, single-test
removal of the top {0.1, 0.5, 1, 1.5, 2} % of the training set, set removal
and adding noise at the top {5, ..., 50} %, fixing mislabelled examples, the
paper's nine-method ranking (BoostIn, LeafInfSP, TREX, TreeSim, InputSim,
SubSample, LOO, Target = RandomSL, Random), LeafInfluence and LeafRefit
ranked separately. The profiles differ in data sets, sizes and test examples.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..core.profiles import select_profile
from ..core.validate import check_int
from .data import EMBEDDED, PAPER_DATASETS
from .explainers import METHODS
from .models import LIBRARIES

# The paper's ranked set (its Figure 3): the fast methods, InputSim, SubSample, LOO and
# the two baselines (Target is the paper's RandomSL).
RANKED = (
    "boostin",
    "leaf_inf_sp",
    "trex",
    "tree_sim",
    "input_sim",
    "subsample",
    "loo",
    "target",
    "random",
)
SEPARATE = ("leaf_inf", "leaf_refit")
EXTRA = ("boostin_newton",)  # beyond the paper: BoostIn's exact-derivative variant
SETTINGS = ("single_removal", "set_removal", "add_noise", "fix_mislabelled")
PAPER_SINGLE = (0.001, 0.005, 0.01, 0.015, 0.02)
PAPER_SET = tuple(round(0.05 * i, 2) for i in range(1, 11))
PAPER_FIX = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3)


@dataclass(frozen=True)
class Config:
    """Sizes and grids of one profile; every field is validated when the profile is built.

    Attributes
    ----------
    combos : tuple of (dataset, library)
        Data set / library pairs; ranks are averaged over them.
    n_estimators, max_leaves, learning_rate : int, int, float
        Boosting rounds, leaves per tree, shrinkage; leaf-size constraints stay
        at the library's defaults.
    max_train : int
        Training rows kept after the 80/20 split (0 = all).
    n_synth : int
        Rows generated for the synthetic data sets.
    n_test : int
        Random test examples of the single-test experiments.
    single_fracs, set_fracs, fix_fracs : tuple of float
        Checkpoints: fractions of the training set removed / checked
        (k = floor(frac * n), at least 1; repeated k are evaluated once).
    settings : tuple of str
        Evaluations run, from ``SETTINGS``.
    ranked, separate, extra : tuple of str
        The ranked methods, the methods ranked with them in a second ranking
        (LeafInfluence, LeafRefit), and variants evaluated beside them.
    subsample_iter : int
        Retrains of SubSample (the paper: 4000).
    loo_max_n, leaf_max_n : int
        Largest training set on which LOO / LeafInfluence and LeafRefit run.
    n_boot : int
        Bootstrap resamples of the test (or evaluation) examples for rank spreads.
    cost_sizes, cost_sizes_leaf, cost_n0, cost_trees : tuple, tuple, int, int
        Training sizes at which BoostIn and LeafInfluence are timed (each at
        least a decade of n in the cpu profile), the tiny size whose time
        estimates the fixed overhead subtracted before the exponents are
        fitted, and trees of the cost study.
    """

    combos: tuple
    n_estimators: int = 100
    max_leaves: int = 31
    learning_rate: float = 0.1
    max_train: int = 1000
    n_synth: int = 1250
    n_test: int = 20
    single_fracs: tuple = PAPER_SINGLE
    set_fracs: tuple = PAPER_SET
    fix_fracs: tuple = PAPER_FIX
    settings: tuple = SETTINGS
    ranked: tuple = RANKED
    separate: tuple = SEPARATE
    extra: tuple = EXTRA
    subsample_iter: int = 4000
    loo_max_n: int = 20000
    leaf_max_n: int = 20000
    n_boot: int = 1000
    cost_sizes: tuple = (1000, 2000, 3000, 5000, 10000)
    cost_sizes_leaf: tuple = (300, 600, 1000, 2000, 3000)
    cost_n0: int = 50
    cost_trees: int = 100

    def __post_init__(self):
        for name in ("n_estimators", "max_leaves", "n_synth", "n_test", "subsample_iter", "n_boot"):
            check_int(name, getattr(self, name), 2 if name == "max_leaves" else 1)
        for name in ("max_train", "loo_max_n", "leaf_max_n", "cost_trees", "cost_n0"):
            check_int(name, getattr(self, name), 0)
        if isinstance(self.learning_rate, bool) or not 0 < self.learning_rate <= 1:
            raise ValueError(f"learning_rate must be in (0, 1], got {self.learning_rate!r}")
        for name in ("single_fracs", "set_fracs", "fix_fracs"):
            fracs = getattr(self, name)
            if not fracs or any(not 0 < f < 1 for f in fracs) or list(fracs) != sorted(fracs):
                raise ValueError(f"{name} must be increasing fractions in (0, 1), got {fracs!r}")
        _subset("settings", self.settings, SETTINGS)
        known = (*METHODS, "boostin_newton")
        for name in ("ranked", "separate", "extra"):
            _subset(name, getattr(self, name), known)
        if "boostin" not in self.ranked:
            raise ValueError(f"ranked must include 'boostin', got {self.ranked!r}")
        for name in ("cost_sizes", "cost_sizes_leaf"):
            sizes = getattr(self, name)
            if len(sizes) < 3 or list(sizes) != sorted(set(sizes)) or sizes[0] <= self.cost_n0:
                raise ValueError(
                    f"{name} must be >= 3 increasing sizes above cost_n0={self.cost_n0}, got {sizes!r}"
                )
        _check_combos(self.combos)

    @property
    def methods(self) -> tuple:
        """Every method run: ranked, separate, extra."""
        return (*self.ranked, *self.separate, *self.extra)


def _subset(name, values, allowed):
    bad = [v for v in values if v not in allowed]
    if bad or not isinstance(values, tuple):
        raise ValueError(f"{name} must be a tuple of {sorted(allowed)}, got {values!r}")


def _check_combos(combos):
    if not combos:
        raise ValueError("combos must name at least one (dataset, library) pair, got ()")
    known = (*EMBEDDED, *PAPER_DATASETS)
    for combo in combos:
        if len(combo) != 2 or combo[0] not in known or combo[1] not in LIBRARIES:
            raise ValueError(
                f"combos entries must be (dataset, library) with dataset in {sorted(known)} "
                f"and library in {LIBRARIES}, got {combo!r}"
            )


PAPER = Config(
    # CatBoost's multiclass leaves use the full softmax Hessian, which the
    # explainers cannot represent, so its parser refuses MultiClass models.
    combos=tuple(
        (d, lib)
        for d, spec in PAPER_DATASETS.items()
        for lib in ("lightgbm", "sklearn_hgb", "xgboost", "catboost")
        if not (lib == "catboost" and spec.task == "multiclass")
    ),
    max_train=0,
    n_test=100,
    cost_sizes=(1000, 2000, 4000, 8000, 16000),
    cost_sizes_leaf=(1000, 2000, 4000, 8000, 16000),
    cost_n0=100,
)

PROFILES = {
    "smoke": Config(
        combos=(("breast_cancer", "lightgbm"), ("wine_sk", "lightgbm")),
        n_estimators=10,
        max_leaves=7,
        max_train=150,
        n_test=3,
        set_fracs=(0.1, 0.3),
        fix_fracs=(0.1, 0.3),
        subsample_iter=10,
        n_boot=50,
        cost_sizes=(100, 200, 300),
        cost_sizes_leaf=(100, 200, 300),
        cost_n0=20,
        cost_trees=10,
    ),
    # A miniature of the paper's protocol; see the notebook for what was scaled down.
    "cpu": Config(
        combos=(
            ("synth10", "lightgbm"),
            ("synth10", "xgboost"),
            ("synth10", "sklearn_hgb"),
            ("breast_cancer", "lightgbm"),
            ("breast_cancer", "xgboost"),
            ("diabetes_sk", "lightgbm"),
            ("diabetes_sk", "xgboost"),
            ("wine_sk", "lightgbm"),
        ),
        max_train=250,
        n_synth=320,
        n_test=5,
        settings=("single_removal", "set_removal", "add_noise", "fix_mislabelled"),
        fix_fracs=(0.1, 0.2, 0.3),
        extra=(),
        subsample_iter=100,
    ),
    "paper": PAPER,
    # The paper profile's structure (real loaders reading DATA_DIR, grids,
    # methods) at tiny sizes, for CI on fake files in the real formats.
    "paper_smoke": dataclasses.replace(
        PAPER,
        combos=(("spambase", "lightgbm"), ("wine", "sklearn_hgb"), ("german_credit", "xgboost")),
        n_estimators=5,
        max_leaves=5,
        n_test=2,
        subsample_iter=5,
        n_boot=20,
        set_fracs=(0.1, 0.5),
        fix_fracs=(0.1, 0.3),
        cost_sizes=(60, 90, 120),
        cost_sizes_leaf=(60, 90, 120),
        cost_n0=20,
        cost_trees=5,
    ),
}


def config(profile: str, **overrides) -> Config:
    """The frozen config of ``profile`` (``smoke``, ``cpu``, ``paper``, ``paper_smoke``), with overrides."""
    return select_profile(profile, PROFILES, **overrides)
