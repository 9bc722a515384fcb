"""Feedback handed back in bulk: a zip in the layout the LMS's own bulk upload maps back to each student.

The archives are read here the way the LMS reads them (see dlfcourse/outputs/handback.py for the layouts):
Moodle's "Upload multiple feedback files in a zip" splits each path part at "_" into at most five pieces,
name_participant_plugintype_pluginname_rest, and takes the second as the participant number; Canvas's
"Re-upload Submissions" splits the file's base name at "_" and takes the first two all-digit pieces as the
user id and the id of the file that user submitted.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import nbformat
import pytest

from dlfcourse.course import Course, CourseError
from dlfcourse.demo.sample import SAMPLE_ASSIGNMENT as A
from dlfcourse.demo.sample import sample_notebook, write_sample_course
from dlfcourse.intake.collect import collect
from dlfcourse.intake.roster import import_roster
from dlfcourse.outputs.handback import feedback_archive

NOTEBOOK = nbformat.writes(sample_notebook())
WHEN = (2025, 3, 1, 12, 0, 0)


@pytest.fixture()
def course(tmp_path: Path) -> Course:
    write_sample_course(tmp_path / "course")
    return Course.open(tmp_path / "course")


def lms_zip(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as zipped:
        for name, content in members.items():
            zipped.writestr(zipfile.ZipInfo(name, WHEN), content)
    return path


def pages_for(course: Course, *students: str) -> None:
    """Feedback pages as `dlf-course feedback` writes them (with the mathjax/ folder beside them)."""
    for student in students:
        folder = course.feedback_dir / student / A
        (folder / "mathjax").mkdir(parents=True)
        (folder / "sample.html").write_text(f"<html>feedback for {student}</html>")
        (folder / "mathjax" / "tex-svg.js").write_text("// mathjax")


def moodle_reads(name: str) -> tuple[str, str] | None:
    """(participant number, file) as Moodle's feedback-zip import reads a member name, else None."""
    parts = name.split("/")
    for position, part in enumerate(parts):
        info = part.split("_", 4)
        if len(info) >= 4 and info[1].isdigit():
            return info[1], "/".join([info[4] if len(info) > 4 else "", *parts[position + 1:]]).lstrip("/")
    return None


def canvas_reads(name: str) -> tuple[str, str] | None:
    """(user id, submitted file id) as Canvas's re-upload reads a member name, else None."""
    numbers = [piece for piece in Path(name).name.split("_") if piece.isdigit()][:2]
    return (numbers[0], numbers[1]) if len(numbers) == 2 else None


def test_a_moodle_archive_maps_each_page_back_to_its_participant(course: Course, tmp_path: Path):
    download = lms_zip(tmp_path / "moodle.zip", {"Judy Jones_20231234_assignsubmission_file_/sample.ipynb": NOTEBOOK,
                                                 "Ann Lee_20231235_assignsubmission_file_/x.ipynb": NOTEBOOK,
                                                 "Ann Lee_20231236_assignsubmission_file_/y.ipynb": NOTEBOOK})
    assert collect(course, A, download).ok
    roster = tmp_path / "roster.csv"  # a student handed in by mail, known to the roster by participant number
    roster.write_text("id,name,participant_id\njudy-jones,Judy Jones,20231234\nann-lee-20231235,Ann Lee,20231235\n"
                      "ann-lee-20231236,Ann Lee,20231236\nkim,Kim_Ko,20231240\nlou,Lou Lu,\n")
    import_roster(course, roster)
    pages_for(course, "judy-jones", "ann-lee-20231235", "ann-lee-20231236", "kim", "lou")
    result = feedback_archive(course, A, "moodle")
    assert result.path == course.root / f"feedback-{A}-moodle.zip"
    with zipfile.ZipFile(result.path) as archive:
        names = sorted(archive.namelist())
        assert archive.read("Judy Jones_20231234_assignsubmission_file_/sample-feedback.html") == \
            b"<html>feedback for judy-jones</html>"
    assert names == ["Ann Lee_20231235_assignsubmission_file_/sample-feedback.html",
                     "Ann Lee_20231236_assignsubmission_file_/sample-feedback.html",
                     "Judy Jones_20231234_assignsubmission_file_/sample-feedback.html",
                     "Kim Ko_20231240_assignsubmission_file_/sample-feedback.html"]
    assert [moodle_reads(n) for n in names] == [("20231235", "sample-feedback.html"),
                                                ("20231236", "sample-feedback.html"),
                                                ("20231234", "sample-feedback.html"),
                                                ("20231240", "sample-feedback.html")]
    assert result.students == ["ann-lee-20231235", "ann-lee-20231236", "judy-jones", "kim"]
    assert list(result.left_out) == ["lou"] and "no Moodle participant number" in result.left_out["lou"]


def test_a_canvas_archive_is_named_like_its_submission_download(course: Course, tmp_path: Path):
    download = lms_zip(tmp_path / "canvas.zip", {"jonesjudy_12345_67890_sample.ipynb": NOTEBOOK,
                                                 "leeann_LATE_12346_67891_sample-1.ipynb": NOTEBOOK})
    assert collect(course, A, download).ok
    (course.submitted_dir / "mo" / A).mkdir(parents=True)  # collected from a folder: no Canvas numbers
    pages_for(course, "jonesjudy", "leeann", "mo")
    result = feedback_archive(course, A, "canvas", tmp_path / "back.zip")
    with zipfile.ZipFile(tmp_path / "back.zip") as archive:
        names = sorted(archive.namelist())
    assert names == ["jonesjudy_12345_67890_sample-feedback.html", "leeann_LATE_12346_67891_sample-feedback.html"]
    assert [canvas_reads(n) for n in names] == [("12345", "67890"), ("12346", "67891")]
    assert result.left_out.keys() == {"mo"} and "not collected from a Canvas download" in result.left_out["mo"]
    with pytest.raises(CourseError, match="no student's feedback can go in a canvas archive"):
        feedback_archive(course, A, "canvas", students=["mo"])

