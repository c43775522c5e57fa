"""GPU check: the paper-profile code paths and paper-size engine timings on one device, unattended.

``make gpu-check`` runs it on a CUDA machine (at most ``--budget-s``, default
480 s), writing ``<out>/gpu_check.json`` after every part (atomically, so a
killed run keeps what it measured) and ``<out>/gpu_check.md`` (a table for
bench/RESULTS.md). Parts:

* ``notebook <paper>`` (a + c): each notebook at PROFILE=paper_smoke on the
  fake files of ``tests/notebooks/paper_data/<paper>.py``, on the device and on
  the CPU (two papermill processes at a time per ``--jobs``); the figure
  sidecars of the device run must record the device; the two ``claims.json``
  are compared with ``support.core.claims.compare`` (committed = CPU run,
  fresh = device run). A verdict flip fails the part; a value beyond its claim's
  tolerance is listed ("differs") without failing it.
* ``timing <engine>`` (b): DIA and IG on 64 problems at 3x32x32 (MLP w512, ViT,
  ResNet-18), one MTT iteration on ConvNet-3 w128 at IPC 10 and 50, the paper
  sensing sweep's descent: best of 3 after a warm-up, peak CUDA memory, and a
  check that the tensors lived on the device (bench/gpu_check_engines.py).
  ``--tiny`` runs the same code at sizes a CPU does in seconds (CI).

Parts that the budget leaves no time for are recorded as skipped. Exit status:
0 when no part failed, 1 when one did (error, timeout, tensors off the device,
verdict flip), 2 when the device is unusable (``--device cuda`` without CUDA)
or the command line is wrong.

Usage: .venv/bin/python bench/gpu_check.py --device cuda --out build/gpu-check
       .venv/bin/python bench/gpu_check.py --device cpu --tiny --papers matrix_sensing
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PAPERS = ("gbdt_influence", "matrix_sensing", "dropout_inversion", "dataset_distillation")
DEVICE_CHOICES = "cpu, cuda, cuda:N (auto means cuda: this check never falls back to the CPU)"
MIN_START_S = 15  # a part is not started with less budget than this left
OK, FAILED, SKIPPED, DIFFERS = "ok", "failed", "skipped", "differs"


def parse_device(text: str) -> str:
    name = text.strip().lower()
    if name == "auto":
        return "cuda"
    if name in ("cpu", "cuda") or re.fullmatch(r"cuda:\d+", name):
        return name
    raise argparse.ArgumentTypeError(f"unknown device {text!r}; choose from {DEVICE_CHOICES}")


def parse_papers(text: str) -> list[str]:
    papers = [p.strip() for p in text.split(",") if p.strip()]
    unknown = [p for p in papers if p not in PAPERS]
    if unknown or not papers:
        raise argparse.ArgumentTypeError(
            f"unknown paper(s) {unknown or text!r}; choose from {', '.join(PAPERS)}"
        )
    return papers


def parse_args(argv):
    ap = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--device", type=parse_device, default="cuda", help=DEVICE_CHOICES)
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "gpu-check")
    ap.add_argument("--budget-s", type=float, default=480.0, help="skip parts after this (480)")
    ap.add_argument("--tiny", action="store_true", help="engine timings at tiny sizes (CPU, CI)")
    ap.add_argument("--papers", type=parse_papers, default=list(PAPERS), help="comma-separated")
    ap.add_argument("--no-notebooks", action="store_true", help="engine timings only")
    ap.add_argument("--no-timings", action="store_true", help="notebooks only")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per timing (best kept)")
    ap.add_argument(
        "--jobs",
        type=int,
        default=max(1, min(8, (os.cpu_count() or 1) // 2)),
        help="notebook runs at a time (default: half the cores, at most 8)",
    )
    ap.add_argument(
        "--notebook-timeout-s", type=float, default=300.0, help="cap on one notebook run"
    )
    args = ap.parse_args(argv)
    if args.jobs < 1 or args.repeats < 1:
        ap.error("--jobs and --repeats must be at least 1")
    if args.budget_s < 0:
        ap.error("--budget-s must be >= 0")
    return args


class Report:
    """The JSON and markdown, rewritten atomically after every change."""

    def __init__(self, out: Path, header: dict, parts: list[str]):
        self.out, self.lock = out, threading.Lock()
        self.data = {**header, "status": "running", "elapsed_s": 0.0, "parts": {}}
        for name in parts:
            self.data["parts"][name] = {"status": "pending"}
        self.started = time.monotonic()
        self.write()

    def set(self, name: str, result: dict) -> None:
        with self.lock:
            self.data["parts"][name] = result
            self.write()
        print(f"[{self.elapsed():6.1f} s] {name}: {summary(result)}", flush=True)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def write(self) -> None:
        from support.core import atomic

        self.data["elapsed_s"] = round(self.elapsed(), 1)
        self.out.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.data, indent=2, default=str) + "\n"
        atomic.write_bytes(self.out / "gpu_check.json", text.encode())
        atomic.write_bytes(self.out / "gpu_check.md", markdown(self.data).encode())


def summary(r: dict) -> str:
    """One line: status, then the part's figures or its reason."""
    status = r.get("status", "?")
    if "best_s" in r:
        peak = "" if r.get("peak_mib") is None else f", peak {r['peak_mib']:.0f} MiB"
        return f"{status}: {r['best_s'] * 1e3:.2f} ms ({r['unit']}{peak}), {r['size']}"
    if "comparison" in r:
        c = r["comparison"]
        words = [f"{status}: {c['claims']} claims compared"]
        words.append(f"{len(c['verdict_flips'])} verdict flip(s)")
        words.append(f"{len(c['value_differences'])} value(s) beyond tolerance")
        if r.get("reason"):
            words.append(r["reason"])
        return ", ".join(words)
    return f"{status}: {r.get('reason', '')}".rstrip(": ")


