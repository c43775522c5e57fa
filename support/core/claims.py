"""Claims: what a notebook set out to reproduce, what it measured, and whether it held.

A notebook records one :class:`Claim` per headline result of its paper in a
:class:`ClaimSet`, shows the table, writes ``claims.json`` next to its figures
and prints :meth:`ClaimSet.summary` in a cell marked ``# NBVAL_CHECK_OUTPUT``,
so nbval fails when a re-run changes the verdict.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import atomic


@dataclass(frozen=True)
class Claim:
    """One claim of a paper and our measurement of it.

    Parameters
    ----------
    id : str
        Short identifier, e.g. ``"C2"`` or ``"sym-sublinear"``.
    statement : str
        The claim, in the paper's words paraphrased.
    measured : Any
        The value we measured (a number, a string such as ``"0.93 ± 0.02"``, or a bool).
    criterion : str
        The test applied to ``measured``, in words (e.g. ``"slope in [-1.05, -0.85]"``).
    passed : bool
        Whether the criterion held.
    paper : Any, optional
        The paper's value, where it reports one.
    spread : str, optional
        Spread over seeds/runs (e.g. ``"IQR 0.01"``).
    note : str, optional
        Anything a reader needs to interpret the result.
    deterministic : bool, optional
        False for claims measured from wall-clock timings, which a re-run on a
        busier or quieter machine may flip; :meth:`ClaimSet.summary` then
        prints them without their verdict, so nbval compares only what a
        seeded re-run must reproduce.
    tolerance : float, optional
        How far a re-run's numeric ``measured`` may lie from this one and still
        count as reproducing it: 0 (the default) for deterministic
        computations, the reported spread for chaotic training (e.g. the 95 %
        half-width of a mean over seeds). :func:`compare` checks committed
        against fresh ``claims.json`` files with it.
    """

    id: str
    statement: str
    measured: Any
    criterion: str
    passed: bool
    paper: Any = None
    spread: str = ""
    note: str = ""
    deterministic: bool = True
    tolerance: float = 0.0

    def __post_init__(self):
        if not self.id or not isinstance(self.id, str):
            raise ValueError(f"id must be a non-empty string, got {self.id!r}")
        tol = _plain(self.tolerance)
        if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not tol >= 0:
            raise ValueError(
                f"tolerance of claim {self.id!r} must be a number >= 0, got {self.tolerance!r}"
            )
        object.__setattr__(self, "tolerance", float(tol))
        if not isinstance(self.passed, bool):
            object.__setattr__(self, "passed", bool(self.passed))


@dataclass
class ClaimSet:
    """An ordered collection of :class:`Claim` records for one notebook.

    Parameters
    ----------
    paper : str
        Paper name, e.g. ``"matrix_sensing"``.
    profile : str
        Profile the claims were measured at.
    """

    paper: str
    profile: str = ""
    claims: list[Claim] = field(default_factory=list)

    def add(
        self, id: str, statement: str, measured: Any, criterion: str, passed: bool, **kwargs
    ) -> Claim:
        """Record a claim (see :class:`Claim` for the fields); ids must be unique."""
        if any(c.id == id for c in self.claims):
            raise ValueError(f"claim id {id!r} is already recorded")
        claim = Claim(id, statement, _plain(measured), criterion, passed, **kwargs)
        self.claims.append(claim)
        return claim

    @property
    def all_passed(self) -> bool:
        """True when every recorded claim passed."""
        return all(c.passed for c in self.claims)

    def table(self):
        """The claims as a pandas DataFrame (one row per claim)."""
        import pandas as pd

        rows = [
            {
                "id": c.id,
                "claim": c.statement,
                "measured": _fmt(c.measured),
                "spread": c.spread,
                "tolerance": "timing" if not c.deterministic else _fmt(c.tolerance),
                "paper": "" if c.paper is None else _fmt(c.paper),
                "criterion": c.criterion,
                "result": "PASS" if c.passed else "FAIL",
                "note": c.note,
            }
            for c in self.claims
        ]
        if not rows:
            return pd.DataFrame()
        table = pd.DataFrame(rows).set_index("id")
        return table if table["note"].astype(bool).any() else table.drop(columns="note")

    def write(self, output_dir: str | os.PathLike) -> Path:
        """Write ``claims.json`` into ``output_dir`` (atomically) and return its path."""
        payload = {
            "paper": self.paper,
            "profile": self.profile,
            "all_passed": self.all_passed,
            "claims": [asdict(c) for c in self.claims],
        }
        return atomic.write_json(Path(output_dir) / "claims.json", payload)

    def summary(self) -> str:
        """Stable text for nbval: one ``id: PASS|FAIL`` line per claim and a count.

        Timing claims (``deterministic=False``) are listed without their verdict
        and left out of the count; the table and ``claims.json`` carry them.
        """
        lines = [
            f"{c.id}: {'PASS' if c.passed else 'FAIL'}"
            if c.deterministic
            else f"{c.id}: timing (see table)"
            for c in self.claims
        ]
        checked = [c for c in self.claims if c.deterministic]
        passed = sum(c.passed for c in checked)
        lines.append(
            f"{passed}/{len(checked)} deterministic claims passed ({self.paper}, profile {self.profile})"
        )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return self.table().to_html()


def load(path: str | os.PathLike) -> dict:
    """Read a ``claims.json`` written by :meth:`ClaimSet.write`, checking its shape."""
    import json

    data = json.loads(Path(path).read_text())
    for key in ("paper", "profile", "all_passed", "claims"):
        if key not in data:
            raise ValueError(f"{path}: claims.json lacks the key {key!r}")
    for c in data["claims"]:
        missing = {"id", "statement", "measured", "criterion", "passed"} - set(c)
        if missing:
            raise ValueError(f"{path}: claim {c.get('id')!r} lacks {sorted(missing)}")
    return data


def compare(committed: dict, fresh: dict, rel: float = 1e-9) -> list[str]:
    """Differences between two ``claims.json`` payloads beyond each claim's tolerance.

    Timing claims (``deterministic`` false) are skipped. For every other claim
    the verdict must match, and ``measured`` must match too: numbers within
    the committed claim's ``tolerance`` (plus ``rel`` relative, for
    floating-point noise across machines), anything else exactly.

    Parameters
    ----------
    committed, fresh : dict
        Payloads as returned by :func:`load`.
    rel : float
        Relative slack added to every numeric tolerance.

    Returns
    -------
    list of str
        One line per difference; empty when the re-run reproduces the committed run.
    """
    problems = []
    fresh_by_id = {c["id"]: c for c in fresh["claims"]}
    for old in committed["claims"]:
        if not old.get("deterministic", True):
            continue
        new = fresh_by_id.get(old["id"])
        if new is None:
            problems.append(f"{old['id']}: missing from the re-run")
            continue
        if bool(new["passed"]) != bool(old["passed"]):
            problems.append(f"{old['id']}: verdict {old['passed']} -> {new['passed']}")
        a, b = old["measured"], new["measured"]
        tol = float(old.get("tolerance", 0.0) or 0.0)
        if _is_number(a) and _is_number(b):
            a, b = float(a), float(b)
            if math.isnan(a) and math.isnan(b):
                continue
            if not abs(a - b) <= tol + rel * max(abs(a), abs(b)):
                problems.append(f"{old['id']}: measured {a!r} -> {b!r} (tolerance {tol:g})")
        elif a != b:
            problems.append(f"{old['id']}: measured {a!r} -> {b!r} (compared exactly)")
    extra = set(fresh_by_id) - {c["id"] for c in committed["claims"]}
    problems.extend(f"{i}: new in the re-run" for i in sorted(extra))
    return problems


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _plain(value: Any) -> Any:
    """numpy scalars to Python scalars, so claims serialise cleanly."""
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return value.item()
    return value


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        return f"{value:.3g}" if abs(value) < 1e4 else f"{value:.3e}"
    return str(value)
