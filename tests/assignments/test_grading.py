"""Every assignment graded end to end through the production path: collect → sandboxed autograde → export.

For each assignment with submissions in the corpus (``SUBMISSIONS`` of
``tests/corpus/aNN_*.py``), a temporary course is built from the repository's
source notebook; every synthetic student hands in a notebook (one folder per
student, as a download from a course site), and the instructor's commands run
as in a term: ``dlf-course collect``, ``dlf-course
autograde`` (sandboxed workers, the trusted grader), ``dlf-course export``.
The test then checks each student's score per item in the exported CSV, and
the verdict code of each diagnosed item in the autograded notebook.
"""

from __future__ import annotations

import contextlib
import csv
import io

import nbformat
import pytest

from corpus import all_submissions
from course_fixtures import copy_course
from course_harness import build_submission, graded_item_points, notebook_name

SUBMISSIONS = all_submissions()

pytestmark = pytest.mark.slow


def dlf_course(*argv: str) -> tuple[int, str]:
    """Run ``dlf-course`` in this process; return (exit status, what it printed)."""
    from dlfcourse.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        status = main(list(argv))
    return status, out.getvalue()


@pytest.fixture(scope="module", params=sorted(SUBMISSIONS))
def term(request, tmp_path_factory, released_assignment):
    assignment, submissions = request.param, SUBMISSIONS[request.param]
    course = copy_course(released_assignment(assignment), tmp_path_factory.mktemp(assignment) / "course").root
    handin = course.parent / "handin"
    for submission in submissions:
        build_submission(course, assignment, submission, handin=handin)
    where = ["--course", str(course)]
    collected = dlf_course("collect", assignment, str(handin), *where)
    graded = dlf_course("autograde", assignment, *where, "--jobs", "2", "--no-progress",
                        "--cell-timeout", "10", "--call-timeout", "10")
    exported = dlf_course("export", assignment, *where, "--output", str(course / "grades.csv"),
                          "--allow-pending")
    with open(course / "grades.csv", newline="") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    return course, assignment, submissions, collected, graded, exported, rows


def _verdict_codes(course, assignment: str, student: str) -> dict[str, str]:
    path = course / "autograded" / student / assignment / notebook_name(assignment)
    return {c.metadata["nbgrader"]["grade_id"]: c.metadata["dlfcourse"]["code"]
            for c in nbformat.read(path, as_version=4).cells if "dlfcourse" in c.metadata}


def test_a_term_of_the_assignment_grades_every_student_as_expected(term):
    """One test per assignment (its course is built once, on one worker): the commands, the scores, the codes."""
    course, assignment, submissions, collected, graded, exported, rows = term
    assert collected[0] == 0, collected[1]
    assert f"collected {len(submissions)} notebooks from {len(submissions)} students" in collected[1]
    assert graded[0] == 0 and f"{len(submissions)} graded, 0 skipped, 0 failed" in graded[1], graded[1]
    assert exported[0] == 0, exported[1]
    points = graded_item_points(course, assignment)
    problems = []
    for submission in submissions:
        row, codes = rows[submission.student], _verdict_codes(course, assignment, submission.student)
        for grade_id, full in points.items():
            expected = submission.expected.get(grade_id, full)
            got = float(row[grade_id]) if row[grade_id] != "" else None
            if got != expected:
                problems.append(f"{submission.student}: {grade_id} scored {got}, expected {expected} "
                                f"({codes.get(grade_id)})")
        for grade_id, code in submission.diagnoses.items():
            if codes.get(grade_id) != code:
                problems.append(f"{submission.student}: {grade_id} should be {code!r}, is {codes.get(grade_id)!r}")
    assert not problems, "\n".join(problems)
