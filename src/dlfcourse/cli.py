"""``dlf-course``: the instructor's command line (release, collect, autograde, feedback, export, report, demo).

Every command works on a course directory (``--course DIR``, default: the
current directory), the folder with ``nbgrader_config.py``. Run
``dlf-course COMMAND --help`` for the options of a command.
"""

from __future__ import annotations

import argparse
import re
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from dlfcourse.course import Course
from dlfcourse.errors import CourseError

__all__ = ["main", "build_parser"]

_COLLECT_EPILOG = """\
whose notebook is it? From its path inside SOURCE, in the layout of the LMS (detected, or --lms):
  moodle      Full Name_12345_assignsubmission_file_/name.ipynb   (the full name; participant 12345)
  canvas      lastfirst_12345_67890_name.ipynb, lastfirst_LATE_12345_67890_name.ipynb  (Canvas user id 12345)
  blackboard  Assignment_username_attempt_2024-10-01-12-00-00_name.ipynb  (the attempt time is the time)
  generic     <student>/<anything>.ipynb, or <student>_<anything>.ipynb / <student>.ipynb
or from --pattern, a regular expression with a group named "student" searched in the path,
e.g. --pattern 'submissions/(?P<student>[^/]+)/'. With a roster (dlf-course roster import) students
get the roster's ids (matched by Canvas id, name, user name or email); otherwise ids are made from the
path, accents dropped (Jürgen -> Jurgen), and the name as written is kept for the exports.
Namesakes (two Moodle participants, two Canvas users with one name) are told apart by their LMS
numbers: ann-lee-20231235 and ann-lee-20231236, the same ids in the next downloads (collect keeps
the numbers in .dlf-course/names.csv; a roster with canvas_id or participant_id gives its own ids).
Zips inside the zip are opened, backslashes read as folders, a top folder shared by all files stripped.
A notebook is matched to the assignment's notebook by its nbgrader cell ids, whatever its name.
Every file not collected gets one line. Exit status 1 when a notebook was not collected (empty,
invalid, of another assignment, naming no student) or two students would share an id that no LMS
number tells apart: nothing is
lost silently. Older copies of a student's notebook and submissions not newer than the one already
collected are skipped with a line but are not errors."""


_ROSTER_EPILOG = """\
FILE is a CSV (comma, semicolon or tab) with a header row. Columns, in any order, any case:
  id (required)  the student's id in the course (the folder in submitted/)
  name (required), email
  canvas_id, sis_user_id, sis_login_id, section   (Canvas: the ID, SIS User ID, SIS Login ID, Section
                                                   columns of its gradebook export)
  id_number       Moodle's ID number;  participant_id: Moodle's participant number (the 12345 of its
                  download's Full Name_12345_assignsubmission_file_, or "Participant 12345")
  username        the LMS login (Blackboard file names)
It is stored as .dlf-course/roster.csv and used by collect (ids, who handed in nothing),
export (names, LMS ids), feedback (names, Moodle participant numbers) and report (who handed in
nothing)."""


_FEEDBACK_EPILOG = """\
--archive also packs every student's pages into one zip that the LMS's bulk upload maps back:
  canvas  Submissions > Re-upload Submissions: files named like Canvas's submission download,
          lastfirst_<user id>_<file id>_<notebook>-feedback.html (needs a Canvas download: collect)
  moodle  View all submissions > Upload multiple feedback files in a zip (Feedback files enabled):
          Full Name_<participant>_assignsubmission_file_/<notebook>-feedback.html (needs a Moodle
          download, or a roster with participant_id)
Students who cannot be mapped are listed and left out (exit 1; the archive is written). In the LMS,
equations show as TeX: the mathjax/ folder next to each page in feedback/ is not packed."""


