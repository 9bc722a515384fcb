"""What one grading task takes and gives back, as plain data (no paths into the course).

A task grades one submission wherever it runs (a forked process on the
instructor's machine, or a Dask worker on another node): it gets the
assignment's :class:`AssignmentBundle` (sources, nbgrader configuration, a
gradebook holding only the assignment) and the student's
:class:`SubmissionJob` (files, seed, extension), and returns a
:class:`GradedSubmission` (executed notebooks, each cell's automatic score).
Only the instructor's process writes those into the course
(:mod:`dlfcourse.autograde.ledger`), so the course's SQLite gradebook has a
single writer.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

__all__ = ["AssignmentBundle", "SubmissionJob", "NotebookGrades", "GradedSubmission", "read_folder",
           "write_folder"]


@dataclass(frozen=True)
class AssignmentBundle:
    """Everything about the assignment a task needs, the same for every student of a run."""

    assignment: str
    course_id: str
    config_py: str  # the course's nbgrader_config.py
    source_files: dict[str, bytes]  # path relative to the assignment's source folder -> contents
    gradebook: bytes  # an SQLite gradebook with the assignment and its cells, no students


@dataclass(frozen=True)
class SubmissionJob:
    """One student's submission to grade."""

    student: str
    base_seed: int
    files: dict[str, bytes]  # path relative to submitted/<student>/<assignment>/ -> contents
    extension: timedelta | None = None  # the student's extension of the due date, from the gradebook


@dataclass(frozen=True)
class NotebookGrades:
    """The automatic results of one notebook, as nbgrader stores them per cell."""

    auto_scores: dict[str, float | None]  # grade cell id -> auto_score (None: needs manual grading)
    auto_comments: dict[str, str | None]  # solution/task cell id -> auto_comment ("No response." or None)
    late_penalty: float | None = None


@dataclass(frozen=True)
class GradedSubmission:
    """What grading one submission produced; ``error`` and ``log`` set (and no results) if grading failed."""

    student: str
    seconds: float
    timestamp: datetime | None = None
    notebooks: dict[str, NotebookGrades] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)  # the autograded folder: path -> contents
    score: tuple[float, float] | None = None  # (points, max points) of the auto-graded items
    error: str | None = None  # one line, for the terminal
    repairs: dict[str, tuple[str, ...]] = field(default_factory=dict)  # notebook -> notes of metadata repairs
    log: str | None = None  # a failed grading: everything nbgrader said (log and traceback), for the instructor


def read_folder(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder``: POSIX path relative to it -> contents."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def write_folder(files: dict[str, bytes], folder: Path) -> None:
    """Write ``files`` (relative path -> contents) under ``folder``; a path leaving it is refused."""
    root = folder.resolve()
    for name, data in files.items():
        path = (root / name).resolve()
        if not path.is_relative_to(root) or path == root:
            raise ValueError(f"refusing to write {name!r} outside {folder}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.chmod(path, 0o644)