def markdown(d: dict) -> str:
    label = "CPU dry run, not GPU figures" if d["device"] == "cpu" else d["device_name"]
    lines = [
        f"GPU check on {d['device']} ({label}); {'tiny' if d['tiny'] else 'paper'} engine sizes; "
        f"torch {d['torch']}; commit {d['git_commit']}; {d['started']}; "
        f"{d['elapsed_s']:.0f} s of a {d['budget_s']:.0f} s budget; status {d['status']}",
        "",
        "| part | status | device check | result | peak MiB | seconds |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in d["parts"].items():
        status = r.get("status", "?")
        if "best_s" in r:
            result = f"{r['best_s'] * 1e3:.3g} ms {r['unit']} (best of {r['repeats']}); {r['size']}"
            if "problem_iterations_per_s" in r:
                result += f"; {r['problem_iterations_per_s']:.0f} problem-it/s, {r['strategy']}"
            check, peak = f"tensors on {r['tensors_on']}", r.get("peak_mib")
            secs = f"{r.get('seconds', 0):.1f}"
        elif "comparison" in r:
            c = r["comparison"]
            result = f"{c['claims']} claims; verdict flips: {len(c['verdict_flips'])}"
            diffs = c["verdict_flips"] + c["value_differences"]
            result += f"; beyond tolerance: {len(c['value_differences'])}"
            if diffs:
                result += " (" + "; ".join(diffs[:4]) + ("; ..." if len(diffs) > 4 else "") + ")"
            check = r.get("device_check", "")
            peak = None
            secs = " / ".join(f"{k} {v:.0f}" for k, v in r.get("seconds", {}).items())
        else:
            result, check, peak, secs = r.get("reason", ""), "", None, ""
            if status == "pending":
                result = "not reached (the run was stopped before this part)"
        result = result.replace("|", "/")
        peak = "" if peak is None else f"{peak:.0f}"
        lines.append(f"| {name} | {status} | {check} | {result} | {peak} | {secs} |")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- notebooks (a) and (c)


def notebook_of(paper: str) -> Path:
    (path,) = sorted((ROOT / "notebooks").glob(f"[0-9][0-9]_{paper}.ipynb"))
    return path


def run_notebook(paper, device, data_dir, out_dir, work, timeout) -> dict:
    """Run one notebook at paper_smoke with papermill; return status, seconds and the log tail."""
    cache = work / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    shutil.rmtree(out_dir, ignore_errors=True)
    env = {
        **os.environ,
        "SUPPORT_CACHE_DIR": str(cache),
        "TQDM_DISABLE": "1",
        "PYTHONHASHSEED": "0",
    }
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "SUPPORT_THREADS"):
        env.setdefault(var, "1")
    cmd = [
        sys.executable, "-m", "papermill", "--kernel", "python3", "--cwd", "notebooks",
        "--log-level", "WARNING", "-p", "PROFILE", "paper_smoke", "-p", "DEVICE", device,
        "-p", "SEED", "0", "-p", "DATA_DIR", str(data_dir), "-p", "OUTPUT_DIR", str(out_dir),
        str(notebook_of(paper)), str(work / f"{paper}.{device.replace(':', '')}.ipynb"),
    ]  # fmt: skip
    start = time.monotonic()
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,  # its own process group: a timeout ends the kernel too
    )  # fmt: skip
    try:
        log, _ = proc.communicate(timeout=max(1.0, timeout))
        status = OK if proc.returncode == 0 else FAILED
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        log, _ = proc.communicate()
        status = "timeout"
    return {"status": status, "seconds": time.monotonic() - start, "log": log[-2000:]}


