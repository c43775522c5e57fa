"""Parsers from fitted GBDT models of each library to :class:`~support.influence.ensemble.TreeEnsemble`."""

from .dispatch import parse_model

__all__ = ["parse_model"]
