"""``collect``: whose notebook is it, is it a notebook of this assignment, and every malformed input."""

from __future__ import annotations

import copy
import io
import os
import shutil
import struct
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import nbformat
import pytest

from dlfcourse.intake import inbox
from dlfcourse.intake.collect import collect
from dlfcourse.course import Course, CourseError, read_timestamp
from dlfcourse.intake.roster import import_roster
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
        "hal_sample.ipynb": "a notebook without nbgrader cells (its metadata was lost, or it is not made from one "
                            "of the course's assignments): grade it by hand or ask for the original",
        "ivy_sample.ipynb": f"a notebook of assignment 01-other, not {A}",
        "jo_report.pdf": "not a notebook (.pdf)",
        "@@@_sample.ipynb": "no valid student id in its path (see `dlf-course collect --help`)",
        ".ipynb_checkpoints/dan_sample-checkpoint.ipynb": "hidden or system file",
        "__MACOSX/._dan_sample.ipynb": "hidden or system file",
    }
    lines = report.lines()
    assert len(lines) == len(files) + 1  # the layout line, one line per file but dan's, the summary
    assert lines[-1] == ("collected 1 notebook from 1 student; 7 notebook files offered, "
                         "6 NOT COLLECTED (see above), 3 other files ignored")
    assert not report.ok and len(report.lost) == 6
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
    assert reasons(report) == {
        "lee/draft.ipynb": "duplicate for lee: lee/final.ipynb is newer (1970-01-01 00:33:20 UTC)"}
    assert report.ok  # an older copy superseded is not a lost notebook
    folder = course.submitted_dir / "lee" / A
    assert "(final)" in (folder / "sample.ipynb").read_text()
    assert read_timestamp(folder) == datetime.fromtimestamp(2_000, timezone.utc)


def test_a_zip_like_an_lms_download(course: Course, tmp_path: Path):
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr(zipfile.ZipInfo("max_sample.ipynb", (2025, 1, 2, 3, 4, 6)), NOTEBOOK)
        zipped.writestr(zipfile.ZipInfo("max/sample-old.ipynb", (2025, 1, 1, 0, 0, 0)), NOTEBOOK)
        zipped.writestr(zipfile.ZipInfo("notes.txt", (2025, 1, 1, 0, 0, 0)), "hello")
    report = collect(course, A, archive, timezone_name="UTC")
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


def test_a_whole_class_collected_again_is_one_line(course: Course, tmp_path: Path):
    files = {f"s{k}_sample.ipynb": NOTEBOOK for k in range(8)}
    source = handed_in(tmp_path / "in", files, {name: 5_000 for name in files})
    collect(course, A, source)
    lines = collect(course, A, source).lines()
    assert lines[1] == ("skipped 8 submission(s) not newer than those already collected: "
                        + ", ".join(sorted(files)))
    assert len(lines) == 3


def test_the_source_must_be_a_folder_or_a_zip(course: Course, tmp_path: Path):
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(inbox.BadSource, match="neither a folder nor a zip archive"):
        collect(course, A, tmp_path / "file.txt")
    with pytest.raises(inbox.BadSource, match="does not exist"):
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


# --- LMS downloads, built here in each layout -------------------------------------------------------------

WHEN = (2025, 3, 1, 12, 0, 0)


def lms_zip(path: Path, members: dict[str, str | bytes], when: tuple = WHEN) -> Path:
    with zipfile.ZipFile(path, "w") as zipped:
        for name, content in members.items():
            zipped.writestr(zipfile.ZipInfo(name, when), content)
    return path


def collected(report) -> dict[str, str]:
    """student id -> the path it was collected from."""
    return {a.student: a.path for a in report.collected}


def test_moodle_download_names_students_by_their_full_name(course: Course, tmp_path: Path):
    archive = lms_zip(tmp_path / "moodle.zip", {
        "Judy Jones_20231234_assignsubmission_file_/sample.ipynb": NOTEBOOK,
        "Jürgen Müller_20231235_assignsubmission_file_/my work.ipynb": NOTEBOOK,
        "Ann Lee_20231236_assignsubmission_onlinetext_/onlinetext.html": "<p>hi</p>",
    })
    report = collect(course, A, archive)
    assert report.layout == "moodle" and report.ok
    assert report.lines()[0].startswith("layout: moodle, files like Full Name_12345_assignsubmission_file_/name.ipynb "
                                        "(detected: 2 of 2 notebook file(s) match")
    assert sorted(collected(report)) == ["judy-jones", "jurgen-muller"]
    names = (course.state_dir / "names.csv").read_text(encoding="utf-8")
    assert "jurgen-muller,Jürgen Müller" in names  # the name as written, for the exports


