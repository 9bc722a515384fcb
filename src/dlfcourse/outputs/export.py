"""``dlf-course export``: grades as CSV, one row per student and one column per graded item.

``nbgrader export`` gives one total per assignment; the per-item scores come
from the gradebook API here. Columns: ``student``, one per graded item
(``<grade_id>``, or ``<notebook>/<grade_id>`` when the assignment has several
notebooks, prefixed by ``<assignment>/`` when several assignments are
exported), ``late_penalty``, ``total`` and ``max_score``. An empty item cell
means no score yet: no submission, or an answer still to be graded by hand
(in nbgrader's formgrader); it counts 0 in the total.
"""

from __future__ import annotations

import csv
import io
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from dlfcourse.course import Course, CourseError

__all__ = ["GradeTable", "grade_table", "write_csv", "export"]


@dataclass(frozen=True)
class GradeTable:
    """Item columns, their maximum points, and per student: item -> score (None: not submitted or not graded yet).

    ``manual`` holds the items graded by hand (answer cells with points, graded in formgrader).
    """

    items: list[str]
    max_points: dict[str, float]
    scores: dict[str, dict[str, float | None]]
    penalties: dict[str, float]
    manual: frozenset[str] = frozenset()

    def total(self, student: str) -> float:
        return sum(s or 0.0 for s in self.scores[student].values()) - self.penalties.get(student, 0.0)

    @property
    def max_score(self) -> float:
        return sum(self.max_points.values())


def _columns(gradebook: object, assignments: list[str]) -> list[tuple[str, str, str, str, float, bool]]:
    """(column, assignment, notebook, grade_id, max points, graded by hand) for every grade cell, in notebook order."""
    found = []
    for name in assignments:
        assignment = gradebook.find_assignment(name)
        notebooks = sorted(assignment.notebooks, key=lambda n: n.name)
        for notebook in notebooks:
            for cell in notebook.grade_cells:
                column = cell.name if len(notebooks) == 1 else f"{notebook.name}/{cell.name}"
                column = column if len(assignments) == 1 else f"{name}/{column}"
                manual = cell.name in {c.name for c in notebook.solution_cells}
                found.append((column, name, notebook.name, cell.name, float(cell.max_score), manual))
    return found


def _student_scores(gradebook: object, student: str, columns: list) -> tuple[dict[str, float | None], float]:
    from nbgrader.api import MissingEntry

    scores: dict[str, float | None] = {}
    penalty = 0.0
    for column, assignment, notebook, grade_id, *_ in columns:
        try:
            grade = gradebook.find_grade(grade_id, notebook, assignment, student)
        except MissingEntry:
            scores[column] = None
            continue
        scores[column] = None if grade.score is None else float(grade.score)
    for assignment in {c[1] for c in columns}:
        try:
            penalty += float(gradebook.find_submission(assignment, student).late_submission_penalty or 0.0)
        except MissingEntry:
            pass
    return scores, penalty


def grade_table(course: Course, assignments: Iterable[str] | None = None) -> GradeTable:
    """Per-item scores of every student in the gradebook, for ``assignments`` (default: all in the gradebook)."""
    from nbgrader.api import Gradebook, MissingEntry

    if not course.gradebook.is_file():
        raise CourseError(f"{course.root} has no gradebook yet: release and autograde an assignment first")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Gradebook(course.db_url) as gradebook:
            names = list(assignments) if assignments else sorted(a.name for a in gradebook.assignments)
            try:
                columns = _columns(gradebook, names)
            except MissingEntry:
                raise CourseError(f"unknown assignment among {names}: known are "
                                  f"{sorted(a.name for a in gradebook.assignments)}") from None
            students = sorted(s.id for s in gradebook.students)
            per_student = {s: _student_scores(gradebook, s, columns) for s in students}
    return GradeTable(items=[c[0] for c in columns], max_points={c[0]: c[4] for c in columns},
                      scores={s: v[0] for s, v in per_student.items()},
                      penalties={s: v[1] for s, v in per_student.items()},
                      manual=frozenset(c[0] for c in columns if c[5]))


def write_csv(table: GradeTable) -> str:
    """The table as CSV text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", *table.items, "late_penalty", "total", "max_score"])
    for student, scores in table.scores.items():
        cells = ["" if scores[item] is None else f"{scores[item]:g}" for item in table.items]
        writer.writerow([student, *cells, f"{table.penalties.get(student, 0.0):g}", f"{table.total(student):g}",
                         f"{table.max_score:g}"])
    return buffer.getvalue()


def export(course: Course, output: Path, assignments: Iterable[str] | None = None) -> GradeTable:
    """Write the grade table to ``output`` (through a temporary file: a failure never leaves half a CSV)."""
    table = grade_table(course, assignments)
    output = Path(output)
    temporary = output.with_name(f".{output.name}.tmp")
    temporary.write_text(write_csv(table))
    temporary.replace(output)
    return table
