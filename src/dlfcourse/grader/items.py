"""The trusted grader's core: run an item's check and turn what it found into a verdict.

Only this side decides: a check compares data the student's functions
returned with the reference and returns a finding or a pass; :func:`run_item`
makes the verdict from it. An exception out of a check is the grader's own
failure: the student is told so (never a traceback, never their fault), and the
traceback goes to the instructor in the verdict's ``detail``.

Items are graded in the assignment's order. While an item is graded, the earlier
functions it calls answer with the reference's values (:mod:`dlfcourse.grader.proxy`);
when one of them was wrong in its own item, the verdict says so (and names it in
``helper``): the item was graded as if that function were right.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from dlfoundations.kit.compare import Finding
from dlfcourse.grader.checks.common import Assignment, Item, Pass
from dlfcourse.grader.inputs import item_seed
from dlfcourse.grader.proxy import Proxy
from dlfcourse.grader.student import Student, WithProxy
from dlfcourse.grader.verdict import Verdict, failed

__all__ = ["run_item", "grade_items", "GRADER_FAILED"]

GRADER_FAILED = "The grader failed on this item (not because of your answer); your instructor has been told."


def run_item(item: Item, student: Student, seed: int, max_points: float,
             references: Mapping[str, Callable[..., Any]] | None = None,
             earlier: Mapping[str, Verdict] | None = None) -> Verdict:
    """The verdict of one item, its inputs drawn from ``seed``.

    ``references`` holds the reference of every function the item may call; ``earlier`` the verdicts
    of the items before it, by function name (to say which wrong function the proxy stood in for).
    """
    started = time.monotonic()
    proxy = Proxy({name: (references or {})[name] for name in item.calls}) if item.calls else None
    subject: Student = WithProxy(student, proxy) if proxy is not None else student
    try:
        with np.errstate(all="ignore"):
            result = item.check(subject, np.random.default_rng(seed))
    except Exception:  # noqa: BLE001 - the grader's own failure, reported as such
        return Verdict(item.grade_id, 0.0, max_points, "grader-error", GRADER_FAILED, seed,
                       seconds=time.monotonic() - started, detail=traceback.format_exc(limit=12))
    seconds = time.monotonic() - started
    detail = f"earlier functions: {proxy.exhausted}" if proxy is not None and proxy.exhausted else None
    if isinstance(result, Pass):
        wrong = _wrong_earlier(item, proxy, earlier or {})
        return Verdict(item.grade_id, max_points, max_points, "passed", result.message + _carried_note(wrong), seed,
                       wrong[0] if wrong else None, seconds, detail)
    if not isinstance(result, Finding):
        return Verdict(item.grade_id, 0.0, max_points, "grader-error", GRADER_FAILED, seed, seconds=seconds,
                       detail=f"the check returned {type(result).__name__}, not a Finding or a Pass")
    return Verdict(**{**failed(item.grade_id, max_points, result, seed).as_dict(), "seconds": seconds,
                      "detail": detail})


def _wrong_earlier(item: Item, proxy: Proxy | None, earlier: Mapping[str, Verdict]) -> list[str]:
    """The earlier functions the proxy served during the item whose own items did not pass."""
    if proxy is None:
        return []
    return [name for name in item.calls if name in proxy.used and name in earlier and not earlier[name].ok]


def _carried_note(wrong: list[str]) -> str:
    """" Graded as if your `a` (and `b`) were right ...", or nothing."""
    if not wrong:
        return ""
    names = " and ".join(f"`{name}`" for name in wrong)
    which = "they are not: see their items" if len(wrong) > 1 else "it is not: see its item"
    return f" Graded as if your {names} were right ({which}); a mistake is not counted twice."


def grade_items(assignment: Assignment, student: Student, base_seed: int, points: Mapping[str, float],
                grade_ids: Iterable[str] | None = None) -> dict[str, Verdict]:
    """Verdicts of the items ``grade_ids`` (default: all), each with points out of ``points[grade_id]``.

    The items are graded in the assignment's order (earlier functions first), whatever the order given.
    """
    chosen = list(grade_ids) if grade_ids is not None else [item.grade_id for item in assignment.items]
    order = [item.grade_id for item in assignment.items if item.grade_id in chosen]
    verdicts: dict[str, Verdict] = {}
    by_function: dict[str, Verdict] = {}
    for grade_id in order + [g for g in chosen if assignment.item(g) is None]:
        item = assignment.item(grade_id)
        max_points = float(points.get(grade_id, 0.0))
        seed = item_seed(base_seed, grade_id)
        if item is None:
            verdicts[grade_id] = Verdict(grade_id, 0.0, max_points, "grader-error", GRADER_FAILED, seed,
                                         detail=f"no hidden check for the test cell {grade_id!r} of "
                                                f"{assignment.name}")
            continue
        verdicts[grade_id] = run_item(item, student, seed, max_points, assignment.references, by_function)
        by_function.update({name: verdicts[grade_id] for name in item.functions})
    return {grade_id: verdicts[grade_id] for grade_id in chosen}
