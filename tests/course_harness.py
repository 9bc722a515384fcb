"""Build a throw-away nbgrader course, submit synthetic notebooks, autograde them and read the results.

Used by the end-to-end assignment tests. Everything happens in a temporary
folder; the repository's own solutions/ and exercises/ are only read.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from corpus import Submission

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CELL_TIMEOUT = 15  # seconds per cell: an endless loop costs this much, not the course's 60 s


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the nbgrader CLI in ``course`` (with the venv's bin first on PATH, as alembic needs)."""
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    result = subprocess.run([str(BIN / "nbgrader"), *args], cwd=course, env=env,
                            capture_output=True, text=True, timeout=1800)
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def make_course(tmp: Path, assignment: str) -> Path:
    """A course folder with the repository's config (shorter cell timeout) and one assignment's source."""
    course = tmp / "course"
    shutil.copytree(REPO / "solutions" / assignment, course / "solutions" / assignment)
    config = (REPO / "nbgrader_config.py").read_text()
    config += f"\nc.ExecutePreprocessor.timeout = {CELL_TIMEOUT}\n"
    (course / "nbgrader_config.py").write_text(config)
    nbgrader(course, "generate_assignment", assignment, "--force")
    return course


def notebook_name(assignment: str) -> str:
    return f"{assignment}.ipynb"


def _nbgrader_meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def strip_solution_markers(source: str) -> str:
    """The instructor's answer as a student would type it: the solution without its markers."""
    lines = [line for line in source.splitlines() if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")]
    return "\n".join(lines)


def build_submission(course: Path, assignment: str, submission: Submission, handin: Path | None = None) -> Path:
    """Write the synthetic student's notebook into ``submitted/<student>/<assignment>/`` (as if collected),
    or, with ``handin``, into ``handin/<student>/`` as a student hands it in (for ``dlf-course collect``)."""
    name = notebook_name(assignment)
    source = nbformat.read(course / "solutions" / assignment / name, as_version=4)
    release = nbformat.read(course / "exercises" / assignment / name, as_version=4)
    solutions = {_nbgrader_meta(c).get("grade_id"): c.source for c in source.cells if _nbgrader_meta(c).get("solution")}
    cells = []
    for cell in release.cells:
        meta = _nbgrader_meta(cell)
        grade_id = meta.get("grade_id")
        if grade_id in submission.delete_cells:
            continue
        cell = nbformat.from_dict(json.loads(json.dumps(cell)))
        if grade_id in submission.answers:
            cell.source = submission.answers[grade_id]
        elif meta.get("solution") and not submission.blank:
            cell.source = strip_solution_markers(solutions[grade_id])
        if grade_id in submission.edit_tests:
            cell.source = "pass  # the student replaced the test"
        cells.append(cell)
    if submission.prepend:
        cells.insert(0, nbformat.v4.new_code_cell(submission.prepend))
    release.cells = cells
    if handin is not None:
        target = handin / submission.student / name
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(release, target)
        return target
    target = course / "submitted" / submission.student / assignment / name
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(release, target)
    (target.parent / "timestamp.txt").write_text("2026-11-20 12:00:00.000000 UTC")
    return target


def graded_item_points(course: Path, assignment: str) -> dict[str, float]:
    """grade_id -> points for every autograded test cell of the source notebook."""
    source = nbformat.read(course / "solutions" / assignment / notebook_name(assignment), as_version=4)
    return {m["grade_id"]: float(m["points"]) for m in map(_nbgrader_meta, source.cells)
            if m.get("grade") and not m.get("solution")}


def item_scores(course: Path, assignment: str, student: str) -> dict[str, float | None]:
    """grade_id -> autograded score (None when the item was flagged for manual grading)."""
    from nbgrader.api import Gradebook

    notebook = notebook_name(assignment).removesuffix(".ipynb")
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        submitted = gradebook.find_submission_notebook(notebook, assignment, student)
        return {g.name: (None if g.needs_manual_grade else g.score) for g in submitted.grades}


def feedback_html(course: Path, assignment: str, student: str) -> str:
    path = course / "feedback" / student / assignment / notebook_name(assignment).replace(".ipynb", ".html")
    return path.read_text()


def run_cli(*argv: str) -> tuple[int, str]:
    """Run dlf-course in this process; return (exit status, stdout + stderr)."""
    from dlfcourse.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        status = main(list(argv))
    return status, out.getvalue()
