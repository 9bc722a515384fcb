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

How to grade is one :class:`~dlfcourse.settings.GradingSettings`; what the course
remembers between runs is its store, ``course.state`` (:mod:`dlfcourse.state`).

Seeds: the first grading of a student draws a base seed from the operating
system and records it; a regrade reuses it, so it replays exactly; ``seed`` sets
it (to replay a seed shown in the report), ``new_seeds`` draws fresh ones.

Every grading is recorded with a fingerprint of the submission: a later run skips
a student graded successfully unless the submission changed or ``force`` is set, so
an interrupted run resumes where it stopped. A failed grading's record keeps nbgrader's
last line; everything nbgrader said (its log and traceback) is kept beside it, and the
line says where.
The repairs made to a submission's grading metadata before nbgrader saw it
(:mod:`dlfcourse.grader.repair`) are in the outcome's line and its marker, and so are
the answers graded by hand that the resubmission changed (their manual scores are
cleared: :mod:`dlfcourse.autograde.ledger`).

One run per course and assignment at a time (:mod:`dlfcourse.autograde.lock`): a second
run stops before it changes anything and says which process holds the lock.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy.exc import OperationalError, SQLAlchemyError

from dlfcourse.autograde.interrupts import deferred_interrupts
from dlfcourse.autograde.jobs import AssignmentBundle, GradedSubmission, SubmissionJob, read_folder
from dlfcourse.autograde.ledger import Ledger, assignment_bundle, extensions
from dlfcourse.autograde.lock import grading_lock
from dlfcourse.autograde.pool import TaskResult, run_tasks
from dlfcourse.autograde.scratch import grade_submission, preload
from dlfcourse.course import Course, CourseError, open_gradebook
from dlfcourse.sandbox.policy import check_available
from dlfcourse.sandbox.uids import claim_uid
from dlfcourse.settings import GradingSettings
from dlfcourse.state import GradingRecord

__all__ = ["GradeOutcome", "autograde", "course_settings", "needs_grading"]

#: How often a result is written again while the gradebook is busy (formgrader writing), before giving up.
_BUSY_RETRIES = 6
#: sqlite's result codes for a database another connection holds (the primary code: the low byte).
_BUSY_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


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


def needs_grading(course: Course, assignment: str, student: str) -> bool:
    """True unless the student was graded successfully, from the same submission, by an earlier run."""
    return not course.state.graded_as_submitted(assignment, student)


def course_settings(course: Course, settings: GradingSettings) -> GradingSettings:
    """``settings`` with what they leave to the course filled in: the time limit per cell, when None, is the
    course's (``ExecutePreprocessor.timeout`` in its nbgrader configuration, the limit students check with)."""
    if settings.cell_timeout is not None:
        return settings
    return replace(settings, cell_timeout=int(course.config().ExecutePreprocessor.get("timeout", 60)))


def _grading_config(course: Course, settings: GradingSettings, uid: int | None, base_seed: int) -> Any:
    """nbgrader configuration: the trusted executor and grade writer in place of nbgrader's, with the settings."""
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import Execute, SaveAutoGrades
    from traitlets.config import Config

    from dlfcourse.autograde.trusted import SaveTrustedGrades, TrustedExecute

    ours = {Execute: TrustedExecute, SaveAutoGrades: SaveTrustedGrades}
    defaults = Autograde.class_traits()["autograde_preprocessors"].default()
    config = Config()
    config.Autograde.autograde_preprocessors = [ours.get(p, p) for p in defaults]
    config.TrustedExecute.source_directory = str(course.source_dir)
    config.TrustedExecute.settings = settings.to_json()
    config.TrustedExecute.base_seed = base_seed
    config.TrustedExecute.uid = uid
    return config


def grade_task(bundle: AssignmentBundle, job: SubmissionJob, settings: GradingSettings,
               slot: int) -> GradedSubmission:
    """Grade one submission: in a forked process here, or on a Dask worker; the same code either way.

    As root, the sandbox runs as a uid that no other grader on this machine holds (``slot`` is the preference).
    """
    if not (settings.sandbox and os.geteuid() == 0):
        return _grade_as(bundle, job, settings, uid=None)
    with claim_uid(settings.uid_base, slot) as uid:
        return _grade_as(bundle, job, settings, uid)


