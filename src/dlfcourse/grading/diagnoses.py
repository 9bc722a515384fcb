"""Read what went wrong in each graded cell of an autograded notebook.

A failed hidden test raises ``dlfoundations.grading.GradingFailure``, whose
error output has ``ename == "GradingFailure"`` and an ``evalue`` of the form
``[<code>] <message>`` (codes such as ``sign-flipped`` or ``forgot-mean``).
Other failures are named after what the output shows: a dead kernel, a time
limit, a visible ``assert``, a name that was never defined, and so on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

__all__ = ["Diagnosis", "ItemOutcome", "diagnose_cell", "item_outcomes", "read_outcomes",
           "KERNEL_DIED", "NOT_RUN", "UNRESPONSIVE", "NOTEBOOK_TIME_LIMIT", "PROTOCOL_ERROR"]

# Error names the grader itself writes into a notebook (see dlfcourse.grading.execute).
KERNEL_DIED = "KernelDied"
UNRESPONSIVE = "KernelUnresponsive"
NOT_RUN = "NotRun"
NOTEBOOK_TIME_LIMIT = "NotebookTimeLimit"
PROTOCOL_ERROR = "KernelProtocolError"

_CODE = re.compile(r"^\[(?P<code>[a-z0-9-]+)\]\s*(?P<message>.*)$", re.DOTALL)
_BY_ENAME = {
    KERNEL_DIED: ("kernel-died", "the notebook's process ended (os._exit, a crash or the memory limit)"),
    NOT_RUN: ("not-run", "not run: the notebook stopped earlier"),
    UNRESPONSIVE: ("timeout", "the cell ran past its time limit and could not be interrupted"),
    NOTEBOOK_TIME_LIMIT: ("timeout", "the notebook ran past its time limit"),
    "CellTimeoutError": ("timeout", "the cell ran past its time limit"),
    PROTOCOL_ERROR: ("kernel-broken", "the kernel's messages became unreadable (e.g. after os.fork)"),
    "NameError": ("not-defined", ""),
    "NotImplementedError": ("not-implemented", "not implemented yet"),
    "AssertionError": ("assertion", "a test's assertion failed"),
    "MemoryError": ("memory", "the memory limit was reached"),
}


@dataclass(frozen=True)
class Diagnosis:
    """A short code (for counting) and a message (for the student)."""

    code: str
    message: str


@dataclass(frozen=True)
class ItemOutcome:
    """A graded cell of one notebook: its id, maximum points, and the diagnosis if it failed (None if passed)."""

    notebook: str
    item: str
    points: float
    diagnosis: Diagnosis | None


def _from_error(output: NotebookNode) -> Diagnosis:
    ename, evalue = output.get("ename", ""), str(output.get("evalue", "")).strip()
    if ename == "GradingFailure":
        match = _CODE.match(evalue)
        return Diagnosis(match["code"], match["message"]) if match else Diagnosis("wrong-value", evalue)
    code, default = _BY_ENAME.get(ename, ("raised-error", ""))
    if code in ("kernel-died", "not-run", "timeout", "kernel-broken"):
        return Diagnosis(code, default)
    if code == "raised-error":
        return Diagnosis(code, f"{ename}: {evalue}" if evalue else ename)
    return Diagnosis(code, evalue or default)


def diagnose_cell(cell: NotebookNode) -> Diagnosis | None:
    """The diagnosis of a graded code cell's outputs (the first error, else stderr), or None if it passed."""
    outputs = cell.get("outputs", [])
    errors = [o for o in outputs if o.get("output_type") == "error"]
    if errors:
        return _from_error(errors[0])
    if any(o.get("output_type") == "stream" and o.get("name") == "stderr" for o in outputs):
        return Diagnosis("stderr", "the cell wrote to stderr, which nbgrader counts as a failure")
    return None


def item_outcomes(notebook: NotebookNode, name: str) -> list[ItemOutcome]:
    """One outcome per graded test cell (``grade: true``, not a solution) of ``notebook``."""
    outcomes = []
    for cell in notebook.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            outcomes.append(ItemOutcome(name, meta["grade_id"], float(meta.get("points", 0)), diagnose_cell(cell)))
    return outcomes


def read_outcomes(folder: Path) -> list[ItemOutcome]:
    """Outcomes of every notebook in an autograded folder ``autograded/<student>/<assignment>/``."""
    outcomes = []
    for path in sorted(folder.glob("*.ipynb")):
        outcomes += item_outcomes(nbformat.read(path, as_version=4), path.stem)
    return outcomes
