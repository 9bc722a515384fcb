"""The trusted grader's core: run an item's check and turn what it found into a verdict.

Only this side decides: a check compares data the student's functions
returned with the reference and returns a finding or a pass; :func:`run_item`
makes the verdict from it. An exception out of a check is the grader's own
failure: the student is told so (never a traceback, never their fault), and the
traceback goes to the instructor in the verdict's ``detail``.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Iterable, Mapping

import numpy as np

from dlfoundations.kit.compare import Finding
from dlfcourse.grader.checks.common import Assignment, Item, Pass
from dlfcourse.grader.inputs import item_seed
from dlfcourse.grader.student import Student
from dlfcourse.grader.verdict import Verdict, failed, passed

__all__ = ["run_item", "grade_items", "GRADER_FAILED"]

GRADER_FAILED = "The grader failed on this item (not because of your answer); your instructor has been told."


def run_item(item: Item, student: Student, seed: int, max_points: float) -> Verdict:
    """The verdict of one item, its inputs drawn from ``seed``."""
    started = time.monotonic()
    try:
        with np.errstate(all="ignore"):
            result = item.check(student, np.random.default_rng(seed))
    except Exception:  # noqa: BLE001 - the grader's own failure, reported as such
        return Verdict(item.grade_id, 0.0, max_points, "grader-error", GRADER_FAILED, seed,
                       seconds=time.monotonic() - started, detail=traceback.format_exc(limit=12))
    seconds = time.monotonic() - started
    if isinstance(result, Pass):
        verdict = passed(item.grade_id, max_points, result.message, seed)
        return Verdict(**{**verdict.as_dict(), "helper": result.helper, "seconds": seconds})
    if not isinstance(result, Finding):
        return Verdict(item.grade_id, 0.0, max_points, "grader-error", GRADER_FAILED, seed, seconds=seconds,
                       detail=f"the check returned {type(result).__name__}, not a Finding or a Pass")
    return Verdict(**{**failed(item.grade_id, max_points, result, seed).as_dict(), "seconds": seconds})


def grade_items(assignment: Assignment, student: Student, base_seed: int, points: Mapping[str, float],
                grade_ids: Iterable[str] | None = None) -> dict[str, Verdict]:
    """Verdicts of the items ``grade_ids`` (default: all), each with points out of ``points[grade_id]``."""
    chosen = list(grade_ids) if grade_ids is not None else [item.grade_id for item in assignment.items]
    verdicts = {}
    for grade_id in chosen:
        item = assignment.item(grade_id)
        max_points = float(points.get(grade_id, 0.0))
        seed = item_seed(base_seed, grade_id)
        if item is None:
            verdicts[grade_id] = Verdict(grade_id, 0.0, max_points, "grader-error", GRADER_FAILED, seed,
                                         detail=f"no hidden check for the test cell {grade_id!r} of "
                                                f"{assignment.name}")
            continue
        verdicts[grade_id] = run_item(item, student, seed, max_points)
    return verdicts
