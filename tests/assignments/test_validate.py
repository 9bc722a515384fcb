"""nbgrader's Validate (the JupyterLab *Validate* button) passes correct work and fails the stubs.

For each assignment, the *solved release* is the student notebook of ``exercises/``
with every answer cell replaced by the source's solution (without its
``### BEGIN/END SOLUTION`` markers), exactly what a student who solved everything
would hand in. ``nbgrader.validator.Validator`` runs it with the course's
configuration and must report no failed cell; it reads a test cell whose last
line is a bare number as partial credit, so a visible test ending on a value
(``check_own_gradient(...)``) fails correct work and is named in the message.
The unchanged release (the stubs) must fail.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import nbformat
import pytest

from conftest import ASSIGNMENTS, REPO

pytestmark = [pytest.mark.slow,  # each validation executes a notebook in a kernel
              pytest.mark.skipif(not ASSIGNMENTS, reason="no assignments in this checkout")]


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def solved_release(assignment: str) -> nbformat.NotebookNode:
    """The release notebook of ``assignment`` with the source's solutions in its answer cells."""
    name = f"{assignment}.ipynb"
    source = nbformat.read(REPO / "solutions" / assignment / name, as_version=4)
    release = nbformat.read(REPO / "exercises" / assignment / name, as_version=4)
    solutions = {_meta(c)["grade_id"]: "\n".join(line for line in c.source.splitlines()
                                                 if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))
                 for c in source.cells if _meta(c).get("solution")}
    solved = copy.deepcopy(release)
    for cell in solved.cells:
        if _meta(cell).get("solution"):
            cell.source = solutions[_meta(cell)["grade_id"]]
    return solved


def validate(notebook: nbformat.NotebookNode, folder: Path, name: str) -> dict:
    from nbgrader.validator import Validator

    from dlfcourse.course import Course

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    nbformat.write(notebook, path)
    return Validator(config=Course.open(REPO).config()).validate(str(path))


def _failures(results: dict) -> str:
    """Each failed cell: its first and last lines, and its error (none: it ended on a bare value)."""
    shown = []
    for entry in results.get("failed", []):
        lines = entry["source"].splitlines() or [""]
        error = entry.get("raw_error", "").strip().splitlines()
        why = error[-1] if error else "no error: the cell ends on a value that nbgrader reads as partial credit"
        shown.append(f"\n  cell {lines[0]!r} ... {lines[-1]!r}: {why}")
    if any("NameError" in entry.get("raw_error", "") for entry in results.get("failed", [])):
        shown.append("\n  (names the release does not define: is exercises/ older than solutions/? "
                     "Regenerate it with `dlf-course release`.)")
    return "".join(shown)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_validate_passes_the_solved_release(assignment: str, tmp_path: Path):
    results = validate(solved_release(assignment), tmp_path / assignment, f"{assignment}.ipynb")
    assert "type_changed" not in results and "changed" not in results, results
    assert not results.get("failed"), f"nbgrader's Validate fails correct work in {assignment}:{_failures(results)}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_validate_fails_the_stub_release(assignment: str, tmp_path: Path):
    release = REPO / "exercises" / assignment / f"{assignment}.ipynb"
    shutil.copytree(release.parent, tmp_path / assignment)
    results = validate(nbformat.read(release, as_version=4), tmp_path / assignment, f"{assignment}.ipynb")
    assert results.get("failed"), f"the unchanged release of {assignment} passes nbgrader's Validate"
