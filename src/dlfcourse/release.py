"""``dlf-course release``: regenerate the student release from the sources with nbgrader."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from dlfcourse.course import Course

__all__ = ["ReleaseResult", "release"]


@dataclass(frozen=True)
class ReleaseResult:
    """The outcome for one assignment: success, and nbgrader's error message when it failed."""

    assignment: str
    ok: bool
    message: str = ""


def _last_error_line(result: dict) -> str:
    """The most telling line of nbgrader's output: the last exception raised, else the last line."""
    text = (result.get("log") or "") + "\n" + (result.get("error") or "")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    raised = [line for line in lines if re.match(r"^[\w.]*(Error|Exception)\b.*:", line)
              and "Please see the" not in line]
    return (raised or lines or ["nbgrader failed without a message"])[-1][:500]


def release(course: Course, assignments: Iterable[str] | None = None) -> list[ReleaseResult]:
    """Run ``generate_assignment --force`` for each assignment (default: all); register them in the gradebook."""
    names = list(assignments) if assignments else course.assignments()
    for name in names:
        course.source_notebooks(name)  # CourseError for an unknown assignment, before any work
    api = course.api()
    results = []
    for name in names:
        outcome = api.generate_assignment(name, force=True, create=True)
        ok = bool(outcome.get("success"))
        results.append(ReleaseResult(name, ok, "" if ok else _last_error_line(outcome)))
    return results
