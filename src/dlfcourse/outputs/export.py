"""``dlf-course export``: the grades, as they are, in a file an LMS imports.

The scores come from nbgrader's gradebook, per item. What the file says is true:

* an item still to be graded by hand (a written answer not yet graded in formgrader,
  or a test cell nbgrader flagged for a look) is **empty**, not 0; the command prints
  how many there are. nbgrader's ``Grade.score`` is 0.0 when there is no score at
  all, so the export reads ``manual_score`` / ``auto_score`` / ``needs_manual_grade``;
* a student whose submission was collected but not graded (autograde interrupted, a
  late re-collect not graded again) is listed on stderr and the command exits 1
  without writing, unless ``--allow-pending``, which exports that student empty;
* totals: the sum of the item scores, minus nbgrader's late penalty, never below 0.
  The penalty is nbgrader's ``late_submission_penalty``, computed at autograde time
  from the submission's ``timestamp.txt`` and the assignment's due date by the
  ``LateSubmissionPlugin`` configured in ``nbgrader_config.py`` (nbgrader's default:
  no penalty). An assignment total with an item pending is left empty in the LMS formats.

Formats (``--format``):

``csv`` (default)
    ``student, name, email``, one column per graded item (its grade id, prefixed by
    ``<notebook>/`` and ``<assignment>/`` when needed), then ``late_penalty``,
    ``pending`` (items still to grade), ``total`` and ``max_score``.
``canvas``
    A Canvas gradebook import: ``Student, ID, SIS User ID, SIS Login ID, Section``, then
    one column per assignment, titled as the assignment is in Canvas (``--title
    ASSIGNMENT=TITLE``; best the header of a Canvas export, e.g. ``Softmax (123456)``), the
    total in it; optionally a ``Points Possible`` row (``--points-possible``). Canvas matches
    rows by ID, SIS User ID or SIS Login ID: they come from the roster (or, for the ID,
    from the file names of a Canvas download).
``moodle``
    Moodle's "Import grades from CSV": ``Email address, ID number, Full name``, then one column
    per assignment (``--title``); map the email or the ID number to the user when importing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from dlfcourse.course import Course, CourseError, open_gradebook, write_text_atomically
from dlfcourse.intake.roster import Roster, load_roster

__all__ = ["GradeTable", "Ungraded", "grade_table", "ungraded_students", "write_csv", "write_canvas",
           "write_moodle", "export", "ExportResult", "FORMATS"]

FORMATS = ("csv", "canvas", "moodle")


@dataclass(frozen=True)
class GradeTable:
    """Item columns, their maximum points, and per student: item -> score (None: no score).

    ``manual`` holds the items graded by hand (answer cells with points, graded in formgrader);
    ``pending`` per student the items still waiting for a grade by hand (their score is None);
    ``assignment_of`` the assignment of each item; ``submitted`` per student the assignments
    with a submission in the gradebook.
    """

    items: list[str]
    max_points: dict[str, float]
    scores: dict[str, dict[str, float | None]]
    penalties: dict[str, float]
    manual: frozenset[str] = frozenset()
    pending: dict[str, frozenset[str]] = field(default_factory=dict)
    assignment_of: dict[str, str] = field(default_factory=dict)
    submitted: dict[str, frozenset[str]] = field(default_factory=dict)
    assignment_penalties: dict[tuple[str, str], float] = field(default_factory=dict)

    @property
    def assignments(self) -> list[str]:
        seen: dict[str, None] = {}
        for item in self.items:
            seen.setdefault(self.assignment_of.get(item, ""), None)
        return list(seen)

    def items_of(self, assignment: str) -> list[str]:
        return [i for i in self.items if self.assignment_of.get(i, "") == assignment]

    def total(self, student: str, assignment: str | None = None) -> float:
        """The sum of the student's item scores (pending ones count 0) minus the late penalty, at least 0."""
        items = self.items if assignment is None else self.items_of(assignment)
        raw = sum(self.scores[student].get(i) or 0.0 for i in items)
        if assignment is None:
            penalty = self.penalties.get(student, 0.0)
        else:
            penalty = self.assignment_penalties.get((student, assignment), 0.0)
        return max(0.0, raw - penalty)

    def max_score_of(self, assignment: str) -> float:
        return sum(self.max_points[i] for i in self.items_of(assignment))

    @property
    def max_score(self) -> float:
        return sum(self.max_points.values())

    def pending_count(self) -> int:
        return sum(len(p) for p in self.pending.values())


