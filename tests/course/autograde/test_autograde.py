"""Parallel grading: the worker pool, resuming after an interruption, regrading a changed submission."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from dlfcourse.autograde.command import autograde, needs_grading
from dlfcourse.course import Course
from dlfcourse.autograde.pool import run_tasks
from dlfcourse.demo.sample import SAMPLE_ASSIGNMENT as A
from dlfcourse.settings import GradingSettings
from course_fixtures import SAMPLE_CLASS, copy_course, hand_in
from interrupting import interrupt_after_first, markers

STUDENTS = list(SAMPLE_CLASS)  # a-correct, b-broken, c-correct, d-stub (see course_fixtures)
UIDS = 63000  # sandbox uids of their own (63000, 63001), apart from the other grading tests


def _task(key: str, slot: int) -> tuple[str, int, int]:
    if key == "crash":
        os._exit(3)
    if key == "raise":
        raise RuntimeError("bad input")
    if key == "hang":
        time.sleep(60)
    time.sleep(0.2)
    return key, slot, os.getpid()


def test_pool_runs_every_task_in_its_own_process_with_distinct_slots():
    results = {r.key: r for r in run_tasks(_task, ["a", "b", "c", "d"], jobs=2, time_limit=30)}
    assert sorted(results) == ["a", "b", "c", "d"]
    assert all(r.error is None and r.value[0] == r.key for r in results.values())
    assert {r.value[1] for r in results.values()} == {0, 1}
    assert len({r.value[2] for r in results.values()} | {os.getpid()}) == 5


def test_pool_reports_crashes_exceptions_and_overruns_and_goes_on():
    results = {r.key: r for r in run_tasks(_task, ["crash", "raise", "hang", "ok"], jobs=2, time_limit=3)}
    assert results["crash"].error == "the worker process ended without a result (exit code 3)"
    assert results["raise"].error == "RuntimeError: bad input"
    assert results["hang"].error == "stopped after 3 s, the hard time limit"
    assert results["hang"].seconds < 10
    assert results["ok"].error is None


def test_ctrl_c_stops_the_pool_at_a_checkpoint_and_kills_the_running_tasks():
    from dlfcourse.autograde.interrupts import deferred_interrupts

    finished = []
    with pytest.raises(KeyboardInterrupt), deferred_interrupts() as checkpoint:
        for result in run_tasks(_task, ["a", "hang", "b", "c"], jobs=2, time_limit=60, checkpoint=checkpoint):
            finished.append(result.key)
            os.kill(os.getpid(), signal.SIGINT)  # lands while the loop is busy: acted on at the next checkpoint
            finished.append("after the signal")
    assert finished == ["a", "after the signal"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory, graded_sample: Path) -> Course:
    """The sample course with four students (correct, broken, correct, stub), graded (a copy, the module's)."""
    return copy_course(graded_sample, tmp_path_factory.mktemp("resume") / "course")


@pytest.fixture()
def collected(tmp_path: Path, released_sample: Path) -> Course:
    """The same four students collected, none graded yet."""
    course = copy_course(released_sample, tmp_path / "course")
    for student, kind in SAMPLE_CLASS.items():
        hand_in(course, student, kind)
    return course


def test_an_interrupted_run_resumes_where_it_stopped(collected: Course):
    course = collected
    command = [sys.executable, "-m", "dlfcourse.cli", "autograde", A, "--course", str(course.root),
               "--jobs", "1", "--no-progress", "--sandbox-uid-base", str(UIDS)]
    returncode, output = interrupt_after_first(command, course, A)
    assert returncode == 130, output
    assert "interrupted; run the command again to resume" in output
    done = markers(course, A)
    assert 1 <= len(done) < len(STUDENTS) and set(done.values()) == {"graded"}
    outcomes = autograde(course, A, GradingSettings(jobs=2, cell_timeout=10, uid_base=UIDS), progress=False)
    status = {o.student: o.status for o in outcomes}
    assert {s for s, v in status.items() if v == "skipped"} == set(done)
    assert {s for s, v in status.items() if v == "graded"} == set(STUDENTS) - set(done)


def test_a_changed_submission_is_graded_again_and_force_regrades(course: Course):
    autograde(course, A, GradingSettings(jobs=2, cell_timeout=10, uid_base=UIDS), progress=False)
    assert not any(needs_grading(course, A, s) for s in STUDENTS)
    notebook = course.submitted_dir / "d-stub" / A / "sample.ipynb"
    notebook.write_text(notebook.read_text().replace("Sample assignment", "Sample assignment, edited"))
    assert [s for s in STUDENTS if needs_grading(course, A, s)] == ["d-stub"]
    outcomes = autograde(course, A, GradingSettings(jobs=2, cell_timeout=10, uid_base=UIDS), progress=False)
    assert [o.student for o in outcomes if o.status == "graded"] == ["d-stub"]
    options = GradingSettings(jobs=2, force=True, cell_timeout=10, uid_base=UIDS)
    forced = autograde(course, A, options, ["a-correct"], progress=False)
    assert [(o.student, o.status) for o in forced] == [("a-correct", "graded")]


def test_grading_without_the_sandbox_gives_the_same_scores(course: Course):
    from dlfcourse.outputs.export import grade_table

    autograde(course, A, GradingSettings(jobs=2, cell_timeout=10, uid_base=UIDS), progress=False)
    before = grade_table(course, [A]).scores
    outcomes = autograde(course, A, GradingSettings(jobs=2, force=True, sandbox=False, cell_timeout=10, uid_base=UIDS),
                         ["a-correct", "b-broken"], progress=False)
    assert [o.status for o in outcomes] == ["graded", "graded"]
    after = grade_table(course, [A]).scores
    assert after["a-correct"] == before["a-correct"] == {"relu-test": 1.0, "mse-test": 2.0}
    assert after["b-broken"] == before["b-broken"] == {"relu-test": 0.0, "mse-test": 0.0}


def test_an_interrupted_force_run_resumes_without_regrading_what_it_finished(course: Course):
    from datetime import datetime, timedelta, timezone

    autograde(course, A, GradingSettings(jobs=2, cell_timeout=10, uid_base=UIDS), progress=False)
    # A --force run over every student was interrupted after it had regraded a-correct:
    started = datetime.now(timezone.utc)
    pending = course.state_dir / "autograde" / f"{A}.force-pending.json"
    pending.write_text(json.dumps({"started": started.isoformat(), "students": STUDENTS}))
    marker = course.state_dir / "autograde" / A / "a-correct.json"
    record = json.loads(marker.read_text())
    marker.write_text(json.dumps({**record, "finished": (started + timedelta(seconds=5)).isoformat()}))
    outcomes = autograde(course, A, GradingSettings(jobs=2, force=True, cell_timeout=10, uid_base=UIDS),
                         progress=False)
    status = {o.student: o.status for o in outcomes}
    assert status == {"a-correct": "skipped", "b-broken": "graded", "c-correct": "graded", "d-stub": "graded"}
    assert not pending.exists()  # finished: the next --force starts over
