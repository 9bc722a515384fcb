"""Pure (optax-style) optimisers: SGD, Momentum, Adagrad, RMSProp and Adam.

An optimiser is a frozen dataclass holding its hyper-parameters and two methods::

    state = opt.init(params)                               # {"step": 0, ...}
    params, state = opt.update(grads, state, params)       # one step, returns new dicts

``params`` and ``grads`` are dicts of arrays with the same keys and shapes
(``W1, b1, ...``, or a single key such as ``{"p": x}`` for a 2-D surface).
The state is a plain dict: ``"step"`` (how many updates were made so far) and,
per running average, a dict of arrays keyed like ``params``. Nothing passed in
is ever modified: every update builds new arrays and new dicts.

The learning rate ``lr`` is a float or a schedule (see ``dlfoundations.schedules``);
update number ``t = state["step"]`` (0-based) uses ``eta = lr(t)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from dlfoundations.kit._checks import as_float_array, check_positive
from dlfoundations.schedules import LearningRate, check_step, learning_rate_at

__all__ = [
    "Params",
    "State",
    "Optimizer",
    "SGD",
    "Momentum",
    "Adagrad",
    "RMSProp",
    "Adam",
    "run_trajectory",
]

Params = dict[str, np.ndarray]
State = dict[str, Any]


class Optimizer(Protocol):
    """What every optimiser offers: ``init`` and a pure ``update``."""

    def init(self, params: Mapping[str, np.ndarray]) -> State:
        """The optimiser's starting state for ``params`` (step 0, zero accumulators)."""
        ...

    def update(
        self, grads: Mapping[str, np.ndarray], state: State, params: Mapping[str, np.ndarray]
    ) -> tuple[Params, State]:
        """One step: ``(new_params, new_state)`` from the gradients; nothing passed in is modified."""
        ...


# ----------------------------------------------------------------------------- checks


def _check_lr(lr: LearningRate) -> None:
    """A learning rate is a schedule (any callable) or a finite float > 0."""
    if not callable(lr):
        check_positive(lr, "lr")


def _check_decay(value: float, name: str) -> None:
    """Decay rates (beta, rho, beta1, beta2) must be in [0, 1)."""
    number = check_positive(value, name, allow_zero=True)
    if number >= 1:
        raise ValueError(f"{name} must be in [0, 1), got {value!r}")


def _check_params(params: Mapping[str, Any], name: str = "params") -> Params:
    """Return a dict of float64 arrays, refusing empty dicts and NaN/inf entries."""
    if not isinstance(params, Mapping):
        raise ValueError(f"{name} must be a dict of arrays, got {type(params).__name__}")
    if not params:
        raise ValueError(f"{name} is empty; there is nothing to optimise")
    return {key: as_float_array(value, f"{name}[{key!r}]") for key, value in params.items()}


def _check_like(arrays: Mapping[str, Any], name: str, params: Params) -> Params:
    """Check ``arrays`` (grads or a state slot) has exactly the keys and shapes of ``params``."""
    checked = _check_params(arrays, name)
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


def _prepare(
    grads: Mapping[str, Any], state: State, params: Mapping[str, Any], slots: tuple[str, ...]
) -> tuple[Params, Params, int, dict[str, Params]]:
    """Validate one update's inputs; return (params, grads, step, {slot: arrays})."""
    params = _check_params(params)
    grads = _check_like(grads, "grads", params)
    if not isinstance(state, Mapping) or "step" not in state:
        raise ValueError("state must be the dict returned by init() or update(), with a 'step' entry")
    step = check_step(state["step"], "state['step']")
    averages = {}
    for slot in slots:
        if slot not in state:
            raise ValueError(f"state has no {slot!r} entry; was it made by a different optimiser's init()?")
        averages[slot] = _check_like(state[slot], f"state[{slot!r}]", params)
    return params, grads, step, averages


def _zeros_like(params: Mapping[str, Any]) -> Params:
    return {key: np.zeros_like(value) for key, value in _check_params(params).items()}


# ----------------------------------------------------------------------------- optimisers


