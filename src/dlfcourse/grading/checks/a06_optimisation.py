"""Hidden tests of assignment 06-optimisation: optimiser steps, learning-rate schedules and a training loop.

The students' optimisers are pure functions on one array::

    new_w, new_state = xxx_step(w, g, state, lr, *hyper)

with the state a dict (momentum ``{"v"}``, Adagrad and RMSProp ``{"s"}``, Adam
``{"m", "v", "t"}``, where t counts the updates already made). Each check runs
a short trajectory (several consecutive steps on fresh random gradients, the
student's own state fed back) next to the reference optimiser of
:mod:`dlfoundations.optim` (``init``/``update`` on ``{"w": w}``, 0-based step),
and compares the *updates* ``new_w - w``, so that a flipped sign or a wrong
factor is named as such.

Diagnoses of their own: a state dict modified in place (mutates-input), Adam
without bias correction, and a first step that is right followed by a wrong
second step (the state is not carried from one step to the next).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from dlfoundations import optim, schedules
from dlfoundations.grading import guard
from dlfoundations.grading.check import Case, check_against_reference
from dlfoundations.grading.compare import assert_matches, values_match
from dlfoundations.grading.failure import GradingFailure
from dlfoundations.grading.inputs import fresh_rng

__all__ = ["check_momentum", "check_adagrad", "check_rmsprop", "check_adam", "check_schedules",
           "check_run_optimiser"]

STEPS = 4  # consecutive updates per trajectory


@dataclass(frozen=True)
class Rule:
    """An update rule: the student's function name, the reference optimiser and the student's state format."""

    name: str
    make: Callable[..., Any]  # (lr, *hyper) -> a dlfoundations.optim optimiser
    slots: tuple[str, ...]  # the arrays in the state, e.g. ("m", "v")
    counts_steps: bool  # the state also holds t, the number of updates made so far
    draw_hyper: Callable[[np.random.Generator], tuple]  # random hyper-parameters, in the order after lr

    def initial_state(self, w: np.ndarray) -> dict[str, Any]:
        state: dict[str, Any] = {slot: np.zeros_like(w) for slot in self.slots}
        if self.counts_steps:
            state["t"] = 0
        return state


def _eps(rng: np.random.Generator) -> float:
    return float(10.0 ** rng.uniform(-8.0, -6.5))


MOMENTUM = Rule("momentum_step", lambda lr, beta: optim.Momentum(lr, beta), ("v",), False,
                lambda rng: (float(rng.uniform(0.5, 0.95)),))
ADAGRAD = Rule("adagrad_step", lambda lr, eps: optim.Adagrad(lr, eps), ("s",), False, lambda rng: (_eps(rng),))
RMSPROP = Rule("rmsprop_step", lambda lr, rho, eps: optim.RMSProp(lr, rho, eps), ("s",), False,
               lambda rng: (float(rng.uniform(0.5, 0.95)), _eps(rng)))
ADAM = Rule("adam_step", lambda lr, beta1, beta2, eps: optim.Adam(lr, beta1, beta2, eps), ("m", "v"), True,
            lambda rng: (float(rng.uniform(0.8, 0.95)), float(rng.uniform(0.9, 0.999)), _eps(rng)))


# ----------------------------------------------------------------------------- guarded calls


def _call_step(fn: Callable, w: np.ndarray, g: np.ndarray, state: dict, lr: float, hyper: tuple,
               rule: Rule, case: str) -> tuple[np.ndarray, Mapping]:
    """One guarded call; checks the state was not modified and the result is (new_w, new_state dict)."""
    what = f"`{rule.name}`"
    before = guard.snapshot(state)
    result = guard.call_student(fn, w, g, state, lr, *hyper, what=what)
    if not guard.unchanged(before, state):
        raise GradingFailure("mutates-input", f"{what} modified the state dict it was given (an entry was changed "
                             "in place or replaced). Build and return a new dict (`new_state = {...}`) instead of "
                             "assigning into `state`, and leave `state` as it was.")
    if not isinstance(result, (tuple, list)) or len(result) != 2 or not isinstance(result[1], Mapping):
        raise GradingFailure("wrong-type", f"{case[:1].upper()}{case[1:]}, {what} should return the pair "
                             f"(new_w, new_state) with new_state a dict, but it returned {type(result).__name__}.")
    missing = [key for key in rule.slots + (("t",) if rule.counts_steps else ()) if key not in result[1]]
    if missing:
        raise GradingFailure("wrong-type", f"{case[:1].upper()}{case[1:]}, the new state returned by {what} has no "
                             f"entry {missing}: it must have the same keys as the state it was given.")
    try:
        new_w = np.asarray(result[0], dtype=np.float64)
    except (TypeError, ValueError):
        raise GradingFailure("wrong-type", f"{what} should return new_w as a numpy array, but it returned "
                             f"{type(result[0]).__name__}.") from None
    return new_w, result[1]


# ----------------------------------------------------------------------------- trajectories


@dataclass(frozen=True)
class Trajectory:
    """A short run: description, start, gradients, lr and hyper-parameters, and the reference's points."""

    description: str
    w0: np.ndarray
    grads: list[np.ndarray]
    lr: float
    hyper: tuple
    points: list[np.ndarray]  # reference w after 0, 1, ..., STEPS updates
    uncorrected: list[np.ndarray]  # Adam only: the updates without bias correction


