"""Rosenblatt's perceptron, binary and multiclass, written out as plainly as the rule itself.

Binary: score ``z = w . x + b``, label ``sign(z)``, labels y in {-1, +1}.
Multiclass: scores ``z = x W + b`` ``(K,)``, label ``argmax_k z_k``, labels 0..K-1.
The binary rule is SGD with batch size 1 and step 1 on the perceptron loss
``max(0, -y z)``; :func:`full_batch_perceptron` is the same loss with full-batch steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from dlfoundations.kit.validation import (as_float_array, require_binary_labels, require_class_labels, require_count,
                                          require_positive)
from dlfoundations.linear._common import check_num_classes, check_scalar, class_data, signed_data
from dlfoundations.losses import perceptron_loss

__all__ = [
    "PerceptronResult",
    "MulticlassPerceptronResult",
    "perceptron_step",
    "train_perceptron",
    "full_batch_perceptron",
    "mistake_bound",
    "multiclass_perceptron_step",
    "train_multiclass_perceptron",
]


@dataclass(frozen=True)
class PerceptronResult:
    """A trained binary perceptron: ``w`` ``(d,)``, ``b``, and how training went.

    ``mistakes_per_epoch[t]`` counts the misclassified examples seen in epoch t;
    ``converged`` is True when training stopped because an epoch had no mistake.
    """

    w: np.ndarray
    b: float
    mistakes_per_epoch: list[int]
    converged: bool


@dataclass(frozen=True)
class MulticlassPerceptronResult:
    """A trained multiclass perceptron: ``W`` ``(d, K)``, ``b`` ``(K,)``, and how training went."""

    W: np.ndarray
    b: np.ndarray
    mistakes_per_epoch: list[int]
    converged: bool


def _visiting_order(n: int, rng: np.random.Generator | None) -> np.ndarray:
    """Indices 0..n-1 in order, or shuffled when a generator is given."""
    return np.arange(n) if rng is None else rng.permutation(n)


# ----------------------------------------------------------------------------- binary perceptron


def _perceptron_update(w: np.ndarray, b: float, x: np.ndarray, y: float, lr: float) -> tuple[np.ndarray, float, bool]:
    """Rosenblatt's rule without input checks (the inner loop of the training functions)."""
    if y * (w @ x + b) <= 0:
        return w + lr * y * x, b + lr * y, True
    return w, b, False


def perceptron_step(
    w: ArrayLike, b: float, x: ArrayLike, y: float, lr: float = 1.0
) -> tuple[np.ndarray, float, bool]:
    """One step of Rosenblatt's perceptron rule on a single example ``x`` ``(d,)`` with label y = ±1.

        if y (w . x + b) <= 0:     (a mistake; a score of exactly 0 counts as one)
            w <- w + lr y x
            b <- b + lr y
        else: nothing changes.

    This is one SGD step (batch size 1) on the perceptron loss ``max(0, -y z)``,
    whose subgradient is ``-y x`` on a mistake and 0 otherwise.
    Returns ``(new_w (d,), new_b, mistake)``; ``w`` is not modified.
    """
    w = as_float_array(w, "w", ndim=1)
    x = as_float_array(x, "x", ndim=1)
    if x.shape != w.shape:
        raise ValueError(f"x has shape {x.shape} but w has shape {w.shape}; they must match")
    label = require_binary_labels([y], "y", (-1, 1))[0]
    lr = require_positive(lr, "lr")
    return _perceptron_update(w, check_scalar(b, "b"), x, label, lr)


