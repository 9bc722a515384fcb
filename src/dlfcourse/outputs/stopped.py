"""Cells of a graded notebook that never ran to their end: stopped by a limit, or still the released stub.

The grader grades every item by calling the student's functions on its own inputs, so an
item can pass although the cell that uses the function (training on the digits, a plot)
never ran: the grader stopped it at the cell's time limit (its output is an error named
``Stopped``, written by :mod:`dlfcourse.grader.outputs`), or the student left the answer
cell's stub (``raise NotImplementedError``). Nothing is wrong with the score, but the
student's outputs are missing, so the command's output, the class report and the
student's feedback list such cells, each named by the heading above it (students see
headings, not cell numbers).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nbformat

from dlfcourse.outputs.titles import heading_of

__all__ = ["StoppedCell", "stopped_cells", "stopped_in", "STOPPED", "STUB"]

STOPPED = "stopped"  # the grader stopped the cell (a time limit, or its process ended)
STUB = "stub"  # an answer cell still raises NotImplementedError


@dataclass(frozen=True)
class StoppedCell:
    """One cell that did not run to its end."""

    notebook: str
    grade_id: str  # the answer cell's grade id ('' for a cell that is not an answer)
    heading: str  # the heading above the cell ('' if none)
    kind: str  # STOPPED or STUB
    reason: str  # the grader's sentence (STOPPED), or the error (STUB)

    def where(self, grade_id: bool = True) -> str:
        """The cell as a reader finds it: 'the cell under "6. Train it…" (digits-answer)'; students see no
        grade ids (``grade_id=False``)."""
        place = f'the cell under "{self.heading}"' if self.heading else "a cell before the first heading"
        return f"{place} ({self.grade_id})" if self.grade_id and grade_id else place

    def line(self, grade_id: bool = True) -> str:
        """One line: where, and why it did not run to its end."""
        if self.kind == STOPPED:
            return f"{self.where(grade_id)}: stopped by the grader: {self.reason}"
        return f"{self.where(grade_id)}: raised {self.reason} (a stub left in place): it did not run to its end"


def _error(cell: nbformat.NotebookNode, name: str) -> dict | None:
    return next((o for o in cell.get("outputs", []) if o.get("output_type") == "error" and o.get("ename") == name),
                None)


def stopped_cells(notebook: nbformat.NotebookNode, name: str) -> list[StoppedCell]:
    """The code cells of the graded ``notebook`` (called ``name``) that were stopped or are still a stub."""
    found = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        grade_id = meta.get("grade_id", "") if meta.get("solution") else ""
        stopped, stub = _error(cell, "Stopped"), _error(cell, "NotImplementedError")
        if stopped is not None:
            found.append(StoppedCell(name, grade_id, heading_of(notebook, index), STOPPED,
                                     str(stopped.get("evalue", "")).strip()))
        elif stub is not None and grade_id:
            found.append(StoppedCell(name, grade_id, heading_of(notebook, index), STUB, "NotImplementedError"))
    return found


def stopped_in(folder: Path) -> list[StoppedCell]:
    """The stopped and stub cells of every graded notebook in ``folder`` (``autograded/<student>/<assignment>``)."""
    found = []
    for path in sorted(folder.glob("*.ipynb")):
        try:
            notebook = nbformat.read(path, as_version=4)
        except Exception:  # noqa: BLE001 - a notebook nbformat cannot read has no cells to list
            continue
        found += stopped_cells(notebook, path.stem)
    return found
