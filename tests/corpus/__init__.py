"""A corpus of realistic student implementations, right and wrong, for every auto-graded item.

Each module ``aNN_<name>.py`` defines ``ENTRIES``, a list of :class:`Entry`:
a small function written the way students write it, a label, the verdict code
its grading must give (``"passed"`` for the correct ones), the words its
message must contain, so that the feedback names the actual mistake, and, when
a known mistake of the item's table must recognise it, that mistake's key
(every known mistake has at least one such entry).
``tests/course/grader/test_feedback_corpus.py`` grades every entry through the item's check
(:func:`dlfcourse.grader.api.grade_function`) on many seeds.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Entry", "correct", "wrong", "all_entries"]


@dataclass(frozen=True)
class Entry:
    """One implementation of ``function`` (an item of ``assignment``) and what grading it must say."""

    assignment: str
    function: str
    label: str
    fn: Callable[..., Any]
    code: str  # the verdict code: "passed", or a diagnosis code of dlfoundations.kit.compare.DIAGNOSES
    words: tuple[str, ...] = ()  # the message must contain each (case-insensitive)
    helpers: dict[str, Callable[..., Any]] = field(default_factory=dict)  # the student's other functions
    expensive: bool = False  # a trainer: graded on fewer seeds
    grade_id: str | None = None  # the item, when several items grade the same function
    mistake: str | None = None  # the key of the known mistake (of the item's table) that must name it

    @property
    def correct(self) -> bool:
        return self.code == "passed"

    @property
    def id(self) -> str:
        return f"{self.assignment}:{self.function}:{self.label}"


def correct(assignment: str, function: str, label: str, fn: Callable[..., Any], **kwargs: Any) -> Entry:
    """A correct implementation, in a style the checks must accept."""
    return Entry(assignment, function, label, fn, "passed", **kwargs)


def wrong(assignment: str, function: str, label: str, fn: Callable[..., Any], code: str, *words: str,
          **kwargs: Any) -> Entry:
    """A wrong implementation whose verdict must be ``code`` with a message containing ``words``."""
    return Entry(assignment, function, label, fn, code, tuple(words), **kwargs)


def all_entries() -> list[Entry]:
    """Every entry of every corpus module."""
    entries = []
    for module in pkgutil.iter_modules(__path__):
        entries += importlib.import_module(f"{__name__}.{module.name}").ENTRIES
    return entries
