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

- on Dask: the same ``autograde`` with ``cluster="local:2"`` (``--cluster local:2``):
  a ``LocalCluster`` of two worker processes started by the command, each
  submission one task (issue 12). On one machine the ratio to the local pool
  should be close to 1: the point is that nothing is lost in the move.

Both times include everything from the command's start to its end (nbgrader's
import, the cluster's start and the gradebook writes included). The ratio of
the throughputs (notebooks per minute) is printed; the target on a 2-core
machine is >= 4 (issue 8). For the cost estimate of a large class, the local
run also reports the CPU time per submission (the machine's busy time during
the run, so run it on an idle machine) and the peak memory of one grading task (PSS of the grader and
its sandbox, sampled).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from dlfcourse.demo import sample
from dlfcourse.autograde.command import autograde
from dlfcourse.intake.collect import collect
from dlfcourse.course import Course
from dlfcourse.demo.demo import DEFAULT_ASSIGNMENT, prepare_course
from dlfcourse.demo.lmszip import write_lms_zip
from dlfcourse.demo.synthetic import make_class
from dlfcourse.settings import GradingSettings

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


class TaskMemory(threading.Thread):
    """Samples the largest memory (PSS, MiB) that one grading task (a child of this process and its tree) uses."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_mib, self.running = 0.0, True

    def run(self) -> None:
        me = psutil.Process()
        while self.running:
            for task in me.children():
                self.peak_mib = max(self.peak_mib, _tree_pss(task) / 2**20)
            time.sleep(0.2)


def _tree_pss(process: psutil.Process) -> float:
    total = 0.0
    try:
        for member in [process, *process.children(recursive=True)]:
            total += member.memory_full_info().pss
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        pass
    return total


def time_parallel(course: Course, assignment: str, jobs: int, cluster: str | None = None) -> tuple[float, float]:
    """Seconds taken by dlf-course's parallel, sandboxed autograde of every submission, and the machine's busy
    CPU seconds.

The CPU seconds are the whole machine's (every core's user and system time): on an idle machine that is the
grading's, sandboxes included, which per-process accounting misses (a sandbox's processes are not reaped
by the grader).
"""
    import matplotlib

    before = psutil.cpu_times()
    started = time.perf_counter()
    options = GradingSettings(jobs=jobs, force=True, mpl_cache=matplotlib.get_cachedir(), cluster=cluster)
    outcomes = autograde(course, assignment, options, progress=False)
    elapsed = time.perf_counter() - started
    after = psutil.cpu_times()
    failed = [o for o in outcomes if o.status != "graded"]
    if failed:
        raise SystemExit(f"{len(failed)} gradings failed, e.g. {failed[0]}")
    busy = sum(getattr(after, f) - getattr(before, f) for f in ("user", "system", "nice"))
    return elapsed, busy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default=DEFAULT_ASSIGNMENT)
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--cluster", default="local:2", help="the Dask cluster to compare with (default local:2)")
    parser.add_argument("--no-serial", action="store_true", help="skip the serial nbgrader run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dlf-bench-") as folder:
        course = build_course(Path(folder) / "course", args.assignment, args.students)
        assignment = course.assignments()[0] if args.assignment not in course.assignments() else args.assignment
        count = len(course.submitted_students(assignment))
        print(f"{count} submissions of {assignment}, {os.cpu_count()} cores, {args.jobs} jobs")
        load = os.getloadavg()[0]
        serial = None if args.no_serial else time_serial(course, assignment)
        memory = TaskMemory()
        memory.start()
        parallel, cpu = time_parallel(course, assignment, args.jobs)
        memory.running = False
        on_dask, _ = time_parallel(course, assignment, args.jobs, args.cluster)
    rate_parallel, rate_dask = 60 * count / parallel, 60 * count / on_dask
    if serial is not None:
        rate_serial = 60 * count / serial
        print(f"serial   nbgrader autograde : {serial:7.1f} s  {rate_serial:6.1f} notebooks/min")
    print(f"parallel dlf-course autograde: {parallel:7.1f} s  {rate_parallel:6.1f} notebooks/min (sandboxed)")
    print(f"on Dask ({args.cluster}) autograde: {on_dask:7.1f} s  {rate_dask:6.1f} notebooks/min "
          "(cluster start included)")
    if serial is not None:
        print(f"throughput ratio parallel/serial: {rate_parallel / rate_serial:.2f}x (target >= 4x, issue 8)")
    print(f"throughput ratio Dask/local pool: {rate_dask / rate_parallel:.2f}x (expected close to 1, issue 12)")
    print(f"CPU per submission (the machine's, local pool run): {cpu / count:.2f} s; "
          f"20,000 submissions: {20000 * cpu / count / 3600:.1f} CPU-hours")
    print(f"peak memory of one grading task (grader + sandbox, PSS): {memory.peak_mib:.0f} MiB")
    print(f"1-minute load average before the runs: {load:.1f} on {os.cpu_count()} cores "
          "(other programs on the machine take cores from the parallel run first)")


if __name__ == "__main__":
    main()
