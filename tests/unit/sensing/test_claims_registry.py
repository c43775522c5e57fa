"""The sensing registry loads, and record_claims measures exactly the registered claims."""

from __future__ import annotations

import pytest

from support.core import registry
from support.core.claims import ClaimSet
from support.sensing import claims as sc
from support.sensing.experiments import Results


def test_registry_loads_with_every_field():
    reg = registry.load("support.sensing")
    assert list(reg) == [f.claim_id for f in sc.CLAIMS]
    for entry in reg.values():
        assert entry.registered == "2026-12-05"
        assert entry.kind in ("paper", "beyond")
        if entry.kind == "beyond":
            assert "beyond the paper" in entry.source
        assert entry.criterion_text  # every placeholder has its threshold
    assert {"C5d", "C6a"}.isdisjoint(reg)  # checks, not claims (unit tests)
    assert [r.verdict for r in reg["C3c"].revisions] == ["fail"]


def test_every_claim_record_claims_produces_is_registered(monkeypatch):
    """record_claims adds every registered id once; an unregistered id is an error."""
    reg = registry.load("support.sensing")

    def fake(claim_id):
        def measure(res, cfg, entry):
            assert entry == reg[claim_id]
            return dict(measured=1.0, passed=True)

        measure.claim_id = claim_id
        return measure

    monkeypatch.setattr(sc, "CLAIMS", tuple(fake(f.claim_id) for f in sc.CLAIMS))
    cs = ClaimSet("matrix_sensing", "cpu")
    sc.record_claims(cs, Results(*[None] * 8), None)
    assert [c.id for c in cs.claims] == list(reg)
    assert cs.unmeasured() == []

    monkeypatch.setattr(sc, "CLAIMS", (fake("C6a"),))
    with pytest.raises(KeyError, match="C6a"):
        sc.record_claims(ClaimSet("matrix_sensing", "cpu"), Results(*[None] * 8), None)
