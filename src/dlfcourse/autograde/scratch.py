"""The task side of grading: grade one submission in a private scratch course, return the results as data.

:func:`grade_submission` unpacks the :class:`~dlfcourse.autograde.jobs.AssignmentBundle`
and the student's files into a new temporary course directory with its own
gradebook, rebuilds each submitted notebook's grading metadata from its source
(:mod:`dlfcourse.grader.repair`: nothing the student did to the metadata can make
nbgrader fail; the notes of the repairs go into the notebook and the result),
runs nbgrader's ``autograde`` there (with the trusted executor and grade writer
of :mod:`dlfcourse.autograde.trusted`, the notebook in the sandbox), and reads
back what nbgrader wrote: the autograded folder, and each cell's automatic score
and comment from the scratch gradebook. Nothing in the
instructor's course is read or written, so the task can run on any machine
that has this package and bubblewrap.
"""

from __future__ import annotations

import re
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dlfcourse.course import Course, open_gradebook
from dlfcourse.grader.repair import load_submission, repair_metadata, store_notes, summarise
from dlfcourse.autograde.jobs import AssignmentBundle, GradedSubmission, NotebookGrades, SubmissionJob, read_folder, \
    write_folder

__all__ = ["grade_submission", "preload", "repair_submission", "unpack_course"]


def preload() -> None:
    """Import what grading needs (nbgrader takes seconds), so that the processes forked to grade share it;
    and give the grader's BLAS one thread: each grading slot has a core (a reference's matrix product on
    the digits took 14 ms with two threads fighting another slot for the cores, 0.5 ms with one)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)
    import nbgrader.apps
    import nbgrader.converters
    import nbgrader.preprocessors  # noqa: F401

    import dlfcourse.autograde.trusted  # noqa: F401


def unpack_course(bundle: AssignmentBundle, job: SubmissionJob, root: Path) -> Course:
    """A course directory at ``root`` with the bundle's sources and gradebook and the student's submission."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "nbgrader_config.py").write_text(bundle.config_py)
    course = Course(root.resolve())
    write_folder(bundle.source_files, course.source_dir / bundle.assignment)
    write_folder(job.files, course.submitted_dir / job.student / bundle.assignment)
    course.gradebook.write_bytes(bundle.gradebook)
    with open_gradebook(course.db_url, bundle.course_id) as gradebook:
        gradebook.update_or_create_student(job.student)
        if job.extension:
            gradebook.update_or_create_submission(bundle.assignment, job.student, extension=job.extension)
    return course


def repair_submission(course: Course, assignment: str, student: str) -> dict[str, tuple[str, ...]]:
    """Rebuild the grading metadata of each submitted notebook from its source, in the scratch course.

    Returns notebook name -> the notes of the repairs made (only notebooks that needed one). A file that
    is not a notebook at all, or has no source, is left as it is: nbgrader fails or skips it as before.
    """
    import nbformat

    repairs = {}
    for path in sorted((course.submitted_dir / student / assignment).glob("*.ipynb")):
        source = course.source_dir / assignment / path.name
        if not source.is_file():
            continue
        try:
            nb, notes = load_submission(path.read_bytes().decode("utf-8-sig"))
        except ValueError:  # also UnicodeDecodeError
            continue
        notes = summarise(notes + repair_metadata(nb, nbformat.read(source, as_version=4)))
        if notes:
            store_notes(nb, notes)
            repairs[path.stem] = tuple(notes)
        nbformat.write(nb, path)
    return repairs


def _results(course: Course, assignment: str, student: str) -> tuple[Any, dict[str, NotebookGrades]]:
    """The submission's timestamp and every notebook's automatic results, read from the scratch gradebook."""
    with open_gradebook(course.db_url) as gradebook:
        submission = gradebook.find_submission(assignment, student)
        notebooks = {
            notebook.name: NotebookGrades(
                auto_scores={g.name: g.auto_score for g in notebook.grades},
                auto_comments={c.name: c.auto_comment for c in notebook.comments},
                late_penalty=notebook.late_submission_penalty)
            for notebook in submission.notebooks}
        return submission.timestamp, notebooks


def _score(folder: Path) -> tuple[float, float] | None:
    """(points, max points) of the auto-graded items, from the verdicts in the autograded notebooks."""
    import nbformat

    from dlfcourse.grader.verdict import verdicts_of

    total = maximum = 0.0
    for path in sorted(folder.glob("*.ipynb")):
        for _, verdict in verdicts_of(nbformat.read(path, as_version=4)):
            total, maximum = total + verdict.points, maximum + verdict.max_points
    return (total, maximum) if maximum else None


def _full_text(result: dict) -> str:
    """Everything nbgrader said about a failed grading: its log (with the traceback), then its error."""
    parts = [(result.get("log") or "").strip(), (result.get("error") or "").strip()]
    return "\n\n".join(p for p in parts if p) or "nbgrader failed without a message"


#: nbgrader's closing lines, which only point at the traceback above them.
_POINTERS = ("Please see the", "There was an error processing")


def _summary(result: dict) -> str:
    """One line for the terminal: the last exception nbgrader logged, else its last error line."""
    text = (result.get("log") or "") + "\n" + (result.get("error") or "")
    lines = [line.strip() for line in text.splitlines()
             if line.strip() and "SAWarning" not in line and not any(p in line for p in _POINTERS)]
    raised = [line for line in lines if re.match(r"^[\w.]*(Error|Exception)\b.*:", line)]
    errors = [line for line in lines if "[ERROR]" in line or "Error" in line]
    return (raised or errors or lines or ["nbgrader failed without a message"])[-1][:500]


def _autograde(course: Course, assignment: str, student: str, config: Any) -> dict[str, Any]:
    """nbgrader's ``autograde`` of one submission in the scratch course, its result as nbgrader reports it.

    nbgrader's gradebook models make SQLAlchemy warn (relationship overlaps) each time a process opens
    one: printed once per student otherwise, those warnings are silenced here, and only here.
    """
    from sqlalchemy.exc import SAWarning

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=SAWarning)
        result: dict[str, Any] = course.api(config).autograde(assignment, student, force=True, create=True)
    return result


def grade_submission(bundle: AssignmentBundle, job: SubmissionJob,
                     config: Callable[[Course], Any]) -> GradedSubmission:
    """Grade ``job`` with nbgrader in a scratch course; ``config`` is a function (Course -> traitlets Config).

    Never raises for a bad submission: a grading that fails returns its reason in ``error``.
    """
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"dlf-grade-{bundle.assignment}-") as folder:
        course = unpack_course(bundle, job, Path(folder) / "course")
        repairs = repair_submission(course, bundle.assignment, job.student)
        result = _autograde(course, bundle.assignment, job.student, config(course))
        if not result.get("success"):
            return GradedSubmission(job.student, time.monotonic() - started, error=_summary(result),
                                    repairs=repairs, log=_full_text(result))
        timestamp, notebooks = _results(course, bundle.assignment, job.student)
        autograded = course.autograded_dir / job.student / bundle.assignment
        return GradedSubmission(job.student, time.monotonic() - started, timestamp, notebooks,
                                read_folder(autograded), _score(autograded), repairs=repairs)
