"""The minibatch training loop shared by the chapters.

One epoch = one pass over the training set in shuffled minibatches; each
minibatch gives ``(loss, grads)`` and one optimiser step::

    state = optimiser.init(params)
    for epoch in range(loop.epochs):
        for X_b, y_b in minibatches(X, y, loop.batch_size, seed=rng):
            loss, grads = loss_fn(params, X_b, y_b)
            params, state = optimiser.update(grads, state, params)

A call reads: the model (its parameters and loss), the optimiser, the data, and
how to loop over it::

    params, history = fit(params, mlp_loss, SGD(lr=0.1), (X, y), LoopSettings(epochs=20, batch_size=32))

``fit`` is pure: it returns new parameters and never modifies the ones
passed in (nor X, y or the validation data).

``fit`` checks its data and parameters once (shapes, and no NaN or infinity),
then runs the steps inside :func:`~dlfoundations.kit.validation.assume_finite`,
so the library functions it calls skip their scans of the same arrays at
every step; a loss that stops being finite ends training with a ValueError.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from dlfoundations.kit.data import minibatches
from dlfoundations.kit.validation import as_float_array, assume_finite, require_count, require_same_length
from dlfoundations.types import AccuracyFn, LossFn, Optimiser, Params, State

__all__ = ["LoopSettings", "History", "fit"]


@dataclass(frozen=True)
class LoopSettings:
    """How ``fit`` loops over the training set.

    ``epochs`` passes (an integer >= 1), each in minibatches of ``batch_size`` rows
    in a shuffled order drawn from ``seed`` (the last batch may be smaller);
    ``batch_size=None`` means one batch of the whole set (full-batch gradient
    descent, the data as it is, not shuffled). A fixed seed makes a run reproducible.
    """

    epochs: int
    batch_size: int | None = None
    seed: int | np.random.Generator | None = 0

    def __post_init__(self) -> None:
        require_count(self.epochs, "epochs")
        if self.batch_size is not None:
            require_count(self.batch_size, "batch_size")


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
    optimiser: Optimiser[State],
    train: tuple[ArrayLike, ArrayLike],
    loop: LoopSettings,
    *,
    validation: tuple[ArrayLike, ArrayLike] | None = None,
    accuracy_fn: AccuracyFn | None = None,
) -> tuple[Params, History]:
    """Train ``params`` on ``train = (X (N, d), y (N,))`` as ``loop`` says; return ``(params, History)``.

    ``loss_fn(params, X_b, y_b) -> (loss, grads)`` (e.g. ``mlp_loss``, or a closure fixing its options);
    ``optimiser`` has the pure ``init`` / ``update`` interface of ``dlfoundations.optim``;
    ``loop`` is a :class:`LoopSettings` (epochs, batch size, seed). ``validation = (X_val, y_val)``
    and ``accuracy_fn(params, X, y) -> float`` are optional; see :class:`History` for what is recorded.
    """
    if not isinstance(loop, LoopSettings):
        raise ValueError(f"loop must be LoopSettings(epochs, batch_size, seed), got {type(loop).__name__}")
    X, y = _checked_data(train, "train", "X", "y")
    checked_validation = None if validation is None else _checked_data(validation, "validation", "X_val", "y_val")
    params = {key: np.array(as_float_array(value, f"params[{key!r}]")) for key, value in params.items()}  # a copy
    state = optimiser.init(params)
    rng = np.random.default_rng(loop.seed)
    history = History()
    with assume_finite():  # checked above, once: the steps need not scan X, y and params again
        for epoch in range(1, loop.epochs + 1):
            total = 0.0
            for X_batch, y_batch in _epoch_batches(X, y, loop.batch_size, rng):
                loss, grads = loss_fn(params, X_batch, y_batch)
                loss = float(loss)
                if not math.isfinite(loss):
                    raise ValueError(f"the training loss became {loss} in epoch {epoch}: training diverged "
                                     "(a smaller learning rate may help)")
                params, state = optimiser.update(grads, state, params)
                total += loss * len(X_batch)
            history.train_loss.append(total / len(X))
            _record(history, params, loss_fn, accuracy_fn, (X, y), checked_validation)
    return params, history


def _checked_data(pair: Any, name: str, X_name: str, y_name: str) -> tuple[np.ndarray, np.ndarray]:
    """Read-only views of ``X``, a finite float array ``(N, d)`` (or ``(N,)``), and ``y``, with as many rows.

    Read-only, because batches may be views of them: a loss function cannot modify the caller's data.
    """
    if not isinstance(pair, (tuple, list)) or len(pair) != 2:
        raise ValueError(f"{name} must be a pair ({X_name}, {y_name}), got {type(pair).__name__}")
    X, y = as_float_array(pair[0], X_name, ndim=(1, 2)).view(), np.asarray(pair[1]).view()
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
    validation: tuple[np.ndarray, np.ndarray] | None,
) -> None:
    """Append the end-of-epoch accuracy and validation metrics to ``history``."""
    if accuracy_fn is not None:
        history.train_accuracy.append(float(accuracy_fn(params, *train)))
    if validation is not None:
        history.val_loss.append(float(loss_fn(params, *validation)[0]))
        if accuracy_fn is not None:
            history.val_accuracy.append(float(accuracy_fn(params, *validation)))
