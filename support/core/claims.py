"""Claims: what a notebook set out to reproduce, what it measured, and whether it held.

A notebook records one :class:`Claim` per headline result of its paper in a
:class:`ClaimSet`, shows the table, writes ``claims.json`` next to its figures
and prints :meth:`ClaimSet.summary` in a cell marked ``# NBVAL_CHECK_OUTPUT``,
so nbval fails when a re-run changes the verdict.
"""

from __future__ import annotations

import math
import os
import sys
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
    kind, verdict, source, metric, effect, sample, tolerance_rule, revisions
        Copied from the claim's registry entry (:mod:`support.core.registry`);
        ``verdict`` is "reproduced" / "not reproduced" / "inconclusive" for
        paper claims and "pass" / "fail" for claims beyond the paper.
    n, mde : number, optional
        Sample size and minimum detectable effect of a statistical claim.
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
    kind: str = "paper"
    verdict: str = ""
    source: str = ""
    metric: str = ""
    effect: str = ""
    sample: str = ""
    tolerance_rule: str = ""
    n: int | None = None
    mde: float | None = None
    revisions: list = field(default_factory=list)

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
        if not self.verdict:
            object.__setattr__(self, "verdict", "pass" if self.passed else "fail")
        for name in ("n", "mde"):
            value = _plain(getattr(self, name))
            if value is not None and (isinstance(value, bool) or not _is_number(value)):
                raise ValueError(f"{name} of claim {self.id!r} must be a number, got {value!r}")
            object.__setattr__(self, name, value)

    @property
    def label(self) -> str:
        """The verdict as the table shows it; a revised criterion shows the old verdicts too."""
        if not self.revisions:
            return self.verdict
        old = "; ".join(f"{r['verdict']} ({r['date']})" for r in self.revisions)
        return f"{self.verdict} (revised after data; before: {old})"


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
    registry: dict | None = None

    def use(self, registry: dict) -> ClaimSet:
        """Take every claim's words and thresholds from ``registry`` (:func:`registry.load`)."""
        self.registry = dict(registry)
        return self

    def add(
        self, id: str, measured: Any, passed: bool, powered: bool | None = None, **kwargs
    ) -> Claim:
        """Record the measurement of the registered claim ``id``; ids must be unique.

        With a registry (:meth:`use`), the statement, criterion, kind, source and
        revisions come from it and the verdict follows :meth:`Registered.verdict`
        (``powered`` False, an ``mde`` above the registered effect, or a NaN
        ``measured`` - a measurement that could not be made - makes a failed
        paper claim "inconclusive"). Without one, ``statement`` and
        ``criterion`` must be given and the verdict is pass/fail.
        """
        if any(c.id == id for c in self.claims):
            raise ValueError(f"claim id {id!r} is already recorded")
        if self.registry is not None:
            kwargs = self._registered(id, passed, False if _is_nan(measured) else powered, kwargs)
        claim = Claim(id=id, measured=_plain(measured), passed=passed, **kwargs)
        self.claims.append(claim)
        return claim

    def _registered(self, id: str, passed: bool, powered: bool | None, kwargs: dict) -> dict:
        if id not in self.registry:
            raise KeyError(
                f"claim {id!r} is not in the {self.paper} registry; registered: "
                f"{list(self.registry)}"
            )
        clash = sorted({"statement", "criterion", "kind", "verdict", "source"} & set(kwargs))
        if clash:
            raise ValueError(f"claim {id!r}: {clash} come from the registry, not from code")
        entry = self.registry[id]
        return dict(
            kwargs,
            statement=entry.statement,
            criterion=entry.criterion_text,
            kind=entry.kind,
            verdict=entry.verdict(bool(passed), kwargs.get("mde"), powered),
            source=entry.source,
            metric=entry.metric,
            effect=entry.effect,
            sample=entry.sample,
            tolerance_rule=entry.tolerance,
            revisions=[asdict(r) for r in entry.revisions],
        )

    def unmeasured(self) -> list[str]:
        """Registered ids that no measurement was recorded for."""
        done = {c.id for c in self.claims}
        return [i for i in (self.registry or {}) if i not in done]

    @property
    def all_passed(self) -> bool:
        """True when every recorded claim passed."""
        return all(c.passed for c in self.claims)

    def table(self):
        """The claims as a pandas DataFrame (one row per claim, every column in full)."""
        import pandas as pd

        rows = [_row(c) for c in self.claims]
        if not rows:
            return pd.DataFrame()
        table = pd.DataFrame(rows).set_index("id")
        empty = [k for k in ("n", "mde", "note", "paper") if not table[k].astype(bool).any()]
        return table.drop(columns=empty)

    def write(self, output_dir: str | os.PathLike) -> Path:
        """Write ``claims.json`` into ``output_dir`` (atomically) and return its path."""
        missing = self.unmeasured()
        payload = {
            "paper": self.paper,
            "profile": self.profile,
            "all_passed": self.all_passed,
            "unmeasured": missing,
            "claims": [asdict(c) for c in self.claims],
        }
        return atomic.write_json(Path(output_dir) / "claims.json", payload)

    def summary(self) -> str:
        """Stable text for nbval: one ``id: verdict`` line per claim and counts per verdict.

        Timing claims (``deterministic=False``) are listed without their verdict
        and left out of the counts; the table and ``claims.json`` carry them.
        """
        lines = [
            f"{c.id}: {c.verdict}" if c.deterministic else f"{c.id}: timing (see table)"
            for c in self.claims
        ]
        lines += [f"{i}: not measured at this profile" for i in self.unmeasured()]
        checked = [c for c in self.claims if c.deterministic]
        counts = {}
        for c in checked:
            counts[c.verdict] = counts.get(c.verdict, 0) + 1
        tally = ", ".join(f"{n} {v}" for v, n in counts.items()) or "no claims"
        lines.append(f"{tally} ({self.paper}, profile {self.profile})")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        import pandas as pd

        with pd.option_context("display.max_colwidth", None):
            return self.table().to_html()


