"""Loss functions on scores (logits), each returning ``(loss, dscores)``.

Conventions: losses take scores, never probabilities (the argument is called
``scores`` everywhere, whether a text calls them logits, z or predictions);
they average over the N examples of the batch, so every row of ``dscores``
carries a factor 1/N; ``dscores`` has the shape of ``scores``. Binary losses take scores ``(N,)``
with labels y in {-1, +1} (``binary_cross_entropy``: y in {0, 1}); multiclass
losses take scores ``(N, K)`` with integer labels ``(N,)`` in 0..K-1.

Large scores never overflow: we use ``np.logaddexp(0, t) = log(1 + e^t)``
and subtract the row maximum before exponentiating (max-subtraction).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from dlfoundations.kit.validation import (as_float_array, require_binary_labels, require_class_labels, require_count,
                                       require_positive)
from dlfoundations.activations import sigmoid

__all__ = [
    "perceptron_loss",
    "logistic_loss",
    "binary_cross_entropy",
    "mse_loss",
    "logsumexp",
    "softmax",
    "log_softmax",
    "softmax_jacobian",
    "one_hot",
    "cross_entropy",
    "multiclass_hinge",
]


def perceptron_loss(scores: ArrayLike, y: ArrayLike) -> tuple[float, np.ndarray]:
    """Perceptron loss ``L = (1/N) Σ_i max(0, -y_i z_i)`` for scores z ``(N,)``, y in {-1, +1}.

    Subgradient: ``dL/dz_i = -y_i / N`` on a mistake (``y_i z_i <= 0``), else 0.
    """
    z = as_float_array(scores, "scores", ndim=1)
    y = require_binary_labels(y, "y", (-1, 1), n=len(z))
    margins = y * z
    loss = np.mean(np.maximum(0.0, -margins))
    dscores = np.where(margins <= 0, -y, 0.0) / len(z)
    return float(loss), dscores


def logistic_loss(scores: ArrayLike, y: ArrayLike) -> tuple[float, np.ndarray]:
    """Logistic loss ``L = (1/N) Σ_i log(1 + e^{-y_i z_i})`` for scores z ``(N,)``, y in {-1, +1}.

    Gradient: ``dL/dz_i = -y_i s(-y_i z_i) / N`` with s the sigmoid.
    """
    z = as_float_array(scores, "scores", ndim=1)
    y = require_binary_labels(y, "y", (-1, 1), n=len(z))
    loss = np.mean(np.logaddexp(0.0, -y * z))
    dscores = -y * sigmoid(-y * z) / len(z)
    return float(loss), dscores


def binary_cross_entropy(scores: ArrayLike, y: ArrayLike) -> tuple[float, np.ndarray]:
    """Binary cross-entropy from scores (logits) z ``(N,)`` with y in {0, 1}.

    ``L = -(1/N) Σ_i [y_i log s(z_i) + (1 - y_i) log(1 - s(z_i))] = (1/N) Σ_i [log(1 + e^{z_i}) - y_i z_i]``.
    Gradient: ``dL/dz_i = (s(z_i) - y_i) / N``. Equals ``logistic_loss(z, 2y - 1)``.
    """
    z = as_float_array(scores, "scores", ndim=1)
    y = require_binary_labels(y, "y", (0, 1), n=len(z))
    loss = np.mean(np.logaddexp(0.0, z) - y * z)
    dscores = (sigmoid(z) - y) / len(z)
    return float(loss), dscores


def mse_loss(scores: ArrayLike, y: ArrayLike) -> tuple[float, np.ndarray]:
    """Mean squared error ``L = (1/2N) Σ_i ||ŷ_i - y_i||²`` of the scores (predictions) ŷ and real targets y.

    ŷ and y are both ``(N,)`` or both ``(N, K)``. Gradient: ``dL/dŷ = (ŷ - y) / N``.
    """
    y_hat = as_float_array(scores, "scores", ndim=(1, 2))
    y = as_float_array(y, "y", ndim=(1, 2))
    if y.shape != y_hat.shape:
        raise ValueError(f"y has shape {y.shape} but scores has shape {y_hat.shape}; they must match")
    n = len(y_hat)
    diff = y_hat - y
    return float(np.sum(diff**2) / (2 * n)), diff / n


def logsumexp(scores: ArrayLike, axis: int = -1) -> np.ndarray | float:
    """``log Σ_k e^{z_k}`` along ``axis``, computed as ``m + log Σ_k e^{z_k - m}`` with m the max.

    Subtracting m makes every exponent <= 0, so nothing overflows. Bounds:
    ``max_k z_k <= logsumexp(z) <= max_k z_k + log K``. The axis is removed from the shape
    (``(N, K) -> (N,)``; a 1-D z gives a float).
    """
    return np.squeeze(_logsumexp(as_float_array(scores, "scores"), axis), axis=axis)[()]  # [()]: 0-d -> a number


def _logsumexp(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """:func:`logsumexp` of a checked array, keeping ``axis`` with length 1 (so it broadcasts against z)."""
    m = np.max(z, axis=axis, keepdims=True)
    shifted = z - m
    np.exp(shifted, out=shifted)
    out = np.sum(shifted, axis=axis, keepdims=True)
    np.log(out, out=out)
    out += m
    result: np.ndarray = out
    return result


def softmax(scores: ArrayLike) -> np.ndarray:
    """``softmax(z)_k = e^{z_k} / Σ_j e^{z_j}`` along the last axis of z ``(K,)`` or ``(N, K)``.

    Computed as ``e^{z - max z} / Σ e^{z - max z}`` (same value, no overflow); rows sum to 1.
    """
    z = as_float_array(scores, "scores", ndim=(1, 2))
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    p: np.ndarray = e / np.sum(e, axis=-1, keepdims=True)
    return p


def log_softmax(scores: ArrayLike) -> np.ndarray:
    """``log softmax(z)_k = z_k - logsumexp(z)`` for z ``(K,)`` or ``(N, K)``; finite even when p_k underflows to 0."""
    z = as_float_array(scores, "scores", ndim=(1, 2))
    log_p: np.ndarray = z - _logsumexp(z)
    return log_p


def softmax_jacobian(scores: ArrayLike) -> np.ndarray:
    """Jacobian ``J[i, j] = dp_i/dz_j = p_i (δ_ij - p_j)``, i.e. ``diag(p) - p pᵀ`` with p = softmax(z ``(K,)``).

    Returns ``(K, K)``: symmetric, and every row sums to 0 (the p_k always sum to 1).
    """
    p = softmax(as_float_array(scores, "scores", ndim=1))
    return np.diag(p) - np.outer(p, p)


def one_hot(y: ArrayLike, K: int) -> np.ndarray:
    """One-hot matrix ``(N, K)`` with ``Y[i, y_i] = 1`` and zeros elsewhere, for labels y ``(N,)`` in 0..K-1."""
    K = require_count(K, "K (the number of classes)")
    labels = require_class_labels(y, "y", K)
    Y = np.zeros((len(labels), K))
    Y[np.arange(len(labels)), labels] = 1.0
    return Y


def cross_entropy(scores: ArrayLike, y: ArrayLike) -> tuple[float, np.ndarray]:
    """Softmax cross-entropy ``L = (1/N) Σ_i [logsumexp(z_i) - z_{i,y_i}] = -(1/N) Σ_i log p_{i,y_i}``.

    Scores z ``(N, K)``, integer labels y ``(N,)``. Gradient: ``dL/dz = (softmax(z) - onehot(y)) / N``.
    Both come from one :func:`log_softmax`: ``L = -mean_i log p_{i,y_i}``, and
    ``softmax(z) = e^{log p}`` less 1 at each label (no one-hot matrix is built).
    """
    z = as_float_array(scores, "scores", ndim=2)
    n, k = z.shape
    y = require_class_labels(y, "y", k, n=n)
    rows = np.arange(n)
    log_p = log_softmax(z)
    loss = -float(np.sum(log_p[rows, y])) / n
    dscores = np.exp(log_p, out=log_p)  # log_p is ours: reuse it for p
    dscores[rows, y] -= 1.0
    dscores /= n
    return float(loss), dscores


def multiclass_hinge(scores: ArrayLike, y: ArrayLike, margin: float = 1.0) -> tuple[float, np.ndarray]:
    """Multiclass hinge (SVM) loss ``L = (1/N) Σ_i Σ_{j≠y_i} max(0, z_ij - z_{i,y_i} + Δ)``, Δ = ``margin``.

    Scores z ``(N, K)``, integer labels y ``(N,)``. Subgradient, per row: +1/N for each
    class j ≠ y_i whose term is positive, and minus that count / N for the correct class y_i.
    """
    z = as_float_array(scores, "scores", ndim=2)
    n, k = z.shape
    y = require_class_labels(y, "y", k, n=n)
    delta = require_positive(margin, "margin", allow_zero=True)
    rows = np.arange(n)
    margins = np.maximum(0.0, z - z[rows, y][:, None] + delta)
    margins[rows, y] = 0.0
    active = (margins > 0).astype(np.float64)
    active[rows, y] = -active.sum(axis=1)
    return float(margins.sum() / n), active / n
