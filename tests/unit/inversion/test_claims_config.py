import itertools
from types import SimpleNamespace

import pandas as pd
import pytest

from support.core.claims import ClaimSet
from support.inversion.claims import by_setup, claim_start_selection, record_claims
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


def _starts(flipped_kept=False):
    rows = []
    for image, start in itertools.product(range(4), range(3)):
        flipped = start == 0
        kept = (start == 0) if flipped_kept else (start == 1)
        rows.append(
            dict(
                setup="mlp/mnist16",
                p=0.5,
                attack="dia",
                seed=0,
                image=image,
                start=start,
                kept=kept,
                gradient_loss=0.1 if flipped else 1e-4,
                ssim=-0.5 if flipped else 0.99,
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
    ok = _record(_scores(), _starts())
    assert {k: c.passed for k, c in ok.items()} == {f"C{i}": True for i in (*range(1, 10), 11)}
    assert all(isinstance(c.measured, (int, float)) for c in ok.values())
    bad = _record(_scores(dia_at_half=0.6), _starts(flipped_kept=True))
    assert not bad["C3"].passed and not bad["C4"].passed and bad["C1"].passed
    assert not bad["C11"].passed and bad["C11"].measured == 0.0


def test_start_selection_needs_several_starts():
    assert claim_start_selection(_starts().query("start == 0")) is None


def test_profiles():
    assert set(PROFILES) == {"smoke", "cpu", "paper", "paper_smoke"}
    cfg = config("cpu")
    assert cfg.rates == (0.0, 0.1, 0.25, 0.5, 0.75)
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
    assert abs(row["IG drop at p=0.1 (C2)"] - 0.2) < 1e-9 and row["IG decreasing (C2)"]
