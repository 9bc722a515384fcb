"""Benchmark: grading throughput of `dlf-course autograde` against plain serial `nbgrader autograde`.

A script, not a test: it prints timings and asserts nothing. Run it on an idle machine:

    .venv/bin/python bench/bench_grading.py [--assignment 01-perceptron] [--students 40] [--jobs N]

Setup: a temporary course with one assignment (the course's default, or the
built-in sample when the course has none) and 40 synthetic honest submissions
(correct, half done, sign mistakes, broken: no endless loops, which would only
measure the time limit). The same submissions are graded twice in the same run:

- serial: ``nbgrader autograde ASSIGNMENT --force``, one process, the normal
  unsandboxed kernel, as nbgrader's documentation runs it;
- parallel: ``dlf-course autograde ASSIGNMENT --force --jobs N`` through its Python
  API, every notebook in its own sandbox (bubblewrap, rlimits, its own uid).

Both times include everything from the command's start to its end (nbgrader's
import and the gradebook writes included). The ratio of the throughputs
(notebooks per minute) is printed; the target on a 2-core machine is >= 4 (issue 8).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dlfcourse.demo import sample
from dlfcourse.grading.autograde import GradingOptions, autograde
from dlfcourse.intake.collect import collect
from dlfcourse.course import Course
from dlfcourse.demo.demo import DEFAULT_ASSIGNMENT, prepare_course
from dlfcourse.intake.lmszip import write_lms_zip
from dlfcourse.demo.synthetic import make_class

REPO = Path(__file__).resolve().parents[1]
HONEST = ("correct", "partial-stub", "partial-sign", "broken")


def build_course(directory: Path, assignment: str, students: int) -> Course:
    """A course with ``students`` collected honest submissions of ``assignment``."""
    source = Course.open(REPO)
    if assignment not in source.assignments():
        assignment = sample.SAMPLE_ASSIGNMENT
    course, _ = prepare_course(directory, assignment, source)
    archive = write_lms_zip(make_class(course, assignment, students, kinds=HONEST), directory / "class.zip")
    collect(course, assignment, archive)
    return course


def time_serial(course: Course, assignment: str) -> float:
    """Seconds taken by the nbgrader command line, in the course directory."""
    binary = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{binary}{os.pathsep}{os.environ.get('PATH', '')}")
    started = time.perf_counter()
    result = subprocess.run([str(binary / "nbgrader"), "autograde", assignment, "--force"], cwd=course.root,
                            env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"nbgrader autograde failed:\n{result.stderr[-3000:]}")
    return elapsed


def time_parallel(course: Course, assignment: str, jobs: int) -> float:
    """Seconds taken by dlf-course's parallel, sandboxed autograde of every submission."""
    import matplotlib

    started = time.perf_counter()
    outcomes = autograde(course, assignment, GradingOptions(jobs=jobs, force=True, mpl_cache=matplotlib.get_cachedir()),
                         progress=False)
    elapsed = time.perf_counter() - started
    failed = [o for o in outcomes if o.status != "graded"]
    if failed:
        raise SystemExit(f"{len(failed)} gradings failed, e.g. {failed[0]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default=DEFAULT_ASSIGNMENT)
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dlf-bench-") as folder:
        course = build_course(Path(folder) / "course", args.assignment, args.students)
        assignment = course.assignments()[0] if args.assignment not in course.assignments() else args.assignment
        count = len(course.submitted_students(assignment))
        print(f"{count} submissions of {assignment}, {os.cpu_count()} cores, {args.jobs} jobs")
        load = os.getloadavg()[0]
        serial = time_serial(course, assignment)
        parallel = time_parallel(course, assignment, args.jobs)
    rate_serial, rate_parallel = 60 * count / serial, 60 * count / parallel
    print(f"serial   nbgrader autograde : {serial:7.1f} s  {rate_serial:6.1f} notebooks/min")
    print(f"parallel dlf-course autograde: {parallel:7.1f} s  {rate_parallel:6.1f} notebooks/min (sandboxed)")
    print(f"throughput ratio parallel/serial: {rate_parallel / rate_serial:.2f}x (target >= 4x, issue 8)")
    print(f"1-minute load average before the runs: {load:.1f} on {os.cpu_count()} cores "
          "(other programs on the machine take cores from the parallel run first)")


if __name__ == "__main__":
    main()