@dataclass(frozen=True)
class Ungraded:
    """A student whose collected submission has no grades that match it, and why."""

    student: str
    assignment: str
    reason: str

    def line(self) -> str:
        return f"{self.student} ({self.assignment}): {self.reason}"


def _is_pending(grade: Any) -> bool:
    return grade.manual_score is None and (grade.auto_score is None or bool(grade.needs_manual_grade))


def _open_gradebook(course: Course):
    """nbgrader's Gradebook on the course (CourseError if there is none yet)."""
    if not course.gradebook.is_file():
        raise CourseError(f"{course.root} has no gradebook yet: run `dlf-course release` and "
                          "`dlf-course autograde ASSIGNMENT` first")
    return open_gradebook(course.db_url)


def _penalty_rows(session: Any, names: list[str]) -> list[Any]:
    """(student, assignment, penalty) of every submission of ``names``: one query for the whole class."""
    from nbgrader.api import Assignment, SubmittedAssignment, SubmittedNotebook
    from sqlalchemy import func

    penalty = func.coalesce(func.sum(SubmittedNotebook.late_submission_penalty), 0.0)
    query = (session.query(SubmittedAssignment.student_id.label("student"), Assignment.name.label("assignment"),
                           penalty.label("penalty"))
             .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
             .outerjoin(SubmittedNotebook, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
             .filter(Assignment.name.in_(names))
             .group_by(SubmittedAssignment.id, Assignment.name))
    return list(query)


def _grade_rows(session: Any, names: list[str]) -> list[Any]:
    """Every grade of every submission of ``names`` with its student, assignment, notebook and cell: one query.

    (Walking nbgrader's objects instead loads each grade's cell and notebook by itself: minutes for a MOOC.)
    """
    from nbgrader.api import Assignment, BaseCell, Grade, Notebook, SubmittedAssignment, SubmittedNotebook

    query = (session.query(SubmittedAssignment.student_id.label("student"), Assignment.name.label("assignment"),
                           Notebook.name.label("notebook"), BaseCell.name.label("cell"), Grade.auto_score,
                           Grade.manual_score, Grade.needs_manual_grade, Grade.score.label("score"))
             .select_from(Grade)
             .join(BaseCell, Grade.cell_id == BaseCell.id)
             .join(SubmittedNotebook, Grade.notebook_id == SubmittedNotebook.id)
             .join(Notebook, SubmittedNotebook.notebook_id == Notebook.id)
             .join(SubmittedAssignment, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
             .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
             .filter(Assignment.name.in_(names)))
    return list(query)


def _per_student(penalties: dict[tuple[str, str], float], students: list[str]) -> dict[str, float]:
    """Each student's late penalties summed over the assignments (one pass: a class of 20,000 is not squared)."""
    total = dict.fromkeys(students, 0.0)
    for (student, _), penalty in penalties.items():
        total[student] = total.get(student, 0.0) + penalty
    return total


def grade_table(course: Course, assignments: Iterable[str] | None = None) -> GradeTable:
    """Per-item scores of every student in the gradebook, for ``assignments`` (default: all graded ones).

    (SQLAlchemy's warnings about nbgrader's models are silenced by :func:`~dlfcourse.course.open_gradebook`.)
    """
    with _open_gradebook(course) as gradebook:
        names = _chosen_assignments(gradebook, assignments)
        columns = _Columns.of(gradebook, names)
        students = sorted(s.id for s in gradebook.students)
        scores: dict[str, dict[str, float | None]] = {s: dict.fromkeys(columns.items) for s in students}
        pending: dict[str, set[str]] = {s: set() for s in students}
        submitted: dict[str, set[str]] = {s: set() for s in students}
        penalties: dict[tuple[str, str], float] = {}
        for row in _penalty_rows(gradebook.db, names):
            submitted[row.student].add(row.assignment)
            penalties[(row.student, row.assignment)] = float(row.penalty or 0.0)
        for row in _grade_rows(gradebook.db, names):
            column = columns.column_of.get((row.assignment, row.notebook, row.cell))
            if column is None:
                continue
            if _is_pending(row):
                pending[row.student].add(column)
            else:
                scores[row.student][column] = float(row.score)
    return GradeTable(items=columns.items, max_points=columns.max_points, scores=scores,
                      penalties=_per_student(penalties, students),
                      manual=frozenset(columns.manual), pending={s: frozenset(p) for s, p in pending.items()},
                      assignment_of=columns.assignment_of, submitted={s: frozenset(a) for s, a in submitted.items()},
                      assignment_penalties=penalties)


def _chosen_assignments(gradebook: Any, assignments: Iterable[str] | None) -> list[str]:
    """The assignments to export: those asked for (each in the gradebook, with submissions), or every one
    with submissions; CourseError if there is nothing to export."""
    known = sorted(a.name for a in gradebook.assignments)
    if not assignments:
        names = [n for n in known if gradebook.find_assignment(n).submissions]
        if not names:
            raise CourseError("nothing graded yet: run `dlf-course autograde ASSIGNMENT` first")
        return names
    names = list(assignments)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise CourseError(f"{', '.join(unknown)} is not in the gradebook (it has: "
                          f"{', '.join(known) or 'no assignment'}): release it and autograde it first")
    empty = [n for n in names if not gradebook.find_assignment(n).submissions]
    if empty:
        raise CourseError(f"nothing graded yet for {', '.join(empty)}: run `dlf-course autograde "
                          f"{empty[0]}` first")
    return names


@dataclass
class _Columns:
    """One column per graded cell: its name ("item", "notebook/item" or "assignment/..." when there are several),
    its points, whether it is graded by hand, its assignment, and the column of (assignment, notebook, cell)."""

    items: list[str] = field(default_factory=list)
    max_points: dict[str, float] = field(default_factory=dict)
    manual: set[str] = field(default_factory=set)
    assignment_of: dict[str, str] = field(default_factory=dict)
    column_of: dict[tuple[str, str, str], str] = field(default_factory=dict)

    @classmethod
    def of(cls, gradebook: Any, names: list[str]) -> _Columns:
        columns = cls()
        for name in names:
            notebooks = sorted(gradebook.find_assignment(name).notebooks, key=lambda n: n.name)
            for notebook in notebooks:
                solutions = {c.name for c in notebook.solution_cells}
                for cell in notebook.grade_cells:
                    column = cell.name if len(notebooks) == 1 else f"{notebook.name}/{cell.name}"
                    column = column if len(names) == 1 else f"{name}/{column}"
                    columns.items.append(column)
                    columns.max_points[column] = float(cell.max_score)
                    columns.assignment_of[column] = name
                    columns.column_of[(name, notebook.name, cell.name)] = column
                    if cell.name in solutions:
                        columns.manual.add(column)
        return columns


def ungraded_students(course: Course, table: GradeTable) -> list[Ungraded]:
    """Students with a collected submission of an exported assignment that is not (or no longer) graded."""
    found = []
    for assignment in table.assignments:
        automatic = [i for i in table.items_of(assignment) if i not in table.manual]
        for student in course.submitted_students(assignment):
            graded = course.autograded_dir / student / assignment
            if assignment not in table.submitted.get(student, frozenset()) or not graded.is_dir():
                found.append(Ungraded(student, assignment, "collected, not autograded"))
            elif automatic and all(i in table.pending.get(student, frozenset()) for i in automatic):
                found.append(Ungraded(student, assignment, "autograde did not finish (no automatic score)"))
            else:
                collected = course.state.submission_time(assignment, student)
                graded_from = course.state.graded_submission_time(assignment, student)
                if collected is not None and graded_from is not None and collected > graded_from:
                    found.append(Ungraded(student, assignment, f"collected again ({collected:%Y-%m-%d %H:%M} UTC) "
                                                               "since it was autograded"))
    return found


def _number(value: float) -> str:
    return f"{value:g}"


def _students(table: GradeTable, roster: Roster) -> list[str]:
    """Everyone in the gradebook and on the imported roster."""
    return sorted(set(table.scores) | set(roster.imported_ids))


def write_csv(table: GradeTable, roster: Roster | None = None) -> str:
    """The per-item table as CSV text (pending items and missing submissions empty)."""
    roster = roster or Roster({})
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "name", "email", *table.items, "late_penalty", "pending", "total", "max_score"])
    for student in _students(table, roster):
        scores = table.scores.get(student, {})
        cells = ["" if (score := scores.get(item)) is None else _number(score) for item in table.items]
        known = roster.get(student)
        total = _number(table.total(student)) if student in table.scores else ""
        writer.writerow([student, known.name, known.email, *cells, _number(table.penalties.get(student, 0.0)),
                         len(table.pending.get(student, ())), total, _number(table.max_score)])
    return buffer.getvalue()


