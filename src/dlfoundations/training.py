"""The minibatch training loop shared by the chapters.

One epoch = one pass over the training set in shuffled minibatches; each
minibatch gives ``(loss, grads)`` and one optimiser step::

    for epoch in range(epochs):
        for X_b, y_b in minibatches(X, y, batch_size, seed=rng):
            loss, grads = loss_fn(params, X_b, y_b)
            params, state = optimiser.update(grads, state, params)

``fit`` is pure: it returns new parameters and never modifies the ones
passed in (nor X, y or the validation data).

``fit`` checks its data and parameters once (shapes, and no NaN or infinity),
then runs the steps inside :func:`~dlfoundations.kit.validation.assume_finite`,
so the library functions it calls skip their scans of the same arrays at
every step; a loss that stops being finite ends training with a ValueError.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dlfoundations.kit.validation import as_float_array, assume_finite, require_count, require_same_length
from dlfoundations.kit.data import minibatches
from dlfoundations.optim import Optimiser, Params

__all__ = ["History", "fit"]

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
    optimiser: Optimiser,
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
    ``optimiser`` has the pure ``init`` / ``update`` interface of ``dlfoundations.optim``.
    ``batch_size=None`` means full-batch gradient descent (the data as it is, not shuffled); ``seed`` fixes the
    shuffling, so a run is reproducible. ``accuracy_fn(params, X, y) -> float``
    and ``validation = (X_val, y_val)`` are optional (see ``History``).
    """
    epochs = require_count(epochs, "epochs")
    X, y = _checked_data(X, y, "X", "y")
    if batch_size is not None:
        batch_size = require_count(batch_size, "batch_size")
    if validation is not None:
        if not isinstance(validation, (tuple, list)) or len(validation) != 2:
            raise ValueError("validation must be a pair (X_val, y_val) or None")
        validation = _checked_data(*validation, "X_val", "y_val")
    params = {key: np.array(as_float_array(value, f"params[{key!r}]")) for key, value in params.items()}  # a copy
    state = optimiser.init(params)
    rng = np.random.default_rng(seed)
    history = History()
    with assume_finite():  # checked above, once: the steps need not scan X, y and params again
        for epoch in range(1, epochs + 1):
            total = 0.0
            for X_batch, y_batch in _epoch_batches(X, y, batch_size, rng):
                loss, grads = loss_fn(params, X_batch, y_batch)
                loss = float(loss)
                if not math.isfinite(loss):
                    raise ValueError(f"the training loss became {loss} in epoch {epoch}: training diverged "
                                     "(a smaller learning rate may help)")
                params, state = optimiser.update(grads, state, params)
                total += loss * len(X_batch)
            history.train_loss.append(total / len(X))
            _record(history, params, loss_fn, accuracy_fn, (X, y), validation)
    return params, history


def _checked_data(X: Any, y: Any, X_name: str, y_name: str) -> tuple[np.ndarray, np.ndarray]:
    """Read-only views of ``X``, a finite float array ``(N, d)`` (or ``(N,)``), and ``y``, with as many rows.

    Read-only, because batches may be views of them: a loss function cannot modify the caller's data.
    """
    X, y = as_float_array(X, X_name, ndim=(1, 2)).view(), np.asarray(y).view()
    if y.ndim == 0:
        raise ValueError(f"{y_name} must have one entry per row of {X_name}, got a scalar")
    require_same_length(X, X_name, y, y_name)
    X.flags.writeable = y.flags.writeable = False
    return X, y


def _epoch_batches(
    X: np.ndarray, y: np.ndarray, batch_size: int | None, rng: np.random.Generator
) -> Iterable[tuple[np.ndarray, np.ndarray]]:
    """The whole data set as one batch (X and y themselves: no shuffled copy, the mean needs no order),
    or shuffled minibatches of ``batch_size`` rows."""
    if batch_size is None or batch_size >= len(X):
        return [(X, y)]
    return minibatches(X, y, batch_size, seed=rng)


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
