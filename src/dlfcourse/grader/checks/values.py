"""Small helpers on returned values: as numbers, picked by name, compared, tested for NaN and inf.

A returned value is plain data (validated at the boundary): numbers, float64 arrays, bools, and
tuples, lists and dicts of them. None of these raise on odd data: they answer None or False.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["as_float", "same_data", "pick", "finite", "scalar"]


def as_float(value: Any) -> np.ndarray | None:
    """``value`` as a float64 array, or None if it is not numbers (None is not a number)."""
    if value is None:
        return None
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def scalar(value: Any) -> float | None:
    """``value`` as one float (an array of one entry too), or None."""
    array = as_float(value)
    return float(array.reshape(())) if array is not None and array.size == 1 else None


def same_data(a: Any, b: Any, rtol: float = 1e-9, atol: float = 1e-12, equal_nan: bool = False) -> bool:
    """True when two results (arrays, numbers, or tuples/lists/dicts of them) agree within a tolerance.

    With ``equal_nan``, NaN (and infinities) in the same places count as equal: a result built on a
    helper that overflows is "the same" as the student's when both overflow alike.
    """
    if isinstance(a, dict) or isinstance(b, dict):
        return isinstance(a, dict) and isinstance(b, dict) and set(a) == set(b) and \
            all(same_data(a[k], b[k], rtol, atol, equal_nan) for k in a)
    if isinstance(a, np.ndarray) != isinstance(b, np.ndarray):  # a list of numbers against an array
        x, y = as_float(a), as_float(b)
        return x is not None and y is not None and same_data(x, y, rtol, atol, equal_nan)
    if isinstance(a, (tuple, list)) or isinstance(b, (tuple, list)):
        return isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)) and len(a) == len(b) and \
            all(same_data(x, y, rtol, atol, equal_nan) for x, y in zip(a, b, strict=True))
    x, y = as_float(a), as_float(b)
    if x is None or y is None or x.shape != y.shape:
        return False
    with np.errstate(all="ignore"):
        close = np.isclose(x, y, rtol=rtol, atol=atol, equal_nan=equal_nan) | (equal_nan & (x == y))
    return bool(np.all(close))


def pick(value: Any, returns: Sequence[str], outputs: str | Sequence[str] | None) -> Any:
    """The part of ``value`` named ``outputs`` (one name, a tuple of names, or None for the whole value).

    A value of several returns is a tuple or list with one entry per name; None if it is not one.
    """
    if outputs is None:
        return value
    if isinstance(outputs, str):
        if len(returns) == 1:
            return value if outputs == returns[0] else None
        if not isinstance(value, (tuple, list)) or len(value) != len(returns) or outputs not in returns:
            return None
        return value[list(returns).index(outputs)]
    parts = tuple(pick(value, returns, name) for name in outputs)
    return None if any(part is None for part in parts) else parts


def finite(value: Any) -> bool:
    """True when every number in ``value`` (nested) is finite; False for NaN, inf, or what is not numbers."""
    if isinstance(value, Mapping):
        return all(finite(item) for item in value.values())
    if isinstance(value, (tuple, list)) and not all(isinstance(v, (int, float)) for v in value):
        return all(finite(item) for item in value)
    array = as_float(value)
    return array is not None and bool(np.all(np.isfinite(array)))
