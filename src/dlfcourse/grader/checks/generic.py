"""The generic diagnosis, after no known mistake matched: the kit's, refined where it would mislead.

:func:`dlfoundations.kit.compare.compare_result` names a shape, a transpose, a factor (N, 1/N, -1, 2)
or "differs". Two refinements, each decided from the student's values:

* an array of zeros is not "the correct array times 0": it is all zeros (code commented out, an array
  created with ``np.zeros`` and never filled);
* "did you forget to divide by N?" is advice: before it is given, the student's function is called on the
  batch stacked twice. A mean does not change, a sum doubles; when the student's value scales as the
  reference's does, the code already divides by N and the message says the factor comes from elsewhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from dlfoundations.kit.compare import Finding, values_match
from dlfcourse.grader.checks.values import as_float

if TYPE_CHECKING:
    from dlfcourse.grader.checks.core import Seen

__all__ = ["refined", "first_mismatch", "at_path", "doubled_args"]


def refined(seen: Seen, finding: Finding, batch: tuple[int, ...] = ()) -> Finding:
    """The kit's ``finding`` for ``seen``, with the two refinements above."""
    if finding.code not in ("factor", "wrong-value", "forgot-mean", "extra-mean"):
        return finding
    mismatch = first_mismatch(seen.got, seen.expected, seen.returns)
    if mismatch is None:
        return finding
    path, label, got, expected = mismatch
    if got.size > 1 and not np.any(got) and np.any(expected) and finding.code in ("factor", "wrong-value"):
        return Finding("wrong-value", f"{seen.case.opening}, {label} is all zeros although the correct value is "
                       "not: is the code that computes it commented out, or is it an array created with "
                       "np.zeros(...) and never filled in (or a result computed but not assigned to it)?")
    if finding.code in ("forgot-mean", "extra-mean") and batch:
        return _mean_probed(seen, finding, batch, path, label, got, expected)
    return finding


def first_mismatch(got: Any, expected: Any, returns: tuple[str, ...]) -> tuple[tuple, str, np.ndarray,
                                                                               np.ndarray] | None:
    """``(path, label, got, expected)`` of the first returned array that differs, in the kit's order."""
    parts: list[tuple[tuple, str, Any, Any]]
    if isinstance(expected, tuple):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            return None
        parts = [((i,), name, g, e) for i, (g, e, name) in enumerate(zip(got, expected, returns, strict=False))]
    else:
        parts = [((), returns[0], got, expected)]
    for path, name, g, e in parts:
        found = _leaf(path, name, g, e)
        if found is not None:
            return found
    return None


def _leaf(path: tuple, name: str, got: Any, expected: Any) -> tuple[tuple, str, np.ndarray, np.ndarray] | None:
    if isinstance(expected, dict):
        if not isinstance(got, dict) or set(expected) - set(got):
            return None
        for key, value in expected.items():
            found = _leaf(path + (key,), f"{name}['{key}']" if name else key, got[key], value)
            if found is not None:
                return found
        return None
    g, e = as_float(got), as_float(expected)
    if g is None or e is None or values_match(g, e):
        return None
    return path, f"`{name}`", g, e


def at_path(value: Any, path: tuple) -> np.ndarray | None:
    """The array at ``path`` (indices and keys) in ``value``, or None."""
    for step in path:
        try:
            value = value[step]
        except (TypeError, KeyError, IndexError):
            return None
    return as_float(value)


def doubled_args(args: tuple, batch: tuple[int, ...]) -> tuple:
    """``args`` with the arrays at the positions ``batch`` stacked twice along their first axis."""
    return tuple(np.concatenate([a, a]) if i in batch else a for i, a in enumerate(args))


def _ratio(twice: np.ndarray | None, once: np.ndarray) -> float | None:
    """c with ``twice = c * once`` (``twice`` cut to ``once``'s rows when it has twice as many), or None."""
    if twice is None:
        return None
    if twice.ndim and once.ndim and twice.shape[0] == 2 * once.shape[0] and twice.shape[1:] == once.shape[1:]:
        twice = twice[: once.shape[0]]
    energy = float(np.vdot(once, once))
    if twice.shape != once.shape or energy == 0.0:
        return None
    c = float(np.vdot(twice, once)) / energy
    return c if values_match(twice, c * once, rtol=1e-5, atol=1e-9) else None


def _mean_probed(seen: Seen, finding: Finding, batch: tuple[int, ...], path: tuple, label: str, got: np.ndarray,
                 expected: np.ndarray) -> Finding:
    """Keep the advice on the mean when the batch stacked twice confirms it; else say what the probe showed."""
    args = doubled_args(seen.args, batch)
    mine = seen.again(*args, description=f"{seen.case.description}, stacked twice")
    theirs = seen.reference(*args) if seen.reference is not None else None
    mine_ratio, right_ratio = _ratio(at_path(mine, path), got), _ratio(at_path(theirs, path), expected)
    if mine_ratio is None or right_ratio is None:
        return finding
    if finding.code == "forgot-mean" and np.isclose(mine_ratio, 2.0 * right_ratio, rtol=1e-6):
        return finding  # a sum where a mean belongs: the advice applies
    if finding.code == "extra-mean" and np.isclose(mine_ratio, 0.5 * right_ratio, rtol=1e-6):
        return finding  # divided by N twice: the advice applies
    size = "large" if finding.code == "forgot-mean" else "small"
    return Finding("wrong-value", f"{seen.case.opening}, {label} is {seen.n} times too {size} (N = {seen.n}), but "
                   "it changes with the batch size as the correct value does (the grader called your function on "
                   "the batch stacked twice): your code does reduce by a mean, and the factor comes from "
                   "elsewhere. Look for a constant that happens to equal N here (a hard-coded size, "
                   "X.shape[0] or len(...) used where it does not belong).")
