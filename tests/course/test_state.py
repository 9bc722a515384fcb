"""The course's state store reads the files earlier versions wrote, and writes them in the same format."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from dlfcourse.course import Course
from dlfcourse.state import ForcedRun, GradingRecord

A = "01-perceptron"


def _course(tmp_path: Path) -> Course:
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    return Course.open(tmp_path)


def test_seeds_gradings_and_forced_runs_written_before_are_read(tmp_path: Path):
    course = _course(tmp_path)
    folder = tmp_path / ".dlf-course"
    (folder / "seeds").mkdir(parents=True)
    (folder / "seeds" / f"{A}.json").write_text(json.dumps({"ann": 12, "bob": "junk"}))
    (folder / "autograde" / A).mkdir(parents=True)
    (folder / "autograde" / A / "ann.json").write_text(json.dumps({
        "student": "ann", "status": "graded", "seconds": 4.2, "message": "", "score": [11, 13], "repairs": [],
        "reopened": ["01-perceptron/loss-test"], "fingerprint": "f" * 64, "finished": "2026-11-20T12:00:00+00:00"}))
    (folder / "autograde" / A / "bob.json").write_text("{ half written")
    (folder / "autograde" / f"{A}.force-pending.json").write_text(
        json.dumps({"started": "2026-11-20T11:00:00+00:00", "students": ["ann", "bob"]}))
    state = course.state
    assert state.seeds(A) == {"ann": 12}
    assert state.grading(A, "ann") == GradingRecord("ann", "graded", 4.2, "", (11.0, 13.0), (),
                                                    ("01-perceptron/loss-test",), "f" * 64,
                                                    "2026-11-20T12:00:00+00:00")
    assert state.grading(A, "bob") is None and [r.student for r in state.gradings(A)] == ["ann"]
    assert state.forced_run(A) == ForcedRun("2026-11-20T11:00:00+00:00", frozenset({"ann", "bob"}))
    assert state.graded_since(A, "ann", "2026-11-20T11:00:00+00:00")
    assert not state.graded_since(A, "bob", "2026-11-20T11:00:00+00:00")


def test_what_the_store_writes_it_reads_back(tmp_path: Path):
    state = _course(tmp_path).state
    state.record_seeds(A, {"ann": 1})
    state.record_seeds(A, {"bob": 2})
    assert state.seeds(A) == {"ann": 1, "bob": 2}
    record = GradingRecord("ann", "failed", 1.0, "nbgrader failed", fingerprint="x", finished="now")
    state.record_grading(A, record)
    assert state.grading(A, "ann") == record
    assert json.loads((tmp_path / ".dlf-course" / "autograde" / A / "ann.json").read_text())["status"] == "failed"
    assert state.keep_failure_log(A, "ann", "Traceback ...") == f".dlf-course/autograde/{A}/ann.log"
    assert state.keep_failure_log(A, "ann", None) == "" and not state.failure_log(A, "ann").exists()
    started = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)
    state.start_forced_run(A, started, ["ann"])
    assert state.forced_run(A) == ForcedRun(started.isoformat(), frozenset({"ann"}))
    state.end_forced_run(A)
    assert state.forced_run(A) is None
    state.record_submission_time(A, "ann", started)
    assert (tmp_path / "submitted" / "ann" / A / "timestamp.txt").read_text() == "2026-11-20 12:00:00.000000 UTC"
    assert state.submission_time(A, "ann") == started and state.graded_submission_time(A, "ann") is None
