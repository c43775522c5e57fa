"""The claim registry: its file format, its errors, and the verdicts it gives."""

from __future__ import annotations

import json

import pytest

from support.core import registry
from support.core.claims import ClaimSet, compare, load
from support.core.report import beside_record, gather

ENTRY = """
[[claim]]
id = "C1"
kind = "paper"
statement = "MTT beats random"
source = "Table 1"
metric = "paired gain, points"
criterion = "95 % CI of the gain above {{floor:g}}"
thresholds = {{ floor = 0.0 }}
effect = "a 3-point gain"
effect_size = 3.0
sample = "20 seeds: MDE 1.2"
tolerance = "the CI half-width"
{extra}
"""

BEYOND = """
[[claim]]
id = "B1"
kind = "beyond"
statement = "k-means beats random"
source = "beyond the paper"
metric = "gain"
criterion = "gain > 0"
sample = "5 seeds"
tolerance = "0"
"""

REVISION = """
[[claim.revisions]]
criterion = "gain above 2"
verdict = "fail"
date = "2026-11-30"
reason = "the threshold had no source"
"""


def _write(tmp_path, text):
    path = tmp_path / "claims.toml"
    path.write_text('paper = "demo"\n' + text)
    return path


def _registry(tmp_path, extra=""):
    return registry.load(_write(tmp_path, ENTRY.format(extra=extra) + BEYOND))


def test_load_reads_thresholds_and_fills_criterion(tmp_path):
    reg = _registry(tmp_path, REVISION)
    assert list(reg) == ["C1", "B1"]
    assert reg["C1"]["floor"] == 0.0
    assert reg["C1"].criterion_text == "95 % CI of the gain above 0"
    assert reg["C1"].revisions[0].verdict == "fail"
    with pytest.raises(KeyError, match="no threshold 'ceiling'.*'floor'"):
        reg["C1"]["ceiling"]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('kind = "paper"', 'kind = "other"', "kind must be one of"),
        ('source = "Table 1"', 'source = ""', r"lacks the text field\(s\) \['source'\]"),
        ("floor = 0.0", "ceiling = 0.0", r"criterion names \['floor'\]"),
        ("effect_size = 3.0", 'effect_size = "big"', "effect_size must be a number"),
        ('sample = "20', 'samples = "2"\nsample = "20', "unknown field"),
    ],
)
def test_load_rejects_malformed_entries(tmp_path, old, new, message):
    text = ENTRY.format(extra="").replace(old, new)
    with pytest.raises(ValueError, match=message):
        registry.load(_write(tmp_path, text))


def test_load_rejects_duplicates_bad_revisions_and_empty(tmp_path):
    with pytest.raises(ValueError, match="registered twice"):
        registry.load(_write(tmp_path, BEYOND + BEYOND))
    with pytest.raises(ValueError, match="verdict must be one of"):
        registry.load(_write(tmp_path, ENTRY.format(extra=REVISION.replace('"fail"', '"meh"'))))
    with pytest.raises(ValueError, match="one or more"):
        registry.load(_write(tmp_path, ""))


@pytest.mark.parametrize(
    ("passed", "mde", "powered", "verdict"),
    [
        (True, 9.0, None, "reproduced"),
        (False, 1.0, None, "not reproduced"),
        (False, 4.0, None, "inconclusive"),
        (False, None, False, "inconclusive"),
        (False, float("nan"), None, "inconclusive"),
        # an interval that excludes the paper's effect settles it despite a large MDE
        (False, 4.0, True, "not reproduced"),
        (False, 1.0, False, "inconclusive"),
    ],
)
def test_paper_verdicts(tmp_path, passed, mde, powered, verdict):
    assert _registry(tmp_path)["C1"].verdict(passed, mde, powered) == verdict


def test_beyond_claims_pass_or_fail(tmp_path):
    entry = _registry(tmp_path)["B1"]
    assert entry.verdict(True) == "pass" and entry.verdict(False, mde=99.0) == "fail"


