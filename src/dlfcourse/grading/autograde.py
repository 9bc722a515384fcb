"""``dlf-course autograde``: grade every collected submission of an assignment, in parallel and sandboxed.

Each student is graded by nbgrader's own ``NbGraderAPI.autograde`` in a forked
worker process (see :mod:`dlfcourse.grading.pool`), with the notebook
executed by :class:`~dlfcourse.grading.execute.SandboxedExecute` on the
sandboxed kernel of :mod:`dlfcourse.grading.kernelspec`. Workers share the
SQLite gradebook; nbgrader's writes are short, and a worker that meets
"database is locked" tries again.

A successful grading leaves a marker ``.dlf-course/autograde/<assignment>/<student>.json``
with a fingerprint of the submission: a later run skips that student unless the
submission changed or ``force`` is set, so an interrupted run resumes where it
stopped.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import tempfile
import time
import warnings
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from dlfcourse.course import Course, CourseError
from dlfcourse.grading.pool import run_tasks
from dlfcourse.grading.sandbox import Limits, Policy, check_available, python_paths

__all__ = ["GradingOptions", "GradeOutcome", "autograde", "needs_grading", "submission_fingerprint"]

_LOCK_RETRIES = 6


@dataclass(frozen=True)
class GradingOptions:
    """How to grade: parallelism, limits, sandbox."""

    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    force: bool = False
    sandbox: bool = True
    limits: Limits = field(default_factory=Limits)
    cell_timeout: int | None = None  # None: the course's ExecutePreprocessor.timeout
    notebook_timeout: int = 600
    uid_base: int = 61000
    mpl_cache: str | None = None


@dataclass(frozen=True)
class GradeOutcome:
    """One student's result: ``graded``, ``failed`` or ``skipped`` (already graded), with a message."""

    student: str
    status: str
    seconds: float = 0.0
    message: str = ""


def submission_fingerprint(course: Course, assignment: str, student: str) -> str:
    """A sha256 over the names and contents of the files of a submission."""
    digest = hashlib.sha256()
    folder = course.submitted_dir / student / assignment
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _marker(course: Course, assignment: str, student: str) -> Path:
    return course.state_dir / "autograde" / assignment / f"{student}.json"


def needs_grading(course: Course, assignment: str, student: str) -> bool:
    """True unless the student was graded successfully, from the same submission, by an earlier run."""
    marker = _marker(course, assignment, student)
    if not marker.is_file() or not (course.autograded_dir / student / assignment).is_dir():
        return True
    try:
        record = json.loads(marker.read_text())
    except (OSError, ValueError):
        return True
    return record.get("status") != "graded" or record.get("fingerprint") != submission_fingerprint(
        course, assignment, student)


def _write_marker(course: Course, assignment: str, outcome: GradeOutcome, fingerprint: str) -> None:
    marker = _marker(course, assignment, outcome.student)
    marker.parent.mkdir(parents=True, exist_ok=True)
    record = {**asdict(outcome), "fingerprint": fingerprint, "finished": datetime.now(timezone.utc).isoformat()}
    temporary = marker.with_suffix(".tmp")
    temporary.write_text(json.dumps(record, indent=1))
    temporary.replace(marker)


def _grading_config(options: GradingOptions, kernel_name: str) -> Any:
    """nbgrader configuration: the sandboxed Execute in place of nbgrader's, with the time limits."""
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import Execute
    from traitlets.config import Config

    from dlfcourse.grading.execute import SandboxedExecute

    defaults = Autograde.class_traits()["autograde_preprocessors"].default()
    config = Config()
    config.Autograde.autograde_preprocessors = [SandboxedExecute if p is Execute else p for p in defaults]
    config.SandboxedExecute.kernel_name = kernel_name
    config.SandboxedExecute.notebook_timeout = options.notebook_timeout
    config.SandboxedExecute.extra_arguments = ["--HistoryManager.hist_file=:memory:"]
    if options.cell_timeout is not None:
        config.SandboxedExecute.timeout = options.cell_timeout
    return config


def _policy(course: Course, options: GradingOptions, slot: int, workdir: Path) -> Policy:
    as_root = os.geteuid() == 0
    uid = options.uid_base + slot if as_root else None
    return Policy(limits=options.limits, uid=uid, gid=uid, read_only=python_paths(course.root),
                  mpl_cache=options.mpl_cache, kernel_log=str(workdir / "kernel.log"),
                  runtime_dir=str(workdir / "runtime"))


def _summary(result: dict) -> str:
    """The last meaningful line of nbgrader's error or log."""
    text = (result.get("error") or "") + "\n" + (result.get("log") or "")
    lines = [line.strip() for line in text.splitlines() if line.strip() and "SAWarning" not in line]
    errors = [line for line in lines if "[ERROR]" in line or "Error" in line]
    return (errors or lines or ["nbgrader failed without a message"])[-1][:500]


