"""The ``dlf-course`` subcommands: each takes the parsed arguments, prints, and returns an exit status."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from dlfcourse.course import Course
from dlfcourse.errors import CourseError
from dlfcourse.settings import GradingSettings, MiB

if TYPE_CHECKING:  # the grading and output modules load on demand: the other commands work without them
    from dlfcourse.autograde.command import GradeOutcome
    from dlfcourse.outputs.feedback import FeedbackOutcome
    from dlfcourse.outputs.stopped import StoppedCell

__all__ = ["release", "collect", "roster", "autograde", "check_worker", "feedback", "export", "report", "demo",
           "grading_settings"]


def _course(args: argparse.Namespace) -> Course:
    return Course.open(args.course)


def grading_settings(args: argparse.Namespace, force: bool = False) -> GradingSettings:
    """The GradingSettings of the command-line options of autograde and demo (each option is stored under its
    field's name; matplotlib's font cache is this machine's)."""
    import matplotlib

    limits = replace(GradingSettings().limits, memory_bytes=args.memory * MiB, processes=args.processes)
    return GradingSettings(jobs=args.jobs, force=force, sandbox=args.sandbox, limits=limits,
                           cell_timeout=args.cell_timeout, call_timeout=args.call_timeout,
                           notebook_timeout=args.notebook_timeout, uid_base=args.uid_base,
                           mpl_cache=matplotlib.get_cachedir(), seed=args.seed, new_seeds=args.new_seeds,
                           cluster=args.cluster)


def release(args: argparse.Namespace) -> int:
    from dlfcourse.release import release as run

    results = run(_course(args), args.assignments)
    for result in results:
        print(f"released {result.assignment}" if result.ok else f"FAILED {result.assignment}: {result.message}")
    return 0 if all(r.ok for r in results) else 1


def collect(args: argparse.Namespace) -> int:
    from dlfcourse.intake.collect import collect as run, counted

    report = run(_course(args), args.assignment, args.source, args.pattern, lms=args.lms,
                 timezone_name=args.timezone)
    for line in report.lines():
        print(line)
    if not report.ok:
        print(f"dlf-course collect: {counted(len(report.lost), 'notebook file')} of {report.offered} not collected"
              + (f", {counted(len(report.conflicts), 'id conflict')}" if report.conflicts else "")
              + ": see the lines above", file=sys.stderr)
        return 1
    return 0


def roster(args: argparse.Namespace) -> int:
    from dlfcourse.intake.roster import ROSTER_FILE, import_roster, load_roster

    course = _course(args)
    if args.action == "import":
        students, notes = import_roster(course, args.file)
        for note in notes:
            print(note)
        emails = sum(bool(s.email) for s in students)
        lms = sum(bool(s.canvas_id or s.sis_user_id or s.sis_login_id or s.id_number or s.participant_id)
                  for s in students)
        print(f"roster: {len(students)} student(s) from {args.file} into {course.state_dir / ROSTER_FILE} "
              f"({emails} with an email, {lms} with an LMS id)")
        return 0
    listing = load_roster(course)
    for student in sorted(listing.students.values(), key=lambda s: s.id):
        where = "" if student.id in listing.imported_ids else "  (learnt by collect, not on the roster)"
        print(f"{student.id}\t{student.name}\t{student.email}{where}")
    print(f"{len(listing.imported_ids)} student(s) on the roster, "
          f"{len(listing.students) - len(listing.imported_ids)} more learnt by collect")
    return 0


def autograde(args: argparse.Namespace) -> int:
    from dlfcourse.autograde.command import autograde as run
    from dlfcourse.outputs.stopped import stopped_in

    course = _course(args)
    stopped: dict[str, list[StoppedCell]] = {}

    def say(outcome: GradeOutcome) -> None:
        """The student's line, then one line per cell of theirs that never ran to its end."""
        print(outcome.line(), flush=True)
        if outcome.status == "graded":
            cells = stopped_in(course.autograded_dir / outcome.student / args.assignment)
            for cell in cells:
                print(f"  {outcome.student}: {cell.line()}", flush=True)
            if cells:
                stopped[outcome.student] = cells

    outcomes = run(course, args.assignment, grading_settings(args, args.force), args.student,
                   progress=not args.no_progress, on_outcome=say)
    counts = {s: sum(o.status == s for o in outcomes) for s in ("graded", "skipped", "failed")}
    scores = [o.score[0] / o.score[1] for o in outcomes if o.score]
    mean = f"; mean auto-graded score {100 * sum(scores) / len(scores):.0f} %" if scores else ""
    print(", ".join(f"{n} {s}" for s, n in counts.items()) + mean)
    if stopped:
        print(f"{len(stopped)} student(s) with cells that never ran to their end (a time limit, a stub left in "
              f"place; their items were still graded on the grader's inputs): {', '.join(sorted(stopped))}")
    reopened = [o for o in outcomes if o.reopened]
    if reopened:
        print(f"{sum(len(o.reopened) for o in reopened)} answer(s) graded by hand changed since, their manual "
              "scores cleared (pending until you grade them again in formgrader): "
              + ", ".join(f"{o.student} ({', '.join(o.reopened)})" for o in reopened))
    for outcome in outcomes:
        if outcome.status == "failed":
            print(f"  failed: {outcome.line()}")
    return 1 if counts["failed"] else 0


def check_worker(args: argparse.Namespace) -> int:
    from dlfcourse.autograde.selfcheck import check_cluster, check_worker as run

    if args.scheduler:
        return 0 if check_cluster(args.scheduler, uid=args.uid) else 1
    probes = run(uid=args.uid)
    return 0 if all(p.ok for p in probes) else 1


def feedback(args: argparse.Namespace) -> int:
    from dlfcourse.outputs.feedback import generate_feedback

    course = _course(args)

    def say(outcome: FeedbackOutcome) -> None:
        shown = outcome.error or ", ".join(str(f.relative_to(course.root)) for f in outcome.files)
        print(f"{outcome.student}: {shown}", flush=True)

    outcomes = generate_feedback(course, args.assignment, args.student, on_outcome=say)
    failed = [o.student for o in outcomes if o.error]
    print(f"feedback for {len(outcomes) - len(failed)} of {len(outcomes)} student(s) in "
          f"{course.feedback_dir.relative_to(course.root)}/<student>/{args.assignment}/ "
          "(hand back each folder: the page loads its equations from mathjax/ next to it)"
          + (f"; FAILED for {len(failed)}: {', '.join(failed)}" if failed else ""))
    left_out = _archive(course, args) if args.archive else 0
    return 1 if failed or left_out else 0


def _archive(course: Course, args: argparse.Namespace) -> int:
    """Pack the feedback pages for the LMS's bulk upload (``--archive``); print it; return how many were left out."""
    from dlfcourse.outputs.handback import LAYOUT_SHOWN, feedback_archive

    result = feedback_archive(course, args.assignment, args.archive, args.output, args.student)
    print(f"wrote {result.path}: {result.files} page(s) of {len(result.students)} student(s) in "
          f"{LAYOUT_SHOWN[result.lms]}; in the LMS the equations show as TeX")
    for student, why in sorted(result.left_out.items()):
        print(f"dlf-course feedback: not in the archive: {student}: {why}", file=sys.stderr)
    return len(result.left_out)


def _titles(pairs: list[str] | None) -> dict[str, str]:
    titles = {}
    for pair in pairs or []:
        assignment, sep, title = pair.partition("=")
        if not sep or not assignment.strip() or not title.strip():
            raise CourseError(f"--title wants ASSIGNMENT=TITLE, e.g. '04-softmax=Softmax (123456)', not {pair!r}")
        titles[assignment.strip()] = title.strip()
    return titles


def export(args: argparse.Namespace) -> int:
    from dlfcourse.intake.collect import counted
    from dlfcourse.outputs.export import export as run

    course = _course(args)
    default = {"csv": "grades.csv", "canvas": "grades-canvas.csv", "moodle": "grades-moodle.csv"}[args.format]
    output = args.output or course.root / default
    result = run(course, output, args.assignments, args.format, _titles(args.title), args.points_possible,
                 args.allow_pending)
    table = result.table
    for entry in result.ungraded:
        print(f"dlf-course export: not graded: {entry.line()}", file=sys.stderr)
    if not result.written:
        print(f"dlf-course export: {len(result.ungraded)} collected submission(s) not graded: nothing written; "
              f"run `dlf-course autograde` for them, or pass --allow-pending to export them empty", file=sys.stderr)
        return 1
    empty = len(result.without_grades)
    rows = f"{counted(len(result.students), 'student')}" + (
        f" ({len(result.students) - empty} graded, {empty} with nothing graded: empty)" if empty else "")
    print(f"wrote {output} ({args.format}): {rows}, {counted(len(table.assignments), 'assignment')}, "
          f"{counted(len(table.items), 'graded item')}")
    if table.pending_count():
        what = "left empty" if args.format == "csv" else "their assignment total left empty"
        print(f"{table.pending_count()} item score(s) of {result.pending_students} student(s) still to be graded "
              f"by hand (formgrader): {what}, not 0")
    if result.ungraded:
        print(f"{len(result.ungraded)} collected submission(s) not graded, exported empty (--allow-pending)")
    if result.unmatched:
        need = "a Canvas ID, SIS User ID or SIS Login ID" if args.format == "canvas" else "an email or ID number"
        print(f"dlf-course export: {len(result.unmatched)} student(s) without {need}, which the LMS needs to match "
              f"the row: {', '.join(result.unmatched)} (import a roster with them: dlf-course roster import)",
              file=sys.stderr)
        return 1
    return 0


def report(args: argparse.Namespace) -> int:
    from dlfcourse.outputs.report import build_report
    from dlfcourse.outputs.report_html import write_report

    course = _course(args)
    output = args.output or course.root / f"report-{args.assignment}.html"
    built = build_report(course, args.assignment)
    print(f"wrote {write_report(built, output)}")
    pending = sum(bool(built.table.pending.get(s)) for s in built.students)
    mistakes = sum(sum(c.values()) for c in built.mistakes.values())
    print(f"{len(built.students)} graded student(s), {mistakes} diagnosed mistake(s), "
          f"{len(built.similar)} pair(s) of similar submissions, {len(built.flagged)} flagged by the static scan, "
          f"{len(built.failed)} failed grading(s)"
          + (f", {pending} with items still to grade by hand" if pending else "")
          + (f", {len(built.ungraded)} collected but not graded" if built.ungraded else "")
          + (f", {len(built.reopened)} with an answer changed since it was graded by hand" if built.reopened else "")
          + (f", {len(built.stopped)} with cells that never ran to their end" if built.stopped else "")
          + (f", {len(built.missing)} on the roster who handed in nothing" if built.missing else ""))
    return 0


def _source_course(args: argparse.Namespace) -> Course | None:
    """The course the demo takes its assignment from: --course, else the current directory, else this repo."""
    import dlfoundations

    candidates = [args.course, os.getcwd(), Path(dlfoundations.__file__).resolve().parents[2]]
    for candidate in candidates:
        if candidate and (Path(candidate) / "nbgrader_config.py").is_file():
            return Course.open(candidate)
    return None


def demo(args: argparse.Namespace) -> int:
    from dlfcourse.demo import sample
    from dlfcourse.demo.demo import DEFAULT_ASSIGNMENT, run_demo

    source = _source_course(args)
    assignment = args.assignment or DEFAULT_ASSIGNMENT
    if assignment != sample.SAMPLE_ASSIGNMENT and (source is None or assignment not in source.assignments()):
        print(f"{assignment} is not an assignment of {source.root if source else 'this course'}: "
              f"using the built-in sample assignment {sample.SAMPLE_ASSIGNMENT}")
        assignment = sample.SAMPLE_ASSIGNMENT
    result = run_demo(args.dir, assignment, args.students, grading_settings(args, force=True), source,
                      progress=not args.no_progress)
    return 1 if result.protected_changed else 0