def test_claimset_takes_words_from_registry(tmp_path):
    cs = ClaimSet("demo", "cpu").use(_registry(tmp_path, REVISION))
    claim = cs.add("C1", measured=1.1, passed=False, n=20, mde=4.2, spread="[-1, 3]")
    assert claim.statement == "MTT beats random" and claim.criterion.endswith("above 0")
    assert claim.verdict == "inconclusive" and claim.kind == "paper"
    assert "revised after data; before: fail (2026-11-30)" in cs.table().loc["C1", "verdict"]
    with pytest.raises(ValueError, match="come from the registry"):
        cs.add("B1", measured=1.0, passed=True, criterion="my own")
    with pytest.raises(KeyError, match="not in the demo registry"):
        cs.add("C9", measured=1.0, passed=True)
    assert cs.unmeasured() == ["B1"]
    assert cs.summary().splitlines() == [
        "C1: inconclusive",
        "B1: not measured at this profile",
        "1 inconclusive (demo, profile cpu)",
    ]
    data = load(cs.write(tmp_path))
    assert data["unmeasured"] == ["B1"] and data["claims"][0]["revisions"][0]["date"]
    assert data["claims"][0]["n"] == 20 and data["claims"][0]["mde"] == 4.2


def test_compare_flags_a_flipped_verdict(tmp_path):
    reg = _registry(tmp_path)
    runs = []
    for mde in (4.0, 1.0):
        cs = ClaimSet("demo", "cpu").use(reg)
        cs.add("C1", measured=1.0, passed=False, mde=mde)
        runs.append(load(cs.write(tmp_path)))
    assert compare(runs[0], runs[1]) == ["C1: verdict inconclusive -> not reproduced"]


def test_report_opens_with_verdicts_and_lists_revisions(tmp_path):
    reg = _registry(tmp_path, REVISION)
    out = tmp_path / "figures"
    for sub, mde in (("demo", 4.0), ("demo/cpu_long", 1.0)):
        cs = ClaimSet("demo", sub.split("/")[-1]).use(reg)
        cs.add("C1", measured=1.0, passed=False, mde=mde)
        cs.add("B1", measured=1.0, passed=True)
        (out / sub).mkdir(parents=True, exist_ok=True)
        cs.write(out / sub)
    report = gather(out)
    verdicts = report[report.index("## Verdicts") : report.index("## Criteria revised")]
    assert "| demo | `demo` | 0 | 0 | 1 | 1 | 0 | 0 | 0 |" in verdicts
    assert "| demo | `cpu_long` | 0 | 1 | 0 | 1 | 0 | 0 | 0 |" in verdicts
    assert "| C1 | gain above 2 | fail | 2026-11-30 |" in report
    assert report.index("## demo (profile `demo`)") < report.index("## demo (profile `cpu_long`)")


def test_a_measurement_that_could_not_be_made_is_inconclusive(tmp_path):
    cs = ClaimSet("demo", "cpu").use(_registry(tmp_path))
    assert cs.add("C1", measured=float("nan"), passed=False).verdict == "inconclusive"
    assert cs.add("B1", measured=float("nan"), passed=False).verdict == "fail"


def test_report_shows_a_pre_registry_run_as_no_verdict(tmp_path):
    old = ClaimSet("demo", "cpu_long")
    old.add("C1", statement="s", measured=1.0, criterion="c", passed=True)
    old.add("C2", statement="s", measured=0.0, criterion="c", passed=False)
    (tmp_path / "demo").mkdir()
    path = old.write(tmp_path / "demo")
    data = json.loads(path.read_text())
    for c in data["claims"]:  # the format before the registry had no verdict field
        del c["verdict"]
    path.write_text(json.dumps(data))
    report = gather(tmp_path)
    row = (
        "| demo | `cpu_long`: written before the registry, under earlier criteria (1 pass, 1 fail)"
    )
    assert row in report and "| 1 | 0 | 0 |" not in report


def test_beside_record_puts_the_records_verdicts_next_to_this_runs(tmp_path):
    reg = _registry(tmp_path, REVISION)
    record = ClaimSet("demo", "cpu_long").use(reg)
    record.add("C1", measured=2.5, passed=True, n=24, mde=1.0)
    (tmp_path / "figures" / "demo" / "cpu_long").mkdir(parents=True)
    record.write(tmp_path / "figures" / "demo" / "cpu_long")
    run = ClaimSet("demo", "cpu").use(reg)
    run.add("C1", measured=1.0, passed=False, mde=4.0)
    run.add("B1", measured=1.0, passed=True)
    table = beside_record(run, "cpu_long", tmp_path / "figures")
    assert table.loc["C1", "verdict (cpu)"] == "inconclusive"
    assert table.loc["C1", "verdict (cpu_long)"] == "reproduced"
    assert table.loc["C1", "n (cpu_long)"] == "24"
    assert table.loc["B1", "verdict (cpu_long)"] == "no record"
    assert (
        beside_record(run, "absent", tmp_path / "figures")["verdict (absent)"] == "no record"
    ).all()