def sidecar_devices(out_dir: Path) -> list[str]:
    """The device each figure sidecar (``<figure>.json``) of a notebook run records."""
    found = []
    for path in sorted(out_dir.glob("*.json")):
        if path.name == "claims.json":
            continue
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and "device" in data:
            found.append(str(data["device"]))
    return found


def compare_claims(cpu_claims: Path, device_claims: Path) -> dict:
    """``support.core.claims.compare`` (committed = CPU, fresh = device), split into flips and values."""
    from support.core.claims import compare, load

    committed, fresh = load(cpu_claims), load(device_claims)
    # compare() reports equal infinities as a difference (|inf - inf| is NaN): drop those
    same = {
        c["id"]
        for c in committed["claims"]
        for f in fresh["claims"]
        if c["id"] == f["id"] and c["measured"] == f["measured"]
    }
    problems = [p for p in compare(committed, fresh) if p.split(": measured ")[0] not in same]
    flips = [p for p in problems if ": verdict " in p or p.endswith("missing from the re-run")]
    flips += [p for p in problems if p.endswith("new in the re-run")]
    return {
        "ran": True,
        "claims": sum(1 for c in committed["claims"] if c.get("deterministic", True)),
        "verdict_flips": flips,
        "value_differences": [p for p in problems if p not in flips],
    }


def notebook_part(paper, device, runs: dict, out: Path) -> dict:
    """The part's result from its two runs (``runs[device]`` and ``runs['cpu']``)."""
    dev_key = device if device != "cpu" else "cpu-2"
    result = {
        "status": OK,
        "seconds": {k: round(r["seconds"], 1) for k, r in runs.items() if "seconds" in r},
        "dirs": {k: str(out / paper / k.replace(":", "")) for k in runs},
    }
    bad = {k: r for k, r in runs.items() if r["status"] != OK}
    if bad:
        result["status"] = FAILED
        result["reason"] = "; ".join(f"{k} run {r['status']}" for k, r in bad.items())
        result["log_tail"] = {k: r.get("log", "")[-1500:] for k, r in bad.items()}
        return result
    devices = sidecar_devices(out / paper / dev_key.replace(":", ""))
    kind = device.split(":")[0]
    wrong = sorted({d for d in devices if d.split(":")[0] != kind})
    result["sidecar_devices"] = sorted(set(devices))
    result["device_check"] = f"{len(devices)} sidecars say {', '.join(sorted(set(devices)))}"
    if not devices or wrong:
        result["status"] = FAILED
        result["reason"] = (
            f"CPU FALLBACK: figure sidecars record device(s) {wrong}, expected {kind}"
            if wrong
            else "no figure sidecar records the device"
        )
    try:
        result["comparison"] = compare_claims(
            out / paper / "cpu" / "claims.json",
            out / paper / dev_key.replace(":", "") / "claims.json",
        )
    except (OSError, ValueError) as err:
        result.update(status=FAILED, reason=f"comparison failed: {err}")
        result["comparison"] = {"ran": False, "claims": 0, "verdict_flips": [str(err)]}
        result["comparison"]["value_differences"] = []
        return result
    if result["comparison"]["verdict_flips"]:
        result["status"] = FAILED
    elif result["comparison"]["value_differences"] and result["status"] == OK:
        result["status"] = DIFFERS
    return result


def notebooks(args, report: Report, deadline: float) -> None:
    work = args.out / "work"
    dev_key = args.device if args.device != "cpu" else "cpu-2"
    tasks = []
    for paper in args.papers:
        data_dir = work / paper / "data"
        shutil.rmtree(data_dir, ignore_errors=True)
        data_dir.mkdir(parents=True)
        importlib.import_module(f"tests.notebooks.paper_data.{paper}").write(data_dir)
        for key, device in ((dev_key, args.device), ("cpu", "cpu")):
            tasks.append((paper, key, device, data_dir))
    runs: dict[str, dict] = {p: {} for p in args.papers}

    def one(paper, key, device, data_dir):
        left = deadline - time.monotonic()
        if left < MIN_START_S:
            return paper, key, {"status": SKIPPED, "reason": f"budget: {left:.0f} s left"}
        out_dir = args.out / paper / key.replace(":", "")
        scratch = work / paper / key.replace(":", "")
        scratch.mkdir(parents=True, exist_ok=True)
        timeout = min(args.notebook_timeout_s, left)
        return paper, key, run_notebook(paper, device, data_dir, out_dir, scratch, timeout)

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(one, *t) for t in tasks]  # device runs first, paper by paper
        for fut in as_completed(futures):
            paper, key, res = fut.result()
            runs[paper][key] = res
            if len(runs[paper]) < 2:
                continue
            name = f"notebook {paper}"
            if any(r["status"] == SKIPPED for r in runs[paper].values()):
                reasons = sorted({r.get("reason", "") for r in runs[paper].values()})
                report.set(name, {"status": SKIPPED, "reason": "; ".join(r for r in reasons if r)})
            else:
                report.set(name, notebook_part(paper, args.device, runs[paper], args.out))