def test_canvas_download_with_a_late_submission(course: Course, tmp_path: Path):
    archive = lms_zip(tmp_path / "canvas.zip", {
        "jonesjudy_12345_67890_sample.ipynb": NOTEBOOK,
        "leeann_LATE_12346_67891_sample-1.ipynb": NOTEBOOK,
    })
    report = collect(course, A, archive)
    assert report.layout == "canvas" and report.ok
    assert collected(report) == {"jonesjudy": "jonesjudy_12345_67890_sample.ipynb",
                                 "leeann": "leeann_LATE_12346_67891_sample-1.ipynb"}
    assert "Canvas marked 1 submission(s) late: leeann (nbgrader's late penalty comes from the time and the " \
           "due date)" in report.lines()
    owners = {a.student: a.owner for a in report.collected}
    assert owners["leeann"].late and owners["leeann"].lms == {"canvas_id": "12346"}
    assert "jonesjudy,,,12345," in (course.state_dir / "names.csv").read_text()  # the Canvas id, for export


def test_blackboard_download_takes_the_attempt_time(course: Course, tmp_path: Path):
    archive = lms_zip(tmp_path / "bb.zip", {
        "Softmax_jjones_attempt_2024-10-01-12-00-00_sample.ipynb": NOTEBOOK,
        "Softmax_jjones_attempt_2024-10-01-12-00-00.txt": "Name: Judy Jones",
        "Softmax_jjones_attempt_2024-10-02-09-30-00_sample.ipynb": NOTEBOOK,
        "Softmax_alee_attempt_2024-10-01-08-00-00_sample.ipynb": NOTEBOOK,
    })
    report = collect(course, A, archive, timezone_name="Europe/Berlin")
    assert report.layout == "blackboard" and report.ok
    assert collected(report) == {"alee": "Softmax_alee_attempt_2024-10-01-08-00-00_sample.ipynb",
                                 "jjones": "Softmax_jjones_attempt_2024-10-02-09-30-00_sample.ipynb"}
    assert reasons(report)["Softmax_jjones_attempt_2024-10-01-12-00-00_sample.ipynb"].startswith("duplicate for jjones")
    # 09:30 in Berlin (summer time, UTC+2) is 07:30 UTC
    assert read_timestamp(course.submitted_dir / "jjones" / A) == datetime(2024, 10, 2, 7, 30, tzinfo=timezone.utc)


def test_the_layout_can_be_forced_and_files_that_do_not_follow_it_are_reported(course: Course, tmp_path: Path):
    archive = lms_zip(tmp_path / "mixed.zip", {"jonesjudy_12345_67890_sample.ipynb": NOTEBOOK,
                                               "alice_sample.ipynb": NOTEBOOK})
    report = collect(course, A, archive, lms="canvas")
    assert report.lines()[0] == "layout: canvas, files like lastfirst_12345_67890_name.ipynb (from --lms)"
    assert list(collected(report)) == ["jonesjudy"] and not report.ok
    assert reasons(report)["alice_sample.ipynb"] == ("its path does not follow the canvas, files like "
                                                     "lastfirst_12345_67890_name.ipynb layout")


def test_a_shared_top_folder_is_stripped(course: Course, tmp_path: Path):
    archive = lms_zip(tmp_path / "shared.zip", {f"submissions/{s}_sample.ipynb": NOTEBOOK for s in ("alice", "bob")})
    report = collect(course, A, archive)
    assert sorted(collected(report)) == ["alice", "bob"] and report.ok
    assert "the top folder 'submissions/' that every file shares was stripped" in report.lines()
    nested = lms_zip(tmp_path / "nested-top.zip", {f"course/week4/{s}/x.ipynb": NOTEBOOK for s in ("carol", "dan")})
    assert sorted(collected(collect(course, A, nested))) == ["carol", "dan"]


