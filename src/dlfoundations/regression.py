"""Linear regression (ADALINE) by least squares: the loss, gradient descent, and closed forms.

A linear regressor predicts one number per example, ``ŷ = X w + b`` ``(N,)``
for ``X`` ``(N, d)``, ``w`` ``(d,)`` and a scalar bias ``b``. Its loss is the
course's mean squared error

    J(w, b) = (1/2N) ||X w + b - y||²
    dJ/dw   = (1/N) Xᵀ r,     dJ/db = (1/N) Σ_i r_i,     r = X w + b - y

Setting the gradient to zero gives the normal equations. With the bias trick
``A = [X, 1]`` ``(N, d+1)`` and ``θ = (w, b)`` they read ``AᵀA θ = Aᵀy``;
they have one solution exactly when the columns of A are linearly independent.
Ridge regression adds ``(l2/2) ||w||²`` (the bias is not penalised), which
makes the system solvable for every data set.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from dlfoundations.kit.validation import as_float_array, require_positive, require_same_length
from dlfoundations.losses import mse_loss

__all__ = ["linear_mse", "gradient_descent_step", "least_squares", "ridge"]


def _regression_data(X: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Check a regression data set: ``X`` ``(N, d)`` and real targets ``y`` ``(N,)``."""
    X = as_float_array(X, "X", ndim=2)
    y = as_float_array(y, "y", ndim=1)
    require_same_length(X, "X", y, "y")
    return X, y


def _weights(w: ArrayLike, d: int) -> np.ndarray:
    """Check the weight vector ``w`` ``(d,)`` against the d columns of X."""
    w = as_float_array(w, "w", ndim=1)
    if w.shape[0] != d:
        raise ValueError(f"w has {w.shape[0]} entries but X has {d} columns; they must match")
    return w


def _scalar(value: Any, name: str) -> float:
    return float(as_float_array(value, name, ndim=0))


def linear_mse(X: ArrayLike, y: ArrayLike, w: ArrayLike, b: float) -> tuple[float, np.ndarray, float]:
    """Mean squared error of the linear model ``ŷ = X w + b`` and its gradient.

    ``X`` ``(N, d)``, targets ``y`` ``(N,)``, weights ``w`` ``(d,)``, bias ``b`` (a number).

        loss = (1/2N) ||X w + b - y||²
        dw   = (1/N) Xᵀ (X w + b - y)            (d,)
        db   = (1/N) Σ_i (X w + b - y)_i         float

    Returns ``(loss, dw, db)``.
    """
    X, y = _regression_data(X, y)
    w = _weights(w, X.shape[1])
    b = _scalar(b, "b")
    loss, dpredictions = mse_loss(X @ w + b, y)  # dpredictions = (ŷ - y) / N
    return loss, X.T @ dpredictions, float(np.sum(dpredictions))


def gradient_descent_step(
    X: ArrayLike, y: ArrayLike, w: ArrayLike, b: float, lr: float
) -> tuple[np.ndarray, float]:
    """One full-batch gradient descent step on :func:`linear_mse`.

        w <- w - lr dw,    b <- b - lr db

    Returns the new ``(w (d,), b)``; the arguments are not modified.
    """
    lr = require_positive(lr, "lr")
    _, dw, db = linear_mse(X, y, w, b)
    return np.asarray(w, dtype=np.float64) - lr * dw, float(b) - lr * db


def _singular_message(rank: int, size: int) -> str:
    return (
        f"XᵀX is singular: the columns of [X, 1] have rank {rank} < {size}, so they are linearly "
        "dependent (a duplicated or collinear feature, a constant feature, or fewer examples than "
        "parameters) and the least-squares solution is not unique. "
        "Use ridge(X, y, l2) with l2 > 0, which always has a unique solution."
    )


def least_squares(X: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, float]:
    """The least-squares fit minimising ``(1/2N) ||X w + b - y||²``, from the normal equations.

    With ``A = [X, 1]`` ``(N, d+1)`` and ``θ = (w, b)``, the gradient ``(1/N) Aᵀ(Aθ - y)``
    vanishes where

        AᵀA θ = Aᵀ y

    which we solve with ``np.linalg.solve``. Returns ``(w (d,), b)``.
    Raises ValueError when ``AᵀA`` is singular (the columns of A are linearly
    dependent, e.g. a duplicated feature): then use :func:`ridge`.
    """
    X, y = _regression_data(X, y)
    A = np.column_stack([X, np.ones(len(X))])
    rank = int(np.linalg.matrix_rank(A))
    if rank < A.shape[1]:
        raise ValueError(_singular_message(rank, A.shape[1]))
    try:
        theta = np.linalg.solve(A.T @ A, A.T @ y)
    except np.linalg.LinAlgError:
        raise ValueError(_singular_message(rank, A.shape[1])) from None
    return theta[:-1], float(theta[-1])


def ridge(X: ArrayLike, y: ArrayLike, l2: float) -> tuple[np.ndarray, float]:
    """Ridge regression: minimise ``J = (1/2N) ||X w + b - y||² + (l2/2) ||w||²`` with ``l2 > 0``.

    The bias is not penalised. ``dJ/db = 0`` gives ``b = ȳ - x̄ᵀw`` (x̄, ȳ the means), so
    with the centred data ``Xc = X - x̄`` and ``yc = y - ȳ``, ``dJ/dw = 0`` becomes

        (Xcᵀ Xc + N l2 I) w = Xcᵀ yc

    whose matrix is positive definite: the solution always exists and is unique.
    Multiplying J by 2N gives scikit-learn's objective ``||y - Xw - b||² + α||w||²``
    with ``α = N l2``. Returns ``(w (d,), b)``. For ``l2 = 0`` use :func:`least_squares`.
    """
    X, y = _regression_data(X, y)
    l2 = require_positive(l2, "l2")
    x_mean, y_mean = X.mean(axis=0), y.mean()
    Xc, yc = X - x_mean, y - y_mean
    w = np.linalg.solve(Xc.T @ Xc + len(X) * l2 * np.eye(X.shape[1]), Xc.T @ yc)
    return w, float(y_mean - x_mean @ w)