# ---------------------------------------------------------------- engine timings (b)


def engine_timings(args, report: Report, deadline: float, device) -> None:
    from bench.gpu_check_engines import DeviceMismatch, timings

    for name, fn, kw in timings(args.tiny):
        part = f"timing {name}"
        left = deadline - time.monotonic()
        if left < MIN_START_S:
            report.set(part, {"status": SKIPPED, "reason": f"budget: {left:.0f} s left"})
            continue
        start = time.monotonic()
        try:
            res = fn(**kw, device=device, repeats=args.repeats, deadline=deadline)
            res["status"] = OK
        except DeviceMismatch as err:
            res = {"status": FAILED, "reason": f"CPU FALLBACK: {err}"}
        except Exception as err:  # noqa: BLE001 - one broken engine must not cost the others
            res = {"status": FAILED, "reason": f"{type(err).__name__}: {err}"}
            res["traceback"] = traceback.format_exc()[-3000:]
        res["seconds"] = round(time.monotonic() - start, 2)
        report.set(part, res)
        if device.type == "cuda":
            import torch

            torch.cuda.empty_cache()


# ---------------------------------------------------------------- main


def fail_without_cuda(args) -> str | None:
    """The message to exit with when ``--device cuda`` cannot be honoured, else None."""
    import torch

    if not args.device.startswith("cuda"):
        return None
    if not torch.cuda.is_available():
        return (
            f"gpu_check: --device {args.device} was requested but torch.cuda.is_available() is "
            f"False (torch {torch.__version__}, built for CUDA {torch.version.cuda}); refusing to "
            "fall back to the CPU. Run on a machine with a CUDA GPU, or --device cpu for a dry run."
        )
    index = int(args.device.split(":")[1]) if ":" in args.device else 0
    if index >= torch.cuda.device_count():
        return f"gpu_check: --device {args.device}: only {torch.cuda.device_count()} CUDA device(s)"
    return None


def header(args) -> dict:
    import torch

    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        commit = ""
    cuda = args.device.startswith("cuda") and torch.cuda.is_available()
    return {
        "device": args.device,
        "device_name": torch.cuda.get_device_name(torch.device(args.device)) if cuda else "cpu",
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "git_commit": commit,
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "budget_s": args.budget_s,
        "tiny": args.tiny,
        "command": " ".join(sys.argv),
    }


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    args.out = args.out.resolve()
    started = time.monotonic()
    deadline = started + args.budget_s
    problem = fail_without_cuda(args)
    if problem:
        args.out.mkdir(parents=True, exist_ok=True)
        from support.core import atomic

        payload = {"device": args.device, "status": "no device", "reason": problem, "parts": {}}
        atomic.write_bytes(args.out / "gpu_check.json", (json.dumps(payload) + "\n").encode())
        print(problem, file=sys.stderr)
        return 2

    import torch

    from bench.gpu_check_engines import timings
    from support.core.runtime import limit_threads

    device = torch.device(args.device)
    if device.type == "cpu":
        limit_threads()  # $SUPPORT_THREADS or 1
    parts = [] if args.no_notebooks else [f"notebook {p}" for p in args.papers]
    parts += [] if args.no_timings else [f"timing {n}" for n, _, _ in timings(args.tiny)]
    report = Report(args.out, header(args), parts)
    if not args.no_notebooks:
        notebooks(args, report, deadline)
    if not args.no_timings:
        engine_timings(args, report, deadline, device)
    for name, r in report.data["parts"].items():  # never silently dropped
        if r.get("status") == "pending":
            report.set(name, {"status": SKIPPED, "reason": "not run"})
    statuses = [r["status"] for r in report.data["parts"].values()]
    report.data["status"] = FAILED if FAILED in statuses or "timeout" in statuses else "done"
    report.data["counts"] = {s: statuses.count(s) for s in sorted(set(statuses))}
    report.write()
    print(f"{args.out / 'gpu_check.json'}: {report.data['counts']} in {report.elapsed():.0f} s")
    return 1 if report.data["status"] == FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
