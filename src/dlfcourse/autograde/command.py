"""``dlf-course autograde``: grade every collected submission of an assignment, in parallel and sandboxed.

Each student is one task (:func:`grade_task`): nbgrader's own ``autograde``
in a scratch course of its own (:mod:`dlfcourse.autograde.scratch`), with two of
its preprocessors replaced (:mod:`dlfcourse.autograde.trusted`): the notebook
runs in a sandboxed worker, and every score comes from the hidden checks'
comparison of what the student's functions returned with the reference, on
inputs drawn from the student's seed. Tasks run in forked processes on this
machine (:mod:`dlfcourse.autograde.pool`) or, with ``cluster`` set, on the
workers of a Dask cluster (:mod:`dlfcourse.autograde.cluster`). Either way a
task returns its results as data and only this process writes the course
(:mod:`dlfcourse.autograde.ledger`): one writer for the SQLite gradebook.

Seeds: the first grading of a student draws a base seed from the operating
system and records it (``.dlf-course/seeds/<assignment>.json``); a regrade
reuses it, so it replays exactly; ``seed`` sets it (to replay a seed shown in
the report), ``new_seeds`` draws fresh ones.

A successful grading leaves a marker ``.dlf-course/autograde/<assignment>/<student>.json``
with a fingerprint of the submission: a later run skips that student unless the
submission changed or ``force`` is set, so an interrupted run resumes where it
stopped. A failed grading's marker keeps nbgrader's last line; everything nbgrader
said (its log and traceback) is kept beside it in ``<student>.log``, which the line names.
The repairs made to a submission's grading metadata before nbgrader saw it
(:mod:`dlfcourse.grader.repair`) are in the outcome's line and its marker, and so are
the answers graded by hand that the resubmission changed (their manual scores are
cleared: :mod:`dlfcourse.autograde.ledger`).

One run per course and assignment at a time (:mod:`dlfcourse.autograde.lock`): a second
run stops before it changes anything and says which process holds the lock.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from dlfcourse.course import Course, CourseError, open_gradebook
from dlfcourse.autograde.interrupts import deferred_interrupts
from dlfcourse.autograde.jobs import AssignmentBundle, GradedSubmission, SubmissionJob, read_folder
from dlfcourse.autograde.ledger import Ledger, assignment_bundle, extensions
from dlfcourse.autograde.lock import grading_lock
from dlfcourse.autograde.pool import TaskResult, run_tasks
from dlfcourse.sandbox.policy import Limits, Policy, check_available
from dlfcourse.autograde.scratch import grade_submission, preload
from dlfcourse.sandbox.uids import claim_uid

__all__ = ["GradingOptions", "GradeOutcome", "autograde", "failure_log", "needs_grading", "submission_fingerprint"]

_LOCK_RETRIES = 6


@dataclass(frozen=True)
class GradingOptions:
    """How to grade: parallelism, limits, sandbox."""

    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    force: bool = False
    sandbox: bool = True
    limits: Limits = field(default_factory=Limits)
    cell_timeout: int | None = None  # None: the course's ExecutePreprocessor.timeout
    call_timeout: int = 60  # seconds for one call of a student's function
    notebook_timeout: int = 600
    uid_base: int = 61000
    mpl_cache: str | None = None
    seed: int | None = None  # the base seed of every chosen student (replay); None: recorded or new
    new_seeds: bool = False  # draw new seeds even for students graded before
    cluster: str | None = None  # a Dask scheduler's address, or "local:N" (N local workers); None: the pool


@dataclass(frozen=True)
class GradeOutcome:
    """One student's result: ``graded``, ``failed`` or ``skipped`` (already graded), with a message."""

    student: str
    status: str
    seconds: float = 0.0
    message: str = ""
    score: tuple[float, float] | None = None  # (points, max points) of the auto-graded items
    repairs: tuple[str, ...] = ()  # "notebook: note" for each repair of the submission's grading metadata
    reopened: tuple[str, ...] = ()  # "notebook/grade_id" of answers graded by hand that changed: pending again

    def line(self) -> str:
        """One line for the terminal: "alice: graded 11/13 in 4.2 s", the repairs made before grading, and the
        answers graded by hand that changed since (back to pending)."""
        repaired = f"; repaired before grading: {' | '.join(self.repairs)}" if self.repairs else ""
        if self.reopened:
            repaired += (f"; answer changed since it was graded by hand, its manual score cleared (to grade again): "
                         f"{', '.join(self.reopened)}")
        if self.status == "graded" and self.score:
            return f"{self.student}: graded {self.score[0]:g}/{self.score[1]:g} in {self.seconds:.1f} s{repaired}"
        detail = f" ({self.message})" if self.message else ""
        return f"{self.student}: {self.status}{detail}{repaired}"


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


