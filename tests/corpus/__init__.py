"""The corpus of realistic student work, right and wrong, for every auto-graded item: one module per assignment.

Each module ``aNN_<name>.py`` holds the assignment's cases at two levels:

``ENTRIES``, a list of :class:`Entry`: one function written the way students
write it, a label, the verdict code its grading must give (``"passed"`` for
the correct ones), the words its message must contain, so that the feedback
names the actual mistake, and, when a known mistake of the item's table must
recognise it, that mistake's key (every known mistake has at least one such
entry). ``tests/course/grader/test_feedback_corpus.py`` grades every entry
through the item's check (:func:`dlfcourse.grader.api.grade_function`) on many
seeds.

``SUBMISSIONS``, a list of :class:`Submission`: one synthetic student's whole
notebook. A submission starts from the released notebook with every answer
filled in from the instructor's solution, then applies its changes (answer
cells replaced, a cell prepended, test cells edited or deleted). ``expected``
lists the test cells whose score differs from full marks, ``diagnoses`` the
verdict code the trusted grader must give each failing test cell.
``tests/assignments/test_grading.py`` grades every submission end to end
(collect, sandboxed autograde, export). Answers that import the reference find
it absent (``missing``, or ``raised-error`` where a function calls it); a
deleted or edited test cell is put back from the source.
"""

from __future__ import annotations

import importlib
import math
import pkgutil
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Entry", "Submission", "correct", "wrong", "all_entries", "all_submissions"]


def function_from(source: str, **env: Any) -> Any:
    """The function ``source`` defines, with numpy (``np``), ``math`` and ``env`` (the student's other
    functions) as its globals: a wrong answer written as a student writes it, ready to call."""
    namespace: dict[str, Any] = {"np": np, "math": math, **env}
    exec(textwrap.dedent(source), namespace)  # noqa: S102 - the corpus's own code
    return namespace[re.search(r"def (\w+)", source).group(1)]


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


@dataclass(frozen=True)
class Submission:
    """One synthetic student's notebook (of the module's assignment) and what grading it end to end must give.

    answers      answer-cell grade_id -> the student's code for that cell
    prepend      code of an extra cell inserted before every other cell
    edit_tests   test-cell grade_ids whose source the student replaced by ``pass``
    delete_cells grade_ids of cells the student deleted
    expected     test-cell grade_id -> expected score (others: full points)
    diagnoses    test-cell grade_id -> the verdict code the grader must give
    blank        start from the unanswered release instead of the solution
    """

    student: str
    answers: dict[str, str] = field(default_factory=dict)
    prepend: str = ""
    edit_tests: tuple[str, ...] = ()
    delete_cells: tuple[str, ...] = ()
    expected: dict[str, float] = field(default_factory=dict)
    diagnoses: dict[str, str] = field(default_factory=dict)
    blank: bool = False


def _modules():
    return [importlib.import_module(f"{__name__}.{module.name}") for module in pkgutil.iter_modules(__path__)]


def all_entries() -> list[Entry]:
    """Every entry of every corpus module."""
    return [entry for module in _modules() for entry in module.ENTRIES]


def all_submissions() -> dict[str, list[Submission]]:
    """Assignment -> the submissions of its corpus module."""
    return {module.A: module.SUBMISSIONS for module in _modules()}
