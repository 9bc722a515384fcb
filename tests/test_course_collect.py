"""``collect``: whose notebook is it, is it a notebook of this assignment, and every malformed input."""

from __future__ import annotations

import copy
import os
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import nbformat
import pytest

from dlfcourse import inbox
from dlfcourse.intake.collect import collect, read_timestamp
from dlfcourse.course import Course
from dlfcourse.demo.sample import SAMPLE_ASSIGNMENT as A
from dlfcourse.demo.sample import sample_notebook, write_sample_course

NOTEBOOK = nbformat.writes(sample_notebook())


def other_assignment_notebook() -> str:
    notebook = copy.deepcopy(sample_notebook())
    for cell in notebook.cells:
        cell.metadata.nbgrader["grade_id"] = "other-" + cell.metadata.nbgrader["grade_id"]
    return nbformat.writes(notebook)


@pytest.fixture()
def course(tmp_path: Path) -> Course:
    """The sample course plus a second assignment, 01-other, whose cells have other ids."""
    write_sample_course(tmp_path / "course")
    other = tmp_path / "course" / "solutions" / "01-other"
    other.mkdir()
    (other / "other.ipynb").write_text(other_assignment_notebook())
    return Course.open(tmp_path / "course")


def handed_in(folder: Path, files: dict[str, str | bytes], times: dict[str, int] | None = None) -> Path:
    """Write ``files`` (relative path -> content) under ``folder``; ``times``: path -> mtime (epoch seconds)."""
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        if times and name in times:
            os.utime(path, (times[name], times[name]))
    return folder


def reasons(report) -> dict[str, str]:
    return {s.path: s.reason for s in report.skipped}


def test_student_ids_from_folders_and_file_names(course: Course, tmp_path: Path):
    source = handed_in(tmp_path / "in", {"alice/whatever.ipynb": NOTEBOOK, "bob_sample.ipynb": NOTEBOOK,
                                         "carol.ipynb": NOTEBOOK})
    report = collect(course, A, source)
    assert sorted(a.student for a in report.collected) == ["alice", "bob", "carol"]
    assert report.skipped == []
    for student in ("alice", "bob", "carol"):
        folder = course.submitted_dir / student / A
        assert sorted(p.name for p in folder.iterdir()) == ["sample.ipynb", "timestamp.txt"]
        assert nbformat.read(folder / "sample.ipynb", as_version=4) == nbformat.reads(NOTEBOOK, as_version=4)


def test_a_pattern_for_another_layout(course: Course, tmp_path: Path):
    source = handed_in(tmp_path / "in", {"Smith, Ann_12345_assignsubmission_file_/x.ipynb": NOTEBOOK})
    report = collect(course, A, source, pattern=r"_(?P<student>\d+)_assignsubmission")
    assert [a.student for a in report.collected] == ["12345"]


def test_every_malformed_input_is_reported_on_one_line_and_skipped(course: Course, tmp_path: Path):
    files = {
        "dan_sample.ipynb": NOTEBOOK,
        "erin_sample.ipynb": b"",
        "fay_sample.ipynb": b'{"cells": [',
        "gus_sample.ipynb": b'{"not": "a notebook"}',
        "hal_sample.ipynb": nbformat.writes(nbformat.v4.new_notebook()),
        "ivy_sample.ipynb": other_assignment_notebook(),
        "jo_report.pdf": b"%PDF",
        "@@@_sample.ipynb": NOTEBOOK,
        ".ipynb_checkpoints/dan_sample-checkpoint.ipynb": NOTEBOOK,
        "__MACOSX/._dan_sample.ipynb": b"\x00\x05",
    }
    report = collect(course, A, handed_in(tmp_path / "in", files))
    assert [a.student for a in report.collected] == ["dan"]
    assert reasons(report) == {
        "erin_sample.ipynb": "empty file",
        "fay_sample.ipynb": "invalid JSON (Expecting value: line 1 column 12 (char 11))",
        "gus_sample.ipynb": "JSON, but not a Jupyter notebook (no cells or nbformat)",
        "hal_sample.ipynb": "a notebook without nbgrader cells: not made from one of the course's assignments",
        "ivy_sample.ipynb": f"a notebook of assignment 01-other, not {A}",
        "jo_report.pdf": "not a notebook (.pdf)",
        "@@@_sample.ipynb": "no valid student id in its path (see `dlf-course collect --help`)",
        ".ipynb_checkpoints/dan_sample-checkpoint.ipynb": "hidden or system file",
        "__MACOSX/._dan_sample.ipynb": "hidden or system file",
    }
    lines = report.lines()
    assert len(lines) == len(files) and lines[-1].startswith("collected 1 notebook(s) from 1 student(s)")
    assert sorted(p.name for p in course.submitted_dir.iterdir()) == ["dan"]


