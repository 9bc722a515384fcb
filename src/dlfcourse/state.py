"""What the commands remember about a course between runs: one store, :class:`CourseState` (``course.state``).

``autograde`` records each student's base seed and the outcome of each grading, and
while a ``--force`` run is under way, whom it still has to regrade; ``collect``
records when each submission was handed in; ``export`` and ``report`` read all of it.
They all go through this store, which alone knows the files (the formats of earlier
versions, so a course graded before reads as it did):

=====================================================  ==============================================
``.dlf-course/seeds/<assignment>.json``                 student -> base seed (a regrade replays it)
``.dlf-course/autograde/<assignment>/<student>.json``   the student's last grading (:class:`GradingRecord`)
``.dlf-course/autograde/<assignment>/<student>.log``    all nbgrader said about a failed grading
``.dlf-course/autograde/<assignment>.force-pending.json``  a ``--force`` run not finished (:class:`ForcedRun`)
``submitted/<student>/<assignment>/timestamp.txt``      when the submission was handed in (nbgrader's file)
``autograded/<student>/<assignment>/timestamp.txt``     the same, for the submission that was graded
=====================================================  ==============================================

The class list and where each hand-in came from are intake's (:mod:`dlfcourse.intake.roster`,
:mod:`dlfcourse.intake.handins`); the grading lock is :mod:`dlfcourse.autograde.lock`'s.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dlfcourse.course import TIMESTAMP_FILE, format_timestamp, read_timestamp, write_text_atomically

if TYPE_CHECKING:
    from dlfcourse.course import Course

__all__ = ["CourseState", "GradingRecord", "ForcedRun"]


@dataclass(frozen=True)
class GradingRecord:
    """A student's last grading of an assignment, as autograde left it."""

    student: str
    status: str  # "graded" or "failed"
    seconds: float = 0.0
    message: str = ""
    score: tuple[float, float] | None = None  # (points, max points) of the auto-graded items
    repairs: tuple[str, ...] = ()  # "notebook: note" for each repair of the submission's grading metadata
    reopened: tuple[str, ...] = ()  # "notebook/grade_id" of answers graded by hand that changed since
    fingerprint: str = ""  # of the submission that was graded (CourseState.fingerprint)
    finished: str = ""  # when, ISO 8601 in UTC

    @classmethod
    def read(cls, student: str, data: Any) -> GradingRecord | None:
        """The record in ``data`` (a marker file's JSON), tolerating missing fields; None if it is not one."""
        if not isinstance(data, dict):
            return None
        score = data.get("score")
        pair = (float(score[0]), float(score[1])) if isinstance(score, list | tuple) and len(score) == 2 else None
        return cls(student, str(data.get("status") or ""), float(data.get("seconds") or 0.0),
                   str(data.get("message") or ""), pair, _strings(data.get("repairs")),
                   _strings(data.get("reopened")), str(data.get("fingerprint") or ""),
                   str(data.get("finished") or ""))


@dataclass(frozen=True)
class ForcedRun:
    """A ``--force`` run that has not finished: when it started (ISO 8601, UTC), and whom it regrades."""

    started: str
    students: frozenset[str]


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list | tuple) else ()


def _write_json(path: Path, data: Any) -> None:
    """Write ``data`` as JSON through a temporary file, so that no reader ever sees half of it."""
    write_text_atomically(path, json.dumps(data, indent=1))


