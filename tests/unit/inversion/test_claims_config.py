import itertools

import pandas as pd
import pytest

from support.inversion.claims import evaluate_claims
from support.inversion.config import PROFILES, config

RATES = (0.0, 0.1, 0.5)


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
            rows.append(
                dict(
                    setup="mlp/mnist16",
                    p=p,
                    attack=attack,
                    seed=seed,
                    batch=image,
                    image=image,
                    ssim=v + 0.001 * image,
                    label_acc=1.0,
                )
            )
    return pd.DataFrame(rows)


def test_claims_pass_on_a_paper_like_table_and_fail_when_dia_breaks():
    ok = {c["id"]: c["passed"] for c in evaluate_claims(_scores())}
    assert ok == {f"C{i}": True for i in range(1, 10)}
    bad = {c["id"]: c["passed"] for c in evaluate_claims(_scores(dia_at_half=0.6))}
    assert not bad["C3"] and not bad["C4"] and bad["C1"] and bad["C6"]


def test_profiles():
    assert set(PROFILES) == {"smoke", "cpu", "paper"}
    cfg = config("cpu")
    assert cfg.n_images >= 5 and cfg.n_seeds >= 2 and cfg.rates == (0.0, 0.1, 0.25, 0.5, 0.75)
    assert {a for a, _, _ in config("paper").setups} == {"mlp", "cnn", "vit", "resnet18"}
    assert config("cpu", n_images=6).n_images == 6
    with pytest.raises(ValueError, match="PROFILE must be one of"):
        config("gpu")
    with pytest.raises(ValueError, match="no iteration count"):
        cfg.iterations_for("lenet")


def test_by_setup_reports_each_setup():
    from support.inversion.claims import by_setup

    t = by_setup(_scores())
    assert list(t.index) == ["mlp/mnist16"]
    row = t.iloc[0]
    assert abs(row["IG drop at p=0.1 (C2)"] - 0.2) < 1e-9 and row["IG decreasing (C2)"]
    assert row["DIA >= 0.9 up to p"] == 0.5