@dataclass(frozen=True)
class SGD:
    """Plain (stochastic) gradient descent.

    Update at step t:   w <- w - eta_t g
    State: {"step"}.
    """

    lr: LearningRate

    def __post_init__(self) -> None:
        _check_lr(self.lr)

    def init(self, params: Mapping[str, np.ndarray]) -> State:
        """Return the initial state ``{"step": 0}``."""
        _check_params(params)
        return {"step": 0}

    def update(
        self, grads: Mapping[str, np.ndarray], state: State, params: Mapping[str, np.ndarray]
    ) -> tuple[Params, State]:
        """One step ``w <- w - eta_t g`` for every array; returns (new_params, new_state)."""
        params, grads, step, _ = _prepare(grads, state, params, slots=())
        eta = learning_rate_at(self.lr, step)
        new_params = {key: params[key] - eta * grads[key] for key in params}
        return new_params, {"step": step + 1}


@dataclass(frozen=True)
class Momentum:
    """Gradient descent with (heavy-ball) momentum.

    Update at step t:   v <- beta v + g
                        w <- w - eta_t v
    v starts at 0, so v = g_t + beta g_{t-1} + beta^2 g_{t-2} + ...  With beta = 0 this is SGD.
    State: {"step", "v": {name: v}}.
    """

    lr: LearningRate
    beta: float = 0.9

    def __post_init__(self) -> None:
        _check_lr(self.lr)
        _check_decay(self.beta, "beta")

    def init(self, params: Mapping[str, np.ndarray]) -> State:
        """Return ``{"step": 0, "v": zeros like params}``."""
        return {"step": 0, "v": _zeros_like(params)}

    def update(
        self, grads: Mapping[str, np.ndarray], state: State, params: Mapping[str, np.ndarray]
    ) -> tuple[Params, State]:
        """One momentum step (rule in the class docstring); returns (new_params, new_state)."""
        params, grads, step, avg = _prepare(grads, state, params, slots=("v",))
        eta = learning_rate_at(self.lr, step)
        v = {key: self.beta * avg["v"][key] + grads[key] for key in params}
        new_params = {key: params[key] - eta * v[key] for key in params}
        return new_params, {"step": step + 1, "v": v}


@dataclass(frozen=True)
class Adagrad:
    """Adagrad: each weight's step is divided by the root of its summed squared gradients.

    Update at step t:   s <- s + g^2
                        w <- w - eta_t g / (sqrt(s) + eps)
    (all elementwise; s starts at 0).  State: {"step", "s": {name: s}}.
    """

    lr: LearningRate
    eps: float = 1e-8

    def __post_init__(self) -> None:
        _check_lr(self.lr)
        check_positive(self.eps, "eps")

    def init(self, params: Mapping[str, np.ndarray]) -> State:
        """Return ``{"step": 0, "s": zeros like params}``."""
        return {"step": 0, "s": _zeros_like(params)}

    def update(
        self, grads: Mapping[str, np.ndarray], state: State, params: Mapping[str, np.ndarray]
    ) -> tuple[Params, State]:
        """One Adagrad step (rule in the class docstring); returns (new_params, new_state)."""
        params, grads, step, avg = _prepare(grads, state, params, slots=("s",))
        eta = learning_rate_at(self.lr, step)
        s = {key: avg["s"][key] + grads[key] ** 2 for key in params}
        new_params = {key: params[key] - eta * grads[key] / (np.sqrt(s[key]) + self.eps) for key in params}
        return new_params, {"step": step + 1, "s": s}


