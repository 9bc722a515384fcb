"""A gradebook another process holds (formgrader writing) is recognised by SQLite's error code, never by the
words of a message: the result is written again after a pause; other database errors fail that student alone;
anything else is a fault and is not swallowed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from dlfcourse.autograde import command
from dlfcourse.autograde.jobs import GradedSubmission
from dlfcourse.autograde.pool import TaskResult
from dlfcourse.course import Course


def _sqlite_error(folder: Path, busy: bool) -> sqlite3.OperationalError:
    """A real error of SQLite: the database held by another connection (SQLITE_BUSY), or a missing table."""
    path = folder / ("held.db" if busy else "plain.db")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE grade (score REAL)")
    if busy:
        holder.execute("BEGIN EXCLUSIVE")
    try:
        sqlite3.connect(path, timeout=0).execute("SELECT * FROM grade" if busy else "SELECT * FROM missing_table")
    except sqlite3.OperationalError as error:
        return error
    finally:
        holder.close()
    raise AssertionError("SQLite raised nothing")


class Ledger:
    """A ledger whose first writes raise the given errors, then succeed."""

    def __init__(self, root: Path, errors: list[BaseException]) -> None:
        self.course, self.assignment, self.errors, self.calls = Course(root), "a", list(errors), 0

    def record(self, graded: GradedSubmission) -> list[tuple[str, str]]:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return []


@pytest.fixture(autouse=True)
def no_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(command.time, "sleep", lambda seconds: None)


def _accept(ledger: Ledger) -> command.GradeOutcome:
    graded = GradedSubmission("ann", 1.0, score=(2.0, 3.0))
    return command._accept(ledger, TaskResult("ann", graded, None, 1.0))  # type: ignore[arg-type]


def test_a_busy_gradebook_is_written_again(tmp_path: Path):
    busy = _sqlite_error(tmp_path, busy=True)
    assert busy.sqlite_errorcode == sqlite3.SQLITE_BUSY
    ledger = Ledger(tmp_path, [OperationalError("UPDATE grade", {}, busy)] * 2)
    outcome = _accept(ledger)
    assert ledger.calls == 3 and outcome.status == "graded" and outcome.score == (2.0, 3.0)


def test_the_code_decides_not_the_words(tmp_path: Path):
    """A busy database with another message is still busy; a message saying "locked" does not make one."""
    busy = _sqlite_error(tmp_path, busy=True)
    busy.args = ("something else entirely",)
    ledger = Ledger(tmp_path, [OperationalError("UPDATE grade", {}, busy)])
    assert _accept(ledger).status == "graded" and ledger.calls == 2
    with pytest.raises(RuntimeError, match="database is locked"):
        _accept(Ledger(tmp_path, [RuntimeError("database is locked")]))  # a fault of ours: not swallowed


def test_a_gradebook_busy_for_too_long_or_broken_fails_that_student_only(tmp_path: Path):
    busy = OperationalError("UPDATE grade", {}, _sqlite_error(tmp_path, busy=True))
    ledger = Ledger(tmp_path, [busy] * 10)
    outcome = _accept(ledger)
    assert ledger.calls == 6 and outcome.status == "failed"
    assert outcome.message.startswith("graded, but the result could not be written: ")
    broken = Ledger(tmp_path, [OperationalError("SELECT", {}, _sqlite_error(tmp_path, busy=False))])
    outcome = _accept(broken)
    assert broken.calls == 1 and outcome.status == "failed" and "no such table" in outcome.message

