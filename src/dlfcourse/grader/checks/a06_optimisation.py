"""Hidden checks of assignment 06-optimisation: optimiser steps, learning-rate schedules and a training loop.

The students' optimisers are pure functions on one array::

    new_w, new_state = xxx_step(w, g, state, lr, *hyper)

with the state a dict (momentum ``{"v"}``, Adagrad and RMSProp ``{"s"}``, Adam
``{"m", "v", "t"}``, where t counts the updates already made). Each check runs
short trajectories (several consecutive steps on fresh random gradients, the
student's own returned state fed back at each step) beside the reference
optimiser of :mod:`dlfoundations.optim` (pure ``init``/``update``), and
compares the *updates* ``new_w - w``: the weights' trajectory, never the raw
state, so another valid convention for the state (a velocity that already
holds ``-lr``, for instance) is accepted.

Diagnoses of their own, each computed from the reference state at the step
that differs: a state that is forgotten (every step as from a fresh state),
ε inside the square root, Adam without bias correction or with ``t`` not
increased first, an exponential average where momentum sums, the decay
factor on the wrong term; a state dict modified in place is found by the
sandbox (mutates-input). The training loop is checked on an ill-conditioned
quadratic, with a constant rate and with schedules: with the grader's own plain
gradient-descent step, then with ``momentum_step`` and ``adam_step`` passed as
the student's own functions, which answer with the grader's references while
the item is graded (error carried forward: ``Item.calls``, ``REFERENCES``), so
every path is compared with the plain reference trajectory.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from dlfoundations import optim, schedules
from dlfoundations.kit.compare import Case, Finding, compare_array, describe, values_match
from dlfcourse.grader.checks.common import Assignment, Item, Pass, Result, as_float, check_against_reference, \
    first_failure
from dlfcourse.grader.student import Student, grader_function, student_function

__all__ = ["ASSIGNMENT", "STEPS"]

STEPS = 4  # consecutive updates per trajectory


@dataclass(frozen=True)
class Rule:
    """An update rule: the student's function name, the reference optimiser and the student's state format."""

    name: str
    make: Callable[..., Any]  # (lr, *hyper) -> a dlfoundations.optim optimiser
    slots: tuple[str, ...]  # the arrays in the state, e.g. ("m", "v")
    counts_steps: bool  # the state also holds t, the number of updates made so far
    hyper_names: tuple[str, ...]
    draw_hyper: Callable[[np.random.Generator], tuple]  # random hyper-parameters, in the order after lr

    def initial_state(self, w: np.ndarray) -> dict[str, Any]:
        state: dict[str, Any] = {slot: np.zeros_like(w) for slot in self.slots}
        if self.counts_steps:
            state["t"] = 0
        return state


def _eps(rng: np.random.Generator) -> float:
    return float(10.0 ** rng.uniform(-8.0, -6.5))


MOMENTUM = Rule("momentum_step", lambda lr, beta: optim.Momentum(lr, beta), ("v",), False, ("beta",),
                lambda rng: (float(rng.uniform(0.5, 0.95)),))
ADAGRAD = Rule("adagrad_step", lambda lr, eps: optim.Adagrad(lr, eps), ("s",), False, ("eps",),
               lambda rng: (_eps(rng),))
RMSPROP = Rule("rmsprop_step", lambda lr, rho, eps: optim.RMSProp(lr, rho, eps), ("s",), False, ("rho", "eps"),
               lambda rng: (float(rng.uniform(0.5, 0.95)), _eps(rng)))
ADAM = Rule("adam_step", lambda lr, beta1, beta2, eps: optim.Adam(lr, beta1, beta2, eps), ("m", "v"), True,
            ("beta1", "beta2", "eps"),
            lambda rng: (float(rng.uniform(0.8, 0.95)), float(rng.uniform(0.9, 0.999)), _eps(rng)))


# ----------------------------------------------------------------------------- trajectories


@dataclass(frozen=True)
class Trajectory:
    """A short run: its case description, start, gradients, lr, hyper-parameters, and the reference's run."""

    description: str
    w0: np.ndarray
    grads: list[np.ndarray]
    lr: float
    hyper: tuple
    points: list[np.ndarray]  # reference w after 0, 1, ..., STEPS updates
    states: list[dict[str, Any]]  # reference state (slot -> array, and "t") before each update

    @property
    def opening(self) -> str:
        return self.description[:1].upper() + self.description[1:]


