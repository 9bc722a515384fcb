"""The boundary: what a student's function returned, validated and converted once before any check sees it.

The channel's codec already refuses objects (only numbers, strings, numpy arrays of numbers and bools,
and lists, tuples and dicts of them cross). Here the grader's side makes that data uniform, so that no
check fails on an odd value the student can produce:

* arrays of reals become native-endian ``float64`` (``float16``, ``float32``, big-endian, integers);
  arrays of bools stay bools;
* Python ints stay ints when a float64 holds them exactly enough (``|n| < 2**63``); a larger one
  (``10**400``) is not data a loss or a gradient can be;
* strings are clipped to :data:`MAX_TEXT` characters.

What cannot be converted raises :class:`NotData`, whose message names it; the caller turns that into
the ``wrong-type`` verdict of that call. Nothing else raises here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["NotData", "as_data", "clipped", "MAX_TEXT"]

#: Characters of a returned string the grader keeps.
MAX_TEXT = 2_000
_MAX_INT = 2**63


class NotData(ValueError):
    """A returned value the grader cannot use as data; its message completes "`f` returned ..."."""


def as_data(value: Any) -> Any:
    """``value`` with its arrays as float64 (bools kept) and its texts clipped; NotData if it is not data."""
    if value is None or type(value) in (bool, float):
        return value
    if type(value) is int:
        if abs(value) >= _MAX_INT:
            raise NotData(f"an integer with {len(str(abs(value)))} digits, too large for a float64")
        return value
    if type(value) is str:
        return clipped(value, MAX_TEXT)
    if isinstance(value, np.ndarray):
        return _array(value)
    if type(value) in (list, tuple):
        items = [as_data(item) for item in value]
        return items if type(value) is list else tuple(items)
    if type(value) is dict:
        return {clipped(key, 200): as_data(item) for key, item in value.items()}
    raise NotData(f"a value of type {clipped(type(value).__name__, 60)}")


def _array(value: np.ndarray) -> np.ndarray:
    if value.dtype.kind == "b":
        return value.astype(bool, copy=False)
    if value.dtype.kind not in "iuf":
        raise NotData(f"an array of dtype {value.dtype} (real numbers or bools only)")
    return value.astype(np.float64, copy=False)


def clipped(text: Any, limit: int) -> str:
    """``text`` as a string of at most ``limit`` characters (``…`` marks a cut)."""
    text = text if type(text) is str else str(text) if isinstance(text, (int, float)) else ""
    return text if len(text) <= limit else text[:limit - 1] + "…"
