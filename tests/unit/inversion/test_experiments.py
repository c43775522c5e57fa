"""The sweep's cells: engine runs grouped by starts, run through the executor, cached one by one."""

from types import SimpleNamespace

import numpy as np
import pandas as pd

from support.core.cache import Cache
from support.inversion.config import config
from support.inversion.experiments import _chunks, dropout_sweep


def _job(restarts):
    return SimpleNamespace(key={"kw": {"restarts": restarts}})


def test_chunks_keep_order_and_never_split_an_attacks_starts():
    jobs = [_job(r) for r in (1, 3, 1, 3, 3, 1)]
    chunks = _chunks(jobs, 4)
    assert [[j.key["kw"]["restarts"] for j in c] for c in chunks] == [[1, 3], [1, 3], [3, 1]]
    assert [j for c in chunks for j in c] == jobs
    assert len(_chunks([_job(5)], 4)) == 1  # an attack with more starts than a chunk runs alone


def test_sweep_cells_are_cached_and_ignore_the_callers_rng(tmp_path, monkeypatch):
    log = tmp_path / "executor.log"
    monkeypatch.setenv("SUPPORT_EXECUTOR_LOG", str(log))
    monkeypatch.delenv("SUPPORT_EXECUTOR", raising=False)
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    cfg = config(
        "smoke",
        setups=(("mlp", "mnist", 8),),
        n_images=1,
        iterations=(("mlp", 4), ("cnn", 4), ("vit", 4), ("resnet18", 4)),
        mlp_width=8,
        chunk=4,
    )
    np.random.seed(1)  # noqa: NPY002 - the caller's global state must not matter
    first = dropout_sweep(cfg, cfg.setups[0], cache=Cache("inversion/cells", root=tmp_path / "a"))
    np.random.seed(2)  # noqa: NPY002
    fresh = dropout_sweep(cfg, cfg.setups[0], cache=Cache("inversion/cells", root=tmp_path / "b"))
    again = dropout_sweep(cfg, cfg.setups[0], cache=Cache("inversion/cells", root=tmp_path / "a"))
    runs = [line.split() for line in log.read_text().splitlines()]
    assert runs[0][:2] == ["serial", "support.inversion.experiments.attack_cell"]
    assert runs[0][2] == runs[0][3] == runs[1][3] and int(runs[0][2]) > 1
    assert runs[2][3] == "0"  # every cell read back from the cache
    pd.testing.assert_frame_equal(first.scores, fresh.scores)
    pd.testing.assert_frame_equal(first.scores, again.scores)
    assert set(first.scores.attack) == {"ig", "dia", "wiig", "ig-train", "dia-noreg", "dia-frozen"}