def _reference(rule: Rule, description: str, w0: np.ndarray, grads: list[np.ndarray], lr: float,
               hyper: tuple) -> Trajectory:
    optimiser = rule.make(lr, *hyper)
    params, state = {"w": w0.copy()}, optimiser.init({"w": w0})
    points, uncorrected = [w0.copy()], []
    for g in grads:
        params, state = optimiser.update({"w": g}, state, params)
        points.append(params["w"])
        if rule is ADAM:  # the library's m and v are the raw (uncorrected) moments
            uncorrected.append(-lr * state["m"]["w"] / (np.sqrt(state["v"]["w"]) + hyper[-1]))
    return Trajectory(description, w0, grads, lr, hyper, points, uncorrected)


def _trajectories(rule: Rule) -> list[Trajectory]:
    """Random vector, matrix, single weight, large and tiny gradients; fresh on every run."""
    rng = fresh_rng()
    d, k = int(rng.integers(3, 8)), int(rng.integers(2, 5))
    situations = [
        (f"on a random weight vector (d = {d})", (d,), 1.0),
        (f"on a weight matrix of shape ({d}, {k})", (d, k), 1.0),
        ("on a single weight (shape (1,))", (1,), 1.0),
        ("with large gradients (around ±10,000)", (d,), 1e4),
        ("with tiny gradients (around 1e-6, where ε matters)", (d,), 1e-6),
    ]
    runs = []
    for description, shape, scale in situations:
        w0 = rng.normal(0.0, 1.0, shape)
        grads = [scale * rng.normal(0.0, 1.0, shape) for _ in range(STEPS)]
        lr = float(rng.uniform(0.01, 0.5))
        runs.append(_reference(rule, description, w0, grads, lr, rule.draw_hyper(rng)))
    return runs


