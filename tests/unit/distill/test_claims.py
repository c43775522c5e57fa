"""record_claims on fabricated results: ids, order, and the pass/fail logic of each criterion."""

import torch

from support.core.claims import ClaimSet
from support.distill.claims import record_claims
from support.distill.study import Evaluation, ExpertScores

SEEDS = [0, 1, 2]
NOISE = torch.tensor([-1.0, 0.0, 1.0])  # per-seed offsets in points: std 1 over seeds


def _rows(name, points, noise=0.0):
    """Three seeds of ``name`` at ``points`` % (+ ``noise`` x NOISE), two eval nets each."""
    per_seed = (points + noise * NOISE) / 100
    return [name] * 3, list(SEEDS), per_seed[:, None].repeat(1, 2)


def _evaluation(ipc, rows):
    names, seeds, acc = [], [], []
    for n, s, a in rows:
        names, seeds, acc = names + n, seeds + s, acc + [a]
    return Evaluation(ipc, names, seeds, torch.cat(acc))


def _experts(smooth_peak, smooth_cos):
    score = lambda p, c: {"peak_ratio": p, "direction_cos": c}  # noqa: E731
    scores = {
        "plain": score(2.0, 0.6),
        "smooth": score(smooth_peak, smooth_cos),
        "momentum": score(1.5, 0.8),
    }
    return ExpertScores(5, scores, scores, {"plain": 0.9, "smooth": 0.9, "momentum": 0.9})


def test_record_claims_ids_and_verdicts():
    ipc1 = _evaluation(
        1,
        [
            _rows("Random real", 20.0),
            _rows("k-means real", 18.0),
            _rows("MTT", 40.0),  # C1: +20 >= 10 passes; C4a: k-means below random fails
            _rows("+smooth experts", 45.0),  # +5 with no spread: passes
            _rows("+rep. init", 40.5, noise=1.0),  # +0.5 < its std 1: fails
            _rows("+balanced loss", 38.0),  # negative: fails
            _rows("+intermediate", 43.0, noise=2.0),  # +3 > std 2: passes
            _rows("+perturbation", 40.0),  # zero gain: fails
            _rows("AST (all)", 41.0),  # +1, no spread: passes
        ],
    )
    ipc10 = _evaluation(
        10,
        [_rows("Random real", 50.0), _rows("MTT", 60.0, noise=3.0), _rows("AST (all)", 59.0)],
    )
    claims = ClaimSet("dataset_distillation", "cpu")
    record_claims(claims, _experts(1.2, 0.7), ipc1, ipc10, dataset="digits")
    verdicts = {c.id: c.passed for c in claims.claims}
    assert list(verdicts) == [
        "C1", "C2", "C2b", "C3a", "C3b", "C3c", "C3d", "C3e", "C3f", "C3g", "C4a", "C4b"
    ]  # fmt: skip
    assert verdicts == {
        "C1": True,
        "C2": True,  # lower peak and higher cosine than plain
        "C2b": False,  # cosine 0.7 below momentum-only's 0.8
        "C3a": True,
        "C3b": False,
        "C3c": False,
        "C3d": True,
        "C3e": False,
        "C3f": True,
        "C3g": False,  # AST 59 vs MTT 60 -/+ 3: negative gain
        "C4a": False,
        "C4b": True,  # +10 > its std 3
    }
    by_id = {c.id: c for c in claims.claims}
    assert by_id["C1"].measured == 20.0
    assert by_id["C3b"].measured == 0.5 and by_id["C3b"].spread == "±1.00 over 3 seeds"


def test_record_claims_adds_published_comparison_on_cifar10():
    ipc1 = _evaluation(
        1,
        [_rows(n, 30.0) for n in ("Random real", "k-means real")]
        + [
            _rows(n, 46.0)
            for n in (
                "MTT",
                "+smooth experts",
                "+rep. init",
                "+balanced loss",
                "+intermediate",
                "+perturbation",
                "AST (all)",
            )
        ],
    )
    ipc10 = _evaluation(10, [_rows(n, 50.0) for n in ("Random real", "MTT", "AST (all)")])
    claims = ClaimSet("dataset_distillation", "paper")
    record_claims(claims, _experts(1.2, 0.9), ipc1, ipc10, dataset="cifar10")
    by_id = {c.id: c for c in claims.claims}
    assert by_id["C5a"].passed  # 46.0 vs MTT's published 46.2
    assert not by_id["C5b"].passed  # 50.0 vs 65.4
    assert "C5c" not in by_id

    ipc50 = _evaluation(50, [_rows(n, 70.0) for n in ("Random real", "MTT", "AST (all)")])
    claims = ClaimSet("dataset_distillation", "paper")
    record_claims(claims, _experts(1.2, 0.9), ipc1, ipc10, dataset="cifar10", more=[ipc50])
    by_id = {c.id: c for c in claims.claims}
    assert by_id["C5c"].passed and by_id["C5c"].paper == 71.6  # 70.0 vs MTT's published 71.6
    assert [c.id for c in claims.claims][-3:] == ["C5a", "C5b", "C5c"]