def _row(c: Claim) -> dict:
    return {
        "id": c.id,
        "kind": c.kind,
        "claim": c.statement,
        "source": c.source,
        "measured": _fmt(c.measured),
        "spread": c.spread,
        "n": "" if c.n is None else _fmt(c.n),
        "mde": "" if c.mde is None else _fmt(c.mde),
        "tolerance": "timing" if not c.deterministic else _fmt(c.tolerance),
        "paper": "" if c.paper is None else _fmt(c.paper),
        "criterion": c.criterion,
        "verdict": c.label,
        "note": c.note,
    }


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
        if bool(new["passed"]) != bool(old["passed"]) or new.get("verdict") != old.get("verdict"):
            before, after = old.get("verdict", old["passed"]), new.get("verdict", new["passed"])
            problems.append(f"{old['id']}: verdict {before} -> {after}")
        a, b = old["measured"], new["measured"]
        tol = float(old.get("tolerance", 0.0) or 0.0)
        if _is_number(a) and _is_number(b):
            a, b = float(a), float(b)
            if (math.isnan(a) and math.isnan(b)) or a == b:  # equal infinities too
                continue
            infinite = math.isinf(a) or math.isinf(b)  # unequal: no slack makes them agree
            if infinite or not abs(a - b) <= tol + rel * max(abs(a), abs(b)):
                problems.append(f"{old['id']}: measured {a!r} -> {b!r} (tolerance {tol:g})")
        elif a != b:
            problems.append(f"{old['id']}: measured {a!r} -> {b!r} (compared exactly)")
    extra = set(fresh_by_id) - {c["id"] for c in committed["claims"]}
    problems.extend(f"{i}: new in the re-run" for i in sorted(extra))
    return problems


def _is_nan(value: Any) -> bool:
    """A measurement that could not be made (its claim is then inconclusive, never refuted)."""
    value = _plain(value)
    return _is_number(value) and math.isnan(value)


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


def main(argv: list[str]) -> int:
    """``python -m support.core.claims A B``: compare every ``*/claims.json`` of A with B's.

    Exit status 1 when a claim's verdict or value differs beyond its tolerance
    (``make test-altblas`` runs it on the smoke claims of two BLAS code paths).
    """
    if len(argv) != 2:
        print("usage: python -m support.core.claims COMMITTED_DIR FRESH_DIR", file=sys.stderr)
        return 2
    base, other = (Path(a) for a in argv)
    papers = sorted(p.parent.name for p in base.glob("*/claims.json"))
    if not papers:
        print(f"no */claims.json under {base}", file=sys.stderr)
        return 2
    failed = 0
    for paper in papers:
        theirs = other / paper / "claims.json"
        problems = (
            ["missing"]
            if not theirs.is_file()
            else compare(load(base / paper / "claims.json"), load(theirs))
        )
        failed += bool(problems)
        print(f"{paper}: " + ("same verdicts and values" if not problems else "; ".join(problems)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
