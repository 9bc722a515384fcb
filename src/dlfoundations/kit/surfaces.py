"""Two-dimensional test functions for watching optimisers move.

Each factory returns a surface, the pair ``(f, grad)`` of ``f(p) -> float`` and
``grad(p) -> (2,)`` for a point ``p = (x, y)``:

    quadratic                  f(p) = 1/2 p^T A p,     grad = A p        (A symmetric positive definite)
    ill_conditioned_quadratic  the same with eigenvalues 1 and ``condition``: a long narrow valley
    rosenbrock                 f(x, y) = (a - x)^2 + b (y - x^2)^2,  minimum 0 at (a, a^2)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dlfoundations.kit.validation import as_float_array, require_positive

__all__ = ["Surface", "quadratic", "ill_conditioned_quadratic", "rosenbrock"]

Surface = tuple[Callable[[np.ndarray], float], Callable[[np.ndarray], np.ndarray]]


def _check_point(p: np.ndarray, size: int = 2) -> np.ndarray:
    """Return ``p`` as a float64 vector of length ``size``."""
    point = as_float_array(p, "p", ndim=1)
    if point.shape != (size,):
        raise ValueError(f"p must have shape ({size},), got {point.shape}")
    return point


def quadratic(A: np.ndarray) -> Surface:
    """The bowl ``f(p) = 1/2 p^T A p`` with gradient ``A p``; returns ``(f, grad)``.

    ``A`` is ``(d, d)`` (``(2, 2)`` for plots), symmetric and positive definite, so the
    unique minimum is ``f(0) = 0``. Its eigenvalues are the curvatures along its
    eigenvectors; their ratio (the condition number) sets how hard the bowl is for
    gradient descent.
    """
    A = as_float_array(A, "A", ndim=2)
    if A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be square, got shape {A.shape}")
    if not np.allclose(A, A.T, rtol=1e-12, atol=1e-12):
        raise ValueError("A must be symmetric (A == A.T) for f(p) = 1/2 p^T A p to have gradient A p")
    smallest = float(np.linalg.eigvalsh(A)[0])
    if smallest <= 0:
        raise ValueError(f"A must be positive definite, but its smallest eigenvalue is {smallest:g}")
    A = A.copy()
    size = A.shape[0]

    def f(p: np.ndarray) -> float:
        p = _check_point(p, size)
        return float(0.5 * p @ A @ p)

    def grad(p: np.ndarray) -> np.ndarray:
        g: np.ndarray = A @ _check_point(p, size)
        return g

    return f, grad


def ill_conditioned_quadratic(condition: float = 20.0, angle: float = 0.0) -> Surface:
    """A 2-D quadratic bowl with curvatures 1 and ``condition``; returns ``(f, grad)``.

    ``A = R diag(1, condition) R^T`` with ``R`` the rotation by ``angle`` radians, so
    ``angle = 0`` gives ``f(x, y) = (x^2 + condition y^2) / 2``: a valley along the x-axis,
    steep across it. ``condition`` must be >= 1.
    """
    condition = require_positive(condition, "condition")
    if condition < 1:
        raise ValueError(f"condition must be >= 1 (largest / smallest curvature), got {condition!r}")
    angle = float(as_float_array(angle, "angle", ndim=0))
    c, s = np.cos(angle), np.sin(angle)
    R = np.array([[c, -s], [s, c]])
    A = R @ np.diag([1.0, condition]) @ R.T
    return quadratic(0.5 * (A + A.T))


def rosenbrock(a: float = 1.0, b: float = 100.0) -> Surface:
    """Rosenbrock's banana ``f(x, y) = (a - x)^2 + b (y - x^2)^2``; returns ``(f, grad)`` like :func:`quadratic`.

    ``grad(p) = (-2 (a - x) - 4 b x (y - x^2),  2 b (y - x^2))`` at ``p = (x, y)``.
    The minimum is ``f = 0`` at ``(a, a^2)``, at the end of a curved, flat-bottomed
    valley; ``b > 0`` sets how steep its walls are.
    """
    a = float(as_float_array(a, "a", ndim=0))
    b = require_positive(b, "b")

    def f(p: np.ndarray) -> float:
        x, y = _check_point(p)
        return float((a - x) ** 2 + b * (y - x**2) ** 2)

    def grad(p: np.ndarray) -> np.ndarray:
        x, y = _check_point(p)
        return np.array([-2.0 * (a - x) - 4.0 * b * x * (y - x**2), 2.0 * b * (y - x**2)])

    return f, grad
