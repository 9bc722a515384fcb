"""The instructor's answers as functions: what the answer cells of a source notebook define, run as a notebook would.

Shared by the tests that grade the model solutions (tests/course/grader/test_checks_accept_solutions.py) and
those that build wrong notebooks on top of them (test_ecf_proxy_a01_a03.py, test_ecf_proxy_a05_a06.py).
"""

from __future__ import annotations

import ast
import re
import types

import nbformat
import numpy as np

from conftest import REPO

_DEFINES = re.compile(r"^def (\w+)", re.MULTILINE)


def _imports(source: str) -> str:
    """The top-level imports of a cell (numpy, matplotlib, the kit; one line or several), without the rest."""
    tree = ast.parse(source)
    return "\n".join(ast.get_source_segment(source, node) or "" for node in tree.body
                     if isinstance(node, (ast.Import, ast.ImportFrom)))


def solution_functions(assignment: str) -> dict[str, types.FunctionType]:
    """Name -> function for each function the answer cells of ``assignment``'s source notebook define.

    The notebook's imports (those of its code cells that are neither answers nor tests) and then every answer
    cell that defines a function run in one namespace, in order, as the notebook's cells do: a later function
    finds an earlier one by name. Answer cells that define no function (training runs on the notebook's data)
    are left out.
    """
    notebook = nbformat.read(REPO / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    namespace: dict = {"np": np, "__name__": "__main__"}
    names: list[str] = []
    for cell in notebook.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "code" and not meta.get("grade") and not meta.get("solution"):
            exec(_imports(cell.source), namespace)  # noqa: S102 - the notebook's imports (numpy, the kit)
        if cell.cell_type == "code" and meta.get("solution") and _DEFINES.search(cell.source):
            exec(compile(cell.source, f"<{meta.get('grade_id')}>", "exec"), namespace)  # noqa: S102 - our solutions
            names += _DEFINES.findall(cell.source)
    return {name: namespace[name] for name in names}