def failure_log(course: Course, assignment: str, student: str) -> Path:
    """Where the full text of a student's last failed grading is kept."""
    return _marker(course, assignment, student).with_suffix(".log")


def _keep_log(course: Course, assignment: str, student: str, text: str | None) -> str:
    """Keep a failed grading's full text (or drop an old one when there is none); return where, or ''."""
    path = failure_log(course, assignment, student)
    if not text:
        path.unlink(missing_ok=True)
        return ""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path.relative_to(course.root))


def _write_marker(course: Course, assignment: str, outcome: GradeOutcome, fingerprint: str) -> None:
    marker = _marker(course, assignment, outcome.student)
    marker.parent.mkdir(parents=True, exist_ok=True)
    record = {**asdict(outcome), "fingerprint": fingerprint, "finished": datetime.now(timezone.utc).isoformat()}
    temporary = marker.with_suffix(".tmp")
    temporary.write_text(json.dumps(record, indent=1))
    temporary.replace(marker)


def _grading_config(course: Course, options: GradingOptions, policy: Policy | None, base_seed: int) -> Any:
    """nbgrader configuration: the trusted executor and grade writer in place of nbgrader's, with the limits."""
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import Execute, SaveAutoGrades
    from traitlets.config import Config

    from dlfcourse.autograde.trusted import SaveTrustedGrades, TrustedExecute, policy_to_json

    replace = {Execute: TrustedExecute, SaveAutoGrades: SaveTrustedGrades}
    defaults = Autograde.class_traits()["autograde_preprocessors"].default()
    config = Config()
    config.Autograde.autograde_preprocessors = [replace.get(p, p) for p in defaults]
    config.TrustedExecute.source_directory = str(course.source_dir)
    config.TrustedExecute.policy = policy_to_json(policy)
    config.TrustedExecute.base_seed = base_seed
    config.TrustedExecute.call_timeout = options.call_timeout
    config.TrustedExecute.notebook_timeout = options.notebook_timeout
    cell_timeout = options.cell_timeout or course.config().ExecutePreprocessor.get("timeout", 60)
    config.TrustedExecute.cell_timeout = int(cell_timeout)
    return config


def _policy(options: GradingOptions, uid: int | None) -> Policy | None:
    if not options.sandbox:
        return None
    return Policy(limits=options.limits, uid=uid, gid=uid, mpl_cache=options.mpl_cache)


def grade_task(bundle: AssignmentBundle, job: SubmissionJob, options: GradingOptions, slot: int) -> GradedSubmission:
    """Grade one submission: in a forked process here, or on a Dask worker; the same code either way.

    As root, the sandbox runs as a uid that no other grader on this machine holds (``slot`` is the preference).
    """
    if not (options.sandbox and os.geteuid() == 0):
        return _grade_as(bundle, job, options, uid=None)
    with claim_uid(options.uid_base, slot) as uid:
        return _grade_as(bundle, job, options, uid)


def _grade_as(bundle: AssignmentBundle, job: SubmissionJob, options: GradingOptions,
              uid: int | None) -> GradedSubmission:
    policy = _policy(options, uid)
    return grade_submission(bundle, job, lambda course: _grading_config(course, options, policy, job.base_seed))


def _seeds_file(course: Course, assignment: str) -> Path:
    return course.state_dir / "seeds" / f"{assignment}.json"


def recorded_seeds(course: Course, assignment: str) -> dict[str, int]:
    """The base seed of every student graded so far (student -> seed)."""
    path = _seeds_file(course, assignment)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): int(v) for k, v in data.items() if isinstance(v, int)} if isinstance(data, dict) else {}


