"""Time BoostIn, TREX and LeafInfluence fit + influence; target: BoostIn 10k train x 1k test, 100 trees < 1 s.

Compares with the reference package ``tree_influence`` when it is importable
(it does not install from the registry; build it from its source release),
and with this script's previous run (``figures/gbdt_influence/bench.json``,
rewritten at the end): ratios new/previous are printed.

Run: ``.venv/bin/python bench/influence.py``
"""

from __future__ import annotations

import importlib.util
import json
import time

from support.core.atomic import write_json
from support.core.paths import repo_root
from support.influence.data import load_embedded
from support.influence.explainers import BoostIn, LeafInfluence, Trex
from support.influence.models import make_model


def _time(ex, model, X, y, Xt, yt):
    t0 = time.perf_counter()
    ex.fit(model, X, y)
    t1 = time.perf_counter()
    ex.local_influence(Xt, yt)
    return t1 - t0, time.perf_counter() - t1


RECORD = repo_root() / "figures" / "gbdt_influence" / "bench.json"


def main():
    prev = json.loads(RECORD.read_text()) if RECORD.exists() else {}
    now = {}
    X, y, _ = load_embedded("synth", n_synth=11000)
    Xtr, ytr, Xte, yte = X[:10000], y[:10000], X[10000:], y[10000:]
    model = make_model("lightgbm", "binary", n_estimators=100, max_leaves=15, n_jobs=2).fit(
        Xtr, ytr
    )
    # best of 3: the first call also pays one-off imports and allocator warm-up
    fit, inf = min((_time(BoostIn(), model, Xtr, ytr, Xte, yte) for _ in range(3)), key=sum)
    total = now["boostin_total_s"] = fit + inf
    print(
        f"BoostIn 10000 train x 1000 test, 100 trees: fit {fit:.3f} s + influence {inf:.3f} s = {total:.3f} s "
        f"(target 1 s, ratio {total:.2f}x)"
    )
    fit64, inf64 = min(
        (_time(BoostIn(dtype="float64"), model, Xtr, ytr, Xte, yte) for _ in range(3)), key=sum
    )
    now["boostin64_total_s"] = fit64 + inf64
    print(f"BoostIn float64 product, same inputs: fit {fit64:.3f} s + influence {inf64:.3f} s")
    fit_t, inf_t = _time(Trex(), model, Xtr[:2000], ytr[:2000], Xte[:100], yte[:100])
    now["trex_total_s"] = fit_t + inf_t
    print(f"TREX 2000 x 100: fit {fit_t:.3f} s + influence {inf_t:.3f} s")
    m2 = make_model("lightgbm", "binary", n_estimators=100, max_leaves=15, n_jobs=2).fit(
        Xtr[:1000], ytr[:1000]
    )
    fit_l, inf_l = _time(LeafInfluence(), m2, Xtr[:1000], ytr[:1000], Xte[:100], yte[:100])
    fit_b, inf_b = _time(BoostIn(), m2, Xtr[:1000], ytr[:1000], Xte[:100], yte[:100])
    now["leaf_inf_total_s"] = fit_l + inf_l
    print(
        f"LeafInfluence 1000 x 100: fit {fit_l:.3f} s + influence {inf_l:.3f} s; "
        f"BoostIn same: {fit_b + inf_b:.3f} s; ratio {(fit_l + inf_l) / (fit_b + inf_b):.1f}x"
    )
    if importlib.util.find_spec("tree_influence") is None:
        print(
            "tree_influence not installed: no peer comparison (build it from its source release to compare)"
        )
    else:
        from tree_influence.explainers import BoostIn as RefBoostIn

        t0 = time.perf_counter()
        RefBoostIn().fit(model, Xtr, ytr).get_local_influence(Xte, yte)
        ref = time.perf_counter() - t0
        print(f"tree_influence BoostIn same inputs: {ref:.3f} s; ours/theirs = {total / ref:.2f}")
    for k, v in now.items():
        if k in prev:
            print(f"{k}: {v:.3f} s, previous run {prev[k]:.3f} s, new/previous {v / prev[k]:.2f}")
    write_json(RECORD, {k: round(v, 4) for k, v in now.items()})


if __name__ == "__main__":
    main()
