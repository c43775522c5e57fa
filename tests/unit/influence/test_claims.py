"""Claims against ground truth: verdicts on constructed rankings, the registry's rules, the cost fits."""

import numpy as np
import pandas as pd
import pytest

from support.core import registry
from support.core.claims import ClaimSet
from support.influence.claims import NEAR_BEST, cost_claims, rank_claims, record_claims
from support.influence.cost import CostStudy, fit_exponent, overhead_exponent
from support.influence.evaluation import Setting
from support.influence.ranks import bootstrap_ranks, summarise

REG = registry.load("support.influence")
METHODS = ["boostin", "leaf_inf_sp", "trex", "tree_sim", "loo", "random"]


def _setting(order, rng, n_examples=6, n_ck=3, noise=0.0):
    """A Setting whose loss ranks the methods in ``order`` (first = best: highest loss)."""
    score = {m: len(order) - i for i, m in enumerate(order)}
    loss = np.stack([score[m] + noise * rng.standard_normal((n_examples, n_ck)) for m in METHODS])
    return Setting(METHODS, [0.1, 0.2, 0.3][:n_ck], [1, 2, 3][:n_ck], loss, np.ones(n_examples))


def _res(orders, noise=0.0):
    rng = np.random.default_rng(0)
    sets = [_setting(o, rng, noise=noise) for o in orders]
    out = {"ranks": {}, "boot": {}}
    for name in ("single: removal", "multi: removal"):
        out["ranks"][name] = summarise(sets, METHODS, True, 200)
        out["boot"][name] = bootstrap_ranks(sets, METHODS, True, 200)
    return out


def _claims(res):
    claims = ClaimSet("gbdt_influence").use(REG)
    rank_claims(claims, REG, res)
    return {c.id: c for c in claims.claims}


GOOD = ["boostin", "leaf_inf_sp", "trex", "tree_sim", "loo", "random"]
BAD = ["random", "leaf_inf_sp", "trex", "tree_sim", "loo", "boostin"]


def test_rank_claims_reproduce_when_boostin_leads_and_loo_trails_on_sets():
    by_id = _claims(_res([GOOD] * 8))
    assert by_id["boostin-best-removal"].verdict == "reproduced"
    assert by_id["boostin-best-removal"].measured == 0
    assert by_id["loo-worse-on-sets"].measured == pytest.approx(4.0)
    assert by_id["fast-beat-random"].verdict == "reproduced"


def test_a_consistent_failure_is_not_reproduced_and_a_mixed_one_inconclusive():
    by_id = _claims(_res([BAD] * 8))
    assert by_id["boostin-best-removal"].verdict == "not reproduced"
    assert by_id["boostin-best-removal"].measured == pytest.approx(5.0)
    assert by_id["fast-beat-random"].verdict == "not reproduced"
    # BoostIn last on 5 of 8 pairs, first on 3: fails on the mean, the pair bootstrap straddles
    mixed = _claims(_res([BAD] * 5 + [GOOD] * 3))
    c = mixed["boostin-best-removal"]
    assert not c.passed and c.verdict == "inconclusive" and c.n == 8


def test_pair_bootstrap_is_wider_than_the_example_bootstrap():
    rng = np.random.default_rng(1)
    sets = [_setting(GOOD if i % 2 else BAD, rng, noise=0.1) for i in range(8)]
    both = bootstrap_ranks(sets, METHODS, True, 500)["boostin"]
    examples = bootstrap_ranks(sets, METHODS, True, 500, over_pairs=False)["boostin"]
    assert examples.std() < 0.05 < both.std()
    assert both.mean() == pytest.approx(3.5, abs=0.3)


def test_fix_mislabelled_is_ranked_by_score_with_a_pair_bootstrap():
    ss = []
    for i in range(4):
        s = _setting(GOOD, np.random.default_rng(i))
        ss.append(Setting(s.methods, s.fracs, s.ks, s.loss, s.base, score=-s.loss.mean(axis=1)))
    table = summarise(ss, METHODS, True, 100, use_score=True)
    assert table.index[0] == "random" and table.loc["random", "lo95"] == 1.0


def test_every_setting_claim_has_a_registered_entry_and_margins_come_from_the_registry():
    assert set(NEAR_BEST) <= set(REG)
    assert REG["targeted-edit"].kind == "paper"  # registered though not measured
    assert all(REG[c]["margin"] == 1.0 for c in NEAR_BEST)


@pytest.mark.parametrize(
    ("p", "t0", "expected"), [(1.0, 0.5, 1.0), (2.0, 0.01, 2.0), (0.0, 0.1, float("nan"))]
)
def test_overhead_exponent_recovers_the_n_dependent_part(p, t0, expected):
    n = np.array([1000, 2000, 5000, 10000])
    t = t0 + 1e-4 * (n / 1000) ** p if p else np.full(4, t0)
    got = overhead_exponent(n, t, t0)
    assert got == pytest.approx(expected, abs=1e-9, nan_ok=True)
    if p == 1.0:  # the raw fit hides linear growth under the overhead
        assert fit_exponent(n, t) < 0.2


def _study(b, q):
    rows = [dict(method=m, n=n, total_s=1.0) for m in ("boostin", "leaf_inf") for n in (100, 1000)]
    return CostStudy(
        cost=pd.DataFrame(rows),
        slopes={"boostin": b, "leaf_inf": q},
        ratio=20.0,
        n_measured=1000,
        n_paper=13013,
        boostin_paper=0.1,
        leafinf_paper=30.0,
        raw_slopes={"boostin": 0.3, "leaf_inf": 1.7},
        overhead={"boostin": 0.06, "leaf_inf": 0.01},
        n0=50,
    )


@pytest.mark.parametrize(
    ("b", "q", "linear", "quadratic", "grows"),
    [
        (1.0, 2.0, True, True, True),
        (0.05, 2.0, False, True, True),
        (float("nan"), 2.0, False, True, False),
        (1.0, 1.2, True, False, False),
    ],
)
def test_cost_claims_fail_for_constant_time_and_for_no_growth(b, q, linear, quadratic, grows):
    claims = ClaimSet("gbdt_influence").use(REG)
    cost_claims(claims, REG, _study(b, q))
    by_id = {c.id: c for c in claims.claims}
    assert by_id["cost-boostin-linear"].passed is linear
    assert by_id["cost-leafinf-quadratic"].passed is quadratic
    assert by_id["speedup-grows-with-n"].passed is grows
    assert by_id["speedup-4-orders"].verdict == "not reproduced"  # 300 < 1e4
    assert not any(c.deterministic for c in claims.claims)


def test_record_claims_lists_the_unmeasured_settings():
    claims = ClaimSet("gbdt_influence")
    record_claims(claims, {"ranks": {}, "boot": {}}, _study(1.0, 2.0))
    assert "targeted-edit" in claims.unmeasured()
