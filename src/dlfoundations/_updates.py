"""What the optimisers of :mod:`dlfoundations.optim` share: checking one update's inputs, and the arithmetic.

The arithmetic helpers build each result in one new array and then work in
place on it (and on a scratch array they allocated themselves), so that an
update makes no temporaries beyond the arrays it returns; nothing passed in is
ever modified.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from dlfoundations.kit.validation import as_float_array, require_count, require_positive

if TYPE_CHECKING:
    from dlfoundations.optim import Params, State
    from dlfoundations.schedules import LearningRate

# ----------------------------------------------------------------------------- checks



def check_lr(lr: LearningRate) -> None:
    """A learning rate is a schedule (any callable) or a finite float > 0."""
    if not callable(lr):
        require_positive(lr, "lr")


def check_decay(value: float, name: str) -> None:
    """Decay rates (beta, rho, beta1, beta2) must be in [0, 1)."""
    number = require_positive(value, name, allow_zero=True)
    if number >= 1:
        raise ValueError(f"{name} must be in [0, 1), got {value!r}")


def check_params(params: Mapping[str, Any], name: str = "params") -> Params:
    """Return a dict of float64 arrays, refusing empty dicts and NaN/inf entries."""
    if not isinstance(params, Mapping):
        raise ValueError(f"{name} must be a dict of arrays, got {type(params).__name__}")
    if not params:
        raise ValueError(f"{name} is empty; there is nothing to optimise")
    return {key: as_float_array(value, f"{name}[{key!r}]") for key, value in params.items()}


def check_like(arrays: Mapping[str, Any], name: str, params: Params) -> Params:
    """Check ``arrays`` (grads or a state slot) has exactly the keys and shapes of ``params``."""
    checked = check_params(arrays, name)
    if set(checked) != set(params):
        missing = sorted(set(params) - set(checked))
        extra = sorted(set(checked) - set(params))
        raise ValueError(f"{name} must have the same keys as params: missing {missing}, unexpected {extra}")
    for key, value in checked.items():
        if value.shape != params[key].shape:
            raise ValueError(
                f"{name}[{key!r}] has shape {value.shape} but params[{key!r}] has shape {params[key].shape}"
            )
    return checked


def prepare(
    grads: Mapping[str, Any], state: State, params: Mapping[str, Any], slots: tuple[str, ...]
) -> tuple[Params, Params, int, dict[str, Params]]:
    """Validate one update's inputs; return (params, grads, step, {slot: arrays})."""
    params = check_params(params)
    grads = check_like(grads, "grads", params)
    if not isinstance(state, Mapping) or "step" not in state:
        raise ValueError("state must be the dict returned by init() or update(), with a 'step' entry")
    step = require_count(state["step"], "state['step']", minimum=0)
    averages = {}
    for slot in slots:
        if slot not in state:
            raise ValueError(f"state has no {slot!r} entry; was it made by a different optimiser's init()?")
        averages[slot] = check_like(state[slot], f"state[{slot!r}]", params)
    return params, grads, step, averages


def zeros_like_params(params: Mapping[str, Any]) -> Params:
    return {key: np.zeros_like(value) for key, value in check_params(params).items()}


def decayed(average: np.ndarray, decay: float, new: np.ndarray) -> np.ndarray:
    """``decay * average + new`` in one new array."""
    out = np.multiply(average, decay, dtype=np.result_type(average, new))
    out += new
    return out


def descend(p: np.ndarray, direction: np.ndarray, eta: float) -> np.ndarray:
    """``p - eta * direction`` in one new array."""
    out = np.multiply(direction, -eta, dtype=np.result_type(p, direction))
    out += p
    return out


def descend_scaled(
    p: np.ndarray, direction: np.ndarray, s: np.ndarray, eta: float, eps: float, out: np.ndarray | None = None
) -> np.ndarray:
    """``p - eta * direction / (sqrt(s) + eps)`` elementwise, into ``out`` (a scratch array of ours) or a new array."""
    out = np.sqrt(s, out=out, dtype=None if out is not None else np.result_type(p, direction, s))
    out += eps
    np.divide(direction, out, out=out)
    out *= -eta
    out += p
    return out


def scaled(g: np.ndarray, factor: float, p: np.ndarray, square: bool = False) -> np.ndarray:
    """``factor * g`` (or ``factor * g²``) in one new array of the dtype the update computes in."""
    out = np.square(g, dtype=np.result_type(p, g)) if square else np.array(g, dtype=np.result_type(p, g))
    out *= factor
    return out
