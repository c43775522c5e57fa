"""Registered claims: each paper's criteria, fixed in ``support/<paper>/claims.toml`` before a run.

A registry entry says what a claim is (the paper's statement and where the
paper makes it), how it is tested (metric, criterion, thresholds), what the
design must be able to see (the effect and the sample size chosen for it), how
far a re-run may move (the tolerance rule) and how the criterion changed after
data had been seen (``revisions``). The claim code reads its thresholds from
here and only measures; :class:`support.core.claims.ClaimSet` takes the words
from here, so code and registry cannot drift apart.

The file's shape::

    paper = "matrix_sensing"

    [[claim]]
    id = "C1"
    kind = "paper"                 # "paper" or "beyond"
    statement = "..."
    source = "Theorem 3.1; Figure 1"
    metric = "..."
    criterion = "every run below {error:g} within {iterations} iterations"
    thresholds = { error = 1e-10, iterations = 1000 }
    effect = "..."                 # what the design must detect, in words
    effect_size = 2.0              # optional: the same, in the metric's units
    sample = "..."                 # the sample size and why it gives that power
    tolerance = "..."              # what a re-run on another machine must reproduce
    registered = "2026-12-05"

    [[claim.revisions]]            # zero or more
    criterion = "..."
    verdict = "not reproduced"
    date = "2026-11-30"
    reason = "..."
"""

from __future__ import annotations

import importlib.resources
import os
import string
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

KINDS = ("paper", "beyond")
PAPER_VERDICTS = ("reproduced", "not reproduced", "inconclusive")
BEYOND_VERDICTS = ("pass", "fail")
_REQUIRED = ("id", "kind", "statement", "source", "metric", "criterion", "sample", "tolerance")
_OPTIONAL = ("thresholds", "effect", "effect_size", "registered", "revisions")


@dataclass(frozen=True)
class Revision:
    """A criterion that was replaced after its run had been seen."""

    criterion: str
    verdict: str
    date: str
    reason: str


@dataclass(frozen=True)
class Registered:
    """One claim as registered before the run that tests it (see the module docstring)."""

    id: str
    kind: str
    statement: str
    source: str
    metric: str
    criterion: str
    sample: str
    tolerance: str
    thresholds: dict = field(default_factory=dict)
    effect: str = ""
    effect_size: float | None = None
    registered: str = ""
    revisions: tuple[Revision, ...] = ()

    def __getitem__(self, name: str) -> Any:
        """The threshold ``name``; a clear error names the claim and the thresholds it has."""
        try:
            return self.thresholds[name]
        except KeyError:
            raise KeyError(
                f"claim {self.id!r} has no threshold {name!r} in its registry; it has "
                f"{sorted(self.thresholds)}"
            ) from None

    @property
    def criterion_text(self) -> str:
        """The criterion with its thresholds filled in."""
        return self.criterion.format(**self.thresholds)

    def verdict(self, passed: bool, mde: float | None = None, powered: bool | None = None) -> str:
        """The verdict for a measurement.

        Beyond-the-paper claims pass or fail. A paper claim whose criterion held
        is "reproduced"; one whose criterion failed is "not reproduced" when the
        design could see the paper's effect and "inconclusive" when it could
        not. ``powered``, where the claim's analysis decides it, says which:
        True when its interval excludes the paper's effect (the effect is
        absent, whatever the MDE), False when the run could not show it (a
        budget below the reference's, a measurement not made). Left None, an
        ``mde`` above the registered ``effect_size`` makes it "inconclusive".
        """
        if self.kind == "beyond":
            return "pass" if passed else "fail"
        if passed:
            return "reproduced"
        if powered is not None:
            underpowered = not powered
        else:
            underpowered = (
                mde is not None and self.effect_size is not None and not mde <= self.effect_size
            )
        return "inconclusive" if underpowered else "not reproduced"


def load(source: str | os.PathLike) -> dict[str, Registered]:
    """Read a registry: a ``claims.toml`` path, or a package name such as ``"support.sensing"``.

    Returns the entries by id, in file order. Raises ``ValueError`` naming the
    file, the claim and the field for anything malformed.
    """
    path = _path(source)
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    entries = data.get("claim")
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"{path}: a registry needs one or more [[claim]] tables")
    out: dict[str, Registered] = {}
    for raw in entries:
        entry = _entry(path, raw)
        if entry.id in out:
            raise ValueError(f"{path}: claim id {entry.id!r} is registered twice")
        out[entry.id] = entry
    return out


def find(paper: str) -> Path:
    """The registry file of ``paper`` (its top-level ``paper = "..."`` key), among ``support/*/``."""
    root = Path(__file__).resolve().parents[1]
    known = {}
    for path in sorted(root.glob("*/claims.toml")):
        with open(path, "rb") as fh:
            known[tomllib.load(fh).get("paper", "")] = path
    if paper not in known:
        raise KeyError(f"no registry declares paper = {paper!r}; registries: {sorted(known)}")
    return known[paper]


def _path(source: str | os.PathLike) -> Path:
    if isinstance(source, str) and not source.endswith(".toml"):
        return Path(str(importlib.resources.files(source) / "claims.toml"))
    return Path(source)


def _entry(path: Path, raw: dict) -> Registered:
    where = f"{path}: claim {raw.get('id', '?')!r}"
    missing = [k for k in _REQUIRED if not isinstance(raw.get(k), str) or not raw[k].strip()]
    if missing:
        raise ValueError(f"{where} lacks the text field(s) {missing}")
    unknown = set(raw) - set(_REQUIRED) - set(_OPTIONAL)
    if unknown:
        raise ValueError(
            f"{where} has unknown field(s) {sorted(unknown)}; known: {list(_REQUIRED + _OPTIONAL)}"
        )
    if raw["kind"] not in KINDS:
        raise ValueError(f"{where}: kind must be one of {KINDS}, got {raw['kind']!r}")
    thresholds = raw.get("thresholds", {})
    if not isinstance(thresholds, dict):
        raise ValueError(f"{where}: thresholds must be a table, got {thresholds!r}")
    _check_placeholders(where, raw["criterion"], thresholds)
    size = raw.get("effect_size")
    if size is not None and (isinstance(size, bool) or not isinstance(size, (int, float))):
        raise ValueError(f"{where}: effect_size must be a number, got {size!r}")
    revisions = tuple(_revision(where, r) for r in raw.get("revisions", []))
    fields = {k: raw[k] for k in _REQUIRED}
    return Registered(
        **fields,
        thresholds=dict(thresholds),
        effect=str(raw.get("effect", "")),
        effect_size=None if size is None else float(size),
        registered=str(raw.get("registered", "")),
        revisions=revisions,
    )


def _check_placeholders(where: str, criterion: str, thresholds: dict) -> None:
    names = {name for _, name, _, _ in string.Formatter().parse(criterion) if name}
    absent = sorted(names - set(thresholds))
    if absent:
        raise ValueError(f"{where}: the criterion names {absent}, which thresholds lacks")


def _revision(where: str, raw: Any) -> Revision:
    keys = ("criterion", "verdict", "date", "reason")
    if not isinstance(raw, dict) or any(not isinstance(raw.get(k), str) for k in keys):
        raise ValueError(f"{where}: each revision needs the text fields {keys}, got {raw!r}")
    allowed = PAPER_VERDICTS + BEYOND_VERDICTS
    if raw["verdict"] not in allowed:
        raise ValueError(
            f"{where}: a revision's verdict must be one of {allowed}, got {raw['verdict']!r}"
        )
    return Revision(**{k: raw[k] for k in keys})
