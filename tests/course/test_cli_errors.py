"""Every misuse of ``dlf-course`` ends with one line on stderr and exit status 2, never a traceback; a fault of
``dlf-course`` itself, by contrast, shows its traceback and exits 1.

(Commands out of order for export, report and feedback are in course/outputs/test_outputs.py,
on a graded course; the roster's own errors are in course/intake/test_roster.py.)
"""

from __future__ import annotations

import contextlib
import io
import zipfile
from pathlib import Path

import nbformat
import pytest

from dlfcourse import commands
from dlfcourse.cli import main, version
from dlfcourse.errors import CourseError
from dlfcourse.intake.inbox import BadSource
from dlfcourse.intake.roster import RosterError
from dlfcourse.demo.sample import SAMPLE_ASSIGNMENT as A
from dlfcourse.demo.sample import sample_notebook, write_sample_course


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(list(argv))
        except SystemExit as stop:  # argparse: --help, --version, bad options
            status = stop.code
    return status, out.getvalue(), err.getvalue()


def one_line_error(err: str, command: str) -> str:
    """The message of a single error line of ``command`` (and nothing else on stderr)."""
    assert err.count("\n") == 1 and "Traceback" not in err, err
    prefix = f"dlf-course {command}: error: "
    assert err.startswith(prefix), err
    return err[len(prefix):].strip()


@pytest.fixture()
def course(tmp_path: Path) -> Path:
    write_sample_course(tmp_path / "course")
    return tmp_path / "course"


def test_version():
    status, out, err = run("--version")
    assert status == 0 and out.strip() == f"dlf-course {version()}" and version()[0].isdigit()


def test_collect_of_an_empty_folder(course: Path, tmp_path: Path):
    (tmp_path / "empty").mkdir()
    status, out, err = run("collect", A, str(tmp_path / "empty"), "--course", str(course))
    assert status == 2 and one_line_error(err, "collect").endswith("is empty: there is no file to collect in it")


def test_collect_of_an_empty_zip(course: Path, tmp_path: Path):
    with zipfile.ZipFile(tmp_path / "empty.zip", "w"):
        pass
    status, out, err = run("collect", A, str(tmp_path / "empty.zip"), "--course", str(course))
    assert status == 2 and "is empty" in one_line_error(err, "collect")


def test_collect_of_a_zip_without_notebooks(course: Path, tmp_path: Path):
    with zipfile.ZipFile(tmp_path / "pdfs.zip", "w") as zipped:
        zipped.writestr("ann_report.pdf", b"%PDF")
    status, out, err = run("collect", A, str(tmp_path / "pdfs.zip"), "--course", str(course))
    assert status == 2 and one_line_error(err, "collect").startswith("no notebook (.ipynb) in ")


def test_collect_of_a_missing_or_damaged_source(course: Path, tmp_path: Path):
    status, out, err = run("collect", A, str(tmp_path / "missing.zip"), "--course", str(course))
    assert status == 2 and one_line_error(err, "collect").endswith("missing.zip does not exist")
    (tmp_path / "bad.zip").write_bytes(b"PK\x03\x04 this is not really a zip")
    status, out, err = run("collect", A, str(tmp_path / "bad.zip"), "--course", str(course))
    assert status == 2 and "neither a folder nor a zip archive" in one_line_error(err, "collect")


def test_collect_with_an_unknown_time_zone(course: Path, tmp_path: Path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "ann_sample.ipynb").write_text(nbformat.writes(sample_notebook()))
    status, out, err = run("collect", A, str(tmp_path / "in"), "--course", str(course), "--timezone", "Moon/Tycho")
    assert status == 2 and one_line_error(err, "collect").startswith("unknown time zone 'Moon/Tycho'")


def test_collect_that_would_lose_a_notebook_exits_1_and_says_so(course: Path, tmp_path: Path):
    notebook = nbformat.writes(sample_notebook())
    archive = tmp_path / "moodle.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("Judy Jones_1_assignsubmission_file_/sample.ipynb", notebook)
        zipped.writestr("Ann Lee_2_assignsubmission_file_/sample.ipynb", b"")
    status, out, err = run("collect", A, str(archive), "--course", str(course))
    assert status == 1
    assert "NOT COLLECTED Ann Lee_2_assignsubmission_file_/sample.ipynb: empty file" in out
    assert out.splitlines()[-1] == ("collected 1 notebook from 1 student; 2 notebook files offered, "
                                    "1 NOT COLLECTED (see above)")
    assert err == "dlf-course collect: 1 notebook file of 2 not collected: see the lines above\n"


