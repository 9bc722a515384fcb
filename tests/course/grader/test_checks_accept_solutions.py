"""The hidden checks accept the model solutions: every item of every assignment passes on the instructor's answers.

The notebook's imports and the answer cells of each source notebook
(``solutions/NN-name/NN-name.ipynb``) that define functions are run into one namespace, and every
item of the assignment's hidden checks is graded with those functions, in this process
(:class:`~dlfcourse.grader.student.LocalStudent`), on several seeds, as autograde grades them: all the items in
order (:func:`~dlfcourse.grader.items.grade_items`), the earlier functions an item calls served by the
reference. No verdict may say it was graded as if an earlier function were right. An assignment whose check
module cannot be imported yet (still being ported) is skipped, saying why.
"""

from __future__ import annotations

import ast
import importlib
import re

import nbformat
import numpy as np
import pytest

from conftest import ASSIGNMENTS, REPO
from dlfcourse.grader import checks
from dlfcourse.grader.items import grade_items
from dlfcourse.grader.student import LocalStudent

SEEDS = (0, 1, 2)
_DEFINES = re.compile(r"^def (\w+)", re.MULTILINE)


def _imports(source: str) -> str:
    """The top-level imports of a cell (numpy, matplotlib, the kit; one line or several), without the rest."""
    tree = ast.parse(source)
    return "\n".join(ast.get_source_segment(source, node) or "" for node in tree.body
                     if isinstance(node, (ast.Import, ast.ImportFrom)))


def solution_functions(assignment: str) -> dict:
    """The functions the answer cells of ``assignment``'s source notebook define (solution code run as is)."""
    notebook = nbformat.read(REPO / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    namespace: dict = {"np": np}
    names: list[str] = []
    for cell in notebook.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "code" and not meta.get("grade") and not meta.get("solution"):
            exec(_imports(cell.source), namespace)  # noqa: S102 - the notebook's imports (numpy, the kit)
        if cell.cell_type == "code" and meta.get("solution") and _DEFINES.search(cell.source):
            exec(compile(cell.source, f"<{meta.get('grade_id')}>", "exec"), namespace)  # noqa: S102 - our solutions
            names += _DEFINES.findall(cell.source)
    return {name: namespace[name] for name in names}


def _assignment_checks(assignment: str):
    module = checks.MODULES.get(assignment)
    if module is None:
        pytest.skip(f"{assignment} has no hidden checks")
    try:
        importlib.import_module(module)
    except ImportError as error:
        pytest.skip(f"the checks of {assignment} cannot be imported yet ({error})")
    return checks.find(assignment)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_item_accepts_the_model_solution(assignment: str) -> None:
    assignment_checks = _assignment_checks(assignment)
    functions = solution_functions(assignment)
    for item in assignment_checks.items:
        missing = [name for name in item.functions if name not in functions]
        assert not missing, f"{item.grade_id} grades {missing}, which no answer cell of {assignment} defines"
    points = {item.grade_id: 1.0 for item in assignment_checks.items}
    for seed in SEEDS:
        verdicts = grade_items(assignment_checks, LocalStudent(dict(functions)), seed, points)
        for grade_id, verdict in verdicts.items():
            assert verdict.code == "passed", f"{assignment} {grade_id}, seed {seed}: [{verdict.code}] " \
                                             f"{verdict.message}\n{verdict.detail or ''}"
            assert verdict.helper is None and "graded as if" not in verdict.message.lower(), verdict.message
