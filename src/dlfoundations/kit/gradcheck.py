"""Numerical gradients by centred differences, and the relative error used to compare them.

The course's gradient check, in float64 with step ``h = 1e-5``::

    df/dx_i  ~=  (f(x + h e_i) - f(x - h e_i)) / (2h)
    rel_error(a, b) = max|a - b| / max(1e-8, max(|a| + |b|))

A correct analytic gradient of a smooth function agrees to < 1e-7.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["numerical_gradient", "rel_error"]

DEFAULT_STEP = 1e-5


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = DEFAULT_STEP) -> np.ndarray:
    """Centred-difference gradient of a scalar function ``f`` at ``x`` (any shape).

    Returns an array shaped like ``x`` whose entry ``i`` is
    ``(f(x + h e_i) - f(x - h e_i)) / (2h)``. ``x`` must be float64; it is
    perturbed in place one entry at a time and restored exactly afterwards (even if
    ``f`` raises),
    so ``f`` may close over ``x``.
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise ValueError(
            f"x must be a float64 numpy array for a gradient check, got "
            f"{type(x).__name__} of dtype {getattr(x, 'dtype', None)}"
        )
    if x.size == 0:
        raise ValueError("x is empty; there is no gradient to check")
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        try:
            x[index] = original + h
            f_plus = float(f(x))
            x[index] = original - h
            f_minus = float(f(x))
        finally:
            x[index] = original  # restored even when f raises
        grad[index] = (f_plus - f_minus) / (2.0 * h)
    return grad


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """Relative error ``max|a - b| / max(1e-8, max(|a| + |b|))`` between two same-shape arrays."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare arrays of shapes {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b)) / max(1e-8, float(np.max(np.abs(a) + np.abs(b)))))
