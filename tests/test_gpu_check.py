"""The CPU-only path of ``bench/gpu_check.py`` (``make gpu-check``), so it is known to work before a GPU.

One run of ``--device cpu --tiny`` on the fastest paper_smoke notebook (matrix
sensing) and every engine timing, shared by the tests below; plus the refusals
(no CUDA, an unknown device), the budget and the claims comparison on their own.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

from support.core.paths import repo_root

SCRIPT = repo_root() / "bench" / "gpu_check.py"
sys.path.insert(0, str(repo_root()))

from bench import gpu_check  # noqa: E402
from bench.gpu_check_engines import timings  # noqa: E402

TIMINGS = [f"timing {name}" for name, _, _ in timings(tiny=True)]


def _run(*args, timeout=600):
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=repo_root(),
        env={**__import__("os").environ, "OMP_NUM_THREADS": "1", "SUPPORT_THREADS": "1"},
    )


@pytest.fixture(scope="module")
def dry_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("gpu-check")
    result = _run("--device", "cpu", "--tiny", "--papers", "matrix_sensing", "--out", str(out))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out, json.loads((out / "gpu_check.json").read_text())


def test_dry_run_writes_every_part_with_numbers(dry_run):
    out, report = dry_run
    assert report["status"] == "done" and report["device"] == "cpu" and report["tiny"]
    assert list(report["parts"]) == ["notebook matrix_sensing", *TIMINGS]
    for name in TIMINGS:
        part = report["parts"][name]
        assert part["status"] == "ok", (name, part)
        assert part["best_s"] > 0 and part["repeats"] == 3 and len(part["times_s"]) == 3
        assert part["best_s"] == pytest.approx(min(part["times_s"]), rel=1e-3, abs=1e-6)
        assert part["tensors_on"] == "cpu" and part["peak_mib"] is None
    table = (out / "gpu_check.md").read_text()
    assert "CPU dry run" in table
    for name in report["parts"]:
        assert f"| {name} | ok |" in table


def test_dry_run_compares_the_two_notebook_runs(dry_run):
    out, report = dry_run
    part = report["parts"]["notebook matrix_sensing"]
    assert part["status"] == "ok", part
    assert set(part["seconds"]) == {"cpu", "cpu-2"} and all(s > 0 for s in part["seconds"].values())
    cmp = part["comparison"]
    assert cmp["ran"] and cmp["claims"] > 0
    # two CPU runs of a seeded notebook: nothing may differ
    assert cmp["verdict_flips"] == [] and cmp["value_differences"] == []
    assert part["sidecar_devices"] == ["cpu"]
    for key in ("cpu", "cpu-2"):
        claims = json.loads((out / "matrix_sensing" / key / "claims.json").read_text())
        assert claims["profile"] == "paper_smoke"


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_a_gpu_exits_loudly(tmp_path):
    result = _run("--device", "cuda", "--tiny", "--out", str(tmp_path))
    assert result.returncode == 2
    assert "torch.cuda.is_available() is False" in result.stderr
    assert "refusing to fall back to the CPU" in result.stderr
    assert json.loads((tmp_path / "gpu_check.json").read_text())["status"] == "no device"
    # auto means cuda here: no silent fallback either
    assert _run("--device", "auto", "--tiny", "--out", str(tmp_path)).returncode == 2


def test_an_unknown_device_names_the_choices():
    result = _run("--device", "tpu")
    assert result.returncode == 2
    assert "unknown device 'tpu'; choose from cpu, cuda, cuda:N" in result.stderr


def test_an_exhausted_budget_records_every_part_as_skipped(tmp_path):
    result = _run("--device", "cpu", "--tiny", "--budget-s", "0", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "gpu_check.json").read_text())
    names = [f"notebook {p}" for p in gpu_check.PAPERS] + TIMINGS
    assert list(report["parts"]) == names
    for name in names:
        assert report["parts"][name]["status"] == "skipped"
        assert "budget" in report["parts"][name]["reason"]
    assert "| timing mtt ipc1 | skipped |" in (tmp_path / "gpu_check.md").read_text()


def _claims(tmp_path, name, *claims):
    from support.core.claims import ClaimSet

    cs = ClaimSet("p", "paper_smoke")
    for id, measured, passed, tol in claims:
        cs.add(id, measured, passed, statement="s", criterion="c", tolerance=tol)
    return cs.write(tmp_path / name)


def test_a_verdict_flip_fails_and_a_value_beyond_tolerance_is_listed(tmp_path):
    cpu = _claims(tmp_path, "cpu", ("A", 1.0, True, 0.0), ("B", 2.0, True, 0.1))
    dev = _claims(tmp_path, "cuda", ("A", 1.0, False, 0.0), ("B", 2.5, True, 0.1))
    cmp = gpu_check.compare_claims(cpu, dev)
    assert cmp["claims"] == 2
    assert cmp["verdict_flips"] == ["A: verdict pass -> fail"]
    assert cmp["value_differences"] == ["B: measured 2.0 -> 2.5 (tolerance 0.1)"]
    same = gpu_check.compare_claims(cpu, cpu)
    assert same["verdict_flips"] == same["value_differences"] == []


def test_a_sidecar_on_the_cpu_fails_a_cuda_run(tmp_path):
    for key, device in (("cpu", "cpu"), ("cuda", "cpu")):  # the "cuda" run fell back
        folder = tmp_path / "p" / key
        _claims(tmp_path / "p", key, ("A", 1.0, True, 0.0))
        (folder / "fig.json").write_text(json.dumps({"device": device, "figure": "fig"}))
    runs = {k: {"status": "ok", "seconds": 1.0} for k in ("cuda", "cpu")}
    part = gpu_check.notebook_part("p", "cuda", runs, tmp_path)
    assert part["status"] == "failed" and "CPU FALLBACK" in part["reason"]
    (tmp_path / "p" / "cuda" / "fig.json").write_text(json.dumps({"device": "cuda"}))
    assert gpu_check.notebook_part("p", "cuda", runs, tmp_path)["status"] == "ok"


def test_equal_infinities_are_no_difference(tmp_path):
    cpu = _claims(tmp_path, "cpu", ("A", float("-inf"), True, float("inf")), ("B", 1.0, True, 0))
    dev = _claims(tmp_path, "cuda", ("A", float("-inf"), True, float("inf")), ("B", 2.0, True, 0))
    cmp = gpu_check.compare_claims(cpu, dev)
    assert cmp["value_differences"] == ["B: measured 1.0 -> 2.0 (tolerance 0)"]
