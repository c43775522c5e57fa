"""Influence explainers: ``fit(model, X, y)``, ``local_influence(X, y)``, ``self_influence()``."""

from .base import Explainer
from .baselines import Random, Target
from .boostin import BoostIn
from .leaf_influence import LeafInfluence, LeafInfluenceSP
from .leaf_refit import LeafRefit
from .retrain import LOO, SubSample
from .similarity import InputSim, LeafSim, TreeSim
from .trex import Trex

METHODS = {
    "boostin": BoostIn,
    "leaf_inf_sp": LeafInfluenceSP,
    "trex": Trex,
    "tree_sim": TreeSim,
    "leaf_sim": LeafSim,
    "input_sim": InputSim,
    "leaf_inf": LeafInfluence,
    "leaf_refit": LeafRefit,
    "loo": LOO,
    "subsample": SubSample,
    "target": Target,
    "random": Random,
}


def make_explainer(method: str, **params) -> Explainer:
    """An explainer by its short name (see ``METHODS``)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    return METHODS[method](**params)


__all__ = [
    "BoostIn",
    "Explainer",
    "InputSim",
    "LOO",
    "LeafInfluence",
    "LeafInfluenceSP",
    "LeafRefit",
    "LeafSim",
    "METHODS",
    "Random",
    "SubSample",
    "Target",
    "TreeSim",
    "Trex",
    "make_explainer",
]
