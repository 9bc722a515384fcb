"""The instructor's side of grading: what a task needs from the course, and the one writer of its results.

:func:`assignment_bundle` packs the assignment for the tasks (its sources, the
nbgrader configuration, and a small gradebook holding only the assignment's
cells, made with nbgrader's API). :class:`Ledger` writes each task's
:class:`~dlfcourse.autograde.jobs.GradedSubmission` into the course: the
autograded folder is replaced as a whole, then the student's automatic scores,
comments and late penalties go into the gradebook together, with
nbgrader's own rule for manual grades (a cell with a manual score, or without
an automatic one, needs a grader's look).

A manual score stays as long as the answer it graded stays: when a resubmission
changed a cell that was graded by hand (a written answer), its manual score is
cleared and the cell waits for a grade by hand again (nbgrader itself would keep
the old score). :meth:`Ledger.record` returns those cells, for the command's line,
the export (pending) and the report.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from dlfcourse.course import Course, open_gradebook
from dlfcourse.autograde.jobs import AssignmentBundle, GradedSubmission, NotebookGrades, read_folder, write_folder

__all__ = ["Ledger", "assignment_bundle", "changed_answers", "extensions", "template_gradebook"]


def _copy_cells(source: Any, target: Any, assignment: str) -> None:
    """Copy the notebooks and cells of ``assignment`` from one gradebook to another."""
    found = source.find_assignment(assignment)
    target.update_or_create_assignment(assignment, duedate=found.duedate)
    for notebook in found.notebooks:
        name = notebook.name
        target.update_or_create_notebook(name, assignment)
        for cell in notebook.grade_cells:
            target.update_or_create_grade_cell(cell.name, name, assignment, max_score=cell.max_score,
                                               cell_type=cell.cell_type)
        for cell in notebook.task_cells:
            target.update_or_create_task_cell(cell.name, name, assignment, max_score=cell.max_score,
                                              cell_type=cell.cell_type)
        for cell in notebook.solution_cells:
            target.update_or_create_solution_cell(cell.name, name, assignment)
        for cell in notebook.source_cells:
            target.update_or_create_source_cell(cell.name, name, assignment, cell_type=cell.cell_type,
                                                locked=cell.locked, source=cell.source, checksum=cell.checksum)


def template_gradebook(course: Course, assignment: str) -> bytes:
    """An SQLite gradebook (its bytes) with the course, ``assignment`` and its cells, and no students."""
    course_id = course.config().CourseDirectory.get("course_id", "default_course")
    with tempfile.TemporaryDirectory(prefix="dlf-template-") as folder:
        path = Path(folder) / "gradebook.db"
        with open_gradebook(course.db_url) as source, open_gradebook(f"sqlite:///{path}", course_id) as target:
            _copy_cells(source, target, assignment)
        return path.read_bytes()


def extensions(course: Course, assignment: str) -> dict[str, timedelta]:
    """The students of ``assignment`` who have an extension of its due date, with the extension."""
    from nbgrader.api import Assignment, SubmittedAssignment

    with open_gradebook(course.db_url) as gradebook:  # one query: loading every submission takes seconds
        rows = (gradebook.db.query(SubmittedAssignment.student_id, SubmittedAssignment.extension)
                .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
                .filter(Assignment.name == assignment, SubmittedAssignment.extension.isnot(None)))
        return {student: extension for student, extension in rows if extension}


def assignment_bundle(course: Course, assignment: str) -> AssignmentBundle:
    """The assignment packed for grading tasks that may run on other machines."""
    return AssignmentBundle(
        assignment=assignment,
        course_id=course.config().CourseDirectory.get("course_id", "default_course"),
        config_py=(course.root / "nbgrader_config.py").read_text(),
        source_files=read_folder(course.source_dir / assignment),
        gradebook=template_gradebook(course, assignment),
    )


def _replace_folder(files: dict[str, bytes], folder: Path) -> None:
    """Make ``folder`` hold exactly ``files``: written beside it first, then swapped in."""
    incoming = folder.with_name(f".{folder.name}.incoming")
    outgoing = folder.with_name(f".{folder.name}.outgoing")
    for leftover in (incoming, outgoing):
        shutil.rmtree(leftover, ignore_errors=True)
    write_folder(files, incoming)
    if folder.exists():
        folder.rename(outgoing)
    incoming.rename(folder)
    shutil.rmtree(outgoing, ignore_errors=True)


def _named(session: Any, model: Any, notebook: Any) -> list[tuple[Any, str]]:
    """The notebook's Grade (or Comment) rows with their cell's name, in one query.

    (``row.name`` would load each row's cell by itself: a query per cell, most of the writer's time.)
    """
    from nbgrader.api import BaseCell

    query = session.query(model, BaseCell.name).join(BaseCell, model.cell_id == BaseCell.id)
    return list(query.filter(model.notebook_id == notebook.id))


def _hand_graded(session: Any, assignment: str, student: str) -> set[tuple[str, str]]:
    """(notebook, cell) of every grade of the student's submission that has a manual score: one query."""
    from nbgrader.api import Assignment, BaseCell, Grade, Notebook, SubmittedAssignment, SubmittedNotebook

    query = (session.query(Notebook.name, BaseCell.name).select_from(Grade)
             .join(BaseCell, Grade.cell_id == BaseCell.id)
             .join(SubmittedNotebook, Grade.notebook_id == SubmittedNotebook.id)
             .join(Notebook, SubmittedNotebook.notebook_id == Notebook.id)
             .join(SubmittedAssignment, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
             .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
             .filter(Assignment.name == assignment, SubmittedAssignment.student_id == student,
                     Grade.manual_score.isnot(None)))
    return {(notebook, cell) for notebook, cell in query}


def _cell_sources(data: bytes, wanted: set[str]) -> dict[str, str]:
    """grade_id -> source (stripped) of the ``wanted`` cells of a notebook file; {} if it cannot be read."""
    try:
        cells = json.loads(data.decode("utf-8")).get("cells", [])
    except (ValueError, AttributeError):
        return {}
    found = {}
    for cell in cells if isinstance(cells, list) else []:
        meta = cell.get("metadata", {}).get("nbgrader", {}) if isinstance(cell, dict) else {}
        if isinstance(meta, dict) and meta.get("grade_id") in wanted:
            source = cell.get("source", "")
            found[meta["grade_id"]] = ("".join(source) if isinstance(source, list) else str(source)).strip()
    return found


def changed_answers(before: dict[str, bytes], after: dict[str, bytes],
                    hand_graded: set[tuple[str, str]]) -> list[tuple[str, str]]:
    """The hand-graded cells (notebook, grade_id) whose text differs between two autograded folders (path -> bytes);
    a cell the new notebook no longer has counts as changed."""
    changed = []
    for notebook in sorted({n for n, _ in hand_graded}):
        wanted = {cell for n, cell in hand_graded if n == notebook}
        old = _cell_sources(before.get(f"{notebook}.ipynb", b""), wanted)
        new = _cell_sources(after.get(f"{notebook}.ipynb", b""), wanted)
        changed += [(notebook, cell) for cell in sorted(wanted) if cell in old and old[cell] != new.get(cell)]
    return changed


def _write_notebook(session: Any, notebook: Any, results: NotebookGrades, reopened: set[str]) -> None:
    """The notebook's automatic results; the manual scores of the ``reopened`` cells (answers changed) cleared."""
    from nbgrader.api import Comment, Grade

    for grade, name in _named(session, Grade, notebook):
        grade.auto_score = results.auto_scores.get(name)
        if name in reopened:
            grade.manual_score = None
        grade.needs_manual_grade = grade.auto_score is None or grade.manual_score is not None
    for comment, name in _named(session, Comment, notebook):
        comment.auto_comment = results.auto_comments.get(name)
    notebook.late_submission_penalty = results.late_penalty


#: Indexes nbgrader's schema lacks: it finds a submission's notebooks, and a notebook's grades and comments,
#: by these columns, and without an index each lookup reads the whole table (the time per student then grows
#: with the class: 82 ms per submission at 20,000 submissions instead of 39 ms).
INDEXES = {
    "dlf_grade_notebook": "grade (notebook_id)",
    "dlf_comment_notebook": "comment (notebook_id)",
    "dlf_submitted_notebook_assignment": "submitted_notebook (assignment_id)",
}


def add_indexes(session: Any) -> None:
    """Create the :data:`INDEXES` if they are missing (harmless to nbgrader, which also reads faster)."""
    from sqlalchemy import text

    for name, target in INDEXES.items():
        session.execute(text(f"CREATE INDEX IF NOT EXISTS {name} ON {target}"))
    session.commit()


class Ledger:
    """The one writer of a grading run: ``record`` writes each task's results into the course.

    Use as a context manager: the gradebook stays open for the whole run (one
    connection, and SQLAlchemy's compiled statements reused: a third of the time
    of opening it per student), with the :data:`INDEXES` added.
    """

    def __init__(self, course: Course, assignment: str) -> None:
        self.course, self.assignment = course, assignment
        self._opened: Any = None
        self._gradebook: Any = None

    def __enter__(self) -> Ledger:
        self._opened = open_gradebook(self.course.db_url)
        self._gradebook = self._opened.__enter__()
        add_indexes(self._gradebook.db)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._opened.__exit__(*exc_info)

    def record(self, graded: GradedSubmission) -> list[tuple[str, str]]:
        """Write a successful grading: the autograded folder, then the gradebook; return the cells
        (notebook, grade_id) whose manual score was cleared because the answer changed.

        Per grade cell: ``auto_score`` as graded, ``needs_manual_grade`` when there
        is no automatic score or a manual score exists, the manual score cleared when
        the cell's text differs from the one that was graded by hand (the previous
        autograded notebook's); per solution or task cell: ``auto_comment``; per
        notebook: ``late_submission_penalty``. nbgrader's own calls commit the student
        and a new submission first; the scores follow in one commit, rolled back on an
        error (the submission then has no automatic scores, shows as pending, and the
        student is graded again on the next run).
        """
        if graded.error is not None:
            raise ValueError(f"{graded.student}: a failed grading has nothing to record ({graded.error})")
        student_folder = self.course.autograded_dir / graded.student
        student_folder.mkdir(parents=True, exist_ok=True)
        folder = student_folder / self.assignment
        hand_graded = _hand_graded(self._gradebook.db, self.assignment, graded.student)
        before = read_folder(folder) if hand_graded and folder.is_dir() else {}
        reopened = changed_answers(before, graded.files, hand_graded)
        _replace_folder(graded.files, folder)
        try:
            self._write(graded, reopened)
        except Exception:
            self._gradebook.db.rollback()
            raise
        return reopened

    def _write(self, graded: GradedSubmission, reopened: list[tuple[str, str]]) -> None:
        gradebook = self._gradebook
        gradebook.update_or_create_student(graded.student)
        stamp = {"timestamp": graded.timestamp} if graded.timestamp else {}
        submission = gradebook.update_or_create_submission(self.assignment, graded.student, **stamp)
        for notebook in submission.notebooks:
            results = graded.notebooks.get(notebook.name)
            if results is None:
                raise ValueError(f"{graded.student}: the grading has no results for notebook {notebook.name!r}")
            _write_notebook(gradebook.db, notebook, results, {cell for n, cell in reopened if n == notebook.name})
        gradebook.db.commit()
