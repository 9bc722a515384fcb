"""The single writer: what a grading task returns is written into the course, and nothing else is touched."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from datetime import timedelta
from pathlib import Path

import nbformat
import pytest

from dlfcourse.course import Course
from dlfcourse.demo.sample import SAMPLE_ASSIGNMENT as A
from dlfcourse.demo.sample import write_sample_course
from dlfcourse.demo.synthetic import make_class
from dlfcourse.autograde.command import autograde
from dlfcourse.autograde.jobs import GradedSubmission, write_folder
from dlfcourse.autograde.ledger import Ledger, template_gradebook
from dlfcourse.sandbox.uids import claim_uid
from dlfcourse.release import release
from course_fixtures import copy_course, hand_in
from dlfcourse.settings import GradingSettings

UIDS = 63300


def _options(**changes) -> GradingSettings:
    return GradingSettings(**{"jobs": 1, "cell_timeout": 20, "uid_base": UIDS, **changes})


@pytest.fixture()
def course(tmp_path: Path, released_sample: Path) -> Course:
    """The released sample course (a copy), alice's submission (relu right, mse_loss the stub) collected."""
    course = copy_course(released_sample, tmp_path / "course")
    hand_in(course, "alice", "partial-stub")
    return course


def _grades(course: Course) -> dict[str, tuple]:
    from nbgrader.api import Gradebook

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Gradebook(course.db_url) as gradebook:
            notebook = gradebook.find_submission_notebook("sample", A, "alice")
            return {g.name: (g.auto_score, g.manual_score, g.needs_manual_grade) for g in notebook.grades}