def _grade_as(bundle: AssignmentBundle, job: SubmissionJob, settings: GradingSettings,
              uid: int | None) -> GradedSubmission:
    return grade_submission(bundle, job, lambda course: _grading_config(course, settings, uid, job.base_seed))


def _choose_seeds(course: Course, assignment: str, students: list[str],
                  settings: GradingSettings) -> dict[str, int]:
    """Each student's base seed (given, recorded or new), recorded before grading starts."""
    recorded = course.state.seeds(assignment)
    seeds = {}
    for student in students:
        if settings.seed is not None:
            seeds[student] = int(settings.seed)
        elif settings.new_seeds or student not in recorded:
            seeds[student] = int.from_bytes(os.urandom(8), "little") >> 1
        else:
            seeds[student] = recorded[student]
    course.state.record_seeds(assignment, seeds)
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


def _hard_limit(course: Course, assignment: str, settings: GradingSettings) -> float:
    """Seconds after which a worker is killed: every notebook's limit, plus start-up and database time."""
    return settings.notebook_timeout * len(course.source_notebooks(assignment)) + 120


def _todo(course: Course, assignment: str, chosen: list[str], force: bool) -> tuple[list[str], bool]:
    """The students to grade, and whether this resumes an interrupted ``--force`` run.

    A ``--force`` run records which students it must regrade; if it is interrupted, the next run
    (with or without ``--force``) finishes those that were not regraded yet instead of starting over.
    """
    state = course.state
    forced = state.forced_run(assignment)
    if forced is not None:
        left = {s for s in chosen if s in forced.students and not state.graded_since(assignment, s, forced.started)}
        return sorted(left | {s for s in chosen if needs_grading(course, assignment, s)}), True
    if force:
        state.start_forced_run(assignment, datetime.now(timezone.utc), chosen)
        return list(chosen), False
    return [s for s in chosen if needs_grading(course, assignment, s)], False


def autograde(course: Course, assignment: str, settings: GradingSettings | None = None,
              students: Iterable[str] | None = None, progress: bool = True,
              on_outcome: Callable[[GradeOutcome], None] | None = None) -> list[GradeOutcome]:
    """Grade the submissions of ``assignment`` (default: all collected); return one outcome per student.

    ``on_outcome`` is called with each student's outcome as soon as it is known. GradingLocked (a
    CourseError) if another run grades the assignment now.
    """
    course.source_notebooks(assignment)
    settings = course_settings(course, settings or GradingSettings())
    _check_gradebook(course, assignment)
    if settings.sandbox:
        check_available(need_setpriv=os.geteuid() == 0)
    chosen = sorted(students) if students is not None else course.submitted_students(assignment)
    if not chosen:
        raise CourseError(f"no collected submissions of {assignment}: run `dlf-course collect {assignment} "
                          "SOURCE` first")
    missing = [s for s in chosen if not (course.submitted_dir / s / assignment).is_dir()]
    if missing:
        raise CourseError(f"no collected submission of {assignment} for: {', '.join(missing)}")
    with grading_lock(course, assignment):
        return _run(course, assignment, settings, chosen, progress, on_outcome)


def _run(course: Course, assignment: str, settings: GradingSettings, chosen: list[str], progress: bool,
         on_outcome: Callable[[GradeOutcome], None] | None) -> list[GradeOutcome]:
    """Grade ``chosen`` (those that need it), holding the assignment's grading lock."""
    from functools import partial

    from tqdm import tqdm

    preload()
    todo, resumed = _todo(course, assignment, chosen, settings.force)
    if resumed and progress:
        print(f"resuming an interrupted --force run: {len(todo)} students left")
    outcomes = [GradeOutcome(s, "skipped", message="already graded") for s in chosen if s not in todo]
    fingerprints = {s: course.state.fingerprint(assignment, s) for s in todo}
    seeds = _choose_seeds(course, assignment, todo, settings)
    make_job = partial(_job, course, assignment, seeds, extensions(course, assignment))
    bundle = assignment_bundle(course, assignment)
    limit = _hard_limit(course, assignment, settings)
    with deferred_interrupts() as checkpoint, Ledger(course, assignment) as ledger, \
            tqdm(total=len(todo), desc=f"autograde {assignment}", unit="nb", disable=not progress) as bar:
        if settings.cluster:
            from dlfcourse.autograde.cluster import run_on_cluster

            results = run_on_cluster(settings.cluster, grade_task, todo, bundle, make_job, settings, limit,
                                     checkpoint)
        else:
            task = partial(_local_task, bundle, settings, make_job)
            results = run_tasks(task, todo, settings.jobs, limit, checkpoint)
        for result in results:
            outcome = _accept(ledger, result)
            course.state.record_grading(assignment, _record(outcome, fingerprints[outcome.student]))
            outcomes.append(outcome)
            if on_outcome is not None:
                bar.clear()
                on_outcome(outcome)
            bar.update(1)
            bar.set_postfix(failed=sum(o.status == "failed" for o in outcomes))
    course.state.end_forced_run(assignment)
    return sorted(outcomes, key=lambda o: o.student)


