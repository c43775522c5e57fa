from __future__ import annotations

import json
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from support.core import figures  # noqa: E402
from support.core.claims import ClaimSet, load  # noqa: E402
from support.core.report import gather  # noqa: E402
from support.core.session import Session  # noqa: E402


def _fig():
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1, 2], [1, 0, 1])
    return fig


def test_save_writes_png_pdf_sidecar_byte_stable(tmp_path):
    fig = _fig()
    png = figures.save(
        fig,
        "demo",
        tmp_path,
        params={"a": 1},
        profile="smoke",
        seed=0,
        device="cpu",
        started=time.time(),
    )
    first = png.read_bytes()
    figures.save(fig, "demo", tmp_path, params={"a": 1})
    assert png.read_bytes() == first, "PNG output is byte-stable"
    assert (tmp_path / "demo.pdf").read_bytes()[:4] == b"%PDF"
    side = json.loads((tmp_path / "demo.json").read_text())
    assert side["params"] == {"a": 1} and "git_commit" in side and "torch" in side["versions"]
    plt.close(fig)
    with pytest.raises(ValueError, match="name"):
        figures.save(fig, "../evil", tmp_path)


def test_claims_table_json_summary(tmp_path):
    cs = ClaimSet("demo", "smoke")
    cs.add("C1", 0.91234, True, statement="a holds", criterion=">= 0.9", paper=0.95)
    cs.add("C2", 1.2, False, statement="b holds", criterion="< 1", spread="sd 0.1")
    with pytest.raises(ValueError, match="already"):
        cs.add("C1", 0, True, statement="dup", criterion="")
    assert not cs.all_passed
    table = cs.table()
    assert list(table.index) == ["C1", "C2"] and table.loc["C1", "measured"] == "0.912"
    data = load(cs.write(tmp_path))
    assert data["claims"][1]["passed"] is False and data["claims"][1]["verdict"] == "fail"
    cs.add("T1", 0.5, True, statement="fast", criterion="< 1 s", deterministic=False)
    assert cs.summary().splitlines() == [
        "C1: pass",
        "C2: fail",
        "T1: timing (see table)",
        "1 pass, 1 fail (demo, profile smoke)",
    ]
    cs.write(tmp_path)
    report = gather(tmp_path.parent)
    assert "| C2 | paper | b holds |  | 1.2 (sd 0.1) |  |  |  | < 1 | **fail** |" in report


def test_claims_html_shows_cells_in_full():
    cs = ClaimSet("demo", "smoke")
    long = "a statement much longer than the fifty characters pandas shows by default, in full"
    cs.add("C1", 1.0, True, statement=long, criterion="x")
    assert long in cs._repr_html_()


def test_load_rejects_malformed(tmp_path):
    (tmp_path / "claims.json").write_text(
        json.dumps({"paper": "x", "profile": "cpu", "all_passed": True, "claims": [{"id": "C1"}]})
    )
    with pytest.raises(ValueError, match="lacks"):
        load(tmp_path / "claims.json")


def test_session_saves_into_output_dir(tmp_path):
    s = Session("demo", "smoke", seed=1, device="cpu", output_dir=str(tmp_path))
    s.save(_fig(), "f1", extra=3)
    s.claims.add("C1", 1.0, True, statement="x", criterion="== 1")
    assert s.finish().startswith("C1: pass")
    assert (tmp_path / "claims.json").is_file() and (tmp_path / "f1.png").is_file()
    assert json.loads((tmp_path / "f1.json").read_text())["params"] == {"extra": 3}
    assert "device=cpu" in s.describe()
