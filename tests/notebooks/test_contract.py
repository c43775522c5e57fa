"""Every notebook keeps the collection's contract (see DESIGN.md, 'The notebook contract')."""

from __future__ import annotations

import ast

import nbformat
import papermill as pm

from .conftest import notebook_paths, paper_of

REQUIRED_PARAMETERS = {
    "PROFILE": "cpu",
    "SEED": None,
    "DEVICE": "auto",
    "DATA_DIR": "",
    "OUTPUT_DIR": "",
}


def _read(path):
    return nbformat.read(path, as_version=4)


def test_there_are_notebooks():
    assert notebook_paths(), "no notebooks under notebooks/"


def test_kernelspec_is_python3(notebook):
    assert _read(notebook).metadata.kernelspec.name == "python3"


def test_title_and_citation(notebook):
    first = _read(notebook).cells[0]
    assert first.cell_type == "markdown" and first.source.lstrip().startswith("# ")
    assert "arxiv.org" in first.source.lower() or "doi.org" in first.source.lower(), (
        "cite the paper with a link"
    )
    assert "claim" in first.source.lower(), "list the claims the notebook tests"


def test_one_parameters_cell_with_documented_literals(notebook):
    nb = _read(notebook)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    tree = ast.parse(tagged[0].source)
    for node in tree.body:
        assert isinstance(node, ast.AnnAssign) and isinstance(node.value, ast.Constant), (
            "the parameters cell holds annotated literals only"
        )
    params = pm.inspect_notebook(str(notebook))
    for name, default in REQUIRED_PARAMETERS.items():
        assert name in params, f"parameter {name} missing"
        assert params[name]["help"], f"parameter {name} needs a trailing comment"
        if default is not None:
            assert ast.literal_eval(params[name]["default"]) == default, (
                f"{name} defaults to {default!r}"
            )


def test_claims_cell_is_checked_and_last(notebook):
    code = [c for c in _read(notebook).cells if c.cell_type == "code"]
    assert "# NBVAL_CHECK_OUTPUT" in code[-1].source, "the last code cell prints the claims summary"
    assert ".finish()" in code[-1].source or "summary()" in code[-1].source


def test_notebook_is_thin(notebook):
    """No model classes, training loops or metrics defined in the notebook itself."""
    for cell in _read(notebook).cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse(
            "\n".join(l for l in cell.source.splitlines() if not l.lstrip().startswith(("%", "!")))
        )
        defs = [n.name for n in ast.walk(tree) if isinstance(n, (ast.ClassDef, ast.FunctionDef))]
        assert not defs, f"define {defs} in support/, not in the notebook"


def test_committed_with_headless_outputs(notebook):
    """Committed notebooks come from `make notebooks`: executed by papermill, at defaults, no errors."""
    nb = _read(notebook)
    assert "papermill" in nb.metadata, "execute with `make notebooks`, not by hand"
    assert nb.metadata.papermill.get("parameters", {}) == {}, (
        "committed outputs use the default (cpu) profile"
    )
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.execution_count is not None, "every code cell has been executed"
            assert not any(o.output_type == "error" for o in cell.outputs), "no cell errored"


def test_paper_names_are_unique():
    papers = [paper_of(p) for p in notebook_paths()]
    assert len(papers) == len(set(papers))