@dataclass(frozen=True)
class RMSProp:
    """RMSProp: like Adagrad, but s is a moving average, so old gradients are forgotten.

    Update at step t:   s <- rho s + (1 - rho) g^2
                        w <- w - eta_t g / (sqrt(s) + eps)
    (all elementwise; s starts at 0).  State: {"step", "s": {name: s}}.
    """

    lr: LearningRate
    rho: float = 0.9
    eps: float = 1e-8

    def __post_init__(self) -> None:
        _check_lr(self.lr)
        _check_decay(self.rho, "rho")
        check_positive(self.eps, "eps")

    def init(self, params: Mapping[str, np.ndarray]) -> State:
        """Return ``{"step": 0, "s": zeros like params}``."""
        return {"step": 0, "s": _zeros_like(params)}

    def update(
        self, grads: Mapping[str, np.ndarray], state: State, params: Mapping[str, np.ndarray]
    ) -> tuple[Params, State]:
        """One RMSProp step (rule in the class docstring); returns (new_params, new_state)."""
        params, grads, step, avg = _prepare(grads, state, params, slots=("s",))
        eta = learning_rate_at(self.lr, step)
        s = {key: self.rho * avg["s"][key] + (1.0 - self.rho) * grads[key] ** 2 for key in params}
        new_params = {key: params[key] - eta * grads[key] / (np.sqrt(s[key]) + self.eps) for key in params}
        return new_params, {"step": step + 1, "s": s}


@dataclass(frozen=True)
class Adam:
    """Adam: momentum on g and an RMSProp scale, both corrected for starting at 0.

    Update at step t (0-based, so this is update number t + 1):
        m <- beta1 m + (1 - beta1) g
        v <- beta2 v + (1 - beta2) g^2
        m_hat = m / (1 - beta1^(t+1)),   v_hat = v / (1 - beta2^(t+1))
        w <- w - eta_t m_hat / (sqrt(v_hat) + eps)
    (all elementwise; m, v start at 0).  With a constant gradient g, m_hat = g and
    v_hat = g^2 at every step, so each step is about eta_t sign(g).
    State: {"step", "m": {name: m}, "v": {name: v}}.
    """

    lr: LearningRate
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8

    def __post_init__(self) -> None:
        _check_lr(self.lr)
        _check_decay(self.beta1, "beta1")
        _check_decay(self.beta2, "beta2")
        check_positive(self.eps, "eps")

    def init(self, params: Mapping[str, np.ndarray]) -> State:
        """Return ``{"step": 0, "m": zeros like params, "v": zeros like params}``."""
        return {"step": 0, "m": _zeros_like(params), "v": _zeros_like(params)}

    def update(
        self, grads: Mapping[str, np.ndarray], state: State, params: Mapping[str, np.ndarray]
    ) -> tuple[Params, State]:
        """One Adam step (rule in the class docstring); returns (new_params, new_state)."""
        params, grads, step, avg = _prepare(grads, state, params, slots=("m", "v"))
        eta = learning_rate_at(self.lr, step)
        m = {key: self.beta1 * avg["m"][key] + (1.0 - self.beta1) * grads[key] for key in params}
        v = {key: self.beta2 * avg["v"][key] + (1.0 - self.beta2) * grads[key] ** 2 for key in params}
        m_correction = 1.0 - self.beta1 ** (step + 1)
        v_correction = 1.0 - self.beta2 ** (step + 1)
        new_params = {
            key: params[key] - eta * (m[key] / m_correction) / (np.sqrt(v[key] / v_correction) + self.eps)
            for key in params
        }
        return new_params, {"step": step + 1, "m": m, "v": v}


# ----------------------------------------------------------------------------- trajectories


def run_trajectory(
    grad_fn: Callable[[np.ndarray], np.ndarray], x0: np.ndarray, optimizer: Optimizer, steps: int
) -> np.ndarray:
    """Run ``steps`` updates of ``optimizer`` from ``x0`` and return the path, shape ``(steps + 1, d)``.

    ``x0`` is a point ``(d,)`` (``d = 2`` for the surfaces in ``dlfoundations.kit.surfaces``);
    ``grad_fn(x) -> (d,)`` is the gradient there. Row 0 of the path is ``x0``, row
    ``t + 1`` the point after update ``t``.
    """
    x = as_float_array(x0, "x0", ndim=1)
    steps = check_step(steps, "steps")
    params = {"p": x}
    state = optimizer.init(params)
    path = [x]
    for _ in range(steps):
        params, state = optimizer.update({"p": grad_fn(params["p"])}, state, params)
        path.append(params["p"])
    return np.stack(path)