def _record(outcome: GradeOutcome, fingerprint: str) -> GradingRecord:
    """What the course keeps of an outcome: all of it, the submission's fingerprint, and when it finished."""
    return GradingRecord(**asdict(outcome), fingerprint=fingerprint, finished=datetime.now(timezone.utc).isoformat())


def _job(course: Course, assignment: str, seeds: dict[str, int], extension_of: dict[str, timedelta],
         student: str) -> SubmissionJob:
    files = read_folder(course.submitted_dir / student / assignment)
    return SubmissionJob(student, seeds[student], files, extension_of.get(student))


def _local_task(bundle: AssignmentBundle, settings: GradingSettings, make_job: Callable[[str], SubmissionJob],
                student: str, slot: int) -> GradedSubmission:
    return grade_task(bundle, make_job(student), settings, slot)


def _repairs(graded: GradedSubmission) -> tuple[str, ...]:
    """The submission's metadata repairs as "notebook: note" lines."""
    return tuple(f"{notebook}: {note}" for notebook, notes in sorted(graded.repairs.items()) for note in notes)


def _accept(ledger: Ledger, result: TaskResult) -> GradeOutcome:
    """The outcome of a finished task; a successful grading is written into the course first.

    A failed grading's full text is kept in the course (:meth:`~dlfcourse.state.CourseState.failure_log`), and its
    line says where. A result the gradebook refuses (busy for too long, unwritable, a row it rejects) fails that
    student alone, with the reason; any other exception is a fault of ours and stops the run.
    """
    from nbgrader.api import InvalidEntry

    graded = result.value
    student = result.key if graded is None else graded.student
    log = graded.log if graded is not None and graded.error else None
    where = ledger.course.state.keep_failure_log(ledger.assignment, student, log)
    if graded is None:
        return GradeOutcome(result.key, "failed", result.seconds, result.error or "the task failed")
    if graded.error is not None:
        message = f"{graded.error}; full log: {where}" if where else graded.error
        return GradeOutcome(graded.student, "failed", graded.seconds, message, repairs=_repairs(graded))
    try:
        reopened = _record_waiting_while_busy(ledger, graded)
    except (SQLAlchemyError, InvalidEntry, OSError) as error:  # the gradebook or autograded/ cannot be written
        return GradeOutcome(graded.student, "failed", graded.seconds,
                            f"graded, but the result could not be written: {error}", repairs=_repairs(graded))
    return GradeOutcome(graded.student, "graded", graded.seconds, score=graded.score, repairs=_repairs(graded),
                        reopened=tuple(f"{notebook}/{cell}" for notebook, cell in reopened))


def _busy(error: OperationalError) -> bool:
    """True when SQLite refused because another connection holds the gradebook (formgrader writing)."""
    code = getattr(error.orig, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF in _BUSY_CODES


def _record_waiting_while_busy(ledger: Ledger, graded: GradedSubmission) -> list[tuple[str, str]]:
    """``ledger.record(graded)``, tried again after a growing random pause while the gradebook is busy."""
    for attempt in range(_BUSY_RETRIES - 1):
        try:
            return ledger.record(graded)
        except OperationalError as error:
            if not _busy(error):
                raise
            time.sleep(random.uniform(0.2, 1.0) * (attempt + 1))
    return ledger.record(graded)
