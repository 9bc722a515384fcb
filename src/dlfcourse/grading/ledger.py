"""The instructor's side of grading: what a task needs from the course, and the one writer of its results.

:func:`assignment_bundle` packs the assignment for the tasks (its sources, the
nbgrader configuration, and a small gradebook holding only the assignment's
cells, made with nbgrader's API). :func:`record` writes a task's
:class:`~dlfcourse.grading.jobs.GradedSubmission` into the course: the
autograded folder is replaced as a whole, then the student's automatic scores,
comments and late penalties go into the gradebook in one commit, with
nbgrader's own rule for manual grades (a cell with a manual score, or without
an automatic one, needs a grader's look). Manual scores are never touched.
"""

from __future__ import annotations

import shutil
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from dlfcourse.course import Course
from dlfcourse.grading.jobs import AssignmentBundle, GradedSubmission, read_folder, write_folder

__all__ = ["assignment_bundle", "extensions", "record", "template_gradebook"]


@contextmanager
def _gradebook(url: str, course_id: str | None = None) -> Iterator[Any]:
    from nbgrader.api import Gradebook

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SQLAlchemy's warnings about nbgrader's models
        with Gradebook(url, course_id) if course_id else Gradebook(url) as gradebook:
            yield gradebook


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
        with _gradebook(course.db_url) as source, _gradebook(f"sqlite:///{path}", course_id) as target:
            _copy_cells(source, target, assignment)
        return path.read_bytes()


def extensions(course: Course, assignment: str) -> dict[str, timedelta]:
    """The students of ``assignment`` who have an extension of its due date, with the extension."""
    with _gradebook(course.db_url) as gradebook:
        found = gradebook.find_assignment(assignment)
        return {s.student_id: s.extension for s in found.submissions if s.extension}


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


def record(course: Course, assignment: str, graded: GradedSubmission) -> None:
    """Write a successful grading into the course: the autograded folder, then the gradebook.

    Per grade cell: ``auto_score`` as graded, ``needs_manual_grade`` when there
    is no automatic score or a manual score exists; per solution or task cell:
    ``auto_comment``; per notebook: ``late_submission_penalty``.
    """
    if graded.error is not None:
        raise ValueError(f"{graded.student}: a failed grading has nothing to record ({graded.error})")
    student_folder = course.autograded_dir / graded.student
    student_folder.mkdir(parents=True, exist_ok=True)
    _replace_folder(graded.files, student_folder / assignment)
    with _gradebook(course.db_url) as gradebook:
        gradebook.update_or_create_student(graded.student)
        stamp = {"timestamp": graded.timestamp} if graded.timestamp else {}
        submission = gradebook.update_or_create_submission(assignment, graded.student, **stamp)
        for notebook in submission.notebooks:
            results = graded.notebooks.get(notebook.name)
            if results is None:
                raise ValueError(f"{graded.student}: the grading has no results for notebook {notebook.name!r}")
            for grade in notebook.grades:
                grade.auto_score = results.auto_scores.get(grade.name)
                grade.needs_manual_grade = grade.auto_score is None or grade.manual_score is not None
            for comment in notebook.comments:
                comment.auto_comment = results.auto_comments.get(comment.name)
            notebook.late_submission_penalty = results.late_penalty
        gradebook.db.commit()