def test_one_students_folder_is_not_mistaken_for_a_shared_top_folder(course: Course, tmp_path: Path):
    report = collect(course, A, handed_in(tmp_path / "in", {"lee/sample.ipynb": NOTEBOOK}))
    assert list(collected(report)) == ["lee"]


def test_non_ascii_names_become_ascii_ids_and_keep_their_name(course: Course, tmp_path: Path):
    archive = lms_zip(tmp_path / "u.zip", {"Jürgen_sample.ipynb": NOTEBOOK, "Zoë Ångström/sample.ipynb": NOTEBOOK,
                                           "Łukasz_sample.ipynb": NOTEBOOK})
    report = collect(course, A, archive)
    assert sorted(collected(report)) == ["Jurgen", "Lukasz", "Zoe-Angstrom"] and report.ok
    names = (course.state_dir / "names.csv").read_text(encoding="utf-8")
    assert "Jurgen,Jürgen," in names and "Zoe-Angstrom,Zoë Ångström," in names


def test_two_students_who_would_share_an_id_are_a_conflict(course: Course, tmp_path: Path):
    archive = lms_zip(tmp_path / "c.zip", {"Jürgen_sample.ipynb": NOTEBOOK, "Jurgen_sample.ipynb": NOTEBOOK,
                                           "ann_sample.ipynb": NOTEBOOK})
    report = collect(course, A, archive)
    assert list(collected(report)) == ["ann"] and not report.ok
    assert len(report.conflicts) == 1 and "2 different students would get the id 'Jurgen'" in report.conflicts[0]
    assert not (course.submitted_dir / "Jurgen").exists()
    cases = lms_zip(tmp_path / "case.zip", {"Kim_sample.ipynb": NOTEBOOK, "kim/sample.ipynb": NOTEBOOK})
    report = collect(course, A, cases)
    assert report.collected == [] and "the ids 'Kim' and 'kim' (one folder)" in report.conflicts[0]


def test_two_moodle_participants_with_one_name_are_two_students_with_stable_ids(course: Course, tmp_path: Path):
    first = lms_zip(tmp_path / "week1.zip", {"Ann Lee_20231235_assignsubmission_file_/a.ipynb": NOTEBOOK,
                                             "Ann Lee_20231236_assignsubmission_file_/a.ipynb": NOTEBOOK,
                                             "Bob Bo_20231237_assignsubmission_file_/a.ipynb": NOTEBOOK})
    report = collect(course, A, first)
    assert report.ok and report.conflicts == []
    assert sorted(collected(report)) == ["ann-lee-20231235", "ann-lee-20231236", "bob-bo"]
    assert ("2 different students would share the id 'ann-lee': Ann Lee (Moodle participant 20231235), Ann Lee "
            "(Moodle participant 20231236); told apart by their numbers as ann-lee-20231235, ann-lee-20231236 "
            "(kept for the next downloads in .dlf-course/names.csv; a roster with canvas_id or participant_id "
            "columns gives them its ids)") in report.lines()
    # next week, each is found again by their number, whoever else hands in
    second = lms_zip(tmp_path / "week2.zip", {"Ann Lee_20231236_assignsubmission_file_/a.ipynb": NOTEBOOK},
                     when=(2025, 3, 8, 12, 0, 0))
    assert list(collected(collect(course, A, second))) == ["ann-lee-20231236"]
    # a third Ann Lee later is told apart too, although no student has the bare id ann-lee
    third = lms_zip(tmp_path / "week3.zip", {"Ann Lee_20231299_assignsubmission_file_/a.ipynb": NOTEBOOK},
                    when=(2025, 3, 15, 12, 0, 0))
    assert list(collected(collect(course, A, third))) == ["ann-lee-20231299"]


def test_a_new_namesake_does_not_join_the_student_collected_before(course: Course, tmp_path: Path):
    collect(course, A, lms_zip(tmp_path / "w1.zip", {"Ann Lee_1_assignsubmission_file_/a.ipynb": NOTEBOOK}))
    later = lms_zip(tmp_path / "w2.zip", {"Ann Lee_1_assignsubmission_file_/a.ipynb": NOTEBOOK,
                                          "Ann Lee_2_assignsubmission_file_/a.ipynb": NOTEBOOK},
                    when=(2025, 3, 8, 12, 0, 0))
    report = collect(course, A, later)
    assert collected(report) == {"ann-lee": "Ann Lee_1_assignsubmission_file_/a.ipynb",
                                 "ann-lee-2": "Ann Lee_2_assignsubmission_file_/a.ipynb"} and report.ok
    assert ("Ann Lee (Moodle participant 2) is not ann-lee (another Moodle participant of the same name): "
            "collected as ann-lee-2") in report.lines()