def _choose_seeds(course: Course, assignment: str, students: list[str], options: GradingOptions) -> dict[str, int]:
    """Each student's base seed (given, recorded or new), recorded before grading starts."""
    seeds = recorded_seeds(course, assignment)
    for student in students:
        if options.seed is not None:
            seeds[student] = int(options.seed)
        elif options.new_seeds or student not in seeds:
            seeds[student] = int.from_bytes(os.urandom(8), "little") >> 1
    path = _seeds_file(course, assignment)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(dict(sorted(seeds.items())), indent=1))
    temporary.replace(path)
    return seeds


def _check_gradebook(course: Course, assignment: str) -> None:
    from nbgrader.api import MissingEntry

    if not course.gradebook.is_file():
        raise CourseError(f"the course has no gradebook yet: run `dlf-course release {assignment}` first")
    with open_gradebook(course.db_url) as gradebook:
        try:
            gradebook.find_assignment(assignment)
        except MissingEntry:
            raise CourseError(f"assignment {assignment!r} is not in the gradebook: "
                              f"run `dlf-course release {assignment}` first") from None


def _hard_limit(course: Course, assignment: str, options: GradingOptions) -> float:
    """Seconds after which a worker is killed: every notebook's limit, plus start-up and database time."""
    return options.notebook_timeout * len(course.source_notebooks(assignment)) + 120


def _pending_file(course: Course, assignment: str) -> Path:
    return course.state_dir / "autograde" / f"{assignment}.force-pending.json"


def _todo(course: Course, assignment: str, chosen: list[str], force: bool) -> tuple[list[str], bool]:
    """The students to grade, and whether this resumes an interrupted ``--force`` run.

    A ``--force`` run records which students it must regrade; if it is interrupted, the next run
    (with or without ``--force``) finishes those that were not regraded yet instead of starting over.
    """
    pending = _pending_file(course, assignment)
    try:
        record = json.loads(pending.read_text())
        started, students = str(record["started"]), set(record["students"])
    except (OSError, ValueError, KeyError, TypeError):
        record = None
    if record is not None:
        left = [s for s in chosen if s in students and _graded_before(course, assignment, s, started)]
        return sorted(set(left) | {s for s in chosen if needs_grading(course, assignment, s)}), True
    if force:
        pending.parent.mkdir(parents=True, exist_ok=True)
        pending.write_text(json.dumps({"started": datetime.now(timezone.utc).isoformat(), "students": chosen}))
        return list(chosen), False
    return [s for s in chosen if needs_grading(course, assignment, s)], False


def _graded_before(course: Course, assignment: str, student: str, moment: str) -> bool:
    """True unless the student's last successful grading finished after ``moment`` (ISO time)."""
    try:
        record = json.loads(_marker(course, assignment, student).read_text())
    except (OSError, ValueError):
        return True
    return record.get("status") != "graded" or str(record.get("finished", "")) < moment


def autograde(course: Course, assignment: str, options: GradingOptions | None = None,
              students: Iterable[str] | None = None, progress: bool = True,
              on_outcome: Callable[[GradeOutcome], None] | None = None) -> list[GradeOutcome]:
    """Grade the submissions of ``assignment`` (default: all collected); return one outcome per student.

    ``on_outcome`` is called with each student's outcome as soon as it is known. GradingLocked (a
    CourseError) if another run grades the assignment now.
    """
    options = options or GradingOptions()
    course.source_notebooks(assignment)
    _check_gradebook(course, assignment)
    if options.sandbox:
        check_available(need_setpriv=os.geteuid() == 0)
    chosen = sorted(students) if students is not None else course.submitted_students(assignment)
    if not chosen:
        raise CourseError(f"no collected submissions of {assignment}: run `dlf-course collect {assignment} "
                          "SOURCE` first")
    missing = [s for s in chosen if not (course.submitted_dir / s / assignment).is_dir()]
    if missing:
        raise CourseError(f"no collected submission of {assignment} for: {', '.join(missing)}")
    with grading_lock(course, assignment):
        return _run(course, assignment, options, chosen, progress, on_outcome)


