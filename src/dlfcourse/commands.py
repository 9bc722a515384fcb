"""The ``dlf-course`` subcommands: each takes the parsed arguments, prints, and returns an exit status."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from dlfcourse.grading.autograde import GradingOptions
from dlfcourse.course import Course
from dlfcourse.grading.sandbox import MiB, Limits

__all__ = ["release", "collect", "autograde", "feedback", "export", "report", "demo", "grading_options"]


def _course(args: argparse.Namespace) -> Course:
    return Course.open(args.course)


def grading_options(args: argparse.Namespace, force: bool = False) -> GradingOptions:
    """GradingOptions from the command-line options of autograde and demo."""
    import matplotlib

    limits = Limits(memory_bytes=args.memory * MiB, processes=args.processes,
                    cpu_seconds=args.notebook_timeout + 300)
    return GradingOptions(jobs=args.jobs, force=force, sandbox=not args.no_sandbox, limits=limits,
                          cell_timeout=args.cell_timeout, notebook_timeout=args.notebook_timeout,
                          uid_base=args.sandbox_uid_base, mpl_cache=matplotlib.get_cachedir())


def release(args: argparse.Namespace) -> int:
    from dlfcourse.release import release as run

    results = run(_course(args), args.assignments)
    for result in results:
        print(f"released {result.assignment}" if result.ok else f"FAILED {result.assignment}: {result.message}")
    return 0 if all(r.ok for r in results) else 1


def collect(args: argparse.Namespace) -> int:
    from dlfcourse.intake.collect import collect as run

    for line in run(_course(args), args.assignment, args.source, args.pattern).lines():
        print(line)
    return 0


def autograde(args: argparse.Namespace) -> int:
    from dlfcourse.grading.autograde import autograde as run

    outcomes = run(_course(args), args.assignment, grading_options(args, args.force), args.student,
                   progress=not args.no_progress)
    for outcome in outcomes:
        detail = f" ({outcome.message})" if outcome.message and outcome.status == "failed" else ""
        print(f"{outcome.student}: {outcome.status}{detail}")
    counts = {s: sum(o.status == s for o in outcomes) for s in ("graded", "skipped", "failed")}
    print(", ".join(f"{n} {s}" for s, n in counts.items()))
    return 1 if counts["failed"] else 0


def feedback(args: argparse.Namespace) -> int:
    from dlfcourse.outputs.feedback import generate_feedback

    outcomes = generate_feedback(_course(args), args.assignment, args.student)
    for outcome in outcomes:
        print(f"{outcome.student}: " + (outcome.error or ", ".join(str(f) for f in outcome.files)))
    return 1 if any(o.error for o in outcomes) else 0


def export(args: argparse.Namespace) -> int:
    from dlfcourse.outputs.export import export as run

    course = _course(args)
    output = args.output or course.root / "grades.csv"
    table = run(course, output, args.assignments)
    print(f"wrote {output}: {len(table.scores)} students, {len(table.items)} graded items")
    return 0


def report(args: argparse.Namespace) -> int:
    from dlfcourse.outputs.report import build_report
    from dlfcourse.outputs.report_html import write_report

    course = _course(args)
    output = args.output or course.root / f"report-{args.assignment}.html"
    print(f"wrote {write_report(build_report(course, args.assignment), output)}")
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
    from dlfcourse import sample
    from dlfcourse.demo.demo import run_demo

    source = _source_course(args)
    assignment = args.assignment
    if assignment != sample.SAMPLE_ASSIGNMENT and (source is None or assignment not in source.assignments()):
        print(f"{assignment} is not an assignment of {source.root if source else 'this course'}: "
              f"using the built-in sample assignment {sample.SAMPLE_ASSIGNMENT}")
        assignment = sample.SAMPLE_ASSIGNMENT
    result = run_demo(args.dir, assignment, args.students, grading_options(args, force=True), source,
                      progress=not args.no_progress)
    return 1 if result.protected_changed else 0
