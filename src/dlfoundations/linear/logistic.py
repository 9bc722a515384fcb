"""Logistic regression and softmax (multinomial logistic) regression, fitted with any optimiser.

Both are the linear score ``Z = X W + b`` under a mean loss of
:mod:`dlfoundations.losses` (``logistic_loss`` for labels in {-1, +1} with
``W`` ``(d,)``; ``cross_entropy`` for labels 0..K-1 with ``W`` ``(d, K)``),
plus the L2 penalty ``(l2/2) ||W||²`` of :func:`dlfoundations.regularisation.l2_penalty`
(the bias is not penalised). By the chain rule, with ``dscores = dL/dZ``::

    dJ/dW = Xᵀ dscores + l2 W,     dJ/db = Σ_i dscores_i

Training is :func:`dlfoundations.training.fit`: one optimiser update per batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from dlfoundations.kit.validation import require_positive
from dlfoundations.linear._common import check_num_classes, class_data, signed_data
from dlfoundations.losses import cross_entropy, logistic_loss
from dlfoundations.optim import SGD
from dlfoundations.regularisation import l2_penalty
from dlfoundations.training import LoopSettings, fit
from dlfoundations.types import LossFn, Optimiser, Params

__all__ = ["LinearFit", "fit_logistic_regression", "fit_softmax_regression"]


@dataclass(frozen=True)
class LinearFit:
    """A fitted linear model and its training loss, one entry per epoch.

    Logistic regression: ``W`` ``(d,)`` and a float ``b``.
    Softmax regression: ``W`` ``(d, K)`` and ``b`` ``(K,)``.
    """

    W: np.ndarray
    b: float | np.ndarray
    loss_history: list[float]


def _objective(
    loss: Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray]], l2: float
) -> LossFn:
    """``(params, X, y) -> (J, grads)`` for the mean ``loss`` of ``X W + b`` plus ``(l2/2) ||W||²``."""

    def objective(params: Params, X: np.ndarray, y: np.ndarray) -> tuple[float, Params]:
        value, dscores = loss(X @ params["W"] + params["b"], y)
        grads = {"W": X.T @ dscores, "b": np.sum(dscores, axis=0)}
        if l2 == 0:
            return value, grads
        penalty, dpenalty = l2_penalty(params, l2)
        return value + penalty, {key: grads[key] + dpenalty[key] for key in grads}

    return objective


def _fit_linear(
    loss: Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray]],
    params: Params,
    X: np.ndarray,
    y: np.ndarray,
    optimiser: Optimiser[Any],
    epochs: int,
    l2: float,
    batch_size: int | None = None,
    seed: int = 0,
) -> tuple[Params, list[float]]:
    """Train ``params`` (keys W, b) on the penalised mean ``loss``; return them and the loss per epoch."""
    objective = _objective(loss, require_positive(l2, "l2", allow_zero=True))
    params, history = fit(params, objective, optimiser, (X, y), LoopSettings(epochs, batch_size, seed))
    return params, history.train_loss


def fit_logistic_regression(
    X: ArrayLike, y: ArrayLike, optimiser: Optimiser[Any] | None = None, epochs: int = 1000, l2: float = 0.0
) -> LinearFit:
    """Logistic regression by full-batch gradient steps, for ``X`` ``(N, d)``, ``y`` ``(N,)`` in {-1, +1}.

    Minimises, from W = 0, b = 0,

        J(W, b) = (1/N) sum_i log(1 + exp(-y_i z_i)) + (l2/2) ||W||^2,    z = X W + b
        dJ/dW = X^T dz + l2 W,    dJ/db = sum_i dz_i,    dz_i = -y_i sigmoid(-y_i z_i) / N

    with one ``optimiser`` update per epoch (default ``SGD(lr=1.0)``: plain
    gradient descent, a safe step for standardised features). The bias is not
    penalised. Returns ``LinearFit(W (d,), b float, loss_history)``
    where ``loss_history[t]`` is J before update t.
    """
    X, y = signed_data(X, y)
    optimiser = SGD(lr=1.0) if optimiser is None else optimiser
    params = {"W": np.zeros(X.shape[1]), "b": np.zeros(())}
    params, loss_history = _fit_linear(logistic_loss, params, X, y, optimiser, epochs, l2)
    return LinearFit(W=params["W"], b=float(params["b"]), loss_history=loss_history)


def fit_softmax_regression(
    X: ArrayLike,
    y: ArrayLike,
    num_classes: int,
    optimiser: Optimiser[Any] | None = None,
    epochs: int = 100,
    batch_size: int | None = None,
    seed: int = 0,
    l2: float = 0.0,
) -> LinearFit:
    """Softmax (multinomial logistic) regression for ``X`` ``(N, d)`` and labels ``y`` ``(N,)`` in 0..K-1.

    Minimises, from W = 0 ``(d, K)``, b = 0 ``(K,)``,

        J(W, b) = (1/N) sum_i [logsumexp(z_i) - z_{i, y_i}] + (l2/2) ||W||^2,    Z = X W + b
        dJ/dW = (1/N) X^T (P - Y) + l2 W,    dJ/db = (1/N) sum_i (p_i - y_i)

    where P = softmax(Z) row by row and Y is the one-hot label matrix. Each
    epoch makes one ``optimiser`` update (default ``SGD(lr=0.5)``) on the whole
    batch, or, with ``batch_size``, one per minibatch in a shuffled order drawn
    from ``seed``. ``loss_history[t]`` is the mean of the batch losses seen in
    epoch t. Returns ``LinearFit(W (d, K), b (K,), loss_history)``.
    """
    num_classes = check_num_classes(num_classes)
    X, y = class_data(X, y, num_classes)
    optimiser = SGD(lr=0.5) if optimiser is None else optimiser
    params = {"W": np.zeros((X.shape[1], num_classes)), "b": np.zeros(num_classes)}
    params, loss_history = _fit_linear(cross_entropy, params, X, y, optimiser, epochs, l2, batch_size, seed)
    return LinearFit(W=params["W"], b=params["b"], loss_history=loss_history)