def test_two_canvas_users_with_one_name_and_a_roster_that_numbers_them(course: Course, tmp_path: Path):
    archive = lms_zip(tmp_path / "c.zip", {"leeann_12345_1_sample.ipynb": NOTEBOOK,
                                           "leeann_12346_2_sample.ipynb": NOTEBOOK})
    assert sorted(collected(collect(course, A, archive))) == ["leeann-12345", "leeann-12346"]
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name,canvas_id\ns1,Ann Lee,12346\ns2,Ann Lee,12345\n", encoding="utf-8")
    import_roster(course, roster)
    again = lms_zip(tmp_path / "c2.zip", {"leeann_12345_3_sample.ipynb": NOTEBOOK,
                                          "leeann_12346_4_sample.ipynb": NOTEBOOK}, when=(2025, 3, 8, 12, 0, 0))
    assert collected(collect(course, A, again)) == {"s2": "leeann_12345_3_sample.ipynb",
                                                    "s1": "leeann_12346_4_sample.ipynb"}
    moodle = tmp_path / "moodle.csv"  # Moodle's grading worksheet calls the number "Participant 7"
    moodle.write_text("Identifier,Full name,id\nParticipant 7,Ann Lee,m7\nParticipant 8,Ann Lee,m8\n")
    import_roster(course, moodle)
    report = collect(course, A, lms_zip(tmp_path / "m.zip", {"Ann Lee_8_assignsubmission_file_/a.ipynb": NOTEBOOK}))
    assert list(collected(report)) == ["m8"]


def test_windows_backslashes_in_member_names(course: Course, tmp_path: Path):
    archive = lms_zip(tmp_path / "win.zip", {"alice\\sample.ipynb": NOTEBOOK, "bob\\work\\sample.ipynb": NOTEBOOK,
                                             "Judy Jones_7_assignsubmission_file_\\sample.ipynb": NOTEBOOK})
    report = collect(course, A, archive, lms="generic", pattern=None)
    assert sorted(collected(report)) == ["Judy-Jones_7_assignsubmission_file", "alice", "bob"]
    assert collected(report)["alice"] == "alice\\sample.ipynb"  # reported as the archive spells it
    assert collected(collect(course, A, archive, lms="moodle")) == {
        "judy-jones": "Judy Jones_7_assignsubmission_file_\\sample.ipynb"}


def test_a_zip_inside_the_zip_is_opened(course: Course, tmp_path: Path):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zipped:
        zipped.writestr(zipfile.ZipInfo("work/sample.ipynb", WHEN), NOTEBOOK)
    archive = lms_zip(tmp_path / "outer.zip", {"Judy Jones_7_assignsubmission_file_/handin.zip": inner.getvalue(),
                                               "Ann Lee_8_assignsubmission_file_/sample.ipynb": NOTEBOOK})
    report = collect(course, A, archive)
    assert report.ok and collected(report) == {
        "judy-jones": "Judy Jones_7_assignsubmission_file_/handin.zip/work/sample.ipynb",
        "ann-lee": "Ann Lee_8_assignsubmission_file_/sample.ipynb"}
    alone = lms_zip(tmp_path / "alone.zip", {"alice.zip": inner.getvalue(), "bob_sample.ipynb": NOTEBOOK})
    assert sorted(collected(collect(course, A, alone))) == ["alice", "bob"]
    folder = handed_in(tmp_path / "folder", {"dora.zip": inner.getvalue(), "broken.zip": b"PK\x03\x04 cut short"})
    report = collect(course, A, folder)
    assert collected(report) == {"dora": "dora.zip/work/sample.ipynb"}
    assert reasons(report)["broken.zip"] == "not a notebook (.zip)"


