"""Hidden checks of assignment 06-optimisation: optimiser steps, learning-rate schedules and a training loop.

The students' optimisers are pure functions on one array::

    new_w, new_state = xxx_step(w, g, state, lr, *hyper)

with the state a dict (momentum ``{"v"}``, Adagrad and RMSProp ``{"s"}``, Adam ``{"m", "v", "t"}``, where t
counts the updates already made). Each check runs short trajectories (several consecutive steps on fresh
random gradients, the student's own returned state fed back at each step) beside the reference optimiser of
:mod:`dlfoundations.optim` (pure ``init``/``update``), and compares the *updates* ``new_w - w``: the weights'
trajectory, never the raw state, so another valid convention for the state (a velocity that already holds
``-lr``, for instance) is accepted. The trajectory is a sequence, so its loop is written out; the update that
differs is explained by each rule's table of known mistakes (:class:`Rule`), from the reference state at
that step. The schedules and the training loop are declared as data with their tables. The training loop is
checked on an ill-conditioned quadratic, with a constant rate and with schedules: with the grader's own plain
gradient-descent step, then with ``momentum_step`` and ``adam_step`` passed as the student's own functions,
which answer with the grader's references while the item is graded (error carried forward: ``Item.calls``,
``REFERENCES``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from dlfoundations import optim, schedules
from dlfoundations.kit.compare import Case, Finding, compare_array, describe, values_match
from dlfcourse.grader.checks import generic
from dlfcourse.grader.checks import mistakes as m
from dlfcourse.grader.checks.common import Assignment, Item, Pass, Result, as_float, declare
from dlfcourse.grader.checks.core import Compared, Mistake, Seen, known
from dlfcourse.grader.checks.values import finite, scalar
from dlfcourse.grader.student import Student, grader_function, student_function

__all__ = ["ASSIGNMENT", "STEPS"]

STEPS = 4  # consecutive updates per trajectory


# ----------------------------------------------------------------------------- the references (also served)

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
    m_ = beta1 * np.asarray(state["m"]) + (1.0 - beta1) * g
    v = beta2 * np.asarray(state["v"]) + (1.0 - beta2) * g ** 2
    m_hat, v_hat = m_ / (1.0 - beta1 ** t), v / (1.0 - beta2 ** t)
    return np.asarray(w) - lr * m_hat / (np.sqrt(v_hat) + eps), {"m": m_, "v": v, "t": t}


def _step_decay(t: int, lr0: float, drop: float = 0.5, every: int = 10) -> float:
    return schedules.step_decay(lr0, drop, every)(t)


def _cosine_schedule(t: int, lr0: float, total_steps: int, lr_min: float = 0.0) -> float:
    return schedules.cosine(lr0, total_steps, lr_min)(t)


REFERENCES: dict[str, Callable[..., Any]] = {
    "momentum_step": _momentum_step,
    "adagrad_step": _adagrad_step,
    "rmsprop_step": _rmsprop_step,
    "adam_step": _adam_step,
    "step_decay": _step_decay,
    "cosine_schedule": _cosine_schedule,
}


# ----------------------------------------------------------------------------- the known mistakes of the rules

# Each update mistake is tried on a Seen whose args are (w, g, state, lr, *hyper), whose value is the student's
# update new_w - w, and whose extra holds the reference state before the step ("state"), the step's index
# ("step"), the state the student was given ("given") and the one it returned ("returned").


def _later(s: Seen) -> bool:
    return s.extra["step"] > 0


def _wrong(message: str) -> Callable[[str], str]:
    return lambda what: f"{what} is wrong: {message}"


def _update(key: str, message: str, wrong: Callable[..., np.ndarray], when: Callable[[Seen], bool] | None = None,
            code: str = "wrong-value", equal_nan: bool = False) -> Mistake:
    """The update is ``wrong(g, lr, hyper, state)`` (the reference state before the step)."""
    return m.variant(key, code, _wrong(message), lambda s: wrong(s.args[1], s.args[3], s.args[4:], s.extra["state"]),
                     when=when, rtol=1e-6, atol=1e-14, equal_nan=equal_nan)


def _initial(*slots: str, counts: bool = False) -> Callable[[np.ndarray], dict]:
    return lambda w: {**{slot: np.zeros_like(w) for slot in slots}, **({"t": 0} if counts else {})}


INITIAL = {"momentum_step": _initial("v"), "adagrad_step": _initial("s"), "rmsprop_step": _initial("s"),
           "adam_step": _initial("m", "v", counts=True)}


def _fresh(rule: str, message: str) -> Mistake:
    return m.fresh_state("state-not-carried", _wrong(message), REFERENCES[rule], INITIAL[rule])


def _sign() -> Mistake:
    return m.sign_flipped("uphill", "update", lambda what: (
        f"{what} has the right size but the opposite sign: your step goes uphill. The weights move against the "
        "gradient, new_w = w - lr * (...), with a minus."))


def _no_eps(rule: str) -> Mistake:
    """The rule without eps (0 / 0 = NaN where a gradient stays 0): the advice "add eps" is given only then."""
    def wrong(s: Seen) -> np.ndarray:
        w, g, _, lr, *hyper = s.args
        hyper[-1] = 0.0
        return np.asarray(REFERENCES[rule](w, g, s.extra["state"], lr, *hyper)[0]) - w
    return m.variant("eps-forgotten", "wrong-value", lambda what, got: (
        f"{what} is wrong: it is the update without eps"
        f"{'' if finite(got) else ' (0 / 0 = NaN where the gradient stays 0)'}: add eps to the denominator, after "
        "the square root, sqrt(s) + eps, with the eps passed to your function."),
        wrong, equal_nan=True, rtol=1e-6, atol=1e-14, facts=lambda s: {"got": s.got})


_EPS_INSIDE = ("ε is inside the square root: g / sqrt(s + eps). The rule is g / (sqrt(s) + eps), with eps added after "
               "the root.")
_NO_SQRT = "it divides by s + eps instead of sqrt(s) + eps."


MOMENTUM_MISTAKES = (
    _sign(),
    _fresh("momentum_step", "it is the update of a fresh velocity v = 0 (v = g): your step ignores the velocity it is "
           "given. Compute v = beta * state['v'] + g from the state passed in, and return the new v in the new "
           "state, so that the next step can use it."),
    _update("exponential-average", "it is an exponential average, v = beta v + (1 - beta) g. Heavy-ball momentum "
            "sums the gradients: v = beta v + g.", lambda g, lr, h, st: -lr * (h[0] * st["v"] + (1.0 - h[0]) * g)),
    _update("beta-on-gradient", "the factor beta multiplies the gradient instead of the old velocity: "
            "v = beta * v + g.", lambda g, lr, h, st: -lr * (st["v"] + h[0] * g)),
    _update("old-velocity", "it uses the old velocity: update v first (v = beta v + g), then step with the new one, "
            "w - lr v.", lambda g, lr, h, st: -lr * st["v"]),
)


def _adagrad_s(g: np.ndarray, st: dict) -> np.ndarray:
    return st["s"] + g ** 2


ADAGRAD_MISTAKES = (
    _sign(),
    _no_eps("adagrad_step"),
    _update("eps-inside-sqrt", _EPS_INSIDE, lambda g, lr, h, st: -lr * g / np.sqrt(_adagrad_s(g, st) + h[0])),
    _fresh("adagrad_step", "it uses only the current gradient (s = g²): your step forgets the sum it is given. "
           "Compute s = state['s'] + g ** 2 and return it in the new state."),
    _update("no-sqrt", _NO_SQRT, lambda g, lr, h, st: -lr * g / (_adagrad_s(g, st) + h[0])),
)


def _rms_s(g: np.ndarray, h: tuple, st: dict) -> np.ndarray:
    return h[0] * st["s"] + (1.0 - h[0]) * g ** 2


def _rms_with(s: np.ndarray, g: np.ndarray, lr: float, eps: float) -> np.ndarray:
    return -lr * g / (np.sqrt(s) + eps)


RMSPROP_MISTAKES = (
    _sign(),
    _no_eps("rmsprop_step"),
    _update("eps-inside-sqrt", _EPS_INSIDE, lambda g, lr, h, st: -lr * g / np.sqrt(_rms_s(g, h, st) + h[1])),
    _fresh("rmsprop_step", "it is what a fresh state s = 0 gives: your step forgets the average it is given. Compute "
           "s = rho * state['s'] + (1 - rho) * g ** 2 and return it in the new state."),
    _update("rho-swapped", "rho and 1 - rho are swapped: s = rho * s + (1 - rho) * g ** 2 keeps most of the old "
            "average.", lambda g, lr, h, st: _rms_with((1.0 - h[0]) * st["s"] + h[0] * g ** 2, g, lr, h[1])),
    _update("average-without-one-minus-rho", "the average adds the whole g ** 2: s = rho * s + g ** 2 is missing the "
            "factor (1 - rho) of the new term. The rule is s = rho * s + (1 - rho) * g ** 2.",
            lambda g, lr, h, st: _rms_with(h[0] * st["s"] + g ** 2, g, lr, h[1])),
    _update("fixed-rho", "your average uses rho = 0.9 whatever rho it is given: use the rho passed to your function, "
            "s = rho * s + (1 - rho) * g ** 2.", lambda g, lr, h, st: _rms_with(0.9 * st["s"] + 0.1 * g ** 2, g, lr,
                                                                                h[1])),
    _update("no-sqrt", _NO_SQRT, lambda g, lr, h, st: -lr * g / (_rms_s(g, h, st) + h[1])),
)


def _adam(g: np.ndarray, h: tuple, st: dict, t_shift: int = 1) -> tuple[np.ndarray, np.ndarray, int]:
    """m, v and the t of the correction (the state's t + ``t_shift``)."""
    beta1, beta2, _ = h
    return beta1 * st["m"] + (1.0 - beta1) * g, beta2 * st["v"] + (1.0 - beta2) * g ** 2, st["t"] + t_shift


def _adam_update(g: np.ndarray, lr: float, h: tuple, st: dict, t_shift: int = 1, correct: bool = True,
                 eps_inside: bool = False) -> np.ndarray:
    beta1, beta2, eps = h
    m_, v, t = _adam(g, h, st, t_shift)
    m_hat, v_hat = (m_ / (1.0 - beta1 ** t), v / (1.0 - beta2 ** t)) if correct else (m_, v)
    return -lr * m_hat / (np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps)


def _returned_t(s: Seen) -> Any:
    return scalar(s.extra["returned"].get("t")) if s.extra.get("returned") is not None else None


def _t_increased(s: Seen) -> bool:
    given = scalar(s.extra["given"].get("t")) if s.extra.get("given") is not None else None
    returned = _returned_t(s)
    return given is not None and returned is not None and returned == given + 1


def _holds_m_hat(s: Seen) -> bool:
    beta1 = s.args[4]
    st = s.extra["state"]
    m_hat = st["m"] / (1.0 - beta1 ** st["t"]) if st["t"] else st["m"]
    given = as_float(s.extra["given"].get("m"))
    return _later(s) and given is not None and given.shape == m_hat.shape and values_match(given, m_hat) and \
        not values_match(m_hat, st["m"])


ADAM_MISTAKES = (
    _sign(),
    m.variant("t-used-before-increase", "not-finite", lambda what: (
        f"{what} contains NaN or inf although the correct update is finite: 1 - beta ** t is 0 when t = 0, and your "
        "correction uses the state's t before it is increased. Increase t first, t = state['t'] + 1, so that t = 1 "
        "at the first update, then correct m and v with it."),
        lambda s: _adam_update(s.args[1], s.args[3], s.args[4:], s.extra["state"], t_shift=0),
        when=lambda s: not finite(s.got), equal_nan=True),
    m.probe("state-holds-m-hat", "wrong-value", _wrong("the state your previous step returned holds m_hat (the "
            "bias-corrected average), not m. Keep the raw averages m and v in the state and compute m_hat and v_hat "
            "afresh at every step from them."), _holds_m_hat),
    _update("no-bias-correction", "it is Adam without bias correction, m / (sqrt(v) + eps). Divide m by "
            "(1 - beta1 ** t) and v by (1 - beta2 ** t), with t = 1 at the first update, and step with "
            "m_hat / (sqrt(v_hat) + eps).", lambda g, lr, h, st: _adam_update(g, lr, h, st, correct=False)),
    _update("eps-inside-sqrt", "ε is inside the square root: m_hat / sqrt(v_hat + eps). The rule is "
            "m_hat / (sqrt(v_hat) + eps).", lambda g, lr, h, st: _adam_update(g, lr, h, st, eps_inside=True)),
    _fresh("adam_step", "it is the update of a fresh state (m = v = 0, t = 0): your step forgets the state it is "
           "given. Compute m, v from state['m'], state['v'], set t = state['t'] + 1, and return all three."),
    m.bias_correction_without_t("correction-without-t", lambda what, which: (
        f"{what} is wrong: in your bias correction {which}, without the power t (your t does go up by one at each "
        "step, but the correction does not use it). Divide m by (1 - beta1 ** t) and v by (1 - beta2 ** t)."),
        _t_increased),
    _update("t-never-increased", "the bias correction uses t = 1 at every step: the state's t is not increased. "
            "Return t = state['t'] + 1 in the new state and correct with that t.",
            lambda g, lr, h, st: _adam_update(g, lr, h, {**st, "t": 0}), when=lambda s: _later(s) and
            not _t_increased(s)),
    _update("t-plus-one", "the bias correction uses t + 1: the state's t counts the updates already made, so "
            "increase it once, t = state['t'] + 1, and use that (t = 1 at the first update).",
            lambda g, lr, h, st: _adam_update(g, lr, h, st, t_shift=2)),
)


# ----------------------------------------------------------------------------- the rules and their trajectories


@dataclass(frozen=True)
class Rule:
    """An update rule: the student's function, the reference optimiser, the state format, its known mistakes."""

    name: str
    make: Callable[..., Any]  # (lr, *hyper) -> a dlfoundations.optim optimiser
    slots: tuple[str, ...]  # the arrays in the state, e.g. ("m", "v")
    counts_steps: bool  # the state also holds t, the number of updates made so far
    hyper_names: tuple[str, ...]
    draw_hyper: Callable[[np.random.Generator], tuple]  # random hyper-parameters, in the order after lr
    mistakes: tuple[Mistake, ...]

    def initial_state(self, w: np.ndarray) -> dict[str, Any]:
        return INITIAL[self.name](w)


def _eps(rng: np.random.Generator) -> float:
    return float(10.0 ** rng.uniform(-8.0, -6.5))


MOMENTUM = Rule("momentum_step", lambda lr, beta: optim.Momentum(lr, beta), ("v",), False, ("beta",),
                lambda rng: (float(rng.uniform(0.5, 0.95)),), MOMENTUM_MISTAKES)
ADAGRAD = Rule("adagrad_step", lambda lr, eps: optim.Adagrad(lr, eps), ("s",), False, ("eps",),
               lambda rng: (_eps(rng),), ADAGRAD_MISTAKES)
RMSPROP = Rule("rmsprop_step", lambda lr, rho, eps: optim.RMSProp(lr, rho, eps), ("s",), False, ("rho", "eps"),
               lambda rng: (float(rng.uniform(0.5, 0.95)), _eps(rng)), RMSPROP_MISTAKES)
ADAM = Rule("adam_step", lambda lr, beta1, beta2, eps: optim.Adam(lr, beta1, beta2, eps), ("m", "v"), True,
            ("beta1", "beta2", "eps"),
            lambda rng: (float(rng.uniform(0.8, 0.95)), float(rng.uniform(0.9, 0.999)), _eps(rng)), ADAM_MISTAKES)


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
        states.append({**{slot: np.array(getattr(state, slot)["w"]) for slot in rule.slots}, "t": int(state.t)})
        params, state = optimiser.update({"w": g}, state, params)
        points.append(np.array(params["w"]))
    return Trajectory(description, w0, grads, lr, hyper, points, states)


def _trajectories(rule: Rule, rng: np.random.Generator) -> list[Trajectory]:
    """Random vector, matrix, single weight, large, tiny and sparse gradients."""
    d, k = int(rng.integers(3, 8)), int(rng.integers(2, 5))
    situations = [
        (f"on a random weight vector (d = {d})", (d,), 1.0),
        (f"on a weight matrix of shape ({d}, {k})", (d, k), 1.0),
        ("on a single weight (shape (1,))", (1,), 1.0),
        (f"with large gradients (around ±10,000, d = {d})", (d,), 1e4),
        (f"with tiny gradients (around 1e-6, where ε matters, d = {d})", (d,), 1e-6),
        (f"with sparse gradients (entries 0 and 1 exactly 0 at every step, where only ε keeps 0/0 away, d = {d})",
         (d,), 0.0),
    ]
    runs = []
    for description, shape, scale in situations:
        w0 = rng.normal(0.0, 1.0, shape)
        grads = [(scale or 1.0) * rng.normal(0.0, 1.0, shape) for _ in range(STEPS)]
        if scale == 0.0:  # a feature that never occurs: its gradient is 0 throughout
            for g in grads:
                g[:2] = 0.0
        lr = float(rng.uniform(0.01, 0.5))
        hyper = rule.draw_hyper(rng)
        setting = ", ".join(f"{n} = {v:.3g}" for n, v in zip(("lr",) + rule.hyper_names, (lr,) + hyper, strict=False))
        runs.append(_reference(rule, f"{description}, {setting}", w0, grads, lr, hyper))
    return runs


def _call_step(student: Student, rule: Rule, w: np.ndarray, g: np.ndarray, state: dict, run: Trajectory,
               step: int) -> tuple[np.ndarray, dict[str, Any]] | Finding:
    """The student's ``(new_w, new_state)`` for one update, or the finding of a call or a return that is wrong."""
    case = Case(f"{run.description}, at update number {step + 1}", (w, g, state, run.lr, *run.hyper))
    returned = student.call(rule.name, *case.args, case=case)
    if returned.finding is not None:
        return returned.finding
    got = returned.value
    what = f"`{rule.name}`"
    if not isinstance(got, (tuple, list)) or len(got) != 2 or not isinstance(got[1], Mapping):
        return Finding("wrong-type", f"{case.opening}, {what} should return the pair (new_w, new_state) "
                       f"with new_state a dict, but it returned {describe(got)}.")
    keys = rule.slots + (("t",) if rule.counts_steps else ())
    missing = [key for key in keys if key not in got[1]]
    if missing:
        return Finding("wrong-type", f"{case.opening}, the new state returned by {what} has no entry "
                       f"for {missing}: return a dict with the keys {list(keys)}, like the state it "
                       "was given.")
    new_w = as_float(got[0])
    if new_w is None:
        return Finding("wrong-type", f"{case.opening}, new_w should be a numpy array, but {what} "
                       f"returned {describe(got[0])}.")
    return new_w, dict(got[1])


def _atol(expected: np.ndarray) -> float:
    """The absolute tolerance of an update: 1e-12 of its largest entry (updates range from 1e-8 to 1e3)."""
    return 1e-12 * max(float(np.max(np.abs(expected))) if expected.size else 1.0, 1e-300)


def _unexplained(rule: Rule, run: Trajectory, step: int, seen: Seen, mismatch: Finding) -> Finding:
    """What a mismatch no known mistake explains says, from where in the trajectory it shows."""
    update, expected, what = seen.got, seen.expected, seen.extra["what"]
    if update.shape != expected.shape:
        return mismatch
    if not finite(update):
        return Finding("not-finite", f"{run.opening}, {what} contains NaN or inf although the correct update is "
                       "finite.")
    if step > 0:
        worst = float(np.max(np.abs(update - expected)))
        first = "the first update is" if step == 1 else f"the first {step} updates are"
        counted = " (and t increased by one)" if rule is ADAM else ""
        return Finding("wrong-value", f"{run.opening}, {first} right but {what} differs (by up to {worst:.3g}): the "
                       "state is not carried correctly from one step to the next. Compute the new state from the state "
                       f"you are given and return it with the same keys{counted}.")
    if values_match(update, expected, rtol=1e-3, atol=1e-14):
        relative = float(np.max(np.abs(update - expected) / (np.abs(expected) + 1e-300)))
        hint = "" if rule is MOMENTUM else (" The rule divides by sqrt(...) + eps, with eps outside the square "
                                            "root, and eps is the one passed to your function.")
        return Finding("wrong-value", f"{run.opening}, {what} is close to the correct one but not equal (relative "
                       f"difference up to {relative:.1e}): check the small constants.{hint}")
    return generic.refined(seen, mismatch)


def _check_rule(student: Student, rng: np.random.Generator, rule: Rule) -> Result:
    for run in _trajectories(rule, rng):
        w, state = run.w0.copy(), rule.initial_state(run.w0)
        for step, g in enumerate(run.grads):
            called = _call_step(student, rule, w, g.copy(), state, run, step)
            if isinstance(called, Finding):
                return called
            new_w, new_state = called
            expected = run.points[step + 1] - run.points[step]
            update = new_w - w if new_w.shape == w.shape else new_w
            what = f"update number {step + 1} (new_w - w)"
            mismatch = compare_array(update, expected, what, Case(run.description), rtol=1e-6, atol=_atol(expected))
            if mismatch is not None:
                seen = Seen(Case(run.description, (w, g, state, run.lr, *run.hyper)), update, expected, ("update",),
                            student, rule.name, None, {"what": what, "step": step, "state": run.states[step],
                                                       "given": state, "returned": new_state})
                return known(seen, rule.mistakes) or _unexplained(rule, run, step, seen, mismatch)
            w, state = new_w, new_state
    return Pass(f"`{rule.name}`: all hidden checks passed ({STEPS} consecutive steps per situation, your own "
                "state fed back).")


def _rule_item(grade_id: str, rule: Rule) -> Item:
    return Item(grade_id, (rule.name,), lambda student, rng: _check_rule(student, rng, rule), mistakes=rule.mistakes)


# ----------------------------------------------------------------------------- schedules


def _rate_is(key: str, why: str, rate: Callable[..., float]) -> Mistake:
    """The student's schedule is ``rate`` at every step the grader tries (one step alone can fit two mistakes)."""
    def test(s: Seen) -> Any:
        t, *setting = s.args
        total = setting[1] if s.function == "cosine_schedule" else 3 * setting[2]
        steps = sorted({0, 1, 2, t, total // 3, total // 2, total - 1, total, total + 1, total + 7})
        answers = [scalar(s.again(step, *setting)) for step in steps]
        wrong = [rate(step, *setting) for step in steps]
        if s.reference is None:  # never: a Compared's Seen carries its reference
            return None
        right = [s.reference(step, *setting) for step in steps]
        mine = [v for v in answers if v is not None]
        if len(mine) < len(answers) or not np.allclose(mine, wrong, rtol=1e-9, atol=1e-15) or \
                np.allclose(wrong, right, rtol=1e-9, atol=1e-15):
            return None
        return {"value": scalar(s.got), "right": float(s.expected)}
    return m.probe(key, "wrong-value", lambda value, right: (
        f"the learning rate is {value:.6g} instead of {right:.6g}: {why}"), test)


def _decay_cases(rng: np.random.Generator) -> list[Case]:
    lr0, drop, every = float(rng.uniform(0.05, 1.0)), float(rng.uniform(0.1, 0.9)), int(rng.integers(2, 20))
    steps = sorted({0, 1, every - 1, every, every + 1, 3 * every, int(rng.integers(0, 10 * every))})
    setting = f"lr0 = {lr0:.3g}, drop = {drop:.3g}, every = {every}"
    return [Case(f"at step t = {t} ({setting})", (t, lr0, drop, every)) for t in steps]


def _cosine_cases(rng: np.random.Generator) -> list[Case]:
    lr0, cases = float(rng.uniform(0.05, 1.0)), []
    for lr_min in (0.0, float(rng.uniform(0.001, 0.01))):
        total = int(rng.integers(10, 200))
        setting = f"lr0 = {lr0:.3g}, total_steps = {total}, lr_min = {lr_min:.3g}"
        cases += [Case(f"at step t = {t} ({setting})", (t, lr0, total, lr_min))
                  for t in (0, 1, total // 3, total // 2, total - 1, total, total + 7)]
    return cases


def _cosine(t: int, lr0: float, total: int, lr_min: float, scale: float = 1.0, angle: float = np.pi,
            clamp: bool = True, half: bool = True) -> float:
    """A cosine schedule with its parts switchable (for the known mistakes)."""
    t = min(t, total) if clamp else t
    shape = 0.5 * (1 + np.cos(angle * t / total)) if half else np.cos(angle * t / total)
    return lr_min + (lr0 - lr_min) * scale * shape


STEP_DECAY = Compared("step_decay", _step_decay, _decay_cases, ("the learning rate",), (
    _rate_is("fractional-exponent", "the exponent is t / every, a fraction: the rate must stay constant for `every` "
             "steps, so use integer division, t // every.", lambda t, lr0, drop, every: lr0 * drop ** (t / every)),
    _rate_is("one-step-early", "the rate drops one step too early: t counts from 0, so the exponent is t // every, "
             "not (t + 1) // every.", lambda t, lr0, drop, every: lr0 * drop ** ((t + 1) // every)),
    _rate_is("drops-every-step", "the rate drops at every step (drop ** t): it should drop once every `every` steps, "
             "drop ** (t // every).", lambda t, lr0, drop, every: lr0 * drop ** t),
    _rate_is("dropped-at-zero", "the rate is already dropped at t = 0: the exponent is t // every (0 for the first "
             "`every` steps).", lambda t, lr0, drop, every: lr0 * drop ** (t // every + 1)),
    _rate_is("one-minus-drop", "it multiplies by 1 - drop: multiply by drop itself.",
             lambda t, lr0, drop, every: lr0 * (1.0 - drop) ** (t // every)),
))

COSINE = Compared("cosine_schedule", _cosine_schedule, _cosine_cases, ("the learning rate",), (
    _rate_is("not-clamped", "after total_steps the rate must stay at lr_min, but yours goes up again: use "
             "min(t, total_steps).", lambda t, lr0, total, lr_min: _cosine(t, lr0, total, lr_min, clamp=False)),
    _rate_is("lr-min-ignored", "lr_min is ignored: the cosine goes from lr0 down to lr_min, "
             "lr_min + (lr0 - lr_min) (1 + cos(pi t / T)) / 2.", lambda t, lr0, total, lr_min: _cosine(
                 t, lr0, total, 0.0)),
    _rate_is("scaled-by-lr0", "the cosine part should be scaled by lr0 - lr_min, not lr0, so that it ends at lr_min.",
             lambda t, lr0, total, lr_min: _cosine(t, lr0, total, lr_min, scale=lr0 / (lr0 - lr_min))),
    _rate_is("without-half", "(1 + cos(pi t / T)) / 2 goes from 1 to 0; cos(pi t / T) alone goes from 1 to -1.",
             lambda t, lr0, total, lr_min: _cosine(t, lr0, total, lr_min, half=False)),
    _rate_is("quarter-cosine", "it is a quarter cosine: the angle is pi t / T, reaching pi at t = T.",
             lambda t, lr0, total, lr_min: _cosine(t, lr0, total, lr_min, angle=np.pi / 2)),
    _rate_is("no-pi", "the angle is missing its pi: cos(pi t / T).",
             lambda t, lr0, total, lr_min: _cosine(t, lr0, total, lr_min, angle=1.0)),
))


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


def _constant(lr: float) -> Callable[[int], float]:
    """The rate ``lr`` at every step."""
    return lambda t: lr


def _gradient(A: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """The gradient ``A w`` of the quadratic (1/2) wᵀ A w."""
    return lambda w: A @ w


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
                    _constant(lr), {}, optim.SGD(lr)))
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
                    _momentum_step, {"v": np.zeros(d)}, A, w0, n, lr, _constant(lr), {"beta": beta},
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


def _path(s: Seen) -> np.ndarray | None:
    path = as_float(s.got)
    return path if path is not None and path.shape == s.expected.shape else None


def _loop_is(key: str, why: str, **switches: Any) -> Mistake:
    """The path is the one of the loop with a mistake (see ``_loop``)."""
    return m.variant(key, "wrong-value", f"the path is wrong: {why}", lambda s: _loop(s.extra["run"], **switches))


def _no_start_row(s: Seen) -> Any:
    path, expected = as_float(s.got), s.expected
    if path is None or path.shape != (expected.shape[0] - 1, expected.shape[1]) or not values_match(path, expected[1:]):
        return None
    return {"rows": path.shape[0], "right": expected.shape[0]}


def _same_array_appended(s: Seen) -> bool:
    path = _path(s)
    return path is not None and np.allclose(path, path[-1]) and not np.allclose(s.expected, s.expected[-1])


def _first_wrong_row(s: Seen) -> Any:
    path = _path(s)
    if path is None:
        return None
    rows = ~np.all(np.isclose(path, s.expected, rtol=1e-6, atol=1e-9), axis=1)
    return {"row": int(np.argmax(rows))} if rows.any() and int(np.argmax(rows)) > 0 else None


RUN = Compared("run_optimiser", lambda *args, **kwargs: None, lambda rng: [],
               ("the path (row t = the point after t updates)",), (
    m.probe("no-start-row", "wrong-shape", lambda rows, right: (
        f"the path has {rows} rows, the points after each update, but row 0 must be w0: start the path with w0, then "
        f"append the point after every update ({right} rows)."), _no_start_row),
    _loop_is("schedule-from-one", "the learning rate of update t is lr(t + 1): t counts the updates from 0, so the "
             "first update uses lr(0).", lr_shift=1),
    _loop_is("state-not-fed-back", "every update starts from the initial state: pass the state returned by each "
             "step to the next one (w, state = step_fn(...)).", reset_state=True),
    _loop_is("gradient-at-start", "every update uses the gradient at w0: compute g = grad_fn(w) at the current point "
             "at each step.", fixed_grad=True),
    _loop_is("schedule-ignored", "every update uses lr(0): when lr is a schedule, call it at each step, lr_t = lr(t) "
             "for t = 0, 1, 2, ...", fixed_lr=True),
    m.probe("same-array-appended", "wrong-value", "every row of the path is the final point: you append the same "
            "array each time and then change it in place. Append a new array at every step (w = w - ..., or "
            "path.append(w.copy())).", _same_array_appended),
    m.probe("goes-wrong-later", "wrong-value", lambda row: (
        f"the path is right up to row {row - 1} but row {row} differs: pass the state returned by each step to the "
        "next one, call step_fn with lr(t) for t = 0, 1, 2, ... when lr is a schedule, and pass **hyper on "
        "unchanged."), _first_wrong_row),
))


def check_run_optimiser(student: Student, rng: np.random.Generator) -> Result:
    """``run_optimiser(step_fn, state, grad_fn, w0, num_steps, lr, **hyper) -> path (num_steps + 1, d)`` against
    ``optim.run_trajectory``, with the grader's gradient-descent step, momentum and Adam (the last two passed as the
    student's own step functions, which answer with the grader's references while this item is graded)."""
    for run in _runs(rng):
        expected = optim.run_trajectory(_gradient(run.A), run.w0, run.optimiser, run.num_steps)
        finding = RUN.check_case(student, run.case(), expected, {"run": run})
        if finding is not None:
            return finding
    return Pass("`run_optimiser`: all hidden checks passed (gradient descent with a constant rate and with a "
                "schedule, momentum and Adam).")


ASSIGNMENT = Assignment("06-optimisation", (
    _rule_item("momentum-test", MOMENTUM),
    _rule_item("adagrad-test", ADAGRAD),
    _rule_item("rmsprop-test", RMSPROP),
    _rule_item("adam-test", ADAM),
    declare("schedules-test", STEP_DECAY, COSINE),
    Item("run-test", ("run_optimiser",), check_run_optimiser, calls=tuple(REFERENCES), mistakes=RUN.mistakes),
), references=REFERENCES)