def _reference(rule: Rule, description: str, w0: np.ndarray, grads: list[np.ndarray], lr: float,
               hyper: tuple) -> Trajectory:
    optimiser = rule.make(lr, *hyper)
    params, state = {"w": w0.copy()}, optimiser.init({"w": w0})
    points, states = [w0.copy()], []
    for g in grads:
        states.append({**{slot: np.array(state[slot]["w"]) for slot in rule.slots}, "t": int(state["step"])})
        params, state = optimiser.update({"w": g}, state, params)
        points.append(np.array(params["w"]))
    return Trajectory(description, w0, grads, lr, hyper, points, states)


def _trajectories(rule: Rule, rng: np.random.Generator) -> list[Trajectory]:
    """Random vector, matrix, single weight, large and tiny gradients."""
    d, k = int(rng.integers(3, 8)), int(rng.integers(2, 5))
    situations = [
        (f"on a random weight vector (d = {d})", (d,), 1.0),
        (f"on a weight matrix of shape ({d}, {k})", (d, k), 1.0),
        ("on a single weight (shape (1,))", (1,), 1.0),
        (f"with large gradients (around ±10,000, d = {d})", (d,), 1e4),
        (f"with tiny gradients (around 1e-6, where ε matters, d = {d})", (d,), 1e-6),
    ]
    runs = []
    for description, shape, scale in situations:
        w0 = rng.normal(0.0, 1.0, shape)
        grads = [scale * rng.normal(0.0, 1.0, shape) for _ in range(STEPS)]
        lr = float(rng.uniform(0.01, 0.5))
        hyper = rule.draw_hyper(rng)
        setting = ", ".join(f"{n} = {v:.3g}" for n, v in zip(("lr",) + rule.hyper_names, (lr,) + hyper))
        runs.append(_reference(rule, f"{description}, {setting}", w0, grads, lr, hyper))
    return runs