def _read_json(path: Path) -> Any:
    """The JSON in ``path``, or None if it is missing or unreadable (a run interrupted while writing)."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


class CourseState:
    """The store of what the commands remember about ``course`` (see the module docstring for the files)."""

    def __init__(self, course: Course) -> None:
        self.course = course
        self.folder = course.state_dir

    # --- seeds ------------------------------------------------------------------------------------------------

    def _seeds_file(self, assignment: str) -> Path:
        return self.folder / "seeds" / f"{assignment}.json"

    def seeds(self, assignment: str) -> dict[str, int]:
        """The base seed of every student graded so far (student -> seed)."""
        data = _read_json(self._seeds_file(assignment))
        if not isinstance(data, dict):
            return {}
        return {str(k): int(v) for k, v in data.items() if isinstance(v, int)}

    def record_seeds(self, assignment: str, seeds: Mapping[str, int]) -> None:
        """Record ``seeds`` (student -> base seed), keeping those of the other students."""
        _write_json(self._seeds_file(assignment), dict(sorted({**self.seeds(assignment), **seeds}.items())))

    # --- gradings ---------------------------------------------------------------------------------------------

    def _marker(self, assignment: str, student: str) -> Path:
        return self.folder / "autograde" / assignment / f"{student}.json"

    def grading(self, assignment: str, student: str) -> GradingRecord | None:
        """The student's last grading of ``assignment``, or None if there is none (or it cannot be read)."""
        return GradingRecord.read(student, _read_json(self._marker(assignment, student)))

    def gradings(self, assignment: str) -> list[GradingRecord]:
        """Every student's last grading of ``assignment``, by student."""
        found = (GradingRecord.read(path.stem, _read_json(path))
                 for path in sorted((self.folder / "autograde" / assignment).glob("*.json")))
        return [record for record in found if record is not None]

    def record_grading(self, assignment: str, record: GradingRecord) -> None:
        """Replace the student's last grading of ``assignment`` with ``record``."""
        _write_json(self._marker(assignment, record.student), asdict(record))

    def failure_log(self, assignment: str, student: str) -> Path:
        """Where the full text of the student's last failed grading is kept."""
        return self._marker(assignment, student).with_suffix(".log")

    def keep_failure_log(self, assignment: str, student: str, text: str | None) -> str:
        """Keep a failed grading's full text (or drop an old one when there is none); return where
        (relative to the course), or ''."""
        path = self.failure_log(assignment, student)
        if not text:
            path.unlink(missing_ok=True)
            return ""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return str(path.relative_to(self.course.root))

    def graded_as_submitted(self, assignment: str, student: str) -> bool:
        """True when the student's last grading succeeded, from the submission as it is now, and its
        autograded folder is there."""
        record = self.grading(assignment, student)
        return (record is not None and record.status == "graded"
                and (self.course.autograded_dir / student / assignment).is_dir()
                and record.fingerprint == self.fingerprint(assignment, student))

    def graded_since(self, assignment: str, student: str, moment: str) -> bool:
        """True when the student's last grading succeeded and finished after ``moment`` (ISO 8601, UTC)."""
        record = self.grading(assignment, student)
        return record is not None and record.status == "graded" and record.finished >= moment

    # --- forced runs ------------------------------------------------------------------------------------------

    def _forced_file(self, assignment: str) -> Path:
        return self.folder / "autograde" / f"{assignment}.force-pending.json"

    def forced_run(self, assignment: str) -> ForcedRun | None:
        """The ``--force`` run of ``assignment`` that was interrupted, if there is one."""
        data = _read_json(self._forced_file(assignment))
        if not isinstance(data, dict) or "started" not in data or not isinstance(data.get("students"), list):
            return None
        return ForcedRun(str(data["started"]), frozenset(str(s) for s in data["students"]))

    def start_forced_run(self, assignment: str, started: datetime, students: Iterable[str]) -> None:
        """Record that a ``--force`` run started at ``started`` must regrade ``students``."""
        _write_json(self._forced_file(assignment), {"started": started.isoformat(), "students": list(students)})

    def end_forced_run(self, assignment: str) -> None:
        """Forget the ``--force`` run of ``assignment``: it finished."""
        self._forced_file(assignment).unlink(missing_ok=True)

    # --- submissions ------------------------------------------------------------------------------------------

    def fingerprint(self, assignment: str, student: str) -> str:
        """A sha256 over the names and contents of the files of the student's collected submission."""
        digest = hashlib.sha256()
        folder = self.course.submitted_dir / student / assignment
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes() + b"\0")
        return digest.hexdigest()

    def submission_time(self, assignment: str, student: str) -> datetime | None:
        """When the collected submission was handed in, or None if that is not recorded."""
        return read_timestamp(self.course.submitted_dir / student / assignment)

    def graded_submission_time(self, assignment: str, student: str) -> datetime | None:
        """When the submission that was autograded had been handed in, or None if that is not recorded."""
        return read_timestamp(self.course.autograded_dir / student / assignment)

    def record_submission_time(self, assignment: str, student: str, moment: datetime) -> None:
        """Record when the collected submission was handed in (nbgrader's ``timestamp.txt``)."""
        folder = self.course.submitted_dir / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        (folder / TIMESTAMP_FILE).write_text(format_timestamp(moment))