def _run(course: Course, assignment: str, options: GradingOptions, chosen: list[str], progress: bool,
         on_outcome: Callable[[GradeOutcome], None] | None) -> list[GradeOutcome]:
    """Grade ``chosen`` (those that need it), holding the assignment's grading lock."""
    from functools import partial

    from tqdm import tqdm

    preload()
    todo, resumed = _todo(course, assignment, chosen, options.force)
    if resumed and progress:
        print(f"resuming an interrupted --force run: {len(todo)} students left")
    outcomes = [GradeOutcome(s, "skipped", message="already graded") for s in chosen if s not in todo]
    fingerprints = {s: submission_fingerprint(course, assignment, s) for s in todo}
    seeds = _choose_seeds(course, assignment, todo, options)
    make_job = partial(_job, course, assignment, seeds, extensions(course, assignment))
    bundle = assignment_bundle(course, assignment)
    limit = _hard_limit(course, assignment, options)
    with deferred_interrupts() as checkpoint, Ledger(course, assignment) as ledger, \
            tqdm(total=len(todo), desc=f"autograde {assignment}", unit="nb", disable=not progress) as bar:
        if options.cluster:
            from dlfcourse.autograde.cluster import run_on_cluster

            results = run_on_cluster(options.cluster, grade_task, todo, bundle, make_job, options, limit, checkpoint)
        else:
            task = partial(_local_task, bundle, options, make_job)
            results = run_tasks(task, todo, options.jobs, limit, checkpoint)
        for result in results:
            outcome = _accept(ledger, result)
            _write_marker(course, assignment, outcome, fingerprints[outcome.student])
            outcomes.append(outcome)
            if on_outcome is not None:
                bar.clear()
                on_outcome(outcome)
            bar.update(1)
            bar.set_postfix(failed=sum(o.status == "failed" for o in outcomes))
    _pending_file(course, assignment).unlink(missing_ok=True)
    return sorted(outcomes, key=lambda o: o.student)


def _job(course: Course, assignment: str, seeds: dict[str, int], extension_of: dict[str, timedelta],
         student: str) -> SubmissionJob:
    files = read_folder(course.submitted_dir / student / assignment)
    return SubmissionJob(student, seeds[student], files, extension_of.get(student))


def _local_task(bundle: AssignmentBundle, options: GradingOptions, make_job: Callable[[str], SubmissionJob],
                student: str, slot: int) -> GradedSubmission:
    return grade_task(bundle, make_job(student), options, slot)


def _repairs(graded: GradedSubmission) -> tuple[str, ...]:
    """The submission's metadata repairs as "notebook: note" lines."""
    return tuple(f"{notebook}: {note}" for notebook, notes in sorted(graded.repairs.items()) for note in notes)


def _accept(ledger: Ledger, result: TaskResult) -> GradeOutcome:
    """The outcome of a finished task; a successful grading is written into the course first.

    A failed grading's full text is kept in the course (:func:`failure_log`), and its line says where.
    """
    graded = result.value
    student = result.key if graded is None else graded.student
    where = _keep_log(ledger.course, ledger.assignment, student, graded.log if graded and graded.error else None)
    if graded is None:
        return GradeOutcome(result.key, "failed", result.seconds, result.error or "the task failed")
    if graded.error is not None:
        message = f"{graded.error}; full log: {where}" if where else graded.error
        return GradeOutcome(graded.student, "failed", graded.seconds, message, repairs=_repairs(graded))
    reopened: list[tuple[str, str]] = []
    for attempt in range(_LOCK_RETRIES):
        try:
            reopened = ledger.record(graded)
            break
        except Exception as error:  # the gradebook busy (formgrader writing) or unwritable
            if "database is locked" not in str(error) or attempt == _LOCK_RETRIES - 1:
                return GradeOutcome(graded.student, "failed", graded.seconds,
                                    f"graded, but the result could not be written: {error}", repairs=_repairs(graded))
            time.sleep(random.uniform(0.2, 1.0) * (attempt + 1))
    return GradeOutcome(graded.student, "graded", graded.seconds, score=graded.score, repairs=_repairs(graded),
                        reopened=tuple(f"{notebook}/{cell}" for notebook, cell in reopened))