def _explain_step(rule: Rule, run: Trajectory, step: int, update: np.ndarray, expected: np.ndarray) -> None:
    """Raise GradingFailure naming the mistake in update number ``step + 1`` (which does not match)."""
    what = f"update number {step + 1} (new_w - w)"
    where = f"{run.opening}, {what}"
    if rule is ADAM and values_match(update, run.uncorrected[step], rtol=1e-6, atol=1e-12):
        raise GradingFailure("wrong-value", f"{where} matches "
                             "Adam without bias correction: this looks like Adam without bias correction. Divide m "
                             "by (1 - beta1^t) and v by (1 - beta2^t), with t = 1 at the first update.")
    if step > 0:
        worst = float(np.max(np.abs(update - expected))) if update.shape == expected.shape else float("nan")
        raise GradingFailure("wrong-value", f"{run.opening}, the first update "
                             f"is right but {what} differs (by up to {worst:.3g}): the state is not carried from "
                             "one step to the next. Compute the new state from the state you are given, return it, "
                             "and (for Adam) increase t by one at each step.")
    if update.shape == expected.shape and not np.all(np.isfinite(update)):
        raise GradingFailure("not-finite", f"{where} contains NaN or inf although the correct update is finite: "
                             "a division by zero? (In Adam, 1 - beta^t is 0 when t = 0: increase t first, so that "
                             "t = 1 at the first update.)")
    if update.shape == expected.shape and values_match(update, expected, rtol=1e-3, atol=1e-12):
        relative = float(np.max(np.abs(update - expected) / (np.abs(expected) + 1e-300)))
        hint = "" if rule is MOMENTUM else (" The rule is g / (sqrt(s) + eps), with eps outside the square root "
                                            "and the eps passed to your function.")
        raise GradingFailure("wrong-value", f"{where} is close to the correct one but not equal (relative difference "
                             f"up to {relative:.1e}): check the small constants.{hint}")
    assert_matches(update, expected, what, run.description)


def _check_rule(student_fn: Callable, rule: Rule) -> None:
    for run in _trajectories(rule):
        w, state = run.w0.copy(), rule.initial_state(run.w0)
        for step, g in enumerate(run.grads):
            new_w, state = _call_step(student_fn, w, g.copy(), state, run.lr, run.hyper, rule, run.description)
            expected = run.points[step + 1] - run.points[step]
            update = new_w - w if new_w.shape == w.shape else new_w
            if not values_match(update, expected):
                _explain_step(rule, run, step, update, expected)
            w = new_w
    print(f"{rule.name}: all hidden checks passed ({STEPS} consecutive steps per situation).")


def check_momentum(momentum_step: Callable) -> None:
    """momentum_step(w, g, state, lr, beta): v <- beta v + g; w <- w - lr v (state {"v"})."""
    _check_rule(momentum_step, MOMENTUM)


def check_adagrad(adagrad_step: Callable) -> None:
    """adagrad_step(w, g, state, lr, eps): s <- s + g²; w <- w - lr g / (sqrt(s) + eps) (state {"s"})."""
    _check_rule(adagrad_step, ADAGRAD)


def check_rmsprop(rmsprop_step: Callable) -> None:
    """rmsprop_step(w, g, state, lr, rho, eps): s <- rho s + (1 - rho) g²; w <- w - lr g / (sqrt(s) + eps)."""
    _check_rule(rmsprop_step, RMSPROP)


def check_adam(adam_step: Callable) -> None:
    """adam_step(w, g, state, lr, beta1, beta2, eps) with bias correction (state {"m", "v", "t"})."""
    _check_rule(adam_step, ADAM)


# ----------------------------------------------------------------------------- schedules


