"""What every assignment's checks share: items, assignments, and the comparison with a reference.

A check is a function ``check(student, rng) -> Finding | Pass``: it draws its inputs from ``rng`` (seeded
by the grader), calls the student's functions through ``student``
(:class:`~dlfcourse.grader.student.Student`), compares the returned data with the reference, and returns
what it found. It never raises for a wrong answer; an exception out of a check is the grader's own failure.
Most items are declared as data (:func:`declare`, a :class:`~dlfcourse.grader.checks.core.Compared` and
its table of known mistakes); checks whose diagnosis is a sequence are written out.

**Error carried forward** is not a check's business. An :class:`Item` names the earlier functions its
function may call (``calls``), and the assignment holds the reference of each (``references``); while the
item is graded, those names answer with the reference's values (:mod:`dlfcourse.grader.proxy`). A check
therefore always compares with the plain reference: a wrong earlier function costs its own item only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dlfoundations.kit.compare import Case, Finding
from dlfcourse.grader.checks.core import Compared, Mistake, Pass
from dlfcourse.grader.checks.values import as_float, same_data
from dlfcourse.grader.student import Student

__all__ = ["Pass", "Result", "Item", "Assignment", "declare", "check_against_reference", "first_failure",
           "as_float", "same_data"]


Result = Finding | Pass


@dataclass(frozen=True)
class Item:
    """A graded item: its test cell's grade id, the functions it grades, its check, the earlier functions its
    functions may call (served by the reference while it is graded), and its table of known mistakes."""

    grade_id: str
    functions: tuple[str, ...]
    check: Callable[[Student, np.random.Generator], Result]
    calls: tuple[str, ...] = ()
    mistakes: tuple[Mistake, ...] = ()

    def __post_init__(self) -> None:
        keys = [mistake.key for mistake in self.mistakes]
        if len(set(keys)) != len(keys):
            raise ValueError(f"item {self.grade_id}: two known mistakes share a key ({sorted(keys)})")


def declare(grade_id: str, *checks: Compared, calls: tuple[str, ...] = (),
            then: Callable[[Student, np.random.Generator], Result] | None = None,
            mistakes: tuple[Mistake, ...] = (), also: tuple[str, ...] = ()) -> Item:
    """An item of one or more declared checks (run in order; the first finding is the verdict), optionally
    followed by a written-out stage ``then`` (a retraining, a sequence) with its own ``mistakes``; ``also`` names
    the functions that stage grades besides those of the checks."""
    stages: list[Callable[[Student, np.random.Generator], Result]] = [*checks] + ([then] if then else [])

    def check(student: Student, rng: np.random.Generator) -> Result:
        return first_failure(stage(student, rng) for stage in stages)
    functions = tuple(dict.fromkeys([*also, *(c.function for c in checks)]))
    return Item(grade_id, functions, check if len(stages) > 1 else stages[0], calls,
                tuple(m for c in checks for m in c.mistakes) + mistakes)


@dataclass(frozen=True)
class Assignment:
    """An assignment's items in grading order (by grade id), the reference of every function an item may
    call, and the kit modules its sandbox withholds.

    Items are graded in the order given; an item may call only functions of the items before it
    (checked here), so each earlier function's own verdict is known when a later item uses it.
    """

    name: str
    items: tuple[Item, ...]
    withheld_kit: tuple[str, ...] = ()
    references: Mapping[str, Callable[..., Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        graded: set[str] = set()
        for item in self.items:
            for name in item.calls:
                if name in item.functions or name not in graded or name not in self.references:
                    raise ValueError(f"{self.name}: item {item.grade_id} calls `{name}`, which is not the function "
                                     "of an earlier item with a reference")
            graded.update(item.functions)

    def item(self, grade_id: str) -> Item | None:
        """The item graded in the test cell ``grade_id``, or None."""
        return next((item for item in self.items if item.grade_id == grade_id), None)

    def by_function(self, name: str) -> Item | None:
        """The item that grades the function ``name``, or None."""
        return next((item for item in self.items if name in item.functions), None)


def check_against_reference(student: Student, name: str, reference: Callable[..., Any], cases: Iterable[Case],
                            names: Sequence[str], mistakes: Sequence[Mistake] = ()) -> Result:
    """Call the student's ``name`` on every case and compare with ``reference``; the first mismatch is the
    finding (a known mistake of ``mistakes`` when one recognises it)."""
    chosen = list(cases)
    # The cases are given: the generator a Compared draws its cases from is never used.
    return Compared(name, reference, lambda _: chosen, tuple(names), tuple(mistakes))(student, np.random.default_rng(0))


def first_failure(results: Iterable[Result]) -> Result:
    """The first Finding among ``results`` (evaluated lazily), else a Pass joining their messages."""
    passes: list[Pass] = []
    for result in results:
        if isinstance(result, Finding):
            return result
        passes.append(result)
    return Pass(" ".join(p.message for p in passes if p.message))
