"""``dlf-course demo``: a whole term's grading, end to end, on a temporary course with synthetic students.

1. a new course directory gets the assignment's source (from this course, or the
   built-in sample) and is released with nbgrader;
2. a class of synthetic students (correct, partial, broken, malicious) is zipped
   like an LMS download, with a duplicate and some malformed files;
3. collect → autograde (parallel, sandboxed) → feedback → export → report;
4. the files the malicious students attacked are checked to be unchanged.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from dlfcourse.demo import sample
from dlfcourse.autograde.command import GradeOutcome, autograde
from dlfcourse.intake.collect import CollectReport, collect
from dlfcourse.course import Course, CourseError
from dlfcourse.outputs.export import ExportResult, export
from dlfcourse.outputs.feedback import FeedbackOutcome, generate_feedback
from dlfcourse.demo.lmszip import MALFORMED_ENTRIES, write_lms_zip
from dlfcourse.release import release
from dlfcourse.outputs.report import build_report
from dlfcourse.outputs.report_html import write_report
from dlfcourse.demo.synthetic import SyntheticStudent, default_targets, make_class
from dlfcourse.settings import GradingSettings

__all__ = ["DEFAULT_ASSIGNMENT", "DemoResult", "prepare_course", "run_demo", "summary_lines", "file_hashes",
           "gradebook_intact"]

#: The assignment the demo grades unless told otherwise (falls back to the built-in sample if missing).
DEFAULT_ASSIGNMENT = "01-perceptron"


@dataclass
class DemoResult:
    """Everything the demo produced, for printing and for the tests."""

    course: Course
    assignment: str
    students: list[SyntheticStudent]
    collected: CollectReport
    graded: list[GradeOutcome]
    feedback: list[FeedbackOutcome]
    grades: ExportResult
    report: Path
    protected_changed: list[str] = field(default_factory=list)


def file_hashes(paths: list[Path]) -> dict[str, str | None]:
    """sha256 of each file (None if it does not exist)."""
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else None for p in paths}


def gradebook_intact(path: Path) -> bool:
    """True if the gradebook is a sound SQLite file that no submission wrote into (no bytes appended, no SQL)."""
    if b"HACKED" in path.read_bytes():
        return False
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        sound = db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        edited = db.execute("SELECT COUNT(*) FROM grade WHERE manual_score IS NOT NULL").fetchone()[0]
    return sound and edited == 0


def prepare_course(directory: Path, assignment: str, source: Course | None) -> tuple[Course, str]:
    """Create the demo course in ``directory``: the assignment from ``source`` (or the sample), plus the sample."""
    sample.write_sample_course(directory)
    if assignment != sample.SAMPLE_ASSIGNMENT:
        if source is None or assignment not in source.assignments():
            raise CourseError(f"assignment {assignment!r} not found in "
                              f"{source.source_dir if source else 'any course'}")
        shutil.copytree(source.source_dir / assignment, directory / "solutions" / assignment)
    course = Course.open(directory)
    failures = [r for r in release(course, [assignment]) if not r.ok]
    if failures:
        raise CourseError(f"nbgrader could not release {assignment}: {failures[0].message}")
    return course, assignment


def _foreign_notebook(assignment: str) -> bytes:
    """A notebook collect must refuse: the sample's (another assignment), or one whose cells match nothing."""
    notebook = sample.sample_notebook()
    if assignment == sample.SAMPLE_ASSIGNMENT:
        for cell in notebook.cells:
            cell.metadata["nbgrader"]["grade_id"] = "from-another-course-" + cell.metadata["nbgrader"]["grade_id"]
    return nbformat.writes(notebook).encode()


def _protected(course: Course, assignment: str, students: list[SyntheticStudent]) -> list[Path]:
    return list(default_targets(course, assignment, victim=students[0].student_id).files)


def run_demo(directory: Path | None = None, assignment: str = DEFAULT_ASSIGNMENT, size: int = 30,
             options: GradingSettings | None = None, source: Course | None = None,
             say: Callable[[str], None] = print, progress: bool = True) -> DemoResult:
    """Run the whole pipeline on a new course in ``directory`` (default: a new temporary directory)."""
    directory = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="dlf-demo-"))
    if directory.exists() and any(directory.iterdir()):
        raise CourseError(f"{directory} is not empty: the demo needs a new or empty directory")
    course, assignment = prepare_course(directory, assignment, source)
    say(f"demo course: {course.root} (assignment {assignment})")
    students = make_class(course, assignment, size)
    extras = {**MALFORMED_ENTRIES, "wendy_other.ipynb": _foreign_notebook(assignment)}
    archive = write_lms_zip(students, course.root / "lms-download.zip", extras, duplicates=[students[0].student_id])
    collected = collect(course, assignment, archive)
    for line in collected.lines():
        say(f"collect: {line}")
    export_path = course.root / "grades.csv"
    export_path.write_text("student,total\n")  # an earlier export, which the malicious students attack
    protected = _protected(course, assignment, students)
    before = file_hashes(protected)
    graded = autograde(course, assignment, options, progress=progress)
    changed = [p for p, h in file_hashes(protected).items() if before[p] != h]
    if not gradebook_intact(course.gradebook):
        changed.append(str(course.gradebook))
    feedback = generate_feedback(course, assignment)
    grades = export(course, export_path, [assignment], allow_pending=True)
    report = write_report(build_report(course, assignment), course.root / f"report-{assignment}.html")
    result = DemoResult(course, assignment, students, collected, graded, feedback, grades, report, changed)
    for line in summary_lines(result):
        say(line)
    return result


def summary_lines(result: DemoResult) -> list[str]:
    """What the demo prints at the end: a line per student, then the files and the sandbox check."""
    kinds = {s.student_id: s.kind for s in result.students}
    lines = [f"{'student':28s} {'kind':20s} {'grading':8s} score"]
    table = result.grades.table
    for outcome in result.graded:
        score = table.total(outcome.student) if outcome.student in table.scores else 0.0
        why = f"  ({outcome.message})" if outcome.status == "failed" else ""
        lines.append(f"{outcome.student:28s} {kinds.get(outcome.student, '?'):20s} {outcome.status:8s} "
                     f"{score:g} / {table.max_score:g}{why}")
    written = sum(1 for f in result.feedback if f.files)
    lines += [f"feedback: {written} of {len(result.feedback)} students, in {result.course.feedback_dir}",
              f"grades: {result.course.root / 'grades.csv'}", f"report: {result.report}"]
    if result.protected_changed:
        lines.append(f"SANDBOX FAILURE: changed {', '.join(result.protected_changed)}")
    else:
        lines.append("sandbox: the gradebook, the sources, the exports and the other students' files are unchanged")
    return lines
