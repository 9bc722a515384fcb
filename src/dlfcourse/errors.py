"""The instructor's mistakes, as opposed to the package's: the errors ``dlf-course`` reports in one line.

A :class:`CourseError` says what the instructor asked for that cannot be done (no such
course or assignment, a roster without ids, a zip that is damaged, no bubblewrap on this
machine) and what to do instead. The command line prints its message on one line and exits
with status 2. Every other exception is a fault of this package: the command line shows its
traceback and exits with status 1. The subclasses live with the code that raises them
(:class:`~dlfcourse.sandbox.policy.SandboxUnavailable`, :class:`~dlfcourse.autograde.lock.GradingLocked`,
:class:`~dlfcourse.intake.roster.RosterError`, :class:`~dlfcourse.intake.inbox.BadSource`).

This module imports nothing: every part of the package may raise these, the sandbox's included.
"""

from __future__ import annotations

__all__ = ["CourseError"]


class CourseError(Exception):
    """The course directory, a file given, or an argument about them is wrong; the message says what to do."""
