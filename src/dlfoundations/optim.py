"""Pure (optax-style) optimisers: SGD, Momentum, Adagrad, RMSProp and Adam.

An optimiser is a frozen dataclass holding its hyper-parameters, with two methods::

    state = opt.init(params)                               # e.g. AdamState(m=0, v=0, t=0)
    params, state = opt.update(grads, state, params)       # one step: new dicts, new state

``params`` and ``grads`` are dicts of arrays with the same keys and shapes
(``W1, b1, ...``, or ``{"p": x}`` for a 2-D surface). Each optimiser's state is a
NamedTuple of its own: its running averages, each a dict keyed like ``params``,
and ``t``, the number of updates made so far. Nothing passed in is ever
modified: an update builds new arrays, new dicts and a new state.

The learning rate ``lr`` is a float or a schedule (see ``dlfoundations.schedules``);
update number ``t = state.t`` (0-based) uses ``eta = lr(t)``. Each ``update``
writes its rule out as in the docstring, one parameter array at a time (SGD's
``w - eta g`` through ``_minus_scaled``, which saves a temporary array).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

import numpy as np

from dlfoundations.kit.validation import as_float_array, require_arrays, require_count, require_like, require_positive
from dlfoundations.schedules import learning_rate_at
from dlfoundations.types import LearningRate, Optimiser, Params, State

__all__ = ["SGD", "SGDState", "Momentum", "MomentumState", "Adagrad", "AdagradState", "RMSProp", "RMSPropState",
           "Adam", "AdamState", "run_trajectory"]


class SGDState(NamedTuple):
    """SGD keeps no average: only ``t``, the number of updates made so far (for a schedule)."""

    t: int


@dataclass(frozen=True)
class SGD:
    """Plain (stochastic) gradient descent:   w <- w - eta_t g."""

    lr: LearningRate

    def __post_init__(self) -> None:
        _require_lr(self.lr)

    def init(self, params: Mapping[str, np.ndarray]) -> SGDState:
        """``SGDState(t=0)``: no update made yet."""
        require_arrays(params, "params")
        return SGDState(t=0)

    def update(
        self, grads: Mapping[str, np.ndarray], state: SGDState, params: Mapping[str, np.ndarray]
    ) -> tuple[Params, SGDState]:
        """``w <- w - eta_t g`` for every parameter array; returns ``(new_params, new_state)``."""
        params, grads, state = _require_step(grads, state, params, SGDState)
        eta = learning_rate_at(self.lr, state.t)
        new_params = {key: _minus_scaled(w, eta, grads[key]) for key, w in params.items()}  # w - eta g
        return new_params, SGDState(t=state.t + 1)


class MomentumState(NamedTuple):
    """Momentum's state: the velocity ``v`` (one array per parameter) and ``t`` updates made so far."""

    v: Params
    t: int


@dataclass(frozen=True)
class Momentum:
    """Gradient descent with (heavy-ball) momentum.

    Update at step t:   v <- beta v + g
                        w <- w - eta_t v
    v starts at 0, so v = g_t + beta g_{t-1} + beta^2 g_{t-2} + ...  With beta = 0 this is SGD.
    """

    lr: LearningRate
    beta: float = 0.9

    def __post_init__(self) -> None:
        _require_lr(self.lr)
        _require_decay(self.beta, "beta")

    def init(self, params: Mapping[str, np.ndarray]) -> MomentumState:
        """``MomentumState(v=0, t=0)``, with a zero velocity shaped like each parameter."""
        return MomentumState(v=_zeros_like(params), t=0)

    def update(
        self, grads: Mapping[str, np.ndarray], state: MomentumState, params: Mapping[str, np.ndarray]
    ) -> tuple[Params, MomentumState]:
        """One momentum step (see the class docstring); returns ``(new_params, new_state)``."""
        params, grads, state = _require_step(grads, state, params, MomentumState)
        eta = learning_rate_at(self.lr, state.t)
        new_params, new_v = {}, {}
        for key, w in params.items():
            v = self.beta * state.v[key] + grads[key]
            new_params[key] = w - eta * v
            new_v[key] = v
        return new_params, MomentumState(v=new_v, t=state.t + 1)


class AdagradState(NamedTuple):
    """Adagrad's state: ``s``, the sum of squared gradients per weight, and ``t`` updates made so far."""

    s: Params
    t: int


