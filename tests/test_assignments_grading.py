"""End to end: synthetic students submit, nbgrader autogrades, and every item scores what it should.

For each assignment with a module in ``grading_cases/``, a temporary course is
built from the repository's source notebook, every synthetic submission is
autograded by nbgrader, and the test checks, per student and per item, the
score in the gradebook, the diagnosis shown in the feedback, and that the
feedback contains no line of the hidden tests.
"""

from __future__ import annotations

import html
import importlib
import pkgutil
import re

import nbformat
import pytest

import grading_cases
from course_harness import (REPO, build_submission, diagnosis_codes, feedback_html, hidden_test_lines,
                            item_scores, make_course, nbgrader, notebook_name, graded_item_points)

CASE_MODULES = sorted(m.name for m in pkgutil.iter_modules(grading_cases.__path__))

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=CASE_MODULES)
def graded_course(request, tmp_path_factory):
    cases = importlib.import_module(f"grading_cases.{request.param}")
    course = make_course(tmp_path_factory.mktemp(request.param), cases.ASSIGNMENT)
    for submission in cases.SUBMISSIONS:
        build_submission(course, cases.ASSIGNMENT, submission)
    nbgrader(course, "autograde", cases.ASSIGNMENT, "--force")
    # The course's own feedback step (as `dlf-course feedback`): plain `nbgrader generate_feedback`
    # keeps the hidden tests in the HTML.
    from dlfcourse.course import Course
    from dlfcourse.outputs.feedback import generate_feedback
    generate_feedback(Course.open(course), cases.ASSIGNMENT)
    return course, cases


def test_every_student_scores_as_expected_per_item(graded_course):
    course, cases = graded_course
    points = graded_item_points(course, cases.ASSIGNMENT)
    problems = []
    for submission in cases.SUBMISSIONS:
        scores = item_scores(course, cases.ASSIGNMENT, submission.student)
        for grade_id, full in points.items():
            expected = submission.expected.get(grade_id, full)
            got = scores.get(grade_id)
            if got != expected:
                problems.append(f"{submission.student}: {grade_id} scored {got}, expected {expected}")
    assert not problems, "\n".join(problems)


def test_feedback_names_each_diagnosed_mistake(graded_course):
    course, cases = graded_course
    missing = []
    for submission in cases.SUBMISSIONS:
        shown = diagnosis_codes(feedback_html(course, cases.ASSIGNMENT, submission.student))
        for grade_id, code in submission.diagnoses.items():
            if code not in shown:
                missing.append(f"{submission.student}: {grade_id} should be diagnosed {code!r}, feedback shows {sorted(shown)}")
    assert not missing, "\n".join(missing)


def test_feedback_never_shows_hidden_test_source(graded_course):
    course, cases = graded_course
    source = nbformat.read(REPO / "solutions" / cases.ASSIGNMENT / notebook_name(cases.ASSIGNMENT), as_version=4)
    hidden = hidden_test_lines(source)
    assert hidden, "the source notebook should have hidden tests"
    for submission in cases.SUBMISSIONS:
        page = feedback_html(course, cases.ASSIGNMENT, submission.student)
        text = html.unescape(re.sub(r"<[^>]+>", "", page))
        leaked = [line for line in hidden if line in text]
        assert not leaked, f"{submission.student}'s feedback shows hidden test lines: {leaked}"