def test_zip_times_are_read_in_the_stated_or_the_local_time_zone(course: Course, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch):
    archive = lms_zip(tmp_path / "t.zip", {"ann_sample.ipynb": NOTEBOOK}, when=(2025, 1, 2, 3, 4, 6))
    report = collect(course, A, archive, timezone_name="Asia/Tokyo")  # UTC+9
    assert "zip times read as Asia/Tokyo time (--timezone to change)" in report.lines()
    assert read_timestamp(course.submitted_dir / "ann" / A) == datetime(2025, 1, 1, 18, 4, 6, tzinfo=timezone.utc)
    monkeypatch.setenv("TZ", "America/New_York")  # the machine's zone, by default (UTC-5 in January)
    shutil.rmtree(course.submitted_dir)
    report = collect(course, A, archive)
    assert "zip times read as America/New_York time (--timezone to change)" in report.lines()
    assert read_timestamp(course.submitted_dir / "ann" / A) == datetime(2025, 1, 2, 8, 4, 6, tzinfo=timezone.utc)
    with pytest.raises(inbox.BadSource, match="unknown time zone 'Mars/Base'"):
        collect(course, A, archive, timezone_name="Mars/Base")


def test_a_zips_extended_timestamp_is_utc_whatever_the_zone(course: Course, tmp_path: Path):
    info = zipfile.ZipInfo("ann_sample.ipynb", (2025, 1, 2, 3, 4, 6))
    moment = datetime(2025, 1, 2, 3, 4, 6, tzinfo=timezone.utc)
    info.extra = struct.pack("<HHBI", 0x5455, 5, 1, int(moment.timestamp()))
    with zipfile.ZipFile(tmp_path / "x.zip", "w") as zipped:
        zipped.writestr(info, NOTEBOOK)
    collect(course, A, tmp_path / "x.zip", timezone_name="Asia/Tokyo")
    assert read_timestamp(course.submitted_dir / "ann" / A) == moment


def test_empty_sources_are_errors(course: Course, tmp_path: Path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(CourseError, match="is empty: there is no file to collect in it"):
        collect(course, A, tmp_path / "empty")
    with zipfile.ZipFile(tmp_path / "empty.zip", "w"):
        pass
    with pytest.raises(CourseError, match="is empty"):
        collect(course, A, tmp_path / "empty.zip")
    lms_zip(tmp_path / "junk.zip", {"a.pdf": b"%PDF", "__MACOSX/._a.pdf": b""})
    with pytest.raises(CourseError, match=r"no notebook \(\.ipynb\) in .*junk.zip: 1 other file\(s\) \(a.pdf\)"):
        collect(course, A, tmp_path / "junk.zip")


def test_with_a_roster_ids_come_from_it_and_missing_students_are_listed(course: Course, tmp_path: Path):
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name,email,canvas_id,username\n"
                      "s001,Judy Jones,judy@uni.edu,12345,jjones\n"
                      "s002,Jürgen Müller,jm@uni.edu,,\n"
                      "s003,Ann Lee,ann@uni.edu,12346,alee\n", encoding="utf-8")
    import_roster(course, roster)
    moodle = lms_zip(tmp_path / "moodle.zip", {
        "Jurgen Muller_5_assignsubmission_file_/sample.ipynb": NOTEBOOK,  # the LMS dropped the accents
        "Carl Nobody_6_assignsubmission_file_/sample.ipynb": NOTEBOOK})
    report = collect(course, A, moodle)
    assert sorted(collected(report)) == ["carl-nobody", "s002"]
    lines = report.lines()
    assert "not on the roster, collected under the id shown: carl-nobody (Carl Nobody)" in lines
    assert "no submission from 2 student(s) on the roster: s001 (Judy Jones), s003 (Ann Lee)" in lines
    canvas = lms_zip(tmp_path / "canvas.zip", {"jonesjudy_12345_1_sample.ipynb": NOTEBOOK,  # by Canvas id
                                               "leeann_12346_2_sample.ipynb": NOTEBOOK,  # by Canvas id
                                               "müllerjürgen_99998_3_sample.ipynb": NOTEBOOK},  # accents folded
                     when=(2025, 3, 2, 12, 0, 0))
    assert sorted(collected(collect(course, A, canvas))) == ["s001", "s002", "s003"]
    # a Canvas user the roster does not know, named like a student the roster knows by another Canvas id
    stranger = lms_zip(tmp_path / "stranger.zip", {"leeann_99999_5_sample.ipynb": NOTEBOOK})
    report = collect(course, A, stranger)
    assert list(collected(report)) == ["leeann"]
    assert "not on the roster, collected under the id shown: leeann" in report.lines()