@dataclass(frozen=True)
class Adagrad:
    """Adagrad: each weight's step is divided by the root of its summed squared gradients.

    Update at step t:   s <- s + g^2
                        w <- w - eta_t g / (sqrt(s) + eps)
    (all elementwise; s starts at 0).
    """

    lr: LearningRate
    eps: float = 1e-8

    def __post_init__(self) -> None:
        _require_lr(self.lr)
        require_positive(self.eps, "eps")

    def init(self, params: Mapping[str, np.ndarray]) -> AdagradState:
        """``AdagradState(s=0, t=0)``, with a zero sum shaped like each parameter."""
        return AdagradState(s=_zeros_like(params), t=0)

    def update(
        self, grads: Mapping[str, np.ndarray], state: AdagradState, params: Mapping[str, np.ndarray]
    ) -> tuple[Params, AdagradState]:
        """One Adagrad step (see the class docstring); returns ``(new_params, new_state)``."""
        params, grads, state = _require_step(grads, state, params, AdagradState)
        eta = learning_rate_at(self.lr, state.t)
        new_params, new_s = {}, {}
        for key, w in params.items():
            g = grads[key]
            s = state.s[key] + g**2
            new_params[key] = w - eta * g / (np.sqrt(s) + self.eps)
            new_s[key] = s
        return new_params, AdagradState(s=new_s, t=state.t + 1)


class RMSPropState(NamedTuple):
    """RMSProp's state: ``s``, the moving average of squared gradients, and ``t`` updates made so far."""

    s: Params
    t: int


@dataclass(frozen=True)
class RMSProp:
    """RMSProp: like Adagrad, but s is a moving average, so old gradients are forgotten.

    Update at step t:   s <- rho s + (1 - rho) g^2
                        w <- w - eta_t g / (sqrt(s) + eps)
    (all elementwise; s starts at 0).
    """

    lr: LearningRate
    rho: float = 0.9
    eps: float = 1e-8

    def __post_init__(self) -> None:
        _require_lr(self.lr)
        _require_decay(self.rho, "rho")
        require_positive(self.eps, "eps")

    def init(self, params: Mapping[str, np.ndarray]) -> RMSPropState:
        """``RMSPropState(s=0, t=0)``, with a zero average shaped like each parameter."""
        return RMSPropState(s=_zeros_like(params), t=0)

    def update(
        self, grads: Mapping[str, np.ndarray], state: RMSPropState, params: Mapping[str, np.ndarray]
    ) -> tuple[Params, RMSPropState]:
        """One RMSProp step (see the class docstring); returns ``(new_params, new_state)``."""
        params, grads, state = _require_step(grads, state, params, RMSPropState)
        eta = learning_rate_at(self.lr, state.t)
        new_params, new_s = {}, {}
        for key, w in params.items():
            g = grads[key]
            s = self.rho * state.s[key] + (1 - self.rho) * g**2
            new_params[key] = w - eta * g / (np.sqrt(s) + self.eps)
            new_s[key] = s
        return new_params, RMSPropState(s=new_s, t=state.t + 1)


class AdamState(NamedTuple):
    """Adam's state: the averages ``m`` (of g) and ``v`` (of g^2) per weight, and ``t`` updates made so far."""

    m: Params
    v: Params
    t: int


