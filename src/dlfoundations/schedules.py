"""Learning-rate schedules: functions of the step number ``t`` (0, 1, 2, ...).

Each factory below checks its arguments once and returns a plain function
``schedule(t: int) -> float``. An optimiser calls it at every update with the
0-based step count, so ``schedule(0)`` is the learning rate of the first update.

    constant           eta_t = lr
    step_decay         eta_t = lr * drop ** floor(t / every)
    exponential_decay  eta_t = lr * rate ** t
    inverse_time       eta_t = lr / (1 + k t)
    cosine             eta_t = lr_min + (lr - lr_min) (1 + cos(pi t / T)) / 2     (t <= T)
    linear_warmup      eta_t = base(0) (t + 1) / W  for t < W,  base(t - W) afterwards

Anywhere the course accepts a learning rate it accepts either a float or one
of these schedules (the type ``dlfoundations.types.LearningRate``);
:func:`learning_rate_at` turns either into a number.
"""

from __future__ import annotations

import math

from dlfoundations.kit.validation import require_count, require_positive
from dlfoundations.types import LearningRate, Schedule

__all__ = [
    "learning_rate_at",
    "constant",
    "step_decay",
    "exponential_decay",
    "inverse_time",
    "cosine",
    "linear_warmup",
]


def _check_fraction(value: float, name: str) -> float:
    """Return ``value`` as a float after checking 0 < value <= 1."""
    number = require_positive(value, name)
    if number > 1:
        raise ValueError(f"{name} must be in (0, 1] so the learning rate never grows, got {value!r}")
    return number


def learning_rate_at(lr: LearningRate, step: int) -> float:
    """The learning rate used by update number ``step`` (0-based).

    ``lr`` is a float (the same rate at every step) or a schedule, in which
    case the result is ``lr(step)``. The result must be a finite number >= 0
    (a schedule may decay to exactly 0, e.g. :func:`cosine` at its end).
    """
    step = require_count(step, "step", minimum=0)
    value = lr(step) if callable(lr) else lr
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"the learning rate at step {step} must be a number, got {value!r}") from None
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"the learning rate at step {step} must be a finite number >= 0, got {value!r}")
    return number


def constant(lr: float) -> Schedule:
    """The same learning rate at every step: ``eta_t = lr``."""
    lr = require_positive(lr, "lr")

    def schedule(step: int) -> float:
        require_count(step, "step", minimum=0)
        return lr

    return schedule


def step_decay(lr: float, drop: float = 0.5, every: int = 10) -> Schedule:
    """Multiply the rate by ``drop`` every ``every`` steps: ``eta_t = lr * drop ** floor(t / every)``.

    With the defaults the rate halves after steps 10, 20, 30, ...
    """
    lr = require_positive(lr, "lr")
    drop = _check_fraction(drop, "drop")
    every = require_count(every, "every")

    def schedule(step: int) -> float:
        return lr * drop ** (require_count(step, "step", minimum=0) // every)

    return schedule


def exponential_decay(lr: float, rate: float) -> Schedule:
    """Shrink the rate by the factor ``rate`` at every step: ``eta_t = lr * rate ** t``.

    ``rate`` is in (0, 1]; e.g. ``rate = 0.99`` halves the rate about every 69 steps.
    """
    lr = require_positive(lr, "lr")
    rate = _check_fraction(rate, "rate")

    def schedule(step: int) -> float:
        return lr * rate ** require_count(step, "step", minimum=0)

    return schedule


def inverse_time(lr: float, k: float) -> Schedule:
    """The 1/t decay ``eta_t = lr / (1 + k t)``, with ``k >= 0``.

    It satisfies the classic step-size conditions: sum eta_t = inf, sum eta_t^2 < inf (k > 0).
    """
    lr = require_positive(lr, "lr")
    k = require_positive(k, "k", allow_zero=True)

    def schedule(step: int) -> float:
        return lr / (1.0 + k * require_count(step, "step", minimum=0))

    return schedule


def cosine(lr: float, total_steps: int, lr_min: float = 0.0) -> Schedule:
    """Half a cosine from ``lr`` down to ``lr_min`` over ``T = total_steps`` steps.

    ``eta_t = lr_min + (lr - lr_min) * (1 + cos(pi * t / T)) / 2`` for ``t <= T``,
    and ``eta_t = lr_min`` for ``t > T``. So ``eta_0 = lr`` and ``eta_T = lr_min``.
    """
    lr = require_positive(lr, "lr")
    total_steps = require_count(total_steps, "total_steps")
    lr_min = require_positive(lr_min, "lr_min", allow_zero=True)
    if lr_min > lr:
        raise ValueError(f"lr_min must not exceed lr, got lr_min={lr_min!r} > lr={lr!r}")

    def schedule(step: int) -> float:
        t = min(require_count(step, "step", minimum=0), total_steps)
        return lr_min + (lr - lr_min) * 0.5 * (1.0 + math.cos(math.pi * t / total_steps))

    return schedule


def linear_warmup(base: LearningRate, warmup_steps: int) -> Schedule:
    """Ramp up linearly for ``W = warmup_steps`` steps, then follow ``base``.

    ``eta_t = base(0) * (t + 1) / W`` for ``t < W`` and ``eta_t = base(t - W)`` for
    ``t >= W``; ``base`` is a float (a constant rate) or another schedule, which
    starts from its own step 0 when the warm-up ends.
    """
    warmup_steps = require_count(warmup_steps, "warmup_steps")
    if not callable(base):
        base = require_positive(base, "base")
    peak = learning_rate_at(base, 0)

    def schedule(step: int) -> float:
        step = require_count(step, "step", minimum=0)
        if step < warmup_steps:
            return peak * (step + 1) / warmup_steps
        return learning_rate_at(base, step - warmup_steps)

    return schedule
