"""What every assignment's checks share: items, assignments and the reference comparison.

A check is a function ``check(student, rng) -> Finding | Pass``: it draws its
inputs from ``rng`` (seeded by the grader), calls the student's functions
through ``student`` (:class:`~dlfcourse.grader.student.Student`), compares the
returned data with the reference computed here, and returns what it found.
It never raises for a wrong answer; an exception out of a check is the
grader's own failure (the grader reports it as such).

**Error carried forward** is not a check's business. An :class:`Item` names
the earlier functions its function may call (``calls``), and the assignment
holds the reference of each (``references``); while the item is graded, those
names answer with the reference's values (:mod:`dlfcourse.grader.proxy`). A
check therefore always compares with the plain reference: a wrong earlier
function costs its own item only, and never makes a later one easier.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dlfoundations.kit.compare import Case, Finding, compare_result
from dlfcourse.grader.student import Student

__all__ = ["Pass", "Result", "Item", "Assignment", "check_against_reference", "first_failure", "as_float",
           "same_data"]


@dataclass(frozen=True)
class Pass:
    """The item is right."""

    message: str


Result = Finding | Pass


@dataclass(frozen=True)
class Item:
    """A graded item: its test cell's grade id, the functions it grades, its check, and the earlier
    functions its functions may call (served by the reference while it is graded)."""

    grade_id: str
    functions: tuple[str, ...]
    check: Callable[[Student, np.random.Generator], Result]
    calls: tuple[str, ...] = ()


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


def check_against_reference(
    student: Student,
    name: str,
    reference: Callable[..., Any],
    cases: Iterable[Case],
    names: Sequence[str],
    explain: Callable[[Any, Any, Case], Finding | None] | None = None,
) -> Result:
    """Call the student's ``name`` on every case and compare with ``reference``; the first mismatch is the finding.

    ``names`` label the returned values (``("loss", "dscores")``). ``explain(got, expected, case)``
    may name an item-specific mistake when the generic comparison fails.
    """
    for case in cases:
        returned = student.call(name, *case.args, case=case, **case.kwargs)
        if returned.finding is not None:
            return returned.finding
        expected = reference(*case.args, **case.kwargs)
        finding = compare_result(returned.value, expected, names, case)
        if finding is not None:
            return _explained(explain, returned.value, expected, case) or finding
    return Pass(f"`{name}`: all hidden checks passed.")


def _explained(explain: Callable[[Any, Any, Case], Finding | None] | None, got: Any, expected: Any,
               case: Case) -> Finding | None:
    """An item's own diagnosis, if it has one for this result (a crash on odd output means: no diagnosis)."""
    if explain is None:
        return None
    try:
        with np.errstate(all="ignore"):
            return explain(got, expected, case)
    except (TypeError, ValueError, IndexError, KeyError, AttributeError, ArithmeticError):
        return None


def first_failure(results: Iterable[Result]) -> Result:
    """The first Finding among ``results`` (evaluated lazily), else a Pass joining their messages."""
    passes: list[Pass] = []
    for result in results:
        if isinstance(result, Finding):
            return result
        passes.append(result)
    return Pass(" ".join(p.message for p in passes))


def as_float(value: Any) -> np.ndarray | None:
    """``value`` as a float64 array, or None if it is not numbers."""
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def same_data(a: Any, b: Any, rtol: float = 1e-9, atol: float = 1e-12, equal_nan: bool = False) -> bool:
    """True when two results (arrays, numbers, or tuples/lists/dicts of them) agree within a tolerance.

    With ``equal_nan``, NaN (and infinities) in the same places count as equal: a result built on a
    helper that overflows is "the same" as the student's when both overflow alike.
    """
    if isinstance(a, dict) or isinstance(b, dict):
        return isinstance(a, dict) and isinstance(b, dict) and set(a) == set(b) and \
            all(same_data(a[k], b[k], rtol, atol, equal_nan) for k in a)
    if isinstance(a, np.ndarray) != isinstance(b, np.ndarray) and not isinstance(a, dict) and \
            not isinstance(b, dict):  # a list of numbers against an array: compare them as arrays
        x, y = as_float(a), as_float(b)
        return x is not None and y is not None and same_data(x, y, rtol, atol, equal_nan)
    if isinstance(a, (tuple, list)) or isinstance(b, (tuple, list)):
        return isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)) and len(a) == len(b) and \
            all(same_data(x, y, rtol, atol, equal_nan) for x, y in zip(a, b))
    x, y = as_float(a), as_float(b)
    if x is None or y is None or x.shape != y.shape:
        return False
    return bool(np.all(np.isclose(x, y, rtol=rtol, atol=atol, equal_nan=equal_nan) | (equal_nan & (x == y))))