def train_perceptron(
    X: ArrayLike, y: ArrayLike, epochs: int, lr: float = 1.0, shuffle_seed: int | None = None
) -> PerceptronResult:
    """Rosenblatt's perceptron on ``X`` ``(N, d)`` with labels ``y`` ``(N,)`` in {-1, +1}.

    Start from w = 0, b = 0. In every epoch visit each example once (in order,
    or in a new random order each epoch if ``shuffle_seed`` is an int) and apply
    :func:`perceptron_step`: on a mistake ``y_i (w . x_i + b) <= 0`` update
    ``w <- w + lr y_i x_i``, ``b <- b + lr y_i``. Stop early after an epoch with
    no mistake: then every example is classified correctly (``converged=True``).
    On linearly separable data this always happens, given enough epochs (the
    convergence theorem, see :func:`mistake_bound`); on other data it never does.
    """
    X, y = signed_data(X, y)
    epochs = require_count(epochs, "epochs")
    lr = require_positive(lr, "lr")
    rng = None if shuffle_seed is None else np.random.default_rng(shuffle_seed)
    w, b = np.zeros(X.shape[1]), 0.0
    mistakes_per_epoch: list[int] = []
    for _ in range(epochs):
        mistakes = 0
        for i in _visiting_order(len(y), rng):
            w, b, mistake = _perceptron_update(w, b, X[i], y[i], lr)
            mistakes += int(mistake)
        mistakes_per_epoch.append(mistakes)
        if mistakes == 0:
            return PerceptronResult(w, b, mistakes_per_epoch, converged=True)
    return PerceptronResult(w, b, mistakes_per_epoch, converged=False)


def full_batch_perceptron(X: ArrayLike, y: ArrayLike, epochs: int, lr: float = 1.0) -> PerceptronResult:
    """Gradient descent on the MEAN perceptron loss over the whole batch (one step per epoch).

        J(w, b) = (1/N) sum_i max(0, -y_i z_i),   z = X w + b
        dJ/dz_i = -y_i / N on a mistake (y_i z_i <= 0), else 0
        w <- w - lr X^T dJ/dz = w + (lr/N) sum_{mistakes} y_i x_i
        b <- b - lr sum_i dJ/dz_i

    Starts from w = 0, b = 0. ``mistakes_per_epoch[t]`` counts the misclassified
    examples at the start of epoch t; training stops (``converged=True``) at the
    first epoch that starts without a mistake.

    Why this disappoints: each mistake pulls with weight 1/N, so once few points
    are wrong the correction is tiny next to w, and many epochs pass before it
    is fixed (on separable data it does get there in the end: the sum over
    epochs of mistakes/N stays below (R/gamma)^2). Changing ``lr`` does not help:
    from w = 0 every iterate is just scaled by lr, so the mistakes are the same
    for every lr.
    """
    X, y = signed_data(X, y)
    epochs = require_count(epochs, "epochs")
    lr = require_positive(lr, "lr")
    w, b = np.zeros(X.shape[1]), 0.0
    mistakes_per_epoch: list[int] = []
    for _ in range(epochs):
        scores = X @ w + b
        mistakes = int(np.sum(y * scores <= 0))
        mistakes_per_epoch.append(mistakes)
        if mistakes == 0:
            return PerceptronResult(w, b, mistakes_per_epoch, converged=True)
        _, dscores = perceptron_loss(scores, y)
        w = w - lr * (X.T @ dscores)
        b = b - lr * float(np.sum(dscores))
    return PerceptronResult(w, b, mistakes_per_epoch, converged=False)


def mistake_bound(X: ArrayLike, y: ArrayLike, w_star: ArrayLike) -> tuple[float, float, float]:
    """The perceptron convergence theorem's bound ``(R, gamma, (R / gamma)^2)``.

        R     = max_i ||x_i||                          (radius of the data)
        gamma = min_i y_i (w* . x_i) / ||w*||           (margin of the separator w*)

    If ``w_star`` separates the data through the origin (gamma > 0), the
    perceptron without bias, started at w = 0, makes at most ``(R / gamma)^2``
    mistakes in total. For a perceptron with a bias use the bias trick: append
    a column of ones to X and a 0 to ``w_star``.
    """
    X, y = signed_data(X, y)
    w_star = as_float_array(w_star, "w_star", ndim=1)
    if w_star.shape[0] != X.shape[1]:
        raise ValueError(f"w_star has {w_star.shape[0]} entries but X has {X.shape[1]} columns")
    norm = np.linalg.norm(w_star)
    if norm == 0:
        raise ValueError("w_star is the zero vector; it does not define a separating hyperplane")
    margins = y * (X @ w_star) / norm
    worst = int(np.argmin(margins))
    if margins[worst] <= 0:
        raise ValueError(
            f"w_star does not separate the data: y (w_star . x) / ||w_star|| = {margins[worst]:.3g} <= 0 "
            f"at row {worst}"
        )
    R = float(np.max(np.linalg.norm(X, axis=1)))
    gamma = float(margins[worst])
    return R, gamma, (R / gamma) ** 2