def grade_one(course: Course, assignment: str, student: str, slot: int, options: GradingOptions, workroot: Path
              ) -> GradeOutcome:
    """Grade one student with nbgrader in this process (a forked worker); never raises for a bad submission."""
    from dlfcourse.grading.kernelspec import KERNEL_NAME, use_private_jupyter_dirs, write_kernelspec

    warnings.filterwarnings("ignore")  # nbgrader's SQLAlchemy warnings, once per student otherwise
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix=f"slot{slot}-", dir=workroot))
    policy = _policy(course, options, slot, workdir) if options.sandbox else None
    write_kernelspec(workdir / "jupyter", policy)
    use_private_jupyter_dirs(workdir / "jupyter", workdir / "runtime")
    api = course.api(_grading_config(options, KERNEL_NAME))
    for attempt in range(_LOCK_RETRIES):
        result = api.autograde(assignment, student, force=True, create=True)
        locked = "database is locked" in (result.get("error") or "") + (result.get("log") or "")
        if result.get("success") or not locked:
            break
        time.sleep(random.uniform(0.2, 1.0) * (attempt + 1))
    seconds = time.monotonic() - started
    if result.get("success"):
        return GradeOutcome(student, "graded", seconds)
    return GradeOutcome(student, "failed", seconds, _summary(result) + _kernel_log_tail(workdir))


def _kernel_log_tail(workdir: Path) -> str:
    """The last line the kernel (or the sandbox starting it) wrote, to explain a kernel that never started."""
    log = workdir / "kernel.log"
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()] if log.is_file() else []
    return f"; the kernel said: {lines[-1][:300]}" if lines else ""


def _check_gradebook(course: Course, assignment: str) -> None:
    from nbgrader.api import Gradebook, MissingEntry

    if not course.gradebook.is_file():
        raise CourseError(f"the course has no gradebook yet: run `dlf-course release {assignment}` first")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Gradebook(course.db_url) as gradebook:
            try:
                gradebook.find_assignment(assignment)
            except MissingEntry:
                raise CourseError(f"assignment {assignment!r} is not in the gradebook: "
                                  f"run `dlf-course release {assignment}` first") from None


def _hard_limit(course: Course, assignment: str, options: GradingOptions) -> float:
    """Seconds after which a worker is killed: every notebook's limit, plus start-up and database time."""
    return options.notebook_timeout * len(course.source_notebooks(assignment)) + 120


def autograde(course: Course, assignment: str, options: GradingOptions | None = None,
              students: Iterable[str] | None = None, progress: bool = True) -> list[GradeOutcome]:
    """Grade the submissions of ``assignment`` (default: all collected); return one outcome per student."""
    from functools import partial

    from tqdm import tqdm

    options = options or GradingOptions()
    course.source_notebooks(assignment)
    _check_gradebook(course, assignment)
    if options.sandbox:
        check_available(need_setpriv=os.geteuid() == 0)
        python_paths(course.root)  # ValueError now, rather than once per student, if the course is exposed
    chosen = sorted(students) if students is not None else course.submitted_students(assignment)
    missing = [s for s in chosen if not (course.submitted_dir / s / assignment).is_dir()]
    if missing:
        raise CourseError(f"no collected submission of {assignment} for: {', '.join(missing)}")
    todo = [s for s in chosen if options.force or needs_grading(course, assignment, s)]
    outcomes = [GradeOutcome(s, "skipped", message="already graded") for s in chosen if s not in todo]
    fingerprints = {s: submission_fingerprint(course, assignment, s) for s in todo}
    workroot = Path(tempfile.mkdtemp(prefix="dlf-autograde-"))
    task = partial(_grade_task, course, assignment, options, workroot)
    try:
        with tqdm(total=len(todo), desc=f"autograde {assignment}", unit="nb", disable=not progress) as bar:
            for result in run_tasks(task, todo, options.jobs, _hard_limit(course, assignment, options)):
                outcome = result.value or GradeOutcome(result.key, "failed", result.seconds, result.error or "")
                _write_marker(course, assignment, outcome, fingerprints[outcome.student])
                outcomes.append(outcome)
                bar.update(1)
                bar.set_postfix(failed=sum(o.status == "failed" for o in outcomes))
    finally:
        shutil.rmtree(workroot, ignore_errors=True)
    return sorted(outcomes, key=lambda o: o.student)


def _grade_task(course: Course, assignment: str, options: GradingOptions, workroot: Path, student: str, slot: int
                ) -> GradeOutcome:
    return grade_one(course, assignment, student, slot, options, workroot)
