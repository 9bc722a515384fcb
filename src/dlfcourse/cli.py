"""``dlf-course``: the instructor's command line (release, collect, autograde, feedback, export, report, demo).

Every command works on a course directory (``--course DIR``, default: the
current directory), the folder with ``nbgrader_config.py``. Run
``dlf-course COMMAND --help`` for the options of a command.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from dlfcourse.course import Course, CourseError

__all__ = ["main", "build_parser"]

_COLLECT_EPILOG = """\
whose notebook is it? From its path inside SOURCE:
  <student>/<anything>.ipynb                 one folder per student
  <student>_<anything>.ipynb, <student>.ipynb  one folder for all (id = name up to the first "_")
or from --pattern, a regular expression with a group named "student" searched in the path,
e.g. --pattern 'submissions/(?P<student>[^/]+)/'. Ids: letters, digits, . @ - _.
A notebook is matched to the assignment's notebook by its nbgrader cell ids, whatever its name.
Skipped, with one line each: hidden/system files, non-notebooks, empty files, invalid JSON,
non-notebook JSON, notebooks of another assignment, duplicates (the latest is kept), and
submissions not newer than the one already collected."""


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
    parser.add_argument("--jobs", type=_positive, default=os.cpu_count() or 1,
                        help="notebooks graded at the same time (default: the number of cores, %(default)s)")
    parser.add_argument("--cell-timeout", type=_positive, help="seconds per cell (default: the course's config)")
    parser.add_argument("--notebook-timeout", type=_positive, default=600, help="seconds per notebook (%(default)s)")
    parser.add_argument("--memory", type=_positive, default=2048, help="memory limit per process, MiB (%(default)s)")
    parser.add_argument("--processes", type=_positive, default=64,
                        help="processes and threads a submission may run (%(default)s)")
    parser.add_argument("--sandbox-uid-base", type=_positive, default=61000, metavar="UID",
                        help="parallel slot k runs its kernel as uid UID+k (when run as root; default %(default)s)")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="run kernels without the sandbox (only for trusted notebooks)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``dlf-course`` and its subcommands."""
    from dlfcourse import commands
    from dlfcourse.demo.demo import DEFAULT_ASSIGNMENT

    parser = argparse.ArgumentParser(prog="dlf-course", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    course = _course_option()

    def add(name: str, help: str, **kwargs: object) -> argparse.ArgumentParser:
        parents = [course] if name != "demo" else []
        command = sub.add_parser(name, help=help, description=help, parents=parents, **kwargs)
        command.set_defaults(run=getattr(commands, name))
        return command

    release = add("release", "regenerate the student release (exercises/) from the sources, with nbgrader")
    release.add_argument("assignments", nargs="*", metavar="ASSIGNMENT", help="default: every assignment")

    collect = add("collect", "import submissions from a folder or an LMS zip into submitted/",
                  epilog=_COLLECT_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    collect.add_argument("assignment")
    collect.add_argument("source", type=Path, help="a folder or a .zip of handed-in notebooks")
    collect.add_argument("--pattern", type=_pattern, help="regular expression with a (?P<student>...) group")

    grade = add("autograde", "grade the collected submissions in parallel, each in a sandbox")
    grade.add_argument("assignment")
    grade.add_argument("--student", action="append", help="grade only this student (repeatable)")
    grade.add_argument("--force", action="store_true", help="grade again students already graded")
    _add_grading_options(grade)

    feedback = add("feedback", "write per-student HTML feedback (no hidden tests) into feedback/")
    feedback.add_argument("assignment")
    feedback.add_argument("--student", action="append", help="only this student (repeatable)")

    export = add("export", "write grades as CSV: one row per student, one column per graded item")
    export.add_argument("assignments", nargs="*", metavar="ASSIGNMENT", help="default: every assignment")
    export.add_argument("--output", type=Path, help="the CSV file (default: grades.csv in the course)")

    report = add("report", "write an HTML class report: score distribution, failure rates, frequent mistakes")
    report.add_argument("assignment")
    report.add_argument("--output", type=Path, help="the HTML file (default: report-ASSIGNMENT.html in the course)")

    demo = add("demo", "grade 30 synthetic students end to end on a temporary course")
    demo.add_argument("--course", metavar="DIR", help="the course to take the assignment from (default: the "
                      "current directory if it is a course, else this package's repository)")
    demo.add_argument("--assignment", default=DEFAULT_ASSIGNMENT, help="(default: %(default)s; the built-in "
                      "sample 00-sample if the course has no such assignment)")
    demo.add_argument("--students", type=_positive, default=30, help="class size (%(default)s)")
    demo.add_argument("--dir", type=Path, help="where to create the demo course (default: a new temporary dir)")
    _add_grading_options(demo)
    return parser


def _stop(signum: int, frame: object) -> None:
    """Treat SIGTERM like Ctrl-C: the workers are killed, what is graded stays graded."""
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``dlf-course``; return the exit status (0 ok, 1 some students failed, 2 usage or course error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _stop) if in_main_thread else None  # stop as on Ctrl-C
    try:
        return args.run(args)
    except (CourseError, ValueError, FileNotFoundError) as error:
        print(f"dlf-course {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"dlf-course {args.command}: interrupted; run the command again to resume", file=sys.stderr)
        return 130
    finally:
        _hand_back(args)
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)


def _hand_back(args: argparse.Namespace) -> None:
    """After a command run as root, the course's new files go back to the course directory's owner."""
    if args.command == "demo":
        return
    try:
        Course.open(args.course).hand_back()
    except CourseError:
        pass


if __name__ == "__main__":
    sys.exit(main())