def _assignment_total(table: GradeTable, student: str, assignment: str) -> str:
    """The total for an LMS: empty when not submitted, or when an item is still to be graded by hand."""
    if assignment not in table.submitted.get(student, frozenset()):
        return ""
    if any(table.assignment_of.get(i) == assignment for i in table.pending.get(student, ())):
        return ""
    return _number(table.total(student, assignment))


def write_canvas(table: GradeTable, roster: Roster, titles: dict[str, str] | None = None,
                 points_possible: bool = False) -> str:
    """A Canvas gradebook import (see the module docstring)."""
    titles = titles or {}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                     *[titles.get(a, a) for a in table.assignments]])
    if points_possible:
        possible = [_number(table.max_score_of(a)) for a in table.assignments]
        writer.writerow(["Points Possible", "", "", "", "", *possible])
    for student in _students(table, roster):
        known = roster.get(student)
        writer.writerow([known.name or student, known.canvas_id, known.sis_user_id, known.sis_login_id, known.section,
                         *[_assignment_total(table, student, a) for a in table.assignments]])
    return buffer.getvalue()


def write_moodle(table: GradeTable, roster: Roster, titles: dict[str, str] | None = None) -> str:
    """A Moodle grade import (see the module docstring)."""
    titles = titles or {}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["Email address", "ID number", "Full name", *[titles.get(a, a) for a in table.assignments]])
    for student in _students(table, roster):
        known = roster.get(student)
        writer.writerow([known.email, known.id_number, known.name or student,
                         *[_assignment_total(table, student, a) for a in table.assignments]])
    return buffer.getvalue()


