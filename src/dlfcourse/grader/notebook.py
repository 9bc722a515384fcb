"""Grade one submitted notebook: its code runs in the sandbox, its verdicts are made here.

:func:`grade_notebook`

1. drops any verdict the submitted file carries, and puts back every test cell the student deleted or
   stripped of its nbgrader metadata (from the source notebook: the verdict needs a place, and the
   student must not lose the item for it);
2. runs the notebook's code cells in a sandboxed worker (the test cells are
   not run: their visible tests are the student's business in JupyterLab, and
   their hidden part lives only here) and records each cell's outputs, its
   traceback lines naming the item and function rather than a cell number
   (:mod:`dlfcourse.grader.places`);
3. grades every item of the assignment through calls into that worker, and
   writes each verdict into its test cell: as the cell's only output, and in
   its metadata, where the gradebook writer reads it.

Nothing the notebook prints, raises or leaves behind is read as a result.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from nbformat import NotebookNode

from dlfcourse.grader.checks.common import Assignment
from dlfcourse.grader.items import grade_items
from dlfcourse.grader.outputs import OutputKeeper
from dlfcourse.grader.places import notebook_places
from dlfcourse.grader.student import RemoteStudent
from dlfcourse.grader.verdict import METADATA_KEY, Verdict, store_verdict
from dlfcourse.sandbox.session import NotebookSession
from dlfcourse.settings import GradingSettings

__all__ = ["GradingRun", "grade_notebook", "restore_test_cells", "verdict_output", "is_test_cell"]


@dataclass(frozen=True)
class GradingRun:
    """The verdicts of one notebook, the test cells that had to be put back (their grade ids), and what of
    the notebook's output was dropped (a sentence, or None)."""

    verdicts: dict[str, Verdict]
    restored: tuple[str, ...]
    dropped: str | None = None


def _nbgrader(cell: Any) -> dict[str, Any]:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def is_test_cell(cell: Any) -> bool:
    """An autograded test cell: a code cell with ``grade: true`` and ``solution: false``."""
    meta = _nbgrader(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def restore_test_cells(nb: NotebookNode, source: NotebookNode) -> tuple[str, ...]:
    """Insert the source's test cells missing from ``nb`` (by grade id), each after the cell it follows in
    the source (matched by grade id or cell id), else at the end. Returns the grade ids put back."""
    present = {_nbgrader(c).get("grade_id") for c in nb.cells if is_test_cell(c)}
    restored: list[str] = []
    for position, cell in enumerate(source.cells):
        grade_id = _nbgrader(cell).get("grade_id")
        if not is_test_cell(cell) or not isinstance(grade_id, str) or grade_id in present:
            continue
        anchor = _anchor(nb, source.cells[:position])
        nb.cells.insert(anchor + 1 if anchor is not None else len(nb.cells), copy.deepcopy(cell))
        restored.append(grade_id)
    return tuple(restored)


def _anchor(nb: NotebookNode, before: list[Any]) -> int | None:
    """The index in ``nb`` of the nearest earlier source cell, matched by grade id or by cell id."""
    for cell in reversed(before):
        grade_id, cell_id = _nbgrader(cell).get("grade_id"), cell.get("id")
        for index, candidate in enumerate(nb.cells):
            if (grade_id and _nbgrader(candidate).get("grade_id") == grade_id) or \
                    (cell_id and candidate.get("id") == cell_id):
                return index
    return None


def verdict_output(verdict: Verdict) -> NotebookNode:
    """The one output a graded test cell shows: the trusted verdict."""
    mark = "✔" if verdict.ok else "✘"
    code = "" if verdict.ok else f"[{verdict.code}] "
    text = f"{mark} {verdict.points:g} / {verdict.max_points:g} — {code}{verdict.message}\n"
    return NotebookNode(output_type="stream", name="stdout", text=text)


def _code_cells(nb: NotebookNode) -> dict[int, str]:
    """The cells the worker runs: every code cell but the test cells."""
    return {i: c.source for i, c in enumerate(nb.cells) if c.cell_type == "code" and not is_test_cell(c)
            and c.source.strip()}


def grade_notebook(nb: NotebookNode, source: NotebookNode | None, checks: Assignment | None, workdir: str,
                   settings: GradingSettings, base_seed: int, uid: int | None = None) -> GradingRun:
    """Run ``nb`` in a worker and grade its items; ``nb`` gets the outputs and the verdicts in place.

    The worker runs under ``settings`` (sandbox, limits, time limits), as ``uid`` when one is given (as
    root), without the kit modules the assignment's checks withhold. A verdict found in the submitted file
    is the student's data, not the grader's: every one is dropped first, so the only verdicts in the
    graded notebook are those made here.
    """
    for cell in nb.cells:
        cell.metadata.pop(METADATA_KEY, None)
    restored = restore_test_cells(nb, source) if source is not None else ()
    withheld = checks.withheld_kit if checks is not None else ()
    session = NotebookSession(_code_cells(nb), settings, workdir, uid, withheld)
    keeper = OutputKeeper()
    try:
        runs = session.run_cells()
        places = notebook_places(nb, source, runs)  # cells by item and function; imports of the absent reference
        for run in runs:
            run.error = places.error(run.error) if run.error else run.error
            run.stopped = places.text(run.stopped) if run.stopped else run.stopped
            nb.cells[run.index].outputs = keeper.outputs(run)
            nb.cells[run.index].execution_count = run.index
        tests = {_nbgrader(c)["grade_id"]: c for c in nb.cells if is_test_cell(c)}
        points = {grade_id: float(_nbgrader(c).get("points", 0)) for grade_id, c in tests.items()}
        verdicts = _grade(checks, tests, points, RemoteStudent(session, settings.call_timeout, places), base_seed)
    finally:
        session.close()
    for grade_id, cell in tests.items():
        cell.outputs = [verdict_output(verdicts[grade_id])]
        store_verdict(cell, verdicts[grade_id])
    return GradingRun(verdicts, restored, keeper.note())


def _grade(checks: Assignment | None, tests: dict[str, Any], points: dict[str, float], student: RemoteStudent,
           base_seed: int) -> dict[str, Verdict]:
    if checks is None:
        return {g: Verdict(g, 0.0, points[g], "grader-error", "This assignment has no hidden checks; your "
                           "instructor has been told.", detail="no checks registered") for g in tests}
    return grade_items(checks, student, base_seed, points, list(tests))