def test_a_regrade_keeps_the_manual_score_and_flags_the_cell_for_review(course: Course):
    from nbgrader.api import Gradebook

    [first] = autograde(course, A, _options(), progress=False)
    assert first.status == "graded" and first.score == (1.0, 3.0)
    grades = _grades(course)
    item = next(name for name, (auto, _, _) in grades.items() if auto == 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Gradebook(course.db_url) as gradebook:
            gradebook.find_grade(item, "sample", A, "alice").manual_score = 0.5
            gradebook.db.commit()
    autograde(course, A, _options(force=True), progress=False)
    assert _grades(course)[item] == (0.0, 0.5, True)
    assert all(needs is False for name, (_, _, needs) in _grades(course).items() if name != item)


def test_a_grading_that_fails_leaves_the_earlier_results_as_they_were(course: Course):
    autograde(course, A, _options(), progress=False)
    graded = course.autograded_dir / "alice" / A / "sample.ipynb"
    before, grades = graded.read_bytes(), _grades(course)
    (course.submitted_dir / "alice" / A / "sample.ipynb").write_text('{"cells": [ not json')
    [outcome] = autograde(course, A, _options(), progress=False)
    assert outcome.status == "failed" and outcome.message
    assert graded.read_bytes() == before
    assert _grades(course) == grades


def test_the_template_gradebook_holds_the_assignment_and_no_student(course: Course, tmp_path: Path):
    from nbgrader.api import Gradebook

    autograde(course, A, _options(), progress=False)
    path = tmp_path / "template.db"
    path.write_bytes(template_gradebook(course, A))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Gradebook(f"sqlite:///{path}") as template, Gradebook(course.db_url) as full:
            assert template.students == [] and [s.id for s in full.students] == ["alice"]
            ours, theirs = template.find_assignment(A).notebooks[0], full.find_assignment(A).notebooks[0]
            assert [(c.name, c.max_score) for c in ours.grade_cells] == [(c.name, c.max_score)
                                                                          for c in theirs.grade_cells]
            assert [(c.name, c.checksum) for c in ours.source_cells] == [(c.name, c.checksum)
                                                                          for c in theirs.source_cells]


def test_a_failed_grading_cannot_be_recorded(course: Course):
    with Ledger(course, A) as ledger, pytest.raises(ValueError, match="nothing to record"):
        ledger.record(GradedSubmission("alice", 1.0, error="crashed"))
    assert not (course.autograded_dir / "alice").exists()


@pytest.mark.parametrize("name", ["../escape.ipynb", "/etc/passwd", "a/../../b"])
def test_returned_files_cannot_leave_their_folder(tmp_path: Path, name: str):
    with pytest.raises(ValueError, match="outside"):
        write_folder({name: b"x"}, tmp_path / "folder")
    assert not (tmp_path / "escape.ipynb").exists()


def test_two_graders_never_hold_the_same_sandbox_uid(tmp_path: Path):
    with claim_uid(UIDS + 100) as first, claim_uid(UIDS + 100) as second:
        assert (first, second) == (UIDS + 100, UIDS + 101)
        other = subprocess.run([sys.executable, "-c", "from dlfcourse.sandbox.uids import claim_uid\n"
                                f"with claim_uid({UIDS + 100}) as uid: print(uid)"],
                               capture_output=True, text=True, check=True)
        assert int(other.stdout) == UIDS + 102
    with claim_uid(UIDS + 100, preferred=1) as again:
        assert again == UIDS + 101


def test_late_penalties_and_extensions_are_applied_as_nbgrader_applies_them(course: Course):
    from nbgrader.api import Gradebook

    with open(course.root / "nbgrader_config.py", "a") as config:
        config.write('\nc.LateSubmissionPlugin.penalty_method = "zero"\n')
    hand_in(course, "bob", "correct")
    for student in ("alice", "bob"):
        (course.submitted_dir / student / A / "timestamp.txt").write_text("2026-03-03 12:00:00 UTC")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Gradebook(course.db_url) as gradebook:
            gradebook.update_or_create_assignment(A, duedate="2026-03-02 12:00:00 UTC")
            gradebook.update_or_create_student("bob")
            gradebook.update_or_create_submission(A, "bob", extension=timedelta(days=2))
    outcomes = {o.student: o for o in autograde(course, A, _options(), progress=False)}
    assert outcomes["alice"].score == (1.0, 3.0) and outcomes["bob"].score == (3.0, 3.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Gradebook(course.db_url) as gradebook:
            late = gradebook.find_submission(A, "alice")
            excused = gradebook.find_submission(A, "bob")
            assert late.total_seconds_late == 86400 and late.late_submission_penalty == 1.0
            assert excused.total_seconds_late == 0 and not excused.late_submission_penalty
            assert excused.extension.days == 2


def test_autograde_works_without_the_environment_on_path(course: Course):
    """As an instructor runs it: `.venv/bin/dlf-course autograde ...` from a shell that did not activate .venv."""
    env = {**os.environ, "PATH": "/usr/local/bin:/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "dlfcourse.cli", "autograde", A, "--course", str(course.root),
                           "--no-progress", "--sandbox-uid-base", str(UIDS + 20)],
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    assert "alice: graded 1/3" in done.stdout


# --- a resubmission that changes a written answer; two runs at once ---------------------------------------------

WRITTEN = "why-relu"


@pytest.fixture()
def written_course(tmp_path: Path) -> Course:
    """The sample assignment with a written answer (2 points, graded by hand) after its two items; alice's
    submission answers every item correctly and says "It is cheap." in the written answer."""
    from nbformat.v4 import new_markdown_cell

    write_sample_course(tmp_path / "course")
    course = Course.open(tmp_path / "course")
    path = course.source_dir / A / "sample.ipynb"
    source = nbformat.read(path, as_version=4)
    meta = {"grade": True, "solution": True, "locked": False, "grade_id": WRITTEN, "points": 2, "schema_version": 3}
    source.cells.append(new_markdown_cell("Why relu? ### BEGIN SOLUTION\nCheap.\n### END SOLUTION",
                                          metadata={"nbgrader": meta}))
    nbformat.write(source, path)
    assert all(r.ok for r in release(course, [A]))
    _hand_in(course, "It is cheap.")
    return course


def _hand_in(course: Course, answer: str) -> None:
    made = make_class(course, A, 1, kinds=("correct",), name=lambda i, k: "alice")[0].notebooks["sample"]
    for cell in made.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == WRITTEN:
            cell.source = answer
    (course.submitted_dir / "alice" / A).mkdir(parents=True, exist_ok=True)
    nbformat.write(made, course.submitted_dir / "alice" / A / "sample.ipynb")


def _grade_by_hand(course: Course, cell: str, score: float) -> None:
    from nbgrader.api import Gradebook

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Gradebook(course.db_url) as gradebook:
            gradebook.find_grade(cell, "sample", A, "alice").manual_score = score
            gradebook.db.commit()


def test_a_changed_written_answer_goes_back_to_pending(written_course: Course):
    from dlfcourse.outputs.export import export
    from dlfcourse.outputs.report import build_report

    course = written_course
    autograde(course, A, _options(), progress=False)
    _grade_by_hand(course, WRITTEN, 2.0)
    [same] = autograde(course, A, _options(force=True), progress=False)  # the same answer: the grade stays
    assert same.reopened == () and _grades(course)[WRITTEN] == (None, 2.0, True)
    _hand_in(course, "It is cheap, and its gradient does not vanish for positive inputs.")
    [outcome] = autograde(course, A, _options(), progress=False)
    assert outcome.status == "graded" and outcome.reopened == (f"sample/{WRITTEN}",)
    assert outcome.line().endswith("; answer changed since it was graded by hand, its manual score cleared "
                                   f"(to grade again): sample/{WRITTEN}")
    assert _grades(course)[WRITTEN] == (None, None, True)
    result = export(course, course.root / "grades.csv", [A])
    row = (course.root / "grades.csv").read_text().splitlines()[1].split(",")
    header = (course.root / "grades.csv").read_text().splitlines()[0].split(",")
    assert row[header.index(WRITTEN)] == "" and row[header.index("pending")] == "1"
    assert result.table.pending["alice"] == {WRITTEN}
    report = build_report(course, A)
    assert report.reopened == {"alice": [WRITTEN]}


def test_a_second_autograde_of_the_same_assignment_stops_and_names_the_first(course: Course):
    import socket

    from dlfcourse.autograde.lock import GradingLocked, grading_lock

    with grading_lock(course, A):
        holder = rf"\(pid {os.getpid()} on {socket.gethostname()}, since 20\d\d-\d\d-\d\d \d\d:\d\d:\d\d UTC\)"
        with pytest.raises(GradingLocked, match=rf"autograde {A} is already running {holder}"):
            autograde(course, A, _options(), progress=False)
        done = subprocess.run([sys.executable, "-m", "dlfcourse.cli", "autograde", A, "--course", str(course.root),
                               "--no-progress"], capture_output=True, text=True, timeout=300)
        assert done.returncode == 2 and done.stdout == ""
        [line] = done.stderr.splitlines()
        assert line.startswith(f"dlf-course autograde: error: autograde {A} is already running (pid {os.getpid()} ")
    assert not (course.autograded_dir / "alice").exists()  # nothing was graded
    [outcome] = autograde(course, A, _options(), progress=False)  # released: the next run grades
    assert outcome.status == "graded"
