"""The minibatch training loop shared by the chapters.

One epoch = one pass over the training set in shuffled minibatches; each
minibatch gives ``(loss, grads)`` and one optimiser step::

    for epoch in range(epochs):
        for X_b, y_b in minibatches(X, y, batch_size, seed=rng):
            loss, grads = loss_fn(params, X_b, y_b)
            params, state = optimizer.update(grads, state, params)

``fit`` is pure: it returns new parameters and never modifies the ones
passed in (nor X, y or the validation data).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dlfoundations.kit._checks import check_ndim
from dlfoundations.kit.data import minibatches
from dlfoundations.optim import Optimizer

__all__ = ["History", "fit"]

Params = dict[str, np.ndarray]
LossFn = Callable[[Params, np.ndarray, np.ndarray], tuple[float, Params]]
AccuracyFn = Callable[[Params, np.ndarray, np.ndarray], float]


@dataclass
class History:
    """What ``fit`` records, one entry per epoch.

    ``train_loss``: mean of the minibatch losses of the epoch (weighted by batch size);
    ``train_accuracy``: ``accuracy_fn`` on the whole training set after the epoch;
    ``val_loss`` / ``val_accuracy``: the same on the validation set.
    Accuracy lists stay empty without ``accuracy_fn``, validation lists without ``validation``.
    """

    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)


def fit(
    params: Mapping[str, np.ndarray],
    loss_fn: LossFn,
    optimizer: Optimizer,
    X: Any,
    y: Any,
    epochs: int,
    batch_size: int | None = None,
    seed: int | np.random.Generator | None = 0,
    accuracy_fn: AccuracyFn | None = None,
    validation: tuple[Any, Any] | None = None,
) -> tuple[Params, History]:
    """Train ``params`` for ``epochs`` passes over ``(X (N, d), y (N,))``; return ``(params, History)``.

    ``loss_fn(params, X_b, y_b) -> (loss, grads)`` (e.g. ``mlp_loss``, or a closure fixing its options);
    ``optimizer`` has the pure ``init`` / ``update`` interface of ``dlfoundations.optim``.
    ``batch_size=None`` means full-batch gradient descent; ``seed`` fixes the
    shuffling, so a run is reproducible. ``accuracy_fn(params, X, y) -> float``
    and ``validation = (X_val, y_val)`` are optional (see ``History``).
    """
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"epochs must be an integer >= 1, got {epochs!r}")
    X, y = np.asarray(X), np.asarray(y)
    check_ndim(X, "X", (1, 2))
    if batch_size is None:
        batch_size = max(len(X), 1)
    if validation is not None and (not isinstance(validation, (tuple, list)) or len(validation) != 2):
        raise ValueError("validation must be a pair (X_val, y_val) or None")
    params = {key: np.array(value) for key, value in params.items()}  # our own copy
    state = optimizer.init(params)
    rng = np.random.default_rng(seed)
    history = History()
    for _ in range(epochs):
        total, count = 0.0, 0
        for X_batch, y_batch in minibatches(X, y, batch_size, seed=rng):
            loss, grads = loss_fn(params, X_batch, y_batch)
            params, state = optimizer.update(grads, state, params)
            total += float(loss) * len(X_batch)
            count += len(X_batch)
        history.train_loss.append(total / count)
        _record(history, params, loss_fn, accuracy_fn, (X, y), validation)
    return params, history


def _record(
    history: History,
    params: Params,
    loss_fn: LossFn,
    accuracy_fn: AccuracyFn | None,
    train: tuple[np.ndarray, np.ndarray],
    validation: tuple[Any, Any] | None,
) -> None:
    """Append the end-of-epoch accuracy and validation metrics to ``history``."""
    if accuracy_fn is not None:
        history.train_accuracy.append(float(accuracy_fn(params, *train)))
    if validation is not None:
        history.val_loss.append(float(loss_fn(params, *validation)[0]))
        if accuracy_fn is not None:
            history.val_accuracy.append(float(accuracy_fn(params, *validation)))
