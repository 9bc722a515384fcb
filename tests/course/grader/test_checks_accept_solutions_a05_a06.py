"""The instructor's solution of every answer cell of 05-backprop and 06-optimisation passes every hidden check.

The solution code is taken from the source notebooks in ``solutions/`` (the answer cells:
nbgrader ``solution=True``, ``grade=False``), run with numpy and the notebook's own imports
(each import of its first code cell that succeeds), and graded item by item through
:func:`dlfcourse.grader.api.grade_function` on a few seeds.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pytest

from dlfcourse.grader import checks
from dlfcourse.grader.api import grade_function

REPO = Path(__file__).resolve().parents[3]
ASSIGNMENTS = ("05-backprop", "06-optimisation")
SEEDS = range(3)


def _answer_cells(notebook: Any) -> list[Any]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"
            and cell.metadata.get("nbgrader", {}).get("solution") and not cell.metadata.get("nbgrader", {}).get("grade")]


def solution_namespace(assignment: str) -> dict[str, Any]:
    """numpy, the notebook's imports, and every function its answer cells define."""
    notebook = nbformat.read(REPO / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    namespace: dict[str, Any] = {"np": np, "__name__": f"solution_{assignment}"}
    first = next(cell for cell in notebook.cells if cell.cell_type == "code")
    for node in ast.parse(first.source).body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            try:
                exec(compile(ast.Module([node], type_ignores=[]), "<imports>", "exec"), namespace)
            except ImportError:
                pass  # a name the answers do not need (the notebook's own cells use it)
    for cell in _answer_cells(notebook):
        exec(compile(cell.source, f"<{cell.metadata['nbgrader']['grade_id']}>", "exec"), namespace)
    return namespace


def _cases() -> list[tuple[str, str]]:
    return [(assignment, item.grade_id) for assignment in ASSIGNMENTS for item in checks.find(assignment).items]


@pytest.mark.parametrize(("assignment", "grade_id"), _cases())
def test_solution_passes(assignment: str, grade_id: str) -> None:
    namespace = solution_namespace(assignment)
    item = checks.find(assignment).item(grade_id)
    functions = {name: value for name, value in namespace.items() if callable(value) and not isinstance(value, type)}
    missing = [name for name in item.functions if name not in functions]
    assert not missing, f"the answer cells of {assignment} define no {missing}"
    for seed in SEEDS:
        verdict = grade_function(assignment, item.functions[0], functions[item.functions[0]], functions, seed=seed)
        assert verdict.code == "passed", f"{grade_id}, seed {seed}: [{verdict.code}] {verdict.message}\n" \
                                         f"{verdict.detail or ''}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_graded_cell_has_a_check(assignment: str) -> None:
    """Each auto-graded test cell (grade=True, solution=False) of the source notebook has a hidden check."""
    notebook = nbformat.read(REPO / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    graded = {cell.metadata["nbgrader"]["grade_id"] for cell in notebook.cells
              if cell.metadata.get("nbgrader", {}).get("grade") and not cell.metadata["nbgrader"].get("solution")}
    assert graded == {item.grade_id for item in checks.find(assignment).items}