_EXPORT_EPILOG = """\
What the file says is true: an item still to be graded by hand is empty (not 0), and the command
says how many there are; in the canvas and moodle formats the assignment's total is then empty.
A collected submission that is not graded (autograde interrupted, re-collected since) is listed on
stderr and nothing is written (exit 1) unless --allow-pending. Totals: the sum of the items minus
nbgrader's late penalty (its LateSubmissionPlugin, from timestamp.txt and the due date), at least 0.
canvas: Student, ID, SIS User ID, SIS Login ID, Section, then one column per assignment, titled as in
Canvas (--title; the header of a Canvas gradebook export, with its number in parentheses, matches
exactly); Canvas matches rows by ID / SIS ids, which come from the roster or the Canvas download.
moodle: Email address, ID number, Full name, then one column per assignment (Grades > Import > CSV).
Exit 1 when a row has no id the LMS can match (the file is written)."""


def _course_option() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--course", metavar="DIR", help="the course directory (default: the current directory)")
    return parent


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text}")
    return value


def _pattern(text: str) -> str:
    try:
        compiled = re.compile(text)
    except re.error as error:
        raise argparse.ArgumentTypeError(f"not a regular expression: {error}") from None
    if "student" not in compiled.groupindex:
        raise argparse.ArgumentTypeError("the pattern needs a group named student: (?P<student>...)")
    return text


def _add_grading_options(parser: argparse.ArgumentParser) -> None:
    """The grading options, each stored under the name of its GradingSettings field; their defaults are the
    fields' defaults (defined once, there). ``commands.grading_settings`` makes the settings of them."""
    from dlfcourse.settings import GradingSettings, MiB

    defaults = GradingSettings()
    parser.add_argument("--jobs", type=_positive, default=defaults.jobs,
                        help="notebooks graded at the same time (default: the number of cores, %(default)s; "
                        "with --scheduler or --cluster, the cluster's workers decide)")
    parser.add_argument("--cell-timeout", type=_positive, default=defaults.cell_timeout,
                        help="seconds per cell (default: the course's config)")
    parser.add_argument("--call-timeout", type=_positive, default=defaults.call_timeout,
                        help="seconds per call of a student's function by the grader (%(default)s)")
    parser.add_argument("--notebook-timeout", type=_positive, default=defaults.notebook_timeout,
                        help="seconds per notebook (%(default)s)")
    parser.add_argument("--memory", type=_positive, default=defaults.limits.memory_bytes // MiB,
                        help="memory limit per process, MiB (%(default)s)")
    parser.add_argument("--processes", type=_positive, default=defaults.limits.processes,
                        help="processes and threads a submission may run (%(default)s)")
    parser.add_argument("--sandbox-uid-base", dest="uid_base", type=_positive, default=defaults.uid_base,
                        metavar="UID", help="as root, each sandbox runs as a free uid from UID up, one no other "
                        "grading on the machine holds (default %(default)s)")
    parser.add_argument("--no-sandbox", dest="sandbox", action="store_false", default=defaults.sandbox,
                        help="run submissions without the sandbox (only for trusted notebooks)")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="the base seed of the chosen students (to "
                        "replay a grading: the report shows each student's seed; use with --student and --force)")
    parser.add_argument("--new-seeds", action="store_true", default=defaults.new_seeds,
                        help="draw new seeds, even for students graded before")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--scheduler", dest="cluster", metavar="ADDRESS", default=defaults.cluster,
                       help="grade on the Dask cluster of this scheduler, e.g. tcp://scheduler:8786 (default: a "
                       "process pool on this machine)")
    where.add_argument("--cluster", dest="cluster", metavar="local:N", help="grade on a Dask cluster of N worker "
                       "processes started on this machine")


def plain_text(text: str) -> str:
    """Docstring text for a terminal: reStructuredText's double backticks removed (``x`` becomes x)."""
    return re.sub(r"``([^`]+)``", r"\1", text)


