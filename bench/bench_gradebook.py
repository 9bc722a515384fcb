"""Benchmark: the gradebook's size and the single writer's time for a MOOC of 20,000 submissions.

A script, not a test: it prints figures and asserts nothing. Run it on an idle machine:

    .venv/bin/python bench/bench_gradebook.py [--students N]

(20,000 students take about 15 minutes on 2 cores and 650 MB of temporary disk.)

Setup: a temporary course whose assignment is this repository's real
``04-softmax`` (its nbgrader configuration and source notebook, released with
nbgrader, so the gradebook has its real grade, solution and task cells). For each
of N synthetic students (default 20,000) a :class:`GradedSubmission` is built as a
grading task returns it (a score for every grade cell, a comment slot for every
solution and task cell, the released notebook as the autograded file) and written
with :class:`dlfcourse.autograde.ledger.Ledger` (the one writer of the course, open
for the whole run as ``autograde`` keeps it), timing each ``record`` call. Nothing is
graded: this measures only the instructor's writes.

Printed: the total and mean time per record, the mean of the first and of the
last 1000 records (does writing slow down as the gradebook grows?), the size of
``gradebook.db`` and of ``autograded/``, the writer time projected to 20,000
submissions, and the time the export's :func:`grade_table` takes to read it all.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

from dlfcourse.course import Course
from dlfcourse.autograde.jobs import GradedSubmission, NotebookGrades
from dlfcourse.autograde.ledger import Ledger
from dlfcourse.outputs.export import GradeTable, grade_table
from dlfcourse.release import release

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENT = "04-softmax"
MOOC = 20_000
PROGRESS_EVERY = 2000
WINDOW = 1000  # records averaged at the start and at the end


def build_course(root: Path) -> Course:
    """A course holding only the repository's ``04-softmax``, released (gradebook entries created)."""
    root.mkdir(parents=True)
    shutil.copy(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    shutil.copytree(REPO / "solutions" / ASSIGNMENT, root / "solutions" / ASSIGNMENT)
    course = Course.open(root)
    failed = [r for r in release(course, [ASSIGNMENT]) if not r.ok]
    if failed:
        raise SystemExit(f"release of {ASSIGNMENT} failed: {failed[0].message}")
    return course


def template(course: Course) -> tuple[dict[str, NotebookGrades], float]:
    """Per notebook, the results of a student scoring full marks on every grade cell; and the max score."""
    from nbgrader.api import Gradebook

    notebooks, total = {}, 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Gradebook(course.db_url) as gradebook:
            for notebook in gradebook.find_assignment(ASSIGNMENT).notebooks:
                scores = {cell.name: float(cell.max_score) for cell in notebook.grade_cells}
                comments = {cell.name: None for cell in [*notebook.solution_cells, *notebook.task_cells]}
                notebooks[notebook.name] = NotebookGrades(auto_scores=scores, auto_comments=comments,
                                                          late_penalty=None)
                total += sum(scores.values())
    return notebooks, total


def graded(student: str, notebooks: dict[str, NotebookGrades], payload: dict[str, bytes],
           total: float) -> GradedSubmission:
    """The synthetic result of grading one student's submission."""
    return GradedSubmission(student=student, seconds=1.0, notebooks=notebooks, files=payload,
                            score=(total, total))


def folder_size(folder: Path) -> int:
    """Total bytes of the files under ``folder``."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def write_all(course: Course, students: int, notebooks: dict[str, NotebookGrades],
              payload: dict[str, bytes], total: float) -> list[float]:
    """Record ``students`` submissions one after the other; the seconds of each record() call."""
    times = []
    started = time.perf_counter()
    with Ledger(course, ASSIGNMENT) as ledger:
        for i in range(1, students + 1):
            result = graded(f"s{i:05d}", notebooks, payload, total)
            begin = time.perf_counter()
            ledger.record(result)
            times.append(time.perf_counter() - begin)
            if i % PROGRESS_EVERY == 0:
                recent = sum(times[-PROGRESS_EVERY:]) / PROGRESS_EVERY
                print(f"  {i:6d} recorded, {time.perf_counter() - started:7.1f} s, last {PROGRESS_EVERY}: "
                      f"{1000 * recent:.1f} ms each", file=sys.stderr, flush=True)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=MOOC)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dlf-bench-gradebook-") as folder:
        course = build_course(Path(folder) / "course")
        notebooks, total = template(course)
        released = sorted((course.release_dir / ASSIGNMENT).glob("*.ipynb"))
        payload = {p.name: p.read_bytes() for p in released}
        cells = sum(len(n.auto_scores) + len(n.auto_comments) for n in notebooks.values())
        print(f"{args.students} submissions of {ASSIGNMENT}, {os.cpu_count()} cores; per submission: "
              f"{len(notebooks)} notebook(s), {cells} cells in the gradebook, "
              f"{sum(map(len, payload.values())) / 1024:.1f} KiB of autograded files (the released notebook; "
              "a real executed notebook with its outputs and plots is larger)")
        times = write_all(course, args.students, notebooks, payload, total)
        db_bytes = course.gradebook.stat().st_size
        autograded = folder_size(course.autograded_dir)
        begin = time.perf_counter()
        table = grade_table(course, [ASSIGNMENT])
        read = time.perf_counter() - begin
    report(args.students, times, db_bytes, autograded, read, table)


def report(students: int, times: list[float], db_bytes: int, autograded: int, read: float,
           table: GradeTable) -> None:
    """Print the figures."""
    spent = sum(times)
    window = min(WINDOW, students)
    first, last = sum(times[:window]) / window, sum(times[-window:]) / window
    print(f"writer total: {spent:.1f} s for {students} records, {1000 * spent / students:.2f} ms per record")
    print(f"mean of the first {window}: {1000 * first:.2f} ms, of the last {window}: {1000 * last:.2f} ms "
          f"(last/first {last / first:.2f}x)")
    print(f"gradebook.db: {db_bytes / 1e6:.1f} MB, {db_bytes / students:.0f} bytes per submission")
    print(f"autograded/: {autograded / 1e6:.1f} MB ({autograded / students / 1024:.1f} KiB per submission)")
    print(f"projected writer time for {MOOC} submissions: {spent / students * MOOC / 60:.1f} min "
          f"(at this run's mean; the time per record grows with the gradebook if last/first > 1)")
    print(f"grade_table over the whole gradebook: {read:.1f} s ({len(table.scores)} students)")


if __name__ == "__main__":
    main()