def test_a_file_too_large_is_not_read(course: Course, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(inbox, "MAX_BYTES", 100)
    report = collect(course, A, handed_in(tmp_path / "in", {"kim_sample.ipynb": NOTEBOOK}))
    assert reasons(report)["kim_sample.ipynb"].startswith("too large")


def test_duplicates_keep_the_latest(course: Course, tmp_path: Path):
    late = nbformat.writes(sample_notebook()).replace("Sample assignment", "Sample assignment (final)")
    files = {"lee/draft.ipynb": NOTEBOOK, "lee/final.ipynb": late}
    report = collect(course, A, handed_in(tmp_path / "in", files, {"lee/draft.ipynb": 1_000, "lee/final.ipynb": 2_000}))
    assert [a.path for a in report.collected] == ["lee/final.ipynb"]
    assert reasons(report) == {"lee/draft.ipynb": "duplicate for lee: lee/final.ipynb is newer (1970-01-01 00:33:20)"}
    folder = course.submitted_dir / "lee" / A
    assert "(final)" in (folder / "sample.ipynb").read_text()
    assert read_timestamp(folder) == datetime.fromtimestamp(2_000, timezone.utc)


def test_a_zip_like_an_lms_download(course: Course, tmp_path: Path):
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr(zipfile.ZipInfo("max_sample.ipynb", (2025, 1, 2, 3, 4, 6)), NOTEBOOK)
        zipped.writestr(zipfile.ZipInfo("max/sample-old.ipynb", (2025, 1, 1, 0, 0, 0)), NOTEBOOK)
        zipped.writestr(zipfile.ZipInfo("notes.txt", (2025, 1, 1, 0, 0, 0)), "hello")
    report = collect(course, A, archive)
    assert [(a.student, a.path) for a in report.collected] == [("max", "max_sample.ipynb")]
    assert set(reasons(report)) == {"max/sample-old.ipynb", "notes.txt"}
    assert read_timestamp(course.submitted_dir / "max" / A) == datetime(2025, 1, 2, 3, 4, 6, tzinfo=timezone.utc)


def test_recollecting_keeps_newer_submissions_and_loses_nothing(course: Course, tmp_path: Path):
    first = handed_in(tmp_path / "first", {"ned_sample.ipynb": NOTEBOOK, "ola_sample.ipynb": NOTEBOOK},
                      {"ned_sample.ipynb": 5_000, "ola_sample.ipynb": 5_000})
    collect(course, A, first)
    ola = (course.submitted_dir / "ola" / A / "sample.ipynb").read_bytes()
    newer = NOTEBOOK.replace("Sample assignment", "Sample assignment v2")
    second = handed_in(tmp_path / "second", {"ned_sample.ipynb": newer, "ola_sample.ipynb": newer},
                       {"ned_sample.ipynb": 6_000, "ola_sample.ipynb": 4_000})
    report = collect(course, A, second)
    assert [a.student for a in report.collected] == ["ned"]
    assert reasons(report)["ola_sample.ipynb"].startswith("not newer than the submission of ola already collected")
    assert "v2" in (course.submitted_dir / "ned" / A / "sample.ipynb").read_text()
    assert (course.submitted_dir / "ola" / A / "sample.ipynb").read_bytes() == ola


def test_the_source_must_be_a_folder_or_a_zip(course: Course, tmp_path: Path):
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(ValueError, match="neither a folder nor a zip archive"):
        collect(course, A, tmp_path / "file.txt")
    with pytest.raises(ValueError, match="does not exist"):
        collect(course, A, tmp_path / "missing")


def test_student_of():
    assert inbox.student_of("ann/x/y.ipynb") == "ann"
    assert inbox.student_of("ann_x_y.ipynb") == "ann"
    assert inbox.student_of("ann.smith@uni.edu.ipynb") == "ann.smith@uni.edu"
    assert inbox.student_of("../x.ipynb") is None
    assert inbox.student_of("sub/ann/x.ipynb", r"sub/(?P<student>[^/]+)/") == "ann"
    assert inbox.student_of("x.ipynb", r"sub/(?P<student>[^/]+)/") is None


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give files away")
def test_files_written_as_root_go_to_the_course_owner(course: Course, tmp_path: Path):
    from dlfcourse.cli import main

    os.chown(course.root, 1000, 1000)
    source = handed_in(tmp_path / "in", {"pat_sample.ipynb": NOTEBOOK})
    assert main(["collect", A, str(source), "--course", str(course.root)]) == 0
    written = [course.submitted_dir, *course.submitted_dir.rglob("*")]
    assert {(p.stat().st_uid, p.stat().st_gid) for p in written} == {(1000, 1000)}