@dataclass
class ExportResult:
    """What was exported, and what the instructor must know about it."""

    table: GradeTable
    output: Path | None
    ungraded: list[Ungraded]
    unmatched: list[str]  # students an LMS cannot match (no LMS id / email)
    written: bool
    students: list[str] = field(default_factory=list)  # one row each, in the order written

    @property
    def pending_students(self) -> int:
        return sum(bool(p) for p in self.table.pending.values())

    @property
    def without_grades(self) -> list[str]:
        """The rows of students with no graded submission (on the roster, or collected and not graded)."""
        return [s for s in self.students if not self.table.submitted.get(s)]


def _unmatched(table: GradeTable, roster: Roster, form: str) -> list[str]:
    found = []
    for student in _students(table, roster):
        known = roster.get(student)
        if form == "canvas" and not (known.canvas_id or known.sis_user_id or known.sis_login_id):
            found.append(student)
        if form == "moodle" and not (known.email or known.id_number):
            found.append(student)
    return found


def _blank(table: GradeTable, ungraded: list[Ungraded]) -> GradeTable:
    """The table with the items of each ungraded (student, assignment) empty, and the student in it."""
    if not ungraded:
        return table
    scores = {s: dict(v) for s, v in table.scores.items()}
    submitted = dict(table.submitted)
    for entry in ungraded:
        row = scores.setdefault(entry.student, {i: None for i in table.items})
        for item in table.items_of(entry.assignment):
            row[item] = None
        submitted[entry.student] = submitted.get(entry.student, frozenset()) - {entry.assignment}
    return replace(table, scores=scores, submitted=submitted)


def export(course: Course, output: Path, assignments: Iterable[str] | None = None, form: str = "csv",
           titles: dict[str, str] | None = None, points_possible: bool = False,
           allow_pending: bool = False) -> ExportResult:
    """Write the grades to ``output`` in ``form`` (through a temporary file: never half a file); see the docstring."""
    if form not in FORMATS:
        raise CourseError(f"unknown format {form!r}: choose one of {', '.join(FORMATS)}")
    table = grade_table(course, assignments)
    unknown_titles = sorted(set(titles or {}) - set(table.assignments))
    if unknown_titles:
        raise CourseError(f"--title for {', '.join(unknown_titles)}, which is not exported "
                          f"({', '.join(table.assignments)})")
    roster = load_roster(course)
    ungraded = ungraded_students(course, table)
    if ungraded and not allow_pending:
        return ExportResult(table, None, ungraded, [], False)
    table = _blank(table, ungraded)
    if form == "canvas":
        text = write_canvas(table, roster, titles, points_possible)
    elif form == "moodle":
        text = write_moodle(table, roster, titles)
    else:
        text = write_csv(table, roster)
    output = Path(output)
    write_text_atomically(output, text)
    return ExportResult(table, output, ungraded, _unmatched(table, roster, form) if form != "csv" else [], True,
                        _students(table, roster))
