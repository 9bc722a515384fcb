"""``dlf-course roster``: import a class list (id, name, email, LMS ids), and the ids it makes."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from dlfcourse.cli import main
from dlfcourse.course import Course, CourseError
from dlfcourse.demo.sample import write_sample_course
from dlfcourse.intake.roster import (Student, canvas_key, import_roster, load_roster, name_key, normalise_id,
                                     read_roster_csv, remember_names)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(argv))
    return status, out.getvalue(), err.getvalue()


@pytest.fixture()
def course(tmp_path: Path) -> Course:
    write_sample_course(tmp_path / "course")
    return Course.open(tmp_path / "course")


def test_import_from_the_command_line(course: Course, tmp_path: Path):
    source = tmp_path / "class.csv"
    source.write_text("ID,Name,Email,Canvas ID,SIS User ID,SIS Login ID,Section,ID number\n"
                      "s1,Jürgen Müller,jm@uni.edu,101,S1,jmueller,A,M1\n"
                      "s2,Ann Lee,,,,,,\n", encoding="utf-8")
    status, out, err = run("roster", "import", str(source), "--course", str(course.root))
    assert status == 0, err
    assert out == (f"roster: 2 student(s) from {source} into {course.state_dir / 'roster.csv'} "
                   "(1 with an email, 1 with an LMS id)\n")
    roster = load_roster(course)
    assert roster.get("s1") == Student("s1", "Jürgen Müller", "jm@uni.edu", "101", "S1", "jmueller", "A", "M1")
    status, out, err = run("roster", "show", "--course", str(course.root))
    assert "s1\tJürgen Müller\tjm@uni.edu" in out
    assert out.endswith("2 student(s) on the roster, 0 more learnt by collect\n")


def test_excel_semicolons_a_bom_and_windows_encoding(course: Course, tmp_path: Path):
    source = tmp_path / "excel.csv"
    source.write_bytes("\ufeffStudent ID;Full name;E-mail\r\nx1;Zoë Brontë;z@uni.edu\r\n".encode("utf-8"))
    students, _ = import_roster(course, source)
    assert students == [Student("x1", "Zoë Brontë", "z@uni.edu")]
    source.write_bytes("id,name\nx2,Ren\xe9e\n".encode("cp1252"))
    assert import_roster(course, source)[0] == [Student("x2", "Renée")]


@pytest.mark.parametrize("text, message", [
    ("", "is empty"),
    ("name,email\nAnn,a@b\n", "has no column id"),
    ("id,name\n", "has a header but no student"),
    ("id,name\na1,Ann\na1,Bob\n", "lines 2 and 3: the same id 'a1'"),
    ("id,name\n???,Ann\n", "line 2: no usable id"),
])
def test_bad_rosters_are_refused_with_the_reason(text: str, message: str):
    with pytest.raises(CourseError, match=message):
        read_roster_csv(text, "class.csv")


def test_bad_roster_on_the_command_line_is_one_line(course: Course, tmp_path: Path):
    (tmp_path / "bad.csv").write_text("name\nAnn\n")
    status, out, err = run("roster", "import", str(tmp_path / "bad.csv"), "--course", str(course.root))
    assert status == 2 and err.count("\n") == 1 and err.startswith("dlf-course roster: error: ")
    status, out, err = run("roster", "import", str(tmp_path / "missing.csv"), "--course", str(course.root))
    assert status == 2 and "missing.csv does not exist" in err


def test_ids_that_had_to_change_are_said(course: Course, tmp_path: Path):
    (tmp_path / "r.csv").write_text("id,name\nJürgen M,Jürgen Müller\nann,Ann\n", encoding="utf-8")
    status, out, err = run("roster", "import", str(tmp_path / "r.csv"), "--course", str(course.root))
    assert status == 0 and out.startswith("line 2: the id 'Jürgen M' is stored as 'Jurgen-M'\n")


def test_a_canvas_gradebook_export_is_a_roster():
    text = ("Student,ID,SIS User ID,SIS Login ID,Section,Softmax (123456)\n"
            "    Points Possible,,,,,20\n"
            "\"Jones, Judy\",12345,S1,jjones,A,18\n")
    assert read_roster_csv(text) == [Student("12345", "Jones, Judy", canvas_id="12345", sis_user_id="S1",
                                             sis_login_id="jjones", section="A")]


def test_ids_are_made_safe_and_names_compared_loosely():
    assert normalise_id("Jürgen.Müller") == "Jurgen.Muller"
    assert normalise_id("Judy Jones", lower=True) == "judy-jones"
    assert normalise_id("Łukasz Żółć") == "Lukasz-Zolc"
    assert normalise_id("straße") == "strasse"
    assert normalise_id("@@@") == "" and normalise_id("../x") == "x"
    assert name_key("  Jürgen   MÜLLER ") == name_key("Jurgen Muller") == "jurgen muller"
    assert canvas_key("Judy Jones") == canvas_key("Jones, Judy") == "jonesjudy"


def test_names_learnt_by_collect_complete_the_roster(course: Course, tmp_path: Path):
    (tmp_path / "r.csv").write_text("id,name\ns1,Ann Lee\n")
    import_roster(course, tmp_path / "r.csv")
    remember_names(course, [Student("s1", "Ann Lee", canvas_id="101"), Student("zed", "Zed Z")])
    roster = load_roster(course)
    assert roster.get("s1").canvas_id == "101" and roster.name("zed") == "Zed Z"
    assert roster.imported_ids == {"s1"}
