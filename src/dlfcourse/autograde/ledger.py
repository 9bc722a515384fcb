"""The instructor's side of grading: what a task needs from the course, and the one writer of its results.

:func:`assignment_bundle` packs the assignment for the tasks (its sources, the
nbgrader configuration, and a small gradebook holding only the assignment's
cells, made with nbgrader's API). :class:`Ledger` writes each task's
:class:`~dlfcourse.autograde.jobs.GradedSubmission` into the course: the
autograded folder is replaced as a whole, then the student's automatic scores,
comments and late penalties go into the gradebook together, with
nbgrader's own rule for manual grades (a cell with a manual score, or without
an automatic one, needs a grader's look). Manual scores are never touched.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from dlfcourse.course import Course, open_gradebook
from dlfcourse.autograde.jobs import AssignmentBundle, GradedSubmission, NotebookGrades, read_folder, write_folder

__all__ = ["Ledger", "assignment_bundle", "extensions", "template_gradebook"]


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


def _write_notebook(session: Any, notebook: Any, results: NotebookGrades) -> None:
    from nbgrader.api import Comment, Grade

    for grade, name in _named(session, Grade, notebook):
        grade.auto_score = results.auto_scores.get(name)
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

    def record(self, graded: GradedSubmission) -> None:
        """Write a successful grading: the autograded folder, then the gradebook.

        Per grade cell: ``auto_score`` as graded, ``needs_manual_grade`` when there
        is no automatic score or a manual score exists; per solution or task cell:
        ``auto_comment``; per notebook: ``late_submission_penalty``. nbgrader's own
        calls commit the student and a new submission first; the scores follow in
        one commit, rolled back on an error (the submission then has no automatic
        scores, shows as pending, and the student is graded again on the next run).
        """
        if graded.error is not None:
            raise ValueError(f"{graded.student}: a failed grading has nothing to record ({graded.error})")
        student_folder = self.course.autograded_dir / graded.student
        student_folder.mkdir(parents=True, exist_ok=True)
        _replace_folder(graded.files, student_folder / self.assignment)
        try:
            self._write(graded)
        except Exception:
            self._gradebook.db.rollback()
            raise

    def _write(self, graded: GradedSubmission) -> None:
        gradebook = self._gradebook
        gradebook.update_or_create_student(graded.student)
        stamp = {"timestamp": graded.timestamp} if graded.timestamp else {}
        submission = gradebook.update_or_create_submission(self.assignment, graded.student, **stamp)
        for notebook in submission.notebooks:
            results = graded.notebooks.get(notebook.name)
            if results is None:
                raise ValueError(f"{graded.student}: the grading has no results for notebook {notebook.name!r}")
            _write_notebook(gradebook.db, notebook, results)
        gradebook.db.commit()