def check_schedules(step_decay: Callable, cosine_schedule: Callable) -> None:
    """step_decay(t, lr0, drop, every) and cosine_schedule(t, lr0, total_steps, lr_min) against
    ``dlfoundations.schedules``, at the steps where off-by-one mistakes show (0, the boundaries, past the end)."""
    rng = fresh_rng()
    lr0, drop, every = float(rng.uniform(0.05, 1.0)), float(rng.uniform(0.1, 0.9)), int(rng.integers(2, 20))
    steps = sorted({0, 1, every - 1, every, every + 1, 3 * every, int(rng.integers(0, 10 * every))})
    setting = f"lr0 = {lr0:.3g}, drop = {drop:.3g}, every = {every}"
    check_against_reference(step_decay, lambda t, *args: schedules.step_decay(*args)(t),
                            [Case(f"at step t = {t} ({setting})", (t, lr0, drop, every)) for t in steps],
                            ("the learning rate",), "step_decay")
    cases = []
    for lr_min in (0.0, float(rng.uniform(0.001, 0.01))):
        total = int(rng.integers(10, 200))
        setting = f"lr0 = {lr0:.3g}, total_steps = {total}, lr_min = {lr_min:.3g}"
        cases += [Case(f"at step t = {t} ({setting})", (t, lr0, total, lr_min))
                  for t in (0, 1, total // 3, total // 2, total - 1, total, total + 7)]
    check_against_reference(cosine_schedule, lambda t, *args: schedules.cosine(*args)(t), cases,
                            ("the learning rate",), "cosine_schedule")


# ----------------------------------------------------------------------------- the training loop


def _library_step(rule: Rule, hyper: dict[str, float]) -> Callable:
    """A step function in the students' format, computed by the reference optimiser (passed to their loop).

    The optimiser is built here, outside the student's call (the guard would see its construction as a
    call into the reference); its lr is a schedule that returns the number the student's loop passes.
    """
    current = {"lr": 0.0}
    optimiser = rule.make(lambda _step: current["lr"], **hyper)

    def step(w: np.ndarray, g: np.ndarray, state: dict, lr: float, **given: float) -> tuple[np.ndarray, dict]:
        if callable(lr) or not np.isscalar(lr):
            raise GradingFailure("wrong-type", "`run_optimiser` passed a schedule (or something else that is not "
                                 "a number) as the learning rate to step_fn: pass lr(t), a number.")
        if given != hyper:
            raise GradingFailure("wrong-value", f"`run_optimiser` called step_fn with the hyper-parameters {given} "
                                 f"instead of {hyper}: pass **hyper on to step_fn unchanged.")
        current["lr"] = float(lr)
        library_state = {"step": state.get("t", 0), **{slot: {"w": state[slot]} for slot in rule.slots}}
        params, new = optimiser.update({"w": g}, library_state, {"w": w})
        new_state = {slot: new[slot]["w"] for slot in rule.slots}
        if rule.counts_steps:
            new_state["t"] = new["step"]
        return params["w"], new_state
    return step


def check_run_optimiser(run_optimiser: Callable) -> None:
    """run_optimiser(step_fn, state, grad_fn, w0, num_steps, lr, **hyper) -> path (num_steps + 1, d), against
    ``optim.run_trajectory`` (momentum with a constant lr; Adam with a step-decay schedule)."""
    rng = fresh_rng()
    for rule, d, hyper in ((MOMENTUM, 2, {"beta": 0.9}), (ADAM, 3, {"beta1": 0.9, "beta2": 0.99, "eps": 1e-8})):
        root = rng.normal(0.0, 1.0, (d, d))
        A = root @ root.T + np.eye(d)

        def grad(p: np.ndarray, A: np.ndarray = A) -> np.ndarray:
            return A @ p

        w0, steps = rng.normal(0.0, 2.0, d), int(rng.integers(5, 9))
        if rule is MOMENTUM:
            lr, reference_lr, description = float(rng.uniform(0.01, 0.1)), None, "momentum with a constant lr"
        else:
            schedule = schedules.step_decay(float(rng.uniform(0.05, 0.3)), 0.5, 2)
            lr, reference_lr, description = (lambda t: schedule(t)), schedule, "Adam with a step-decay schedule"
        optimiser = rule.make(reference_lr or lr, *hyper.values())
        expected = optim.run_trajectory(grad, w0, optimiser, steps)
        path = guard.call_student(run_optimiser, _library_step(rule, hyper), rule.initial_state(w0), grad, w0, steps,
                                  lr, what="`run_optimiser`", **hyper)
        case = f"with {description}, {steps} steps from a random start (d = {d})"
        if isinstance(path, np.ndarray) and path.shape == expected.shape and values_match(path[:2], expected[:2]) \
                and not values_match(path, expected):
            row = int(np.argmax(~np.all(np.isclose(path, expected, rtol=1e-6, atol=1e-9), axis=1)))
            raise GradingFailure("wrong-value", f"{case[:1].upper()}{case[1:]}, the path is right up to row "
                                 f"{row - 1} but row {row} differs: pass the state returned by each step to the "
                                 "next one, and use lr(t) with t = 0, 1, 2, ... when lr is a schedule.")
        assert_matches(path, expected, "the path (row t = the point after t updates)", case)
    print("run_optimiser: all hidden checks passed.")