def version() -> str:
    """The installed version of the dlfcourse package."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("dlfcourse")
    except PackageNotFoundError:
        return "(not installed)"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``dlf-course`` and its subcommands."""
    from dlfcourse import commands
    from dlfcourse.outputs.handback import ARCHIVES

    parser = argparse.ArgumentParser(prog="dlf-course", description=plain_text(__doc__),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    course = _course_option()

    def add(name: str, help: str, **kwargs: Any) -> argparse.ArgumentParser:
        parents = [course] if name not in ("demo", "roster", "check-worker") else []
        command = sub.add_parser(name, help=help, description=help, parents=parents, **kwargs)
        command.set_defaults(run=getattr(commands, name.replace("-", "_")))
        return command

    _add_intake_commands(add, course)
    _add_grading_commands(add)
    _add_output_commands(add, ARCHIVES)
    _add_demo_command(add)
    return parser


_AddCommand = Callable[..., argparse.ArgumentParser]


def _add_intake_commands(add: _AddCommand, course: argparse.ArgumentParser) -> None:
    """release, collect and roster: what comes into the course."""
    release = add("release", "regenerate the student release (exercises/) from the sources, with nbgrader")
    release.add_argument("assignments", nargs="*", metavar="ASSIGNMENT", help="default: every assignment")

    collect = add("collect", "import submissions from a folder or an LMS zip into submitted/",
                  epilog=_COLLECT_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    collect.add_argument("assignment")
    collect.add_argument("source", type=Path, help="a folder or a .zip of handed-in notebooks")
    collect.add_argument("--pattern", type=_pattern, help="regular expression with a (?P<student>...) group")
    collect.add_argument("--lms", choices=["moodle", "canvas", "blackboard", "generic"],
                         help="the layout of the download (default: detected, and printed)")
    collect.add_argument("--timezone", metavar="ZONE", help="the time zone of the times in a zip, e.g. "
                         "Europe/Berlin (default: this machine's)")

    roster = add("roster", "the class list: import it from a CSV (id, name, email, LMS ids), or show it",
                 epilog=_ROSTER_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    roster_sub = roster.add_subparsers(dest="action", required=True, metavar="ACTION")
    roster_import = roster_sub.add_parser("import", help="replace the course's roster with FILE",
                                          parents=[course])
    roster_import.add_argument("file", type=Path, metavar="FILE", help="a CSV file, one row per student")
    roster_sub.add_parser("show", help="print the roster (with the names collect learnt)", parents=[course])


def _add_grading_commands(add: _AddCommand) -> None:
    """autograde and check-worker."""
    grade = add("autograde", "grade the collected submissions in parallel, each in a sandbox")
    grade.add_argument("assignment")
    grade.add_argument("--student", action="append", help="grade only this student (repeatable)")
    grade.add_argument("--force", action="store_true", help="grade again students already graded")
    _add_grading_options(grade)

    check = add("check-worker", "start one sandboxed worker and check that it works and holds (run on each "
                "grading machine before the term)")
    check.add_argument("--uid", type=_positive, help="the uid the worker runs as (as root; default: the first "
                       "sandbox uid of autograde, --sandbox-uid-base)")
    check.add_argument("--scheduler", metavar="ADDRESS", help="run the check on every worker of this Dask "
                       "cluster (and compare their versions with this machine's) instead of here")


def _add_output_commands(add: _AddCommand, archives: tuple[str, ...]) -> None:
    """feedback, export and report: what the course gives back."""
    feedback = add("feedback", "write per-student HTML feedback (no hidden tests) into feedback/",
                   epilog=_FEEDBACK_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    feedback.add_argument("assignment")
    feedback.add_argument("--student", action="append", help="only this student (repeatable)")
    feedback.add_argument("--archive", choices=archives,
                          help="also pack the pages into one zip in the LMS's bulk-upload layout (see below)")
    feedback.add_argument("--output", type=Path, help="the archive (default: feedback-ASSIGNMENT-LMS.zip in the "
                          "course)")

    export = add("export", "write the grades as CSV: per item, or as a Canvas or Moodle gradebook import",
                 epilog=_EXPORT_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    export.add_argument("assignments", nargs="*", metavar="ASSIGNMENT", help="default: every graded assignment")
    export.add_argument("--format", choices=["csv", "canvas", "moodle"], default="csv",
                        help="csv: one column per item (default); canvas, moodle: one column per assignment")
    export.add_argument("--output", type=Path, help="the file (default: grades.csv, grades-canvas.csv or "
                        "grades-moodle.csv in the course)")
    export.add_argument("--title", action="append", metavar="ASSIGNMENT=TITLE",
                        help="the column title of an assignment in the LMS, e.g. '04-softmax=Softmax (123456)' "
                        "(repeatable; default: the assignment's name)")
    export.add_argument("--points-possible", action="store_true", help="canvas: add the 'Points Possible' row")
    export.add_argument("--allow-pending", action="store_true",
                        help="export even if collected submissions are not graded yet (they are exported empty)")

    report = add("report", "write an HTML class report: score distribution, failure rates, frequent mistakes")
    report.add_argument("assignment")
    report.add_argument("--output", type=Path, help="the HTML file (default: report-ASSIGNMENT.html in the course)")


def _add_demo_command(add: _AddCommand) -> None:
    """demo: a synthetic class graded end to end."""
    demo = add("demo", "grade 30 synthetic students end to end on a temporary course")
    demo.add_argument("--course", metavar="DIR", help="the course to take the assignment from (default: the "
                      "current directory if it is a course, else this package's repository)")
    demo.add_argument("--assignment", help="(default: 01-perceptron; the built-in "
                      "sample 00-sample if the course has no such assignment)")
    demo.add_argument("--students", type=_positive, default=30, help="class size (%(default)s)")
    demo.add_argument("--dir", type=Path, help="where to create the demo course (default: a new temporary dir)")
    _add_grading_options(demo)


def _stop(signum: int, frame: object) -> None:
    """Treat SIGTERM like Ctrl-C: the workers are killed, what is graded stays graded."""
    raise KeyboardInterrupt


#: The file system's refusals of a path the instructor gave (a missing folder, no permission): told in one line.
_PATH_ERRORS = (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``dlf-course``; return the exit status.

    0: done; 1: done, but some students failed (the lines above say which), or a fault of dlf-course itself
    (its traceback is printed: please report it); 2: the instructor's error, a CourseError or a path the
    file system refused (one line says what to do); 130: interrupted.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _stop) if in_main_thread else None  # stop as on Ctrl-C
    try:
        status: int = args.run(args)
        return status
    except CourseError as error:
        print(f"dlf-course {args.command}: error: {_one_line(error)}", file=sys.stderr)
        return 2
    except _PATH_ERRORS as error:
        if not error.filename:  # not about a path: a fault of the code
            return _fault(args.command)
        print(f"dlf-course {args.command}: error: {_one_line(error)}", file=sys.stderr)
        return 2
    except Exception:  # noqa: BLE001 - anything else is a fault of the package: its traceback, exit 1
        return _fault(args.command)
    except KeyboardInterrupt:
        print(f"dlf-course {args.command}: interrupted; run the command again to resume", file=sys.stderr)
        return 130
    finally:
        _hand_back(args)
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)


def _fault(command: str) -> int:
    """Print the traceback of the exception being handled, a fault of dlf-course, and return exit status 1."""
    traceback.print_exc(file=sys.stderr)
    print(f"dlf-course {command}: internal error (a fault of dlf-course, not of the course): please report it "
          "with the traceback above", file=sys.stderr)
    return 1


def _one_line(error: BaseException) -> str:
    """An error's message on one line (a FileNotFoundError without a message names its file)."""
    text = str(error)
    if isinstance(error, OSError) and error.filename and error.strerror:
        text = f"{error.filename}: {error.strerror}"
    return " ".join(text.split()) or type(error).__name__


def _hand_back(args: argparse.Namespace) -> None:
    """After a command run as root, the course's new files go back to the course directory's owner."""
    if not hasattr(args, "course") or args.command == "demo":
        return
    try:
        Course.open(args.course).hand_back()
    except CourseError:
        pass


if __name__ == "__main__":
    sys.exit(main())
