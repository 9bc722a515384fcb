"""Compare a student's result with the reference and name the mistake when they differ.

The comparison is ``|got - expected| <= atol + rtol |expected|`` in float64,
tight enough that a missing ``1/N``, a transpose, a flipped sign or a dropped
bias gradient fails. When it fails, :func:`diagnose` tries the usual mistakes
one by one (shape, transpose, NaN/inf, sign, constant factor) and the failure
message says which one fits.
"""

from __future__ import annotations

import numpy as np

from dlfoundations.grading.failure import GradingFailure

__all__ = ["RTOL", "ATOL", "values_match", "diagnose", "assert_matches"]

RTOL = 1e-6
ATOL = 1e-9

# Captured at import, before any student code can replace them (see guard.py).
_isclose = np.isclose
_asarray = np.asarray
_isfinite = np.isfinite
_vdot = np.vdot


def values_match(got: np.ndarray, expected: np.ndarray, rtol: float = RTOL, atol: float = ATOL) -> bool:
    """True when both arrays have the same shape and ``|got - expected| <= atol + rtol|expected|``."""
    return got.shape == expected.shape and bool(np.all(_isclose(got, expected, rtol=rtol, atol=atol)))


def _as_result_array(value: object, what: str) -> np.ndarray:
    try:
        array = _asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise GradingFailure(
            "wrong-type", f"{what} should be a number or a numpy array, but it is a {type(value).__name__}"
        ) from None
    return array


def _constant_factor(got: np.ndarray, expected: np.ndarray) -> float | None:
    """The c with got = c * expected, if there is one (least squares, then verified)."""
    energy = float(_vdot(expected, expected))
    if energy == 0.0:
        return None
    factor = float(_vdot(got, expected)) / energy
    return factor if values_match(got, factor * expected, rtol=1e-5, atol=1e-8) else None


def _factor_message(what: str, factor: float, batch_size: int | None) -> tuple[str, str]:
    if batch_size and batch_size > 1 and np.isclose(factor, batch_size):
        return "forgot-mean", (
            f"{what} is {batch_size} times too large, which is the batch size N: "
            "did you forget to divide by N (the loss is a mean over the batch)?"
        )
    if batch_size and batch_size > 1 and np.isclose(factor, 1.0 / batch_size):
        return "extra-mean", (
            f"{what} is {batch_size} times too small, which is the batch size N: "
            "you divided by N once too often (or took a mean where a sum was needed)."
        )
    if np.isclose(factor, -1.0):
        return "sign-flipped", f"{what} has the right size but the opposite sign: check the sign of your formula."
    return "factor", f"{what} is off by a constant factor of {factor:.4g}: check the constants in your formula."


def diagnose(got: np.ndarray, expected: np.ndarray, what: str, batch_size: int | None = None) -> tuple[str, str]:
    """Return ``(code, message)`` naming the most likely mistake that makes ``got`` differ from ``expected``."""
    if got.shape != expected.shape:
        if got.ndim == 2 and got.shape == expected.shape[::-1]:
            return "transposed", (
                f"{what} has shape {got.shape} but should have shape {expected.shape}: "
                "it looks transposed. Check the order of your matrix product (rows are examples)."
            )
        return "wrong-shape", f"{what} has shape {got.shape} but should have shape {expected.shape}."
    if not np.all(_isfinite(got)):
        return "not-finite", (
            f"{what} contains NaN or inf although the correct result is finite. On large inputs "
            "exp() overflows: subtract the maximum score first, or use np.logaddexp / log1p."
        )
    factor = _constant_factor(got, expected)
    if factor is not None:
        return _factor_message(what, factor, batch_size)
    worst = float(np.max(np.abs(got - expected)))
    return "wrong-value", f"{what} differs from the correct value by up to {worst:.3g}."


def assert_matches(
    value: object,
    expected: np.ndarray,
    what: str,
    case: str,
    batch_size: int | None = None,
    rtol: float = RTOL,
    atol: float = ATOL,
) -> None:
    """Raise :class:`GradingFailure` with a diagnosis unless ``value`` matches ``expected``.

    ``what`` names the quantity ("the gradient dscores"), ``case`` the input
    situation ("on a batch of one example") so that the message reads as a
    sentence: "On a batch of one example, the gradient dscores ...".
    """
    got = _as_result_array(value, what)
    expected = _asarray(expected, dtype=np.float64)
    if values_match(got, expected, rtol, atol):
        return
    code, message = diagnose(got, expected, what, batch_size)
    raise GradingFailure(code, f"{case[:1].upper()}{case[1:]}, {message}")
