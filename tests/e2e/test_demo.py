"""``dlf-course demo``: 30 synthetic students on the course's default assignment, end to end (slow)."""

from __future__ import annotations

import contextlib
import csv
import io
from pathlib import Path

import pytest

from dlfcourse.cli import main
from dlfcourse.course import Course
from dlfcourse.demo.demo import DEFAULT_ASSIGNMENT

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.skipif(DEFAULT_ASSIGNMENT not in Course(REPO).assignments(), reason="no default assignment yet")
def test_demo_grades_a_class_of_30(tmp_path: Path):
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        status = main(["demo", "--dir", str(tmp_path / "demo"), "--course", str(REPO), "--jobs", "2",
                       "--cell-timeout", "10", "--notebook-timeout", "180", "--no-progress",
                       "--sandbox-uid-base", "64000"])
    text = out.getvalue()
    assert status == 0, text
    assert "sandbox: the gradebook, the sources, the exports and the other students' files are unchanged" in text
    assert text.count(" graded ") == 30 and " failed " not in text, text
    assert "feedback: 30 of 30 students" in text
    with open(tmp_path / "demo" / "grades.csv") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    assert len(rows) == 30
    manual = {item for item in next(iter(rows.values())) if all(r[item] == "" for r in rows.values())}
    items = [k for k in next(iter(rows.values())) if k.endswith("-test") and k not in manual]
    full = {student: sum(float(rows[student][item]) for item in items) for student in rows}
    best = max(full.values())
    for student, score in full.items():
        if student.endswith(("-correct", "-tamper", "-network", "-numpy")):
            # the attacks got nothing, and cost nothing: patching numpy in the notebook changes no verdict
            assert score == best, (student, rows[student])
        elif student.endswith("-broken"):
            assert score == 0, (student, rows[student])
        else:
            assert 0 <= score < best, (student, rows[student])
