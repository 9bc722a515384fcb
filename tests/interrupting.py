"""Interrupt an ``dlf-course autograde`` run as an instructor would: Ctrl-C once the first student is done."""

from __future__ import annotations

import signal
import subprocess
import time

from dlfcourse.course import Course


def markers(course: Course, assignment: str) -> dict[str, str]:
    """Student -> status of the gradings ``autograde`` has recorded for each finished student."""
    return {record.student: record.status for record in course.state.gradings(assignment)}


def interrupt_after_first(command: list[str], course: Course, assignment: str) -> tuple[int, str]:
    """Run ``command``, send SIGINT as soon as one student is finished; (exit status, output)."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120
    while not markers(course, assignment) and time.monotonic() < deadline:
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=120)
    return process.returncode, output