@dataclass(frozen=True)
class Adam:
    """Adam: momentum on g and an RMSProp scale, both corrected for starting at 0.

    Update number t = 1, 2, ... (``state.t + 1``; its learning rate is ``eta = lr(t - 1)``):
        m <- beta1 m + (1 - beta1) g
        v <- beta2 v + (1 - beta2) g^2
        m_hat = m / (1 - beta1^t),   v_hat = v / (1 - beta2^t)
        w <- w - eta m_hat / (sqrt(v_hat) + eps)
    (all elementwise; m, v start at 0).  With a constant gradient g, m_hat = g and
    v_hat = g^2 at every step, so each step is about eta sign(g).
    """

    lr: LearningRate
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8

    def __post_init__(self) -> None:
        _require_lr(self.lr)
        _require_decay(self.beta1, "beta1")
        _require_decay(self.beta2, "beta2")
        require_positive(self.eps, "eps")

    def init(self, params: Mapping[str, np.ndarray]) -> AdamState:
        """``AdamState(m=0, v=0, t=0)``, with zero averages shaped like each parameter."""
        return AdamState(m=_zeros_like(params), v=_zeros_like(params), t=0)

    def update(
        self, grads: Mapping[str, np.ndarray], state: AdamState, params: Mapping[str, np.ndarray]
    ) -> tuple[Params, AdamState]:
        """One Adam step (see the class docstring); returns ``(new_params, new_state)``."""
        params, grads, state = _require_step(grads, state, params, AdamState)
        eta = learning_rate_at(self.lr, state.t)
        t = state.t + 1
        new_params, new_m, new_v = {}, {}, {}
        for key, w in params.items():
            g = grads[key]
            m = self.beta1 * state.m[key] + (1 - self.beta1) * g
            v = self.beta2 * state.v[key] + (1 - self.beta2) * g**2
            m_hat = m / (1 - self.beta1**t)
            v_hat = v / (1 - self.beta2**t)
            new_params[key] = w - eta * m_hat / (np.sqrt(v_hat) + self.eps)
            new_m[key], new_v[key] = m, v
        return new_params, AdamState(m=new_m, v=new_v, t=t)


def run_trajectory(
    grad_fn: Callable[[np.ndarray], np.ndarray], x0: np.ndarray, optimiser: Optimiser[State], steps: int
) -> np.ndarray:
    """Run ``steps`` updates of ``optimiser`` from ``x0`` and return the path, shape ``(steps + 1, d)``.

    ``x0`` is a point ``(d,)`` (``d = 2`` for the surfaces in ``dlfoundations.kit.surfaces``);
    ``grad_fn(x) -> (d,)`` is the gradient there. Row 0 of the path is ``x0``, row
    ``t + 1`` the point after update ``t``.
    """
    x = as_float_array(x0, "x0", ndim=1)
    steps = require_count(steps, "steps", minimum=0)
    params = {"p": x}
    state = optimiser.init(params)
    path = [x]
    for _ in range(steps):
        params, state = optimiser.update({"p": grad_fn(params["p"])}, state, params)
        path.append(params["p"])
    return np.stack(path)


# ----------------------------------------------------------------------------- checking the inputs

_State = TypeVar("_State", SGDState, MomentumState, AdagradState, RMSPropState, AdamState)


def _require_lr(lr: LearningRate) -> None:
    """A learning rate is a schedule (any callable) or a finite float > 0."""
    if not callable(lr):
        require_positive(lr, "lr")


def _require_decay(value: float, name: str) -> None:
    """Decay rates (beta, rho, beta1, beta2) must be in [0, 1)."""
    if require_positive(value, name, allow_zero=True) >= 1:
        raise ValueError(f"{name} must be in [0, 1), got {value!r}")


def _require_step(grads: Mapping[str, Any], state: _State, params: Mapping[str, Any],
                  kind: type[_State]) -> tuple[Params, Params, _State]:
    """Checked ``(params, grads, state)`` for one update: grads and the state's averages shaped like params,
    the state a ``kind`` (made by this optimiser's init) with ``t >= 0``."""
    checked = require_arrays(params, "params")
    if not isinstance(state, kind):
        raise ValueError(f"state must be the {kind.__name__} made by this optimiser's init() or update(), "
                         f"got {type(state).__name__}")
    require_count(state.t, "state.t", minimum=0)
    state = kind._make(value if name == "t" else require_like(value, f"state.{name}", checked)
                       for name, value in state._asdict().items())
    return checked, require_like(grads, "grads", checked), state


def _minus_scaled(w: np.ndarray, eta: float, g: np.ndarray) -> np.ndarray:
    """``w - eta * g`` in one new array, without the temporary ``eta * g``: the module's only speed trick
    (SGD's step runs once per minibatch of ``training.fit``; the temporary costs about 5 % of an epoch)."""
    out: np.ndarray = np.multiply(g, -eta, dtype=np.result_type(w, g))
    out += w
    return out


def _zeros_like(params: Mapping[str, Any]) -> Params:
    """A running average at its start: zeros shaped (and typed) like each parameter."""
    return {key: np.zeros_like(value) for key, value in require_arrays(params, "params").items()}
