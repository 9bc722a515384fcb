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

Each update allocates only the arrays it returns (the new parameters and the
new running averages) and works in place on those fresh arrays, so a step
costs a few passes over the parameters and no hidden temporaries.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import numpy as np

from dlfoundations._updates import (
    check_decay,
    check_lr,
    check_params,
    decayed,
    descend,
    descend_scaled,
    prepare,
    scaled,
    zeros_like_params,
)
from dlfoundations.kit.validation import as_float_array, require_count, require_positive
from dlfoundations.schedules import LearningRate, learning_rate_at

__all__ = [
    "Params",
    "State",
    "Optimiser",
    "SGD",
    "Momentum",
    "Adagrad",
    "RMSProp",
    "Adam",
    "run_trajectory",
]

Params = dict[str, np.ndarray]
"""Parameters, and gradients, of every model in the library: ``{"W1": array, "b1": array, ...}``."""
State = dict[str, Any]


class Optimiser(Protocol):
    """What every optimiser offers: ``init`` and a pure ``update``."""

    def init(self, params: Mapping[str, np.ndarray]) -> State:
        """The optimiser's starting state for ``params`` (step 0, zero accumulators)."""
        ...

    def update(
        self, grads: Mapping[str, np.ndarray], state: State, params: Mapping[str, np.ndarray]
    ) -> tuple[Params, State]:
        """One step: ``(new_params, new_state)`` from the gradients; nothing passed in is modified."""
        ...


# ----------------------------------------------------------------------------- optimisers

Slots = dict[str, Params]  # the running averages, by name ("v", "s", "m"), each keyed like params


@dataclass(frozen=True)
class _Pure:
    """What the optimisers share: ``init`` and a checked, pure ``update`` around each one's ``_rule``."""

    lr: LearningRate
    SLOTS: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        check_lr(self.lr)
        self._check()

    def _check(self) -> None:
        """Check the hyper-parameters other than lr (none here)."""

    def init(self, params: Mapping[str, np.ndarray]) -> State:
        """The starting state: ``{"step": 0}`` and, per running average of the rule, zeros like ``params``."""
        checked = check_params(params)
        return {"step": 0, **{slot: zeros_like_params(checked) for slot in self.SLOTS}}

    def update(
        self, grads: Mapping[str, np.ndarray], state: State, params: Mapping[str, np.ndarray]
    ) -> tuple[Params, State]:
        """One step of the rule in the class docstring; returns ``(new_params, new_state)``, modifying nothing."""
        params, grads, step, averages = prepare(grads, state, params, slots=self.SLOTS)
        new_params, new_averages = self._rule(params, grads, averages, learning_rate_at(self.lr, step), step)
        return new_params, {"step": step + 1, **new_averages}

    def _rule(self, params: Params, grads: Params, averages: Slots, eta: float, step: int) -> tuple[Params, Slots]:
        raise NotImplementedError


@dataclass(frozen=True)
class SGD(_Pure):
    """Plain (stochastic) gradient descent.

    Update at step t:   w <- w - eta_t g
    State: {"step"}.
    """

    def _rule(self, params: Params, grads: Params, averages: Slots, eta: float, step: int) -> tuple[Params, Slots]:
        return {key: descend(p, grads[key], eta) for key, p in params.items()}, {}


@dataclass(frozen=True)
class Momentum(_Pure):
    """Gradient descent with (heavy-ball) momentum.

    Update at step t:   v <- beta v + g
                        w <- w - eta_t v
    v starts at 0, so v = g_t + beta g_{t-1} + beta^2 g_{t-2} + ...  With beta = 0 this is SGD.
    State: {"step", "v": {name: v}}.
    """

    beta: float = 0.9
    SLOTS: ClassVar[tuple[str, ...]] = ("v",)

    def _check(self) -> None:
        check_decay(self.beta, "beta")

    def _rule(self, params: Params, grads: Params, averages: Slots, eta: float, step: int) -> tuple[Params, Slots]:
        v = {key: decayed(averages["v"][key], self.beta, grads[key]) for key in params}
        return {key: descend(p, v[key], eta) for key, p in params.items()}, {"v": v}