def _alternatives(rule: Rule, run: Trajectory, step: int) -> list[tuple[np.ndarray, str, str]]:
    """Updates of known mistakes at update ``step`` (from the reference state there): (update, code, why)."""
    g, lr, state = run.grads[step], run.lr, run.states[step]
    out: list[tuple[np.ndarray, str, str]] = []
    if rule is MOMENTUM:
        (beta,) = run.hyper
        v = state["v"]
        if step > 0:
            out.append((-lr * g, "wrong-value", "it is the update of a fresh velocity v = 0 (v = g): your step "
                        "ignores the velocity it is given. Compute v = beta * state['v'] + g from the state passed "
                        "in, and return the new v in the new state, so that the next step can use it."))
        out.append((-lr * (beta * v + (1.0 - beta) * g), "wrong-value", "it is an exponential average, "
                    "v = beta v + (1 - beta) g. Heavy-ball momentum sums the gradients: v = beta v + g."))
        out.append((-lr * (v + beta * g), "wrong-value", "the factor beta multiplies the gradient instead of the "
                    "old velocity: v = beta * v + g."))
        out.append((-lr * v, "wrong-value", "it uses the old velocity: update v first (v = beta v + g), then "
                    "step with the new one, w - lr v."))
        return out
    if rule is ADAGRAD:
        (eps,) = run.hyper
        s = state["s"] + g ** 2
        out.append((-lr * g / np.sqrt(s + eps), "wrong-value", "ε is inside the square root: "
                    "g / sqrt(s + eps). The rule is g / (sqrt(s) + eps), with eps added after the root."))
        if step > 0:
            out.append((-lr * g / (np.abs(g) + eps), "wrong-value", "it uses only the current gradient "
                        "(s = g²): your step forgets the sum it is given. Compute s = state['s'] + g ** 2 and "
                        "return it in the new state."))
        out.append((-lr * g / (s + eps), "wrong-value", "it divides by s + eps instead of sqrt(s) + eps."))
        return out
    if rule is RMSPROP:
        rho, eps = run.hyper
        s = rho * state["s"] + (1.0 - rho) * g ** 2
        out.append((-lr * g / np.sqrt(s + eps), "wrong-value", "ε is inside the square root: "
                    "g / sqrt(s + eps). The rule is g / (sqrt(s) + eps), with eps added after the root."))
        if step > 0:
            out.append((-lr * g / (np.sqrt((1.0 - rho) * g ** 2) + eps), "wrong-value", "it is what a fresh "
                        "state s = 0 gives: your step forgets the average it is given. Compute "
                        "s = rho * state['s'] + (1 - rho) * g ** 2 and return it in the new state."))
        swapped = (1.0 - rho) * state["s"] + rho * g ** 2
        out.append((-lr * g / (np.sqrt(swapped) + eps), "wrong-value", "rho and 1 - rho are swapped: "
                    "s = rho * s + (1 - rho) * g ** 2 keeps most of the old average."))
        out.append((-lr * g / (s + eps), "wrong-value", "it divides by s + eps instead of sqrt(s) + eps."))
        return out
    beta1, beta2, eps = run.hyper
    t = state["t"] + 1
    m = beta1 * state["m"] + (1.0 - beta1) * g
    v = beta2 * state["v"] + (1.0 - beta2) * g ** 2
    m_hat, v_hat = m / (1.0 - beta1 ** t), v / (1.0 - beta2 ** t)
    out.append((-lr * m / (np.sqrt(v) + eps), "wrong-value", "it is Adam without bias correction, "
                "m / (sqrt(v) + eps). Divide m by (1 - beta1 ** t) and v by (1 - beta2 ** t), with t = 1 at the "
                "first update, and step with m_hat / (sqrt(v_hat) + eps)."))
    out.append((-lr * m_hat / np.sqrt(v_hat + eps), "wrong-value", "ε is inside the square root: "
                "m_hat / sqrt(v_hat + eps). The rule is m_hat / (sqrt(v_hat) + eps)."))
    if step > 0:
        m1, v1 = (1.0 - beta1) * g, (1.0 - beta2) * g ** 2
        out.append((-lr * (m1 / (1 - beta1)) / (np.sqrt(v1 / (1 - beta2)) + eps), "wrong-value",
                    "it is the update of a fresh state (m = v = 0, t = 0): your step forgets the state it is given. "
                    "Compute m, v from state['m'], state['v'], set t = state['t'] + 1, and return all three."))
        out.append((-lr * (m / (1 - beta1)) / (np.sqrt(v / (1 - beta2)) + eps), "wrong-value",
                    "the bias correction uses t = 1 at every step: the state's t is not increased. Return "
                    "t = state['t'] + 1 in the new state and correct with that t."))
    out.append((-lr * (m / (1 - beta1 ** (t + 1))) / (np.sqrt(v / (1 - beta2 ** (t + 1))) + eps), "wrong-value",
                "the bias correction uses t + 1: the state's t counts the updates already made, so increase it "
                "once, t = state['t'] + 1, and use that (t = 1 at the first update)."))
    return out


def _explain_step(rule: Rule, run: Trajectory, step: int, update: np.ndarray, expected: np.ndarray,
                  given: Mapping[str, Any] | None = None) -> Finding | None:
    """The mistake in update number ``step + 1`` (which does not match the reference), if it is a known one."""
    what = f"update number {step + 1} (new_w - w)"
    where = f"{run.opening}, {what}"
    if update.shape != expected.shape:
        return None
    if not np.all(np.isfinite(update)):
        if rule is ADAM:
            return Finding("not-finite", f"{where} contains NaN or inf although the correct update is finite: "
                           "1 - beta ** t is 0 when t = 0. Increase t first, t = state['t'] + 1, so that t = 1 at "
                           "the first update, then correct m and v with it.")
        return Finding("not-finite", f"{where} contains NaN or inf although the correct update is finite: a "
                       "division by zero? Add eps to the denominator, outside the square root.")
    if values_match(update, -expected, rtol=1e-6, atol=_atol(expected)):
        return Finding("sign-flipped", f"{where} has the right size but the opposite sign: your step goes uphill. "
                       "The weights move against the gradient, new_w = w - lr * (...), with a minus.")
    if rule is ADAM and step > 0 and given is not None:
        beta1, beta2, _ = run.hyper
        t = run.states[step]["t"]
        m_hat = run.states[step]["m"] / (1.0 - beta1 ** t)
        m_given = as_float(given.get("m"))
        if m_given is not None and m_given.shape == m_hat.shape and values_match(m_given, m_hat) and \
                not values_match(m_hat, run.states[step]["m"]):
            return Finding("wrong-value", f"{where} is wrong: the state your previous step returned holds m_hat (the "
                           "bias-corrected average), not m. Keep the raw averages m and v in the state and compute "
                           "m_hat and v_hat afresh at every step from them.")
    for alternative, code, why in _alternatives(rule, run, step):
        if values_match(update, alternative, rtol=1e-6, atol=1e-14) and \
                not values_match(alternative, expected, rtol=1e-6, atol=_atol(expected)):
            return Finding(code, f"{where} is wrong: {why}")
    if step > 0:
        worst = float(np.max(np.abs(update - expected)))
        first = "the first update is" if step == 1 else f"the first {step} updates are"
        return Finding("wrong-value", f"{run.opening}, {first} right but {what} differs (by up to {worst:.3g}): the state is not carried correctly from "
                       "one step to the next. Compute the new state from the state you are given and return it "
                       f"with the same keys{' (and t increased by one)' if rule is ADAM else ''}.")
    if values_match(update, expected, rtol=1e-3, atol=1e-14):
        relative = float(np.max(np.abs(update - expected) / (np.abs(expected) + 1e-300)))
        hint = "" if rule is MOMENTUM else (" The rule divides by sqrt(...) + eps, with eps outside the square "
                                            "root, and eps is the one passed to your function.")
        return Finding("wrong-value", f"{where} is close to the correct one but not equal (relative difference "
                       f"up to {relative:.1e}): check the small constants.{hint}")
    return None


