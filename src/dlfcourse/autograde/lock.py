"""One grading run per course and assignment at a time: a lock file under the course's state folder.

``autograde`` holds an exclusive ``fcntl.flock`` on ``.dlf-course/locks/autograde-<assignment>.lock``
for its whole run, and writes into the file who holds it (process id, host, start time). A second
run of the same assignment finds the lock taken and stops before it changes anything, with one line
naming the holder. The operating system releases the lock when the holder's process ends, however
it ends (Ctrl-C, kill -9, a crash): a lock is never left behind. Runs of other assignments, and
runs on other courses, do not wait for each other. (``flock`` locks are shared over NFS only by
kernels that emulate them with ``fcntl`` locks; run the command on one machine per course.)
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from dlfcourse.course import Course, CourseError

__all__ = ["GradingLocked", "grading_lock", "lock_file"]

LOCKS_DIR = "locks"


class GradingLocked(CourseError):
    """Another run holds the lock; the message names it (pid, host, start time)."""


def lock_file(course: Course, assignment: str) -> Path:
    """The lock file of ``assignment``'s grading runs."""
    return course.state_dir / LOCKS_DIR / f"autograde-{assignment}.lock"


def _holder(descriptor: int) -> str:
    """Who holds the lock, as its holder wrote it: "pid 4242 on gpu1, since 2026-11-20 12:00:00 UTC"."""
    try:
        record = json.loads(os.pread(descriptor, 4096, 0).decode("utf-8"))
        return f"pid {record['pid']} on {record['host']}, since {record['started']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "a process that has not said who it is yet"


def _claim(descriptor: int) -> None:
    """Write who holds the lock into the file (the lock is already ours)."""
    started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    record = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": started}).encode()
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, record, 0)


@contextmanager
def grading_lock(course: Course, assignment: str) -> Iterator[Path]:
    """Hold the grading lock of ``assignment`` for the block; GradingLocked at once if another run holds it."""
    path = lock_file(course, assignment)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise GradingLocked(f"autograde {assignment} is already running ({_holder(descriptor)}); wait for it "
                                f"to finish, or stop that run, then run the command again "
                                f"(lock: {path.relative_to(course.root)})") from None
        _claim(descriptor)
        try:
            yield path
        finally:
            os.ftruncate(descriptor, 0)
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)