# ----------------------------------------------------------------------------- multiclass perceptron


def _multiclass_update(
    W: np.ndarray, b: np.ndarray, x: np.ndarray, label: int
) -> tuple[np.ndarray, np.ndarray, bool]:
    """One multiclass perceptron step (rule in :func:`train_multiclass_perceptron`)."""
    scores = x @ W + b
    others = scores.copy()
    others[label] = -np.inf
    rival = int(np.argmax(others))  # the best-scoring wrong class
    if scores[rival] < scores[label]:
        return W, b, False
    W, b = W.copy(), b.copy()
    W[:, label] += x
    W[:, rival] -= x
    b[label] += 1.0
    b[rival] -= 1.0
    return W, b, True


def multiclass_perceptron_step(
    W: ArrayLike, b: ArrayLike, x: ArrayLike, y: int
) -> tuple[np.ndarray, np.ndarray, bool]:
    """One multiclass perceptron step on a single example ``x`` ``(d,)`` with class label y.

        z = x W + b                               scores (K,)
        r = argmax_{k != y} z_k                   the best-scoring wrong class
        if z_r >= z_y:     (a mistake; a tie counts as one)
            w_y <- w_y + x,  b_y <- b_y + 1
            w_r <- w_r - x,  b_r <- b_r - 1

    ``W`` is ``(d, K)``, ``b`` is ``(K,)``. Returns ``(new_W, new_b, mistake)``;
    the inputs are not modified.
    """
    W = as_float_array(W, "W", ndim=2)
    b = as_float_array(b, "b", ndim=1)
    x = as_float_array(x, "x", ndim=1)
    if x.shape[0] != W.shape[0] or b.shape[0] != W.shape[1]:
        raise ValueError(f"x {x.shape}, W {W.shape} and b {b.shape} do not fit: need x (d,), W (d, K), b (K,)")
    label = int(require_class_labels([y], "y", W.shape[1])[0])
    return _multiclass_update(W, b, x, label)


def train_multiclass_perceptron(
    X: ArrayLike, y: ArrayLike, num_classes: int, epochs: int, shuffle_seed: int | None = None
) -> MulticlassPerceptronResult:
    """Multiclass perceptron on ``X`` ``(N, d)`` with labels ``y`` ``(N,)`` in 0..K-1.

    Start from W = 0 ``(d, K)``, b = 0 ``(K,)``; score ``z = x W + b``. For each
    example, let ŷ be the best-scoring class other than y. If ``z_ŷ >= z_y``
    (y is not the unique winner: a mistake),

        w_y <- w_y + x,   b_y <- b_y + 1       (pull the true class up)
        w_ŷ <- w_ŷ - x,   b_ŷ <- b_ŷ - 1       (push the wrong winner down)

    where w_k is column k of W. Epochs, shuffling and early stopping work as in
    :func:`train_perceptron`.
    """
    num_classes = check_num_classes(num_classes)
    X, y = class_data(X, y, num_classes)
    epochs = require_count(epochs, "epochs")
    rng = None if shuffle_seed is None else np.random.default_rng(shuffle_seed)
    W, b = np.zeros((X.shape[1], num_classes)), np.zeros(num_classes)
    mistakes_per_epoch: list[int] = []
    for _ in range(epochs):
        mistakes = 0
        for i in _visiting_order(len(y), rng):
            W, b, mistake = _multiclass_update(W, b, X[i], int(y[i]))
            mistakes += int(mistake)
        mistakes_per_epoch.append(mistakes)
        if mistakes == 0:
            return MulticlassPerceptronResult(W, b, mistakes_per_epoch, converged=True)
    return MulticlassPerceptronResult(W, b, mistakes_per_epoch, converged=False)
