"""What every assignment's checks share: items, the reference comparison, and error carried forward.

A check is a function ``check(student, rng) -> Finding | Pass``: it draws its
inputs from ``rng`` (seeded by the grader), calls the student's functions
through ``student`` (:class:`~dlfcourse.grader.student.Student`), compares the
returned data with the reference computed here, and returns what it found.
It never raises for a wrong answer; an exception out of a check is the
grader's own failure (the grader reports it as such).

**Error carried forward.** When an item's function is meant to use an earlier
item's function (softmax regression calls ``cross_entropy``), the check also
computes the reference *with the student's own earlier function* in its place
(:class:`Helper`). If that earlier function is wrong and the item matches the
reference built on it, the item passes, and its message names the helper at
fault: one mistake costs its own item only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dlfoundations.kit.compare import Case, Finding, compare_result
from dlfcourse.grader.student import Student

__all__ = ["Pass", "Result", "Item", "Assignment", "Helper", "StudentHelperFailed", "check_against_reference",
           "first_failure", "as_float", "same_data"]


@dataclass(frozen=True)
class Pass:
    """The item is right; ``helper`` names the wrong earlier function it was graded with, if any."""

    message: str
    helper: str | None = None


Result = Finding | Pass


@dataclass(frozen=True)
class Item:
    """A graded item: its test cell's grade id, the functions it grades, and its check."""

    grade_id: str
    functions: tuple[str, ...]
    check: Callable[[Student, np.random.Generator], Result]


@dataclass(frozen=True)
class Assignment:
    """An assignment's items (by grade id) and the kit modules its sandbox withholds."""

    name: str
    items: tuple[Item, ...]
    withheld_kit: tuple[str, ...] = ()

    def item(self, grade_id: str) -> Item | None:
        """The item graded in the test cell ``grade_id``, or None."""
        return next((item for item in self.items if item.grade_id == grade_id), None)

    def by_function(self, name: str) -> Item | None:
        """The item that grades the function ``name``, or None."""
        return next((item for item in self.items if name in item.functions), None)


class StudentHelperFailed(Exception):
    """The student's earlier function could not give a value for the reference (so no error carried forward)."""


@dataclass(frozen=True)
class Helper:
    """An earlier function of the student's that the reference can be built on.

    ``name`` is the student's function; ``reference_with(fn)`` returns the item's
    reference function built on ``fn`` in place of the correct helper.
    """

    name: str
    reference_with: Callable[[Callable[..., Any]], Callable[..., Any]]


def _student_callable(student: Student, name: str, case: Case) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        returned = student.call(name, *args, case=case)
        if returned.finding is not None:
            raise StudentHelperFailed(returned.finding.message)
        return returned.value
    return call


def _carried(student: Student, helper: Helper, case: Case, got: Any, expected: Any, names: Sequence[str]) -> bool:
    """True when the student's own helper is wrong here and ``got`` matches the reference built on it."""
    try:
        with np.errstate(all="ignore"):
            carried = helper.reference_with(_student_callable(student, helper.name, case))(*case.args, **case.kwargs)
    except (StudentHelperFailed, TypeError, ValueError, IndexError, KeyError, ArithmeticError):
        return False
    if compare_result(carried, expected, names, case) is None:
        return False  # the helper gives the right answer here: nothing to carry
    return same_data(got, carried, rtol=1e-6, atol=1e-9, equal_nan=True)


def _crashes_alike(student: Student, helper: Helper, case: Case, error: str) -> bool:
    """True when the reference built on the student's own helper raises the same exception as the item.

    The item's code then does what the reference does; the crash comes from the helper's mistake
    (a gradient of the wrong shape that cannot be subtracted from W, say).
    """
    try:
        with np.errstate(all="ignore"):
            helper.reference_with(_student_callable(student, helper.name, case))(*case.args, **case.kwargs)
    except StudentHelperFailed:
        return False
    except Exception as raised:  # noqa: BLE001 - the reference failing on the helper's output
        return type(raised).__name__ == error
    return False


def check_against_reference(
    student: Student,
    name: str,
    reference: Callable[..., Any],
    cases: Iterable[Case],
    names: Sequence[str],
    helpers: Sequence[Helper] = (),
    explain: Callable[[Any, Any, Case], Finding | None] | None = None,
) -> Result:
    """Call the student's ``name`` on every case and compare with ``reference``; the first mismatch is the finding.

    ``names`` label the returned values (``("loss", "dscores")``). ``explain(got, expected, case)``
    may name an item-specific mistake when the generic comparison fails.
    """
    carried_by: str | None = None
    for case in cases:
        returned = student.call(name, *case.args, case=case, **case.kwargs)
        if returned.error is not None:  # it crashed: so does the reference built on a wrong helper?
            helper = next((h for h in helpers if _crashes_alike(student, h, case, returned.error)), None)
            if helper is not None:
                carried_by = helper.name
                continue
        if returned.finding is not None:
            return returned.finding
        expected = reference(*case.args, **case.kwargs)
        finding = compare_result(returned.value, expected, names, case)
        if finding is None:
            continue
        helper = next((h for h in helpers if _carried(student, h, case, returned.value, expected, names)), None)
        if helper is not None:
            carried_by = helper.name
            continue
        return _explained(explain, returned.value, expected, case) or finding
    if carried_by:
        return Pass(f"`{name}`: all hidden checks passed, graded with your own `{carried_by}`, which is wrong "
                    f"(see its item): its mistake is not counted twice.", carried_by)
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
    helper = next((p.helper for p in passes if p.helper), None)
    return Pass(" ".join(p.message for p in passes), helper)


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
