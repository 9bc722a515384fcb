"""The types the modules of the library share, in one place.

    Params        ``{"W1": array, "b1": array, ...}``: a model's parameters, and their gradients
                  (the same keys and shapes)
    Schedule      ``t -> learning rate`` for update number t (0, 1, 2, ...)
    LearningRate  a float (the same rate at every update) or a Schedule
    LossFn        ``(params, X, y) -> (loss, grads)``, e.g. ``mlp.mlp_loss``
    AccuracyFn    ``(params, X, y) -> accuracy``, a float in [0, 1]
    Optimiser     what every optimiser of :mod:`dlfoundations.optim` offers: a pure
                  ``init`` / ``update`` pair, generic in the type of its state
    State         the type variable for that state (each optimiser has its own NamedTuple:
                  ``SGDState``, ``MomentumState``, ``AdagradState``, ``RMSPropState``, ``AdamState``)

Only the standard library and numpy are imported here, so every module of the
library can import this one without importing another.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol, TypeVar

import numpy as np

__all__ = ["Params", "Schedule", "LearningRate", "LossFn", "AccuracyFn", "State", "Optimiser"]

Params = dict[str, np.ndarray]
"""Parameters, and gradients, of every model in the library: ``{"W1": array, "b1": array, ...}``."""

Schedule = Callable[[int], float]
"""A learning-rate schedule: ``schedule(t)`` is the rate of update number t (0-based)."""

LearningRate = float | Schedule
"""A learning rate: a float, or a :data:`Schedule`."""

LossFn = Callable[[Params, np.ndarray, np.ndarray], tuple[float, Params]]
"""``loss_fn(params, X, y) -> (loss, grads)``, grads keyed like params."""

AccuracyFn = Callable[[Params, np.ndarray, np.ndarray], float]
"""``accuracy_fn(params, X, y) -> float``, the fraction of correct predictions."""

State = TypeVar("State")
"""The type of an optimiser's state (a NamedTuple of its own, made by its ``init``)."""


class Optimiser(Protocol[State]):
    """What every optimiser offers: ``init`` and a pure ``update``.

    ``state = opt.init(params)``, then ``params, state = opt.update(grads, state, params)``
    once per step; nothing passed in is modified.
    """

    def init(self, params: Mapping[str, np.ndarray]) -> State:
        """The optimiser's starting state for ``params`` (no update made, running averages at 0)."""
        ...

    def update(
        self, grads: Mapping[str, np.ndarray], state: State, params: Mapping[str, np.ndarray]
    ) -> tuple[Params, State]:
        """One step: ``(new_params, new_state)`` from the gradients; nothing passed in is modified."""
        ...
