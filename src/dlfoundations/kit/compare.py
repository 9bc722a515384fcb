"""Compare a result with the expected one and, when they differ, name the likely mistake.

The comparison is ``|got - expected| <= atol + rtol |expected|`` in float64,
tight enough that a missing ``1/N``, a transpose, a flipped sign or a dropped
bias gradient fails. Nothing here raises for a wrong result: every function
returns a :class:`Finding` (a diagnosis code and a message written for the
student) or ``None`` when the result matches. The visible tests
(:mod:`dlfoundations.kit.testing`) raise on a finding; the course's grader turns
it into a score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["RTOL", "ATOL", "DIAGNOSES", "Finding", "Case", "values_match", "diagnose", "compare_array",
           "compare_result", "describe"]

RTOL = 1e-6
ATOL = 1e-9

#: code -> what it means; the class report groups mistakes by these codes.
DIAGNOSES: dict[str, str] = {
    "wrong-shape": "the result has the wrong shape",
    "transposed": "the result is the transpose of the expected one",
    "forgot-mean": "off by a factor N: the mean over the batch is missing",
    "extra-mean": "off by a factor 1/N: divided by the batch size once too often",
    "factor": "off by a simple factor (2, 1/2)",
    "sign-flipped": "the sign is flipped",
    "not-finite": "NaN or inf on large inputs: the computation is not numerically stable",
    "missing-bias-grad": "the gradient of the bias is missing (zero)",
    "mutates-input": "the function modifies an input array in place",
    "raised-error": "the function raised an exception",
    "not-implemented": "the function is not implemented yet",
    "missing": "the function is not defined in the notebook",
    "wrong-type": "the function returns the wrong kind of value",
    "wrong-value": "the values differ from the expected ones",
    "did-not-learn": "training did not reach the required accuracy or loss",
    "time-limit": "the function did not finish within its time limit",
    "crashed": "the notebook's process ended (a crash, os._exit or the memory limit)",
    "grader-error": "the grader itself failed on this item",
}


@dataclass(frozen=True)
class Finding:
    """A mismatch: a diagnosis code (a key of :data:`DIAGNOSES`) and a message for the student."""

    code: str
    message: str

    def __post_init__(self) -> None:
        if self.code not in DIAGNOSES:
            raise ValueError(f"unknown diagnosis code {self.code!r}; known: {sorted(DIAGNOSES)}")


@dataclass(frozen=True)
class Case:
    """One call to test: the arguments, a sentence fragment describing them, and the batch size N."""

    description: str
    args: tuple[Any, ...] = ()
    batch_size: int | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def opening(self) -> str:
        """The description with a capital first letter, to open a message ("On a batch of ...")."""
        return self.description[:1].upper() + self.description[1:]


def describe(value: Any) -> str:
    """A few words on what ``value`` is: "an array of shape (3, 2)", "a tuple of 2 values", "a str"."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)} values"
    return "None" if value is None else f"a {type(value).__name__}"


def values_match(got: np.ndarray, expected: np.ndarray, rtol: float = RTOL, atol: float = ATOL) -> bool:
    """True when both arrays have the same shape and ``|got - expected| <= atol + rtol|expected|``."""
    return got.shape == expected.shape and bool(np.all(np.isclose(got, expected, rtol=rtol, atol=atol)))


def _constant_factor(got: np.ndarray, expected: np.ndarray) -> float | None:
    """The c with got = c * expected, if there is one (least squares, then verified)."""
    energy = float(np.vdot(expected, expected))
    if energy == 0.0 or not np.all(np.isfinite(got)):
        return None
    factor = float(np.vdot(got, expected)) / energy
    return factor if values_match(got, factor * expected, rtol=1e-5, atol=1e-8) else None


def _factor_finding(what: str, factor: float, batch_size: int | None, scalar: bool) -> Finding | None:
    """A finding for the factors with a known cause: N, 1/N, -1, 2, 1/2; None for any other factor."""
    if batch_size and batch_size > 1 and np.isclose(factor, batch_size):
        return Finding("forgot-mean", f"{what} is {batch_size} times too large, which is the batch size N: "
                       "did you forget to divide by N (the loss is a mean over the batch)?")
    if batch_size and batch_size > 1 and np.isclose(factor, 1.0 / batch_size):
        return Finding("extra-mean", f"{what} is {batch_size} times too small, which is the batch size N: "
                       "you divided by N once too often (or took a mean where a sum was needed).")
    if np.isclose(factor, -1.0):
        return Finding("sign-flipped", f"{what} has the right size but the opposite sign: check the sign of "
                       "your formula.")
    for value, words in ((2.0, "twice"), (0.5, "half")):
        if np.isclose(factor, value):
            return Finding("factor", f"{what} is {words} the correct value: look for a factor 2 or 1/2 "
                           "(a ½ in front of a square, or a derivative of x² written as x).")
    if scalar:
        return None  # any two numbers differ by some factor: that says nothing
    return Finding("factor", f"{what} is the correct array times {factor:.4g}: every entry is off by the same "
                   "factor, so the formula is right up to a constant. Check the constants.")