def _call_step(student: Student, rule: Rule, w: np.ndarray, g: np.ndarray, state: dict, run: Trajectory,
               step: int) -> tuple[np.ndarray | None, dict | None, Finding | None]:
    case = Case(f"{run.description}, at update number {step + 1}", (w, g, state, run.lr, *run.hyper))
    returned = student.call(rule.name, *case.args, case=case)
    if returned.finding is not None:
        return None, None, returned.finding
    got = returned.value
    what = f"`{rule.name}`"
    if not isinstance(got, (tuple, list)) or len(got) != 2 or not isinstance(got[1], Mapping):
        return None, None, Finding("wrong-type", f"{case.opening}, {what} should return the pair (new_w, new_state) "
                                   f"with new_state a dict, but it returned {describe(got)}.")
    keys = rule.slots + (("t",) if rule.counts_steps else ())
    missing = [key for key in keys if key not in got[1]]
    if missing:
        return None, None, Finding("wrong-type", f"{case.opening}, the new state returned by {what} has no entry "
                                   f"for {missing}: return a dict with the keys {list(keys)}, like the state it "
                                   "was given.")
    new_w = as_float(got[0])
    if new_w is None:
        return None, None, Finding("wrong-type", f"{case.opening}, new_w should be a numpy array, but {what} "
                                   f"returned {describe(got[0])}.")
    return new_w, dict(got[1]), None


def _atol(expected: np.ndarray) -> float:
    """The absolute tolerance of an update: 1e-12 of its largest entry (updates range from 1e-8 to 1e3)."""
    return 1e-12 * max(float(np.max(np.abs(expected))) if expected.size else 1.0, 1e-300)


def _check_rule(student: Student, rng: np.random.Generator, rule: Rule) -> Result:
    for run in _trajectories(rule, rng):
        w, state = run.w0.copy(), rule.initial_state(run.w0)
        for step, g in enumerate(run.grads):
            new_w, new_state, finding = _call_step(student, rule, w, g.copy(), state, run, step)
            if finding is not None:
                return finding
            expected = run.points[step + 1] - run.points[step]
            update = new_w - w if new_w.shape == w.shape else new_w
            case = Case(run.description, (), None)
            mismatch = compare_array(update, expected, f"update number {step + 1} (new_w - w)", case,
                                     rtol=1e-6, atol=_atol(expected))
            if mismatch is not None:
                return _explain_step(rule, run, step, update, expected, state) or mismatch
            w, state = new_w, new_state
    return Pass(f"`{rule.name}`: all hidden checks passed ({STEPS} consecutive steps per situation, your own "
                "state fed back).")


def check_momentum(student: Student, rng: np.random.Generator) -> Result:
    """``momentum_step(w, g, state, lr, beta)``: v <- beta v + g; w <- w - lr v (state {"v"})."""
    return _check_rule(student, rng, MOMENTUM)


def check_adagrad(student: Student, rng: np.random.Generator) -> Result:
    """``adagrad_step(w, g, state, lr, eps)``: s <- s + g²; w <- w - lr g / (sqrt(s) + eps) (state {"s"})."""
    return _check_rule(student, rng, ADAGRAD)