@dataclass(frozen=True)
class Adagrad(_Pure):
    """Adagrad: each weight's step is divided by the root of its summed squared gradients.

    Update at step t:   s <- s + g^2
                        w <- w - eta_t g / (sqrt(s) + eps)
    (all elementwise; s starts at 0).  State: {"step", "s": {name: s}}.
    """

    eps: float = 1e-8
    SLOTS: ClassVar[tuple[str, ...]] = ("s",)

    def _check(self) -> None:
        require_positive(self.eps, "eps")

    def _rule(self, params: Params, grads: Params, averages: Slots, eta: float, step: int) -> tuple[Params, Slots]:
        s = {key: scaled(grads[key], 1.0, p, square=True) for key, p in params.items()}  # g², then s + g²
        for key in s:
            s[key] += averages["s"][key]
        return {key: descend_scaled(p, grads[key], s[key], eta, self.eps) for key, p in params.items()}, {"s": s}


@dataclass(frozen=True)
class RMSProp(_Pure):
    """RMSProp: like Adagrad, but s is a moving average, so old gradients are forgotten.

    Update at step t:   s <- rho s + (1 - rho) g^2
                        w <- w - eta_t g / (sqrt(s) + eps)
    (all elementwise; s starts at 0).  State: {"step", "s": {name: s}}.
    """

    rho: float = 0.9
    eps: float = 1e-8
    SLOTS: ClassVar[tuple[str, ...]] = ("s",)

    def _check(self) -> None:
        check_decay(self.rho, "rho")
        require_positive(self.eps, "eps")

    def _rule(self, params: Params, grads: Params, averages: Slots, eta: float, step: int) -> tuple[Params, Slots]:
        new_params, s = {}, {}
        for key, p in params.items():
            scratch = scaled(grads[key], 1.0 - self.rho, p, square=True)  # (1 - rho) g², then reused
            s[key] = decayed(averages["s"][key], self.rho, scratch)
            new_params[key] = descend_scaled(p, grads[key], s[key], eta, self.eps, out=scratch)
        return new_params, {"s": s}


@dataclass(frozen=True)
class Adam(_Pure):
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

    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    SLOTS: ClassVar[tuple[str, ...]] = ("m", "v")

    def _check(self) -> None:
        check_decay(self.beta1, "beta1")
        check_decay(self.beta2, "beta2")
        require_positive(self.eps, "eps")

    def _rule(self, params: Params, grads: Params, averages: Slots, eta: float, step: int) -> tuple[Params, Slots]:
        m_correction = 1.0 - self.beta1 ** (step + 1)
        v_correction = 1.0 - self.beta2 ** (step + 1)
        new_params, m, v = {}, {}, {}
        for key, p in params.items():
            g = grads[key]
            scratch = scaled(g, 1.0 - self.beta1, p)  # (1 - beta1) g, then (1 - beta2) g², then v_hat
            m[key] = decayed(averages["m"][key], self.beta1, scratch)
            np.square(g, out=scratch)
            scratch *= 1.0 - self.beta2
            v[key] = decayed(averages["v"][key], self.beta2, scratch)
            np.divide(v[key], v_correction, out=scratch)
            # w - eta m_hat / (sqrt(v_hat) + eps) = w - (eta / m_correction) m / (sqrt(v_hat) + eps)
            new_params[key] = descend_scaled(p, m[key], scratch, eta / m_correction, self.eps, out=scratch)
        return new_params, {"m": m, "v": v}


# ----------------------------------------------------------------------------- trajectories


def run_trajectory(
    grad_fn: Callable[[np.ndarray], np.ndarray], x0: np.ndarray, optimiser: Optimiser, steps: int
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
