import itertools
from types import SimpleNamespace

import pandas as pd
import pytest

from support.core.claims import ClaimSet
from support.inversion.claims import by_setup, claim_start_selection, record_claims
from support.inversion.config import PROFILES, config

RATES = (0.0, 0.1, 0.5)


def _mse(ssim, image):
    return (1.0 - ssim) * 0.01 + 1e-4 * (1 + image)


def _scores(dia_at_half=0.97):
    ssim = {
        "ig": {0.0: 1.0, 0.1: 0.8, 0.5: 0.5},
        "dia": {0.0: 1.0, 0.1: 0.99, 0.5: dia_at_half},
        "wiig": {0.1: 1.0, 0.5: 1.0},
        "dia-frozen": {0.5: 0.3},
        "dia-noreg": {0.5: 0.96},
        "ig-train": {0.5: 0.45},
    }
    rows = []
    for (attack, by_p), seed, image in itertools.product(ssim.items(), (0, 1), range(5)):
        for p, v in by_p.items():
            s = min(v + 0.001 * image, 1.0) - 0.002 * seed
            rows.append(
                dict(
                    setup="mlp/mnist16",
                    arch="mlp",
                    p=p,
                    attack=attack,
                    seed=seed,
                    batch=image,
                    image=image,
                    ssim=s,
                    mse=_mse(s, image),
                    iterations_run=100,
                    gradient_loss=1e-6,
                    label_acc=1.0,
                )
            )
    return pd.DataFrame(rows)


def _starts(scores, flipped_kept=False):
    """Start 0 of every attack is its kept result; DIA also has a flipped start 1 and a good start 2."""
    rows = []
    for r in scores[scores.attack.isin(["ig", "dia", "wiig"])].itertuples():
        n = 3 if r.attack == "dia" else 1
        for start in range(n):
            flipped = start == 1 and r.p > 0
            kept = start == (1 if flipped_kept and r.p > 0 and n > 1 else 0)
            rows.append(
                dict(
                    setup=r.setup,
                    p=r.p,
                    attack=r.attack,
                    seed=r.seed,
                    image=r.image,
                    start=start,
                    kept=kept,
                    gradient_loss=0.1 if flipped else 1e-4,
                    ssim=-0.5 if flipped else r.ssim,
                    mse=0.5 if flipped else r.mse,
                    correlation=-0.9 if flipped else 0.99,
                )
            )
    return pd.DataFrame(rows)


def _record(scores, starts):
    cs = ClaimSet("dropout_inversion", "smoke")
    ex = SimpleNamespace(scores=scores, batch=None, starts=starts)
    record_claims(cs, ex)
    return {c.id: c for c in cs.claims}


def test_claims_pass_on_a_paper_like_table_and_fail_when_dia_breaks():
    s = _scores()
    ok = _record(s, _starts(s))
    measured = {"C1", "C2", "C3", "C4", "C5", "C7", "C8", "C11"}
    assert {k for k, c in ok.items() if c.passed} == measured
    assert ok["C12"].verdict == "inconclusive"  # no ViT setup ran
    assert all(isinstance(c.measured, (int, float)) for c in ok.values())
    bad_s = _scores(dia_at_half=0.6)
    bad = _record(bad_s, _starts(bad_s, flipped_kept=True))
    assert not bad["C3"].passed and not bad["C4"].passed
    assert bad["C1"].passed and bad["C3"].verdict == "not reproduced"
    assert not bad["C11"].passed and bad["C11"].measured == 0.0


def test_dia_failure_below_the_reference_budget_is_inconclusive():
    s = _scores(dia_at_half=0.6)
    s.loc[s.attack == "dia", "gradient_loss"] = 0.05
    c = _record(s, _starts(s))["C3"]
    assert not c.passed and c.verdict == "inconclusive"


def test_wide_intervals_fail_the_bound_not_the_mean():
    # two images: the t-bound with df = 1 is far below a mean of 0.95
    s = _scores()
    s = s[s.image < 2].copy()
    s.loc[(s.attack == "ig") & (s.p == 0) & (s.image == 1), "ssim"] = 0.9
    c = _record(s, _starts(s))["C1"]
    assert not c.passed and c.n == 4


def test_start_selection_needs_several_starts():
    assert claim_start_selection(_starts(_scores()).query("start == 0"), None) is None


def test_profiles():
    assert set(PROFILES) == {"smoke", "cpu", "cpu_long", "paper", "paper_smoke"}
    long = config("cpu_long")  # the cpu recipe with the registered sample, nothing else changed
    assert long.n_images * long.n_seeds >= 20 and long.n_images <= 5  # 5 colour photographs
    assert long == config("cpu", n_images=5, n_seeds=4)
    cfg = config("cpu")
    assert cfg.rates == (0.0, 0.1, 0.25, 0.5, 0.75)
    assert all(cfg.rates_for(a) == cfg.rates for a, _, _ in cfg.setups)  # CNN p = 0.75 in the grid
    assert ("mlp", "photographs", 32) in cfg.setups  # colour at CIFAR-10's size
    paper, small = config("paper"), config("paper_smoke")
    assert paper.setups == small.setups and {d for _, d, _ in small.setups} == {"mnist", "cifar10"}
    assert config("cpu", n_images=6).n_images == 6
    with pytest.raises(ValueError, match="PROFILE must be one of"):
        config("gpu")
    with pytest.raises(ValueError, match="no iteration count"):
        cfg.iterations_for("lenet")


def test_attack_recipes():
    cfg = config("cpu")
    ig, dia, wiig = (cfg.attack_kwargs(a, "mlp") for a in ("ig", "dia", "wiig"))
    assert "patience" not in ig and ig["restarts"] == 1  # IG: its own multistep schedule
    assert dia["restarts"] == 3 and wiig["restarts"] == 1
    it = cfg.iterations_for("mlp")
    assert dia["patience"] == pytest.approx(it * 800 / 20_000, abs=1)
    assert dia["stop_patience"] == pytest.approx(it * 4_000 / 20_000, abs=1)
    full = config("paper").attack_kwargs("dia", "mlp")
    assert (full["iterations"], full["patience"], full["stop_patience"]) == (20_000, 800, 4_000)


def test_by_setup_reports_each_setup():
    t = by_setup(_scores())
    assert list(t.index) == ["mlp/mnist16"]
    row = t.iloc[0]
    assert abs(row["IG drop at p=0.1 (C2)"] - 0.198) < 1e-9 and row["IG decreasing (C2)"]
