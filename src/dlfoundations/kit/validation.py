"""Input validation shared by every public function.

Each function raises ``ValueError`` with a message that names the argument and
says what is wrong with it (expected versus received), so that a student who
passes a wrong shape reads the fix in the error itself.
"""

from __future__ import annotations

import contextlib
import numbers
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any

import numpy as np

__all__ = [
    "as_float_array",
    "assume_finite",
    "require_ndim",
    "require_same_length",
    "require_binary_labels",
    "require_class_labels",
    "require_positive",
    "require_count",
    "require_arrays",
    "require_like",
]

_ASSUME_FINITE: ContextVar[bool] = ContextVar("assume_finite", default=False)


@contextlib.contextmanager
def assume_finite() -> Iterator[None]:
    """Within this block, :func:`as_float_array` skips its scan for NaN and infinities.

    A training loop checks its data and parameters once, then runs its steps in
    this block, so that every step does not scan the same arrays again (what
    scikit-learn's ``config_context(assume_finite=True)`` does). Shapes, ranks
    and labels are still validated at every call: that costs no pass over the
    data.
    """
    token = _ASSUME_FINITE.set(True)
    try:
        yield
    finally:
        _ASSUME_FINITE.reset(token)


def as_float_array(value: Any, name: str, ndim: int | tuple[int, ...] | None = None) -> np.ndarray:
    """Return ``value`` as a float array, refusing NaN, infinities, empty arrays and wrong ranks.

    A float32 array stays float32 (fast training); everything else becomes
    float64, the precision used for gradient checks. ``ndim`` is the allowed
    number of dimensions (an int or a tuple of ints); ``None`` accepts any rank.
    """
    if isinstance(value, np.ndarray) and value.dtype == np.float32:
        array = value
    else:
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise ValueError(f"{name} must be numeric, got {type(value).__name__}: {error}") from None
    if ndim is not None:
        require_ndim(array, name, ndim)
    if array.size == 0:
        raise ValueError(f"{name} is empty (shape {array.shape}); it needs at least one element")
    if not _ASSUME_FINITE.get() and not np.isfinite(array).all():
        bad = "NaN" if np.isnan(array).any() else "an infinite value"
        raise ValueError(f"{name} contains {bad}; every entry must be a finite number")
    return array


def require_ndim(array: np.ndarray, name: str, ndim: int | tuple[int, ...]) -> None:
    """Raise if ``array.ndim`` is not one of the allowed ranks ``ndim``."""
    allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
    if array.ndim not in allowed:
        expected = " or ".join(f"{d}-D" for d in allowed)
        raise ValueError(f"{name} must be {expected}, got shape {array.shape} ({array.ndim}-D)")


def require_same_length(a: np.ndarray, a_name: str, b: np.ndarray, b_name: str) -> None:
    """Raise unless ``a`` and ``b`` have the same number of rows (examples)."""
    if a.shape[0] != b.shape[0]:
        raise ValueError(
            f"{a_name} has {a.shape[0]} rows but {b_name} has {b.shape[0]}; "
            "they must describe the same examples"
        )


def require_binary_labels(y: Any, name: str, values: tuple[int, int], n: int | None = None) -> np.ndarray:
    """Return labels ``y`` as a float64 vector ``(N,)`` after checking every entry is in ``values``.

    ``values`` is ``(-1, 1)`` for the sign convention or ``(0, 1)`` for the
    Bernoulli convention; ``n`` is the expected length, if known.
    """
    labels = as_float_array(y, name, ndim=1)
    if n is not None and labels.shape[0] != n:
        raise ValueError(f"{name} has {labels.shape[0]} labels but the scores have {n} rows")
    bad = ~np.isin(labels, values)
    if bad.any():
        example = labels[bad][0]
        raise ValueError(
            f"{name} must contain only {values[0]} and {values[1]}; found {example:g} "
            f"at index {int(np.flatnonzero(bad)[0])}"
        )
    return labels


def require_class_labels(y: Any, name: str, num_classes: int, n: int | None = None) -> np.ndarray:
    """Return integer class labels ``(N,)`` after checking ``0 <= y[i] < num_classes``."""
    raw = np.asarray(y)
    if raw.ndim != 1:
        raise ValueError(f"{name} must be a 1-D vector of class indices, got shape {raw.shape}")
    if raw.size == 0:
        raise ValueError(f"{name} is empty; it needs at least one label")
    if not (np.issubdtype(raw.dtype, np.integer) or (np.issubdtype(raw.dtype, np.floating)
                                                     and np.all(raw == np.round(raw)))):
        raise ValueError(f"{name} must hold integer class indices, got dtype {raw.dtype}")
    labels = raw.astype(np.int64)
    if n is not None and labels.shape[0] != n:
        raise ValueError(f"{name} has {labels.shape[0]} labels but the scores have {n} rows")
    out_of_range = (labels < 0) | (labels >= num_classes)
    if out_of_range.any():
        index = int(np.flatnonzero(out_of_range)[0])
        raise ValueError(
            f"{name} must be in 0..{num_classes - 1} (there are {num_classes} classes); "
            f"found {labels[index]} at index {index}"
        )
    return labels


def require_positive(value: float, name: str, allow_zero: bool = False) -> float:
    """Return ``value`` as a float after checking it is finite and > 0 (or >= 0)."""
    number = float(value)
    if not np.isfinite(number) or number < 0 or (number == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
    return number


def require_count(value: Any, name: str, minimum: int = 1) -> int:
    """Return ``value`` as an int after checking it is a whole number >= ``minimum``.

    ``True`` and ``False`` are refused (they are numbers to Python, never a count
    here), and so are floats, even whole ones such as ``3.0``.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def require_arrays(arrays: Any, name: str) -> dict[str, np.ndarray]:
    """Return ``arrays``, a non-empty dict ``{key: array}`` (parameters, gradients, ...), as float arrays.

    Each entry goes through :func:`as_float_array` under the name ``name[key]``.
    """
    if not isinstance(arrays, Mapping):
        raise ValueError(f"{name} must be a dict of arrays, got {type(arrays).__name__}")
    if not arrays:
        raise ValueError(f"{name} is empty; it needs at least one array")
    return {key: as_float_array(value, f"{name}[{key!r}]") for key, value in arrays.items()}


def require_like(arrays: Any, name: str, like: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """:func:`require_arrays`, and exactly the keys of ``like`` with the same shapes (grads like params)."""
    checked = require_arrays(arrays, name)
    if set(checked) != set(like):
        missing, extra = sorted(set(like) - set(checked)), sorted(set(checked) - set(like))
        raise ValueError(f"{name} must have the same keys as params: missing {missing}, unexpected {extra}")
    for key, value in checked.items():
        if value.shape != like[key].shape:
            raise ValueError(f"{name}[{key!r}] has shape {value.shape} but params[{key!r}] has shape "
                             f"{like[key].shape}")
    return checked