def test_commands_on_a_folder_that_is_not_a_course(tmp_path: Path):
    for command in (["collect", A, str(tmp_path)], ["export"], ["report", A], ["feedback", A],
                    ["roster", "show"], ["release"]):
        status, out, err = run(*command, "--course", str(tmp_path))
        assert status == 2 and "is not a course directory" in one_line_error(err, command[0]), command


def test_an_unknown_assignment(course: Path, tmp_path: Path):
    for command in (["collect", "99-none", str(tmp_path)], ["report", "99-none"], ["feedback", "99-none"]):
        status, out, err = run(*command, "--course", str(course))
        assert status == 2 and "no assignment '99-none'" in one_line_error(err, command[0]), command


def test_a_missing_bubblewrap_is_one_line(course: Path, monkeypatch: pytest.MonkeyPatch):
    from dlfcourse.sandbox.policy import SandboxUnavailable

    def autograde(args):
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed: install it with your package manager\n"
                                 "(Debian, Ubuntu: sudo apt-get install bubblewrap)")

    monkeypatch.setattr(commands, "autograde", autograde)
    status, out, err = run("autograde", A, "--course", str(course))
    assert status == 2
    assert one_line_error(err, "autograde") == ("bubblewrap (bwrap) is not installed: install it with your package "
                                                "manager (Debian, Ubuntu: sudo apt-get install bubblewrap)")


@pytest.mark.parametrize("error", [CourseError("no such thing: do this instead"), BadSource("x.zip is damaged"),
                                   RosterError("class.csv has no column id"), PermissionError(13, "Permission denied",
                                                                                             "/srv/grades.csv")])
def test_an_instructors_error_is_one_line_and_exit_2(course: Path, monkeypatch: pytest.MonkeyPatch, error):
    def export(args):
        raise error

    monkeypatch.setattr(commands, "export", export)
    status, out, err = run("export", "--course", str(course))
    assert status == 2 and one_line_error(err, "export") in (str(error), "/srv/grades.csv: Permission denied")


@pytest.mark.parametrize("error", [KeyError("W1"), RuntimeError("a bug"), ValueError("a bug's message"),
                                   FileNotFoundError("no filename: a bug, not a path the instructor gave")])
def test_a_fault_of_dlf_course_shows_its_traceback_and_exits_1(course: Path, monkeypatch: pytest.MonkeyPatch,
                                                                error):
    """A bug is not dressed up as a usage error: the traceback is shown, and the status is 1."""
    def export(args):
        raise error

    monkeypatch.setattr(commands, "export", export)
    status, out, err = run("export", "--course", str(course))
    assert status == 1
    assert "Traceback (most recent call last)" in err and f"{type(error).__name__}: " in err, err
    assert err.rstrip().endswith("please report it with the traceback above")


@pytest.mark.parametrize("argv, message", [
    (["collect", "a", "x.zip", "--lms", "webct"], "invalid choice: 'webct'"),
    (["export", "--format", "xls"], "invalid choice: 'xls'"),
    (["roster"], "the following arguments are required: ACTION"),
])
def test_bad_options_are_refused_by_the_parser(argv: list[str], message: str):
    status, out, err = run(*argv)
    assert status == 2 and message in err and "Traceback" not in err


@pytest.mark.parametrize("command", ["collect", "roster", "export", "report", "feedback"])
def test_every_command_of_mine_has_help(command: str):
    status, out, err = run(command, "--help")
    assert status == 0 and "usage: dlf-course" in out


def _every_parser(parser) -> list:
    """The parser and every sub-command's parser, sub-sub-commands included (roster import, roster show)."""
    import argparse

    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                found += _every_parser(child)
    return found


def test_help_shows_no_restructuredtext_markup():
    from dlfcourse.cli import build_parser

    parsers = _every_parser(build_parser())
    commands = ["release", "collect", "roster", "roster import", "roster show", "autograde", "check-worker",
                "feedback", "export", "report", "demo"]
    assert {f"dlf-course {command}" for command in commands} <= {parser.prog for parser in parsers}
    for parser in parsers:
        text = parser.format_help()
        assert "`" not in text, f"{parser.prog}: {text[text.index('`') - 40:text.index('`') + 40]!r}"
