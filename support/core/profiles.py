"""Choosing a profile's frozen config with a clear error for unknown names."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, TypeVar

T = TypeVar("T")

PROFILES = ("smoke", "cpu", "paper")


def select_profile(profile: str, table: Mapping[str, T], **overrides: Any) -> T:
    """Return ``table[profile]``, with ``overrides`` applied via ``dataclasses.replace``.

    Parameters
    ----------
    profile : str
        One of the table's keys (normally ``"smoke"``, ``"cpu"``, ``"paper"``).
    table : mapping of str to frozen dataclass
        The paper's profile table.
    **overrides
        Fields to replace; ``None`` values are ignored so notebooks can pass
        optional parameters straight through.

    Raises
    ------
    ValueError
        For an unknown profile or an override that is not a field.
    """
    if profile not in table:
        raise ValueError(f"PROFILE must be one of {sorted(table)}, got {profile!r}")
    cfg = table[profile]
    overrides = {k: v for k, v in overrides.items() if v is not None}
    fields = {f.name for f in dataclasses.fields(cfg)}
    unknown = sorted(set(overrides) - fields)
    if unknown:
        raise ValueError(f"unknown config field(s) {unknown}; valid fields: {sorted(fields)}")
    return dataclasses.replace(cfg, **overrides) if overrides else cfg