def _first_bad_entry(got: np.ndarray, expected: np.ndarray) -> str:
    """' (the worst entry is at index (i, j): yours v, expected e)' for a same-shape mismatch."""
    if got.ndim == 0:
        return f" (yours: {float(got):.6g}, expected: {float(expected):.6g})"
    difference = np.abs(got - expected)
    index = np.unravel_index(int(np.argmax(np.where(np.isnan(difference), np.inf, difference))), got.shape)
    position = index[0] if len(index) == 1 else tuple(int(i) for i in index)
    return (f" (the largest difference is at index {position}: yours {got[index]:.6g}, "
            f"expected {expected[index]:.6g})")


def diagnose(got: np.ndarray, expected: np.ndarray, what: str, batch_size: int | None = None) -> Finding:
    """The most likely mistake that makes ``got`` differ from ``expected`` (both float64 arrays)."""
    if got.shape != expected.shape:
        if got.ndim == 2 and got.shape == expected.shape[::-1]:
            return Finding("transposed", f"{what} has shape {got.shape} but should have shape {expected.shape}: "
                           "it looks transposed. Check the order of your matrix product (rows are examples).")
        return Finding("wrong-shape", f"{what} has shape {got.shape} but should have shape {expected.shape}.")
    if not np.all(np.isfinite(got)) and np.all(np.isfinite(expected)):
        return Finding("not-finite", f"{what} contains NaN or inf although the correct result is finite: "
                       "on large inputs an exp() overflows or a log() receives 0.")
    factor = _constant_factor(got, expected)
    finding = _factor_finding(what, factor, batch_size, got.size == 1) if factor is not None else None
    if finding is not None:
        return finding
    return Finding("wrong-value", f"{what} differs from the correct value{_first_bad_entry(got, expected)}.")


def compare_array(got: Any, expected: Any, what: str, case: Case, rtol: float = RTOL,
                  atol: float = ATOL) -> Finding | None:
    """None if ``got`` matches ``expected``; otherwise a finding whose message opens with the case."""
    try:
        got_array = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return Finding("wrong-type", f"{case.opening}, {what} should be a number or a numpy array, but it is "
                       f"{describe(got)}.")
    expected = np.asarray(expected, dtype=np.float64)
    if values_match(got_array, expected, rtol, atol):
        return None
    if _is_bias(what) and np.any(expected != 0) and got_array.shape == expected.shape and not np.any(got_array):
        return Finding("missing-bias-grad", f"{case.opening}, {what} is all zeros: the gradient of the bias is "
                       "missing (it is the sum over the batch of the upstream gradient).")
    finding = diagnose(got_array, expected, what, case.batch_size)
    return Finding(finding.code, f"{case.opening}, {finding.message}")


def _is_bias(what: str) -> bool:
    last = what.strip("`").rstrip("']").split("'")[-1]
    return last.startswith("b") or last.startswith("db")


def _compare_dict(got: Any, expected: dict[str, Any], name: str, case: Case) -> Finding | None:
    if not isinstance(got, dict):
        return Finding("wrong-type", f"{case.opening}, `{name}` should be a dict with keys {sorted(expected)}, "
                       f"but it is {describe(got)}.")
    missing = sorted(set(expected) - set(got))
    if missing:
        return Finding("wrong-type", f"{case.opening}, `{name}` has no entry for {missing}.")
    for key, value in expected.items():
        finding = _compare_one(got[key], value, f"{name}['{key}']" if name else key, case)
        if finding is not None:
            return finding
    return None


def _compare_one(got: Any, expected: Any, name: str, case: Case) -> Finding | None:
    if isinstance(expected, dict):
        return _compare_dict(got, expected, name, case)
    return compare_array(got, expected, f"`{name}`", case)


def compare_result(got: Any, expected: Any, names: Sequence[str], case: Case) -> Finding | None:
    """Compare a function's return value with the expected one, value by value; None when all match.

    ``expected`` is a tuple when the function returns several values, labelled by ``names``
    (``("loss", "dscores")``); dicts are compared key by key.
    """
    if isinstance(expected, tuple):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            return Finding("wrong-type", f"{case.opening}, the function should return {len(expected)} values "
                           f"({', '.join(names)}) but returned {describe(got)}.")
        for value, reference, name in zip(got, expected, names, strict=False):
            finding = _compare_one(value, reference, name, case)
            if finding is not None:
                return finding
        return None
    return _compare_one(got, expected, names[0], case)