def check_rmsprop(student: Student, rng: np.random.Generator) -> Result:
    """``rmsprop_step(w, g, state, lr, rho, eps)``: s <- rho s + (1 - rho) g²; w <- w - lr g / (sqrt(s) + eps)."""
    return _check_rule(student, rng, RMSPROP)


def check_adam(student: Student, rng: np.random.Generator) -> Result:
    """``adam_step(w, g, state, lr, beta1, beta2, eps)`` with bias correction (state {"m", "v", "t"})."""
    return _check_rule(student, rng, ADAM)


# ----------------------------------------------------------------------------- schedules


def _explain_step_decay(got: Any, expected: Any, case: Case) -> Finding | None:
    value = as_float(got)
    if value is None or value.size != 1:
        return None
    t, lr0, drop, every = case.args
    value = float(value.reshape(()))
    candidates = (
        (lr0 * drop ** (t / every), "the exponent is t / every, a fraction: the rate must stay constant for `every` "
                                    "steps, so use integer division, t // every."),
        (lr0 * drop ** ((t + 1) // every), "the rate drops one step too early: t counts from 0, so the exponent is "
                                           "t // every, not (t + 1) // every."),
        (lr0 * drop ** (t // every + 1), "the rate is already dropped at t = 0: the exponent is t // every (0 for "
                                         "the first `every` steps)."),
        (lr0 * drop ** t, "the rate drops at every step (drop ** t): it should drop once every `every` steps, "
                          "drop ** (t // every)."),
        (lr0 * (1.0 - drop) ** (t // every), "it multiplies by 1 - drop: multiply by drop itself."),
    )
    for candidate, why in candidates:
        if np.isclose(value, candidate, rtol=1e-9, atol=1e-15) and not np.isclose(candidate, expected, rtol=1e-9,
                                                                                   atol=1e-15):
            return Finding("wrong-value", f"{case.opening}, the learning rate is {value:.6g} instead of "
                           f"{float(expected):.6g}: {why}")
    return None


def _explain_cosine(got: Any, expected: Any, case: Case) -> Finding | None:
    value = as_float(got)
    if value is None or value.size != 1:
        return None
    t, lr0, total, lr_min = case.args
    value = float(value.reshape(()))
    candidates = (
        (lr_min + (lr0 - lr_min) * 0.5 * (1 + np.cos(np.pi * t / total)),
         "after total_steps the rate must stay at lr_min, but yours goes up again: use min(t, total_steps)."),
        (lr0 * 0.5 * (1 + np.cos(np.pi * min(t, total) / total)),
         "lr_min is ignored: the cosine goes from lr0 down to lr_min, "
         "lr_min + (lr0 - lr_min) (1 + cos(pi t / T)) / 2."),
        (lr_min + lr0 * 0.5 * (1 + np.cos(np.pi * min(t, total) / total)),
         "the cosine part should be scaled by lr0 - lr_min, not lr0, so that it ends at lr_min."),
        (lr_min + (lr0 - lr_min) * np.cos(np.pi * min(t, total) / total),
         "(1 + cos(pi t / T)) / 2 goes from 1 to 0; cos(pi t / T) alone goes from 1 to -1."),
        (lr_min + (lr0 - lr_min) * 0.5 * (1 + np.cos(np.pi * min(t, total) / (2 * total))),
         "it is a quarter cosine: the angle is pi t / T, reaching pi at t = T."),
        (lr_min + (lr0 - lr_min) * 0.5 * (1 + np.cos(min(t, total) / total)),
         "the angle is missing its pi: cos(pi t / T)."),
    )
    for candidate, why in candidates:
        if np.isclose(value, candidate, rtol=1e-9, atol=1e-15) and not np.isclose(candidate, expected, rtol=1e-9,
                                                                                   atol=1e-15):
            return Finding("wrong-value", f"{case.opening}, the learning rate is {value:.6g} instead of "
                           f"{float(expected):.6g}: {why}")
    return None


def check_schedules(student: Student, rng: np.random.Generator) -> Result:
    """``step_decay(t, lr0, drop, every)`` and ``cosine_schedule(t, lr0, total_steps, lr_min)`` against
    :mod:`dlfoundations.schedules`, at the steps where off-by-one mistakes show (0, the boundaries, past the end)."""
    lr0, drop, every = float(rng.uniform(0.05, 1.0)), float(rng.uniform(0.1, 0.9)), int(rng.integers(2, 20))
    steps = sorted({0, 1, every - 1, every, every + 1, 3 * every, int(rng.integers(0, 10 * every))})
    setting = f"lr0 = {lr0:.3g}, drop = {drop:.3g}, every = {every}"
    decay = check_against_reference(
        student, "step_decay", lambda t, lr, dr, ev: schedules.step_decay(lr, dr, ev)(t),
        [Case(f"at step t = {t} ({setting})", (t, lr0, drop, every)) for t in steps],
        ("the learning rate",), explain=_explain_step_decay)
    if isinstance(decay, Finding):
        return decay
    cases = []
    for lr_min in (0.0, float(rng.uniform(0.001, 0.01))):
        total = int(rng.integers(10, 200))
        setting = f"lr0 = {lr0:.3g}, total_steps = {total}, lr_min = {lr_min:.3g}"
        cases += [Case(f"at step t = {t} ({setting})", (t, lr0, total, lr_min))
                  for t in (0, 1, total // 3, total // 2, total - 1, total, total + 7)]
    cosine = check_against_reference(
        student, "cosine_schedule", lambda t, lr, total, lr_min: schedules.cosine(lr, total, lr_min)(t), cases,
        ("the learning rate",), explain=_explain_cosine)
    return first_failure([decay, cosine])


# ----------------------------------------------------------------------------- the training loop

#: The plain gradient-descent step in the students' format, written out by the grader (it runs in the sandbox).
_GD_STEP = "lambda w, g, state, lr: (w - lr * g, state)"
_QUADRATIC_GRAD = "lambda w: A @ w"


@dataclass(frozen=True)
class Run:
    """One call of run_optimiser: what it stands for, and how the trusted side replays it."""

    description: str
    step_spec: dict[str, Any]
    step: Callable[..., Any]  # the same step on the trusted side, (w, g, state, lr, *hyper) -> (w, state)
    state: dict[str, Any]
    A: np.ndarray
    w0: np.ndarray
    num_steps: int
    lr_spec: Any  # a number or a grader_function schedule
    lr_of: Callable[[int], float]  # the same rate on the trusted side
    hyper: dict[str, float]
    optimiser: Any  # the reference optimiser (dlfoundations.optim), lr a schedule on the trusted side

    def case(self) -> Case:
        return Case(self.description, (self.step_spec, self.state, grader_function(_QUADRATIC_GRAD, A=self.A),
                                       self.w0, self.num_steps, self.lr_spec), kwargs=dict(self.hyper))


def _quadratic(rng: np.random.Generator, d: int, condition: float) -> np.ndarray:
    Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    return Q @ np.diag(np.linspace(1.0, condition, d)) @ Q.T


def _gd_step(w: np.ndarray, g: np.ndarray, state: dict, lr: float) -> tuple:
    return w - lr * g, state


def _runs(rng: np.random.Generator) -> list[Run]:
    """Gradient descent with a constant rate and with a schedule; momentum; Adam with a cosine schedule.

    The momentum and Adam runs pass the student's own ``momentum_step`` and ``adam_step``: while this item
    is graded, those names answer with the grader's references, so the runs test the loop alone.
    """
    runs = []
    d = int(rng.integers(2, 5))
    A = _quadratic(rng, d, 20.0)
    w0 = rng.normal(0.0, 2.0, d)
    n = int(rng.integers(5, 9))
    lr = float(rng.uniform(0.02, 0.08))
    runs.append(Run(f"with a plain gradient-descent step, a constant lr = {lr:.3g}, {n} steps on a quadratic "
                    f"(d = {d}) from a random start", grader_function(_GD_STEP), _gd_step, {}, A, w0, n, lr,
                    lambda t, lr=lr: lr, {}, optim.SGD(lr)))
    lr0 = float(rng.uniform(0.03, 0.09))
    source = f"lambda t: {lr0!r} * 0.5 ** (t // 2)"
    schedule = eval(source)  # noqa: S307 - the grader's own source
    n = int(rng.integers(5, 9))
    runs.append(Run(f"with a plain gradient-descent step and the schedule lr(t) = {lr0:.3g} * 0.5 ** (t // 2), "
                    f"{n} steps (d = {d})", grader_function(_GD_STEP), _gd_step, {}, A, w0, n,
                    grader_function(source), schedule, {}, optim.SGD(schedule)))
    beta = float(rng.uniform(0.5, 0.9))
    lr = float(rng.uniform(0.01, 0.05))
    n = int(rng.integers(5, 9))
    runs.append(Run(f"with momentum_step (the grader's, standing in for yours; beta = {beta:.3g} passed as a "
                    f"keyword), lr = {lr:.3g}, {n} steps (d = {d})", student_function("momentum_step"),
                    _momentum_step, {"v": np.zeros(d)}, A, w0, n, lr, lambda t, lr=lr: lr, {"beta": beta},
                    optim.Momentum(lr, beta)))
    hyper = {"beta1": 0.9, "beta2": 0.99, "eps": 1e-8}
    total = int(rng.integers(6, 10))
    lr0 = float(rng.uniform(0.05, 0.3))
    source = f"lambda t: 0.5 * {lr0!r} * (1.0 + np.cos(np.pi * min(t, {total}) / {total}))"
    schedule = eval(source, {"np": np})  # noqa: S307 - the grader's own source
    runs.append(Run(f"with adam_step (the grader's, standing in for yours; beta1 = 0.9, beta2 = 0.99, eps = 1e-8 "
                    f"as keywords) and a cosine schedule from lr0 = {lr0:.3g}, {total} steps (d = {d})",
                    student_function("adam_step"), _adam_step, {"m": np.zeros(d), "v": np.zeros(d), "t": 0}, A, w0,
                    total, grader_function(source), schedule, hyper, optim.Adam(schedule, **hyper)))
    return runs


def _loop(run: Run, lr_shift: int = 0, reset_state: bool = False, fixed_grad: bool = False,
          fixed_lr: bool = False) -> np.ndarray:
    """The loop on the trusted side, with the run's step (w, g, state, lr, *hyper) -> (w, state); switches for
    mistakes."""
    w, state, path = np.array(run.w0, dtype=np.float64), dict(run.state), [np.array(run.w0, dtype=np.float64)]
    for t in range(run.num_steps):
        g = run.A @ (run.w0 if fixed_grad else w)
        new = run.step(w, g, dict(run.state) if reset_state else state, run.lr_of(0 if fixed_lr else t + lr_shift),
                       *run.hyper.values())
        w, state = np.asarray(new[0], dtype=np.float64), new[1]
        path.append(w)
    return np.stack(path)


def _explain_run(run: Run) -> Callable[[Any, Any, Case], Finding | None]:
    def explain(got: Any, expected: Any, case: Case) -> Finding | None:
        path = as_float(got)
        if path is None:
            return None
        if path.shape == (expected.shape[0] - 1, expected.shape[1]):
            if values_match(path, expected[1:]):
                return Finding("wrong-shape", f"{case.opening}, the path has {path.shape[0]} rows, the points after "
                               "each update, but row 0 must be w0: start the path with w0, then append the point "
                               f"after every update ({run.num_steps + 1} rows).")
            return None
        if path.shape != expected.shape:
            return None
        variants = [
            (dict(lr_shift=1), "the learning rate of update t is lr(t + 1): t counts the updates from 0, so the "
                               "first update uses lr(0)."),
            (dict(reset_state=True), "every update starts from the initial state: pass the state returned by each "
                                     "step to the next one (w, state = step_fn(...))."),
            (dict(fixed_grad=True), "every update uses the gradient at w0: compute g = grad_fn(w) at the current "
                                    "point at each step."),
            (dict(fixed_lr=True), "every update uses lr(0): when lr is a schedule, call it at each step, "
                                  "lr_t = lr(t) for t = 0, 1, 2, ..."),
        ]
        for switches, why in variants:
            alternative = _loop(run, **switches)
            if values_match(path, alternative) and not values_match(alternative, expected):
                return Finding("wrong-value", f"{case.opening}, the path is wrong: {why}")
        if np.allclose(path, path[-1]) and not np.allclose(expected, expected[-1]):
            return Finding("wrong-value", f"{case.opening}, every row of the path is the final point: you append "
                           "the same array each time and then change it in place. Append a new array at every step "
                           "(w = w - ..., or path.append(w.copy())).")
        rows = ~np.all(np.isclose(path, expected, rtol=1e-6, atol=1e-9), axis=1)
        if rows.any() and int(np.argmax(rows)) > 0:
            row = int(np.argmax(rows))
            return Finding("wrong-value", f"{case.opening}, the path is right up to row {row - 1} but row {row} "
                           "differs: pass the state returned by each step to the next one, call step_fn with "
                           "lr(t) for t = 0, 1, 2, ... when lr is a schedule, and pass **hyper on unchanged.")
        return None
    return explain


def check_run_optimiser(student: Student, rng: np.random.Generator) -> Result:
    """``run_optimiser(step_fn, state, grad_fn, w0, num_steps, lr, **hyper) -> path (num_steps + 1, d)`` against
    ``optim.run_trajectory``, with the grader's gradient-descent step, momentum and Adam (the last two passed as the
    student's own step functions, which answer with the grader's references while this item is graded)."""
    for run in _runs(rng):
        expected = optim.run_trajectory(lambda w, A=run.A: A @ w, run.w0, run.optimiser, run.num_steps)
        result = check_against_reference(student, "run_optimiser", lambda *args, expected=expected, **kw: expected,
                                         [run.case()], ("the path (row t = the point after t updates)",),
                                         explain=_explain_run(run))
        if isinstance(result, Finding):
            return result
    return Pass("`run_optimiser`: all hidden checks passed (gradient descent with a constant rate and with a "
                "schedule, momentum and Adam).")


# ----------------------------------------------------------------------------- references of the earlier functions

# What run_optimiser's code gets when it calls an earlier function by name, or is passed the student's own
# momentum_step or adam_step (error carried forward, served by the grader): the notebook's signatures and defaults.


def _momentum_step(w: Any, g: Any, state: Mapping[str, Any], lr: float, beta: float = 0.9) -> tuple:
    v = beta * np.asarray(state["v"]) + np.asarray(g)
    return np.asarray(w) - lr * v, {"v": v}


def _adagrad_step(w: Any, g: Any, state: Mapping[str, Any], lr: float, eps: float = 1e-8) -> tuple:
    g = np.asarray(g)
    s = np.asarray(state["s"]) + g ** 2
    return np.asarray(w) - lr * g / (np.sqrt(s) + eps), {"s": s}


def _rmsprop_step(w: Any, g: Any, state: Mapping[str, Any], lr: float, rho: float = 0.9,
                  eps: float = 1e-8) -> tuple:
    g = np.asarray(g)
    s = rho * np.asarray(state["s"]) + (1.0 - rho) * g ** 2
    return np.asarray(w) - lr * g / (np.sqrt(s) + eps), {"s": s}


def _adam_step(w: Any, g: Any, state: Mapping[str, Any], lr: float, beta1: float = 0.9, beta2: float = 0.999,
               eps: float = 1e-8) -> tuple:
    g = np.asarray(g)
    t = int(state["t"]) + 1
    m = beta1 * np.asarray(state["m"]) + (1.0 - beta1) * g
    v = beta2 * np.asarray(state["v"]) + (1.0 - beta2) * g ** 2
    m_hat, v_hat = m / (1.0 - beta1 ** t), v / (1.0 - beta2 ** t)
    return np.asarray(w) - lr * m_hat / (np.sqrt(v_hat) + eps), {"m": m, "v": v, "t": t}


def _step_decay(t: int, lr0: float, drop: float = 0.5, every: int = 10) -> float:
    return schedules.step_decay(lr0, drop, every)(t)


def _cosine_schedule(t: int, lr0: float, total_steps: int, lr_min: float = 0.0) -> float:
    return schedules.cosine(lr0, total_steps, lr_min)(t)


REFERENCES = {
    "momentum_step": _momentum_step,
    "adagrad_step": _adagrad_step,
    "rmsprop_step": _rmsprop_step,
    "adam_step": _adam_step,
    "step_decay": _step_decay,
    "cosine_schedule": _cosine_schedule,
}

ASSIGNMENT = Assignment("06-optimisation", (
    Item("momentum-test", ("momentum_step",), check_momentum),
    Item("adagrad-test", ("adagrad_step",), check_adagrad),
    Item("rmsprop-test", ("rmsprop_step",), check_rmsprop),
    Item("adam-test", ("adam_step",), check_adam),
    Item("schedules-test", ("step_decay", "cosine_schedule"), check_schedules),
    Item("run-test", ("run_optimiser",), check_run_optimiser, calls=tuple(REFERENCES)),
), references=REFERENCES)
