"""The timing claims on fabricated cost studies: the speed-up at the paper's size and its growth in n."""

import pandas as pd
import pytest

from support.core.claims import ClaimSet
from support.influence.claims import cost_claims
from support.influence.cost import CostStudy


def _study(boostin_exp, leaf_exp, ratio_at_3000=26.0):
    sizes = (1000, 2000, 3000)
    rows = [
        dict(method=m, n=n, total_s=1e-3 * (n / 1000) ** e)
        for m, e in (("boostin", boostin_exp), ("leaf_inf", leaf_exp))
        for n in sizes
    ]
    return CostStudy(
        cost=pd.DataFrame(rows),
        slopes={"boostin": boostin_exp, "leaf_inf": leaf_exp},
        ratio=ratio_at_3000,
        n_measured=3000,
        n_paper=13013,
        boostin_paper=0.05,
        leafinf_paper=0.05 * ratio_at_3000 * (13013 / 3000) ** leaf_exp,
    )


@pytest.mark.parametrize(
    ("boostin_exp", "leaf_exp", "grows"), [(1.0, 2.0, True), (0.25, 1.9, True), (1.0, 1.5, False)]
)
def test_speedup_growth_is_the_difference_of_the_fitted_exponents(boostin_exp, leaf_exp, grows):
    claims = ClaimSet("gbdt_influence")
    cost_claims(claims, _study(boostin_exp, leaf_exp))
    by_id = {c.id: c for c in claims.claims}
    growth = by_id["speedup-grows-with-n"]
    assert growth.measured == pytest.approx(leaf_exp - boostin_exp)
    assert growth.passed is grows and not growth.deterministic
    assert "after speedup-4-orders had failed" in growth.note
    four = by_id["speedup-4-orders"]
    assert four.passed is (four.measured >= 1e4) and "bench/influence.py" in four.note
