"""Hidden checks of assignment 03-maximum-likelihood: sigmoid, the two label conventions, logistic regression.

Each item is declared as data: the function, the reference (:mod:`dlfoundations.activations`,
:mod:`dlfoundations.losses`), its cases and its table of known mistakes; the trainer is also compared with
scikit-learn (on the trusted side).

Stability is judged by the values. Large-score cases always contain scores beyond ±5,000 of both signs with
both labels, so that a naive ``log(1 + e^t)`` or ``e^z / (1 + e^z)`` gives inf or NaN. The naive sigmoid
``1 / (1 + e^{-z})`` returns the right number at z = -10,000 (1/inf = 0) but only after ``e^{-z}``
overflowed; it shows in the tail: for -745 < z < -709.78 the true sigmoid is a tiny positive number that a
stable formula returns, while the naive one returns exactly 0 there.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from dlfoundations import activations, losses
from dlfoundations.kit import data
from dlfoundations.kit.compare import Case, Finding
from dlfcourse.grader.checks import mistakes as m
from dlfcourse.grader.checks import stability as st
from dlfcourse.grader.checks.common import Assignment, Item, Pass, Result, as_float, declare
from dlfcourse.grader.checks.core import Compared, Seen, known
from dlfcourse.grader.checks.values import finite, scalar
from dlfcourse.grader.inputs import random_scores, standard_situations
from dlfcourse.grader.student import Student

__all__ = ["ASSIGNMENT", "TRAIN_LR", "TRAIN_STEPS", "TRAIN_ATOL", "CANCER_LR", "CANCER_STEPS", "CANCER_MIN_ACCURACY"]

#: The trainer is compared with scikit-learn after this many full-batch steps of this size.
TRAIN_LR, TRAIN_STEPS = 1.0, 500
#: |w - w_sklearn| and |b - b_sklearn| allowed after TRAIN_STEPS steps (gradient descent gets within ~1e-7).
TRAIN_ATOL = 1e-4
#: The breast-cancer run of the trainer (the notebook asks for the same values) and the accuracy it must reach.
CANCER_LR, CANCER_STEPS, CANCER_MIN_ACCURACY = 0.5, 200, 0.95

_STABILITY_HINT = ("A stable version never exponentiates a large positive number: compute e^{-|z|} once and build "
                   "both cases from it (np.where evaluates both of its branches on every entry, so an overflow "
                   "happens even in the branch you throw away), or use np.logaddexp(0, t) = log(1 + e^t).")
_LOGADDEXP = ("Compute log(1 + e^t) as np.logaddexp(0, t), which never overflows; np.log1p(np.exp(t)) does not "
              "help, the exp overflows first.")


# ----------------------------------------------------------------------------- cases


def _large_scores(rng: np.random.Generator, n: int) -> np.ndarray:
    """Scores ``(n,)`` around ±10,000 with at least one below -5,000 and one above +5,000 (n >= 2)."""
    z = random_scores(rng, n, None, 1e4)
    z[0], z[1] = -rng.uniform(5e3, 1e4), rng.uniform(5e3, 1e4)
    return rng.permutation(z)


def _large_case(rng: np.random.Generator, n: int, labels: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Scores around ±10,000 and labels ``(n,)``, n >= 4, with every combination of a score beyond ±5,000 and a
    label: confident hits and confident mistakes, so every naive formula overflows."""
    z = random_scores(rng, n, None, 1e4)
    z[:4] = np.array([-1.0, -1.0, 1.0, 1.0]) * rng.uniform(5e3, 1e4, size=4)
    y = rng.choice(labels, size=n).astype(np.float64)
    y[:4] = labels[0], labels[1], labels[0], labels[1]
    order = rng.permutation(n)
    return z[order], y[order]


def _score_cases(rng: np.random.Generator, labels: tuple[float, float]) -> list[Case]:
    """The standard binary situations: random batch, N = 1, large scores (every sign and label beyond ±5,000)."""
    cases = []
    for s in standard_situations(rng, multiclass=False):
        n = max(s.batch_size, 4) if s.large else s.batch_size
        if s.large:
            z, y = _large_case(rng, n, labels)
        else:
            z = random_scores(rng, n, None, s.scale)
            y = rng.choice(labels, size=n).astype(np.float64)
            if n > 1:
                y[:2] = labels
                y = rng.permutation(y)
        cases.append(Case(s.description, (z, y), n))
    return cases


def _labels01(rng: np.random.Generator, n: int) -> np.ndarray:
    """Labels ``(n,)`` in {0.0, 1.0}, both present when n > 1."""
    y = rng.integers(0, 2, size=n).astype(np.float64)
    if n > 1:
        y[:2] = 0.0, 1.0
    return rng.permutation(y)


# ----------------------------------------------------------------------------- sigmoid


def _sigmoid_cases(rng: np.random.Generator) -> list[Case]:
    n = int(rng.integers(4, 10))
    return [Case(f"on a random vector of {n} scores", (random_scores(rng, n, None),)),
            Case("on a single score (shape (1,))", (random_scores(rng, 1, None),)),
            Case("on large scores (around ±10,000, both signs)", (_large_scores(rng, n),)),
            Case(f"on a matrix of scores (shape (3, {n}))", (random_scores(rng, 3, n, 5.0),))]


def _first_not_finite(s: Seen) -> Any:
    values, z = s.array("sigmoid(z)"), s.args[0]
    if values is None or values.shape != z.shape or finite(values):
        return None
    bad = ~np.isfinite(values)
    return {"value": values[bad][0], "z": float(z[bad][0])}


_TAIL = (
    st.naive_sigmoid(lambda z: (
        f"your sigmoid returns exactly 0 at z = {z:.6g}, where the true value is "
        f"{float(activations.sigmoid(np.array([z]))[0]):.3g}: e^{{-z}} overflowed to inf there (numpy warns 'overflow "
        "encountered in exp'), and 1 / (1 + inf) = 0 only by luck. At z = -10,000 the same overflow happens. "
        f"{_STABILITY_HINT}"), "sigmoid(z)"),
    st.overflow_in_unused_branch(
        "an exp() in your sigmoid overflows (numpy raises 'overflow encountered in exp' when overflows are errors, "
        "as the hidden tests make them), although the values you return are right. np.where computes both branches "
        "on every entry and only then throws one away, so a naive formula in the unused branch still overflows. "
        f"Compute e^{{-|z|}}, which never overflows, and build both cases from it. {_STABILITY_HINT}"),
)


def _check_tail(student: Student, rng: np.random.Generator) -> Result:
    """Scores where e^{-z} overflows but the sigmoid is still a positive (subnormal) number: the values match the
    reference within its tolerance either way, so the tail is judged by its known mistakes alone."""
    z = np.concatenate([-rng.uniform(710.5, 725.0, size=3), rng.uniform(-30.0, 30.0, size=3)])
    case = Case("on scores just below -709.78 (where e^{-z} overflows, z = -710 ... -725) and moderate ones",
                (rng.permutation(z),))
    returned = student.call("sigmoid", *case.args, case=case)
    if returned.finding is not None:
        return returned.finding
    values = as_float(returned.value)
    if values is None or values.shape != case.args[0].shape:
        return Finding("wrong-shape", f"{case.opening}, sigmoid(z) should have the shape of z, {case.args[0].shape}.")
    seen = Seen(case, returned.value, activations.sigmoid(case.args[0]), ("sigmoid(z)",), student, "sigmoid")
    return known(seen, _TAIL) or Pass("")


SIGMOID = Compared("sigmoid", activations.sigmoid, _sigmoid_cases, ("sigmoid(z)",), (
    m.probe("overflow", "not-finite", lambda value, z: (
        f"your sigmoid gives {value} at z = {z:.6g}: there e^{'z' if z > 0 else '-z'} overflowed to inf (and inf / inf "
        f"is NaN). {_STABILITY_HINT}"), _first_not_finite),
    m.variant("one-minus-sigmoid", "sign-flipped", "your values are 1 - sigmoid(z) = sigmoid(-z): the sigmoid is "
              "1 / (1 + e^{-z}), close to 1 for large positive z.", lambda s: 1.0 - s.right("sigmoid(z)")),
    m.raised("math-range-error", "math range error", "math.exp overflows for a score above 709 (large scores "
             f"here). {_STABILITY_HINT}"),
))


# ----------------------------------------------------------------------------- the two label conventions


def _bce_with(sigmoid: Callable[..., Any]) -> Callable[..., tuple[float, np.ndarray]]:
    """The {0, 1} loss built on ``sigmoid``: mean of log(1 + e^z) - y z, gradient (sigmoid(z) - y) / N.

    It checks no labels, as the notebook's function does not: called with other labels it gives what the
    formula gives (what a student's later function then does with it is that function's own doing).
    """
    def reference(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        return float(np.mean(np.logaddexp(0.0, z) - y * z)), \
            (np.asarray(sigmoid(z), dtype=np.float64) - y) / len(z)
    return reference


def _logistic_with(sigmoid: Callable[..., Any]) -> Callable[..., tuple[float, np.ndarray]]:
    """The {-1, +1} loss built on ``sigmoid``: mean of log(1 + e^{-y z}), gradient -y sigmoid(-y z) / N.

    No label check either: {0, 1} labels passed in by mistake give log 2 for y = 0, as in the notebook.
    """
    def reference(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        return float(np.mean(np.logaddexp(0.0, -y * z))), \
            -y * np.asarray(sigmoid(-y * z), dtype=np.float64) / len(z)
    return reference


def _not_finite(formula: str, grad: str = "dscores") -> tuple:
    """A loss that overflows, and a finite loss with a gradient that does (the sigmoid in it)."""
    def gradient_overflows(s: Seen) -> Any:
        gradient = s.array(grad)
        return {"value": gradient[~np.isfinite(gradient)][0]} if gradient is not None and not finite(gradient) else None
    return (
        m.probe("loss-overflows", "not-finite", lambda loss: (
            f"your loss is {loss}: {formula} on a score beyond ±5,000 overflows (e^t is inf for t > 709, and "
            "log(1 + inf) = inf; log of a probability that rounded to 0 is -inf). " + _LOGADDEXP),
            lambda s: {"loss": scalar(s.mine("loss"))} if scalar(s.mine("loss")) is not None and
            not finite(s.mine("loss")) else None),
        m.probe("gradient-overflows", "not-finite", lambda value: (
            f"your loss is finite but `{grad}` contains {value}: the sigmoid in the gradient overflowed. Use your "
            "stable sigmoid from item 1."), gradient_overflows),
        m.raised("math-range-error", "math range error", "math.exp overflows on a score above 709 (large scores "
                 "here). " + _LOGADDEXP),
    )


def _signed(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    return float(np.mean(np.logaddexp(0.0, -y * z))), -y * activations.sigmoid(-y * z) / len(z)


def _as01(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    return float(np.mean(np.logaddexp(0.0, z) - y * z)), (activations.sigmoid(z) - y) / len(z)


BCE = Compared("binary_cross_entropy", losses.binary_cross_entropy, lambda rng: _score_cases(rng, (0.0, 1.0)),
               ("loss", "dscores"), (
    *_not_finite("log(1 + e^z) (or log(sigmoid(z)))"),
    m.sign_flipped("gradient-sign", "dscores", "`dscores` has the opposite sign: the derivative of log(1 + e^z) - y z "
                   "is sigmoid(z) - y (prediction minus label), not y - sigmoid(z)."),
    m.variant("signed-formula", "wrong-value", "you used the {-1, +1} formula log(1 + e^(-y z)) on labels y in "
              "{0, 1}: with y = 0 it gives log 2 whatever the score. Here use log(1 + e^z) - y z, or convert the "
              "labels first (2y - 1).", lambda s: _signed(*s.args)[0], "loss", when=lambda s: s.n > 1),
), batch=(0, 1))


def _logistic_cases(rng: np.random.Generator) -> list[Case]:
    n = int(rng.integers(4, 10))
    return _score_cases(rng, (-1.0, 1.0)) + [Case(
        f"on labels 2y - 1 made from labels y in {{0, 1}} (N = {n}): it must agree with the binary cross-entropy on y",
        (random_scores(rng, n, None), 2 * _labels01(rng, n) - 1), n)]


LOGISTIC = Compared("logistic_loss", losses.logistic_loss, _logistic_cases, ("loss", "dscores"), (
    *_not_finite("log(1 + e^(-y z))"),
    m.sign_flipped("gradient-sign", "dscores", "`dscores` has the opposite sign: the derivative of log(1 + e^(-y z)) "
                   "is -y sigmoid(-y z), negative for y = +1."),
    m.variant("01-formula", "wrong-value", "you used the {0, 1} formula log(1 + e^z) - y z on labels y in {-1, +1}. "
              "Here the loss is log(1 + e^(-y z)), or convert the labels first: (y + 1) / 2 is in {0, 1}.",
              lambda s: _as01(*s.args)[0], "loss"),
    m.variant("sign-inside-sigmoid", "wrong-value", "the loss is right but `dscores` is -y sigmoid(y z) / N: the "
              "derivative of log(1 + e^(-y z)) is -y sigmoid(-y z), with the minus sign inside the sigmoid too.",
              lambda s: (s.right("loss"), -s.args[1] * activations.sigmoid(s.args[1] * s.args[0]) / len(s.args[0]))),
), batch=(0, 1))


# ----------------------------------------------------------------------------- logistic regression gradient


def _regression_with_bce(bce: Callable[..., Any]) -> Callable[..., tuple[float, np.ndarray, float]]:
    """``(loss, dw, db)`` of logistic regression built on a {0, 1} loss: dz pulled back through X w + b."""
    def reference(w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray, float]:
        loss, dz = bce(X @ w + b, y)
        dz = np.asarray(dz, dtype=np.float64)
        return float(np.asarray(loss, dtype=np.float64)), X.T @ dz, float(np.sum(dz))
    return reference


_REFERENCE_LOSS = _regression_with_bce(losses.binary_cross_entropy)


def _regression_case(rng: np.random.Generator, description: str, n: int, large: bool) -> Case:
    d = int(rng.integers(2, 6))
    X, w, b = rng.normal(size=(n, d)), rng.normal(size=d), float(rng.normal())
    if large:  # two examples with scores -7,000 and +7,000, the others around ±10,000
        w, b = w * 1e4 / np.sqrt(d), 0.0
        X[:2] = np.outer([-1.0, 1.0], w) * (7e3 / float(w @ w))
    y = _labels01(rng, n)
    if large:
        y[:2] = 1.0, 0.0  # both confident mistakes
    return Case(description, (w, b, X, y), n)


def _squared_error_gradient(s: Seen) -> np.ndarray:
    w, b, X, y = s.args
    p = activations.sigmoid(X @ w + b)
    return X.T @ ((p - y) * p * (1 - p)) / len(y)


_SIGNED_REGRESSION = _regression_with_bce(_signed)

REGRESSION = Compared("logistic_regression_loss", _REFERENCE_LOSS, lambda rng: [
    _regression_case(rng, s.description, max(s.batch_size, 2) if s.large else s.batch_size, s.large)
    for s in standard_situations(rng, multiclass=False)], ("loss", "dw", "db"), (
    m.probe("loss-overflows", "not-finite", lambda loss: (
        f"your loss is {loss}: log(1 + e^z) or log(sigmoid(z)) overflowed on a score beyond ±5,000. Compute "
        "log(1 + e^z) as np.logaddexp(0, z)."), lambda s: {"loss": scalar(s.mine("loss"))}
        if scalar(s.mine("loss")) is not None and not finite(s.mine("loss")) else None),
    m.column_shape("dw-column", lambda shape, d: (
        f"`dw` has shape {shape}, a column: it should have the shape of w, ({d},). Keep z and the error vector 1-D "
        "(shape (N,)), not (N, 1)."), "dw"),
    m.regularisation_added("regularisation-added", lambda lam, excess, where: (
        f"{m.penalty(lam, excess, where)}: you added a regularisation term, but this item's loss is the plain mean "
        "binary cross-entropy. Remove it."), lambda s: [s.args[0]], ("dw",)),
    m.sign_flipped("gradient-sign", "dw", "`dw` has the opposite sign: the error is sigmoid(z) - y (prediction minus "
                   "label), dw = X^T (sigmoid(z) - y) / N."),
    m.variant("squared-error-gradient", "wrong-value", "`dw` is the gradient of the squared error (1/2)(sigmoid(z) - "
              "y)², with the factor sigmoid'(z) = sigmoid(z)(1 - sigmoid(z)). For the cross-entropy that factor "
              "cancels: dz = (sigmoid(z) - y) / N, dw = X^T dz.", _squared_error_gradient, "dw"),
    m.variant("signed-loss-on-01-labels", "wrong-value", "you used the {-1, +1} logistic loss on labels y in {0, 1} "
              "(with y = 0 it is log 2 whatever the score): convert them with 2y - 1 before calling logistic_loss, or "
              "use the {0, 1} form log(1 + e^z) - y z.", lambda s: _SIGNED_REGRESSION(*s.args)),
    m.raised("math-range-error", "math range error", "math.exp overflows on a score above 709 (large scores here). "
             "Compute log(1 + e^z) as np.logaddexp(0, z)."),
), batch=(2, 3))


# ----------------------------------------------------------------------------- trainer, against scikit-learn


def _trainer_with(regression_loss: Callable[..., Any]) -> Callable[..., tuple[np.ndarray, float, list[float]]]:
    """The trainer's reference built on ``logistic_regression_loss``: loss recorded before each update."""
    def reference(X: np.ndarray, y: np.ndarray, lr: float, steps: int) -> tuple[np.ndarray, float, list[float]]:
        w, b, history = np.zeros(X.shape[1]), 0.0, []
        for _ in range(steps):
            loss, dw, db = regression_loss(w, b, X, y)
            history.append(float(np.asarray(loss, dtype=np.float64)))
            w = w - lr * np.asarray(dw, dtype=np.float64)
            b = float(b - lr * np.asarray(db, dtype=np.float64))
        return w, b, history
    return reference


def _late_bias(X: np.ndarray, y: np.ndarray, lr: float, steps: int) -> tuple[np.ndarray, float, np.ndarray]:
    """A slip: b's gradient taken after w was updated (two gradient evaluations per step)."""
    w, b, history = np.zeros(X.shape[1]), 0.0, []
    for _ in range(steps):
        loss, dw, _ = _REFERENCE_LOSS(w, b, X, y)
        history.append(loss)
        w = w - lr * dw
        b = b - lr * _REFERENCE_LOSS(w, b, X, y)[2]
    return w, b, np.asarray(history)


def _overlapping_data(rng: np.random.Generator, n: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Standardised ``X`` ``(n, d)`` and labels in {0, 1} drawn from a logistic model: the classes overlap."""
    X = rng.normal(size=(n, d))
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    w, b = rng.uniform(-1.0, 1.0, size=d), float(rng.choice([-1.0, 1.0]) * rng.uniform(0.3, 1.0))
    y = (rng.uniform(size=n) < activations.sigmoid(X @ w + b)).astype(np.float64)
    y[:2] = 0.0, 1.0
    return X, y


def _trainer_cases(rng: np.random.Generator) -> list[Case]:
    n, d, steps = int(rng.integers(10, 30)), int(rng.integers(2, 5)), int(rng.integers(3, 12))
    X, y = _overlapping_data(rng, n, d)
    return [Case(f"on random data (N = {n}, d = {d}, lr = 0.5, {steps} steps from w = 0, b = 0)", (X, y, 0.5, steps),
                 n)]


def _history(s: Seen) -> np.ndarray | None:
    history = s.array("losses")
    return None if history is None else history.ravel()


def _after_update(s: Seen) -> tuple:
    X, y = s.args[:2]
    w, b, history = s.right()
    return w, b, np.append(history[1:], _REFERENCE_LOSS(w, b, X, y)[0])


def _one_loss_per_step(s: Seen) -> Any:
    history = _history(s)
    return {"got": len(history), "steps": s.args[3]} if history is not None and len(history) != s.args[3] else None


def _goes_up(s: Seen) -> Any:
    history, right = _history(s), s.right("losses")
    return {"first": history[0], "last": history[-1]} if history is not None and len(history) > 2 and \
        history[-1] > history[0] and right[-1] < right[0] else None


def _not_from_zero(s: Seen) -> Any:
    history = _history(s)
    if history is None or (history.size and np.isclose(history[0], math.log(2.0), rtol=1e-9, atol=1e-9)):
        return None
    return {"first": f"{float(history[0])}" if history.size else "missing"}


TRAINER = Compared("train_logistic_regression", _trainer_with(_REFERENCE_LOSS), _trainer_cases, ("w", "b", "losses"), (
    m.probe("one-loss-per-step", "wrong-shape", lambda got, steps: (
        f"`losses` has {got} entries but should have one per step ({steps}): run exactly `steps` updates, and record "
        "the loss once per update."), _one_loss_per_step),
    m.stays_zero("bias-never-updated", "missing-bias-grad", "b", "b is still 0 after training: update the bias too "
                 "(b <- b - lr * db)."),
    m.probe("uphill", "sign-flipped", lambda first, last: (
        f"your losses grow from {first:.4g} to {last:.4g}: the steps go uphill. Gradient descent subtracts the "
        "gradient: w <- w - lr * dw, b <- b - lr * db."), _goes_up),
    m.variant("loss-after-the-update", "wrong-value", "w and b are right but each entry of `losses` is the loss after "
              "the update: append the loss computed at the current parameters before updating them, so that "
              f"losses[0] is the loss at zero, ln 2 = {math.log(2.0):.6f}.", _after_update),
    m.probe("not-from-zero", "wrong-value", lambda first: (
        f"losses[0] is {first}, but it should be the loss at the start (w = 0, b = 0), which is ln 2 = "
        f"{math.log(2.0):.6f}: start from zeros, and record the loss before each update."), _not_from_zero),
    m.variant("late-bias-gradient", "wrong-value", "your bias step uses a gradient computed after w was updated: take "
              "dw and db from the same evaluation of logistic_regression_loss, then update both.",
              lambda s: _late_bias(*s.args)),
))


def _sklearn_fit(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float, float]:
    """The unpenalised maximum-likelihood fit: scikit-learn's LogisticRegression with C = inf (no penalty)."""
    from sklearn.linear_model import LogisticRegression

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(X, y)
    w, b = model.coef_[0], float(model.intercept_[0])
    loss, _ = losses.binary_cross_entropy(X @ w + b, y)
    return w, b, loss


def _trained(got: Any, X: np.ndarray, case: Case) -> tuple[np.ndarray, float, np.ndarray] | Finding:
    """``(w, b, losses)`` from a trainer, or a finding about their form."""
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        return Finding("wrong-type", f"{case.opening}, `train_logistic_regression` should return (w, b, losses).")
    w, b, history = (as_float(v) for v in got)
    if w is None or b is None or history is None:
        return Finding("wrong-type", f"{case.opening}, `train_logistic_regression` should return w (an array), b "
                       "(a number) and losses (a list of numbers).")
    if w.shape != (X.shape[1],):
        return Finding("wrong-shape", f"{case.opening}, w has shape {w.shape} but should have shape ({X.shape[1]},): "
                       "one weight per feature.")
    if b.size != 1:
        return Finding("wrong-shape", f"{case.opening}, b has shape {b.shape}; it should be one number.")
    return w, float(b.reshape(())), history.ravel()


def _matches_sklearn(student: Student, rng: np.random.Generator) -> Result:
    n, d = int(rng.integers(150, 250)), int(rng.integers(2, 5))
    X, y = _overlapping_data(rng, n, d)
    case = Case(f"on standardised, overlapping data (N = {n}, d = {d}) with lr = {TRAIN_LR} and steps = "
                f"{TRAIN_STEPS}", (X, y, TRAIN_LR, TRAIN_STEPS), n)
    returned = student.call("train_logistic_regression", *case.args, case=case)
    if returned.finding is not None:
        return returned.finding
    trained = _trained(returned.value, X, case)
    if isinstance(trained, Finding):
        return trained
    w, b, history = trained
    if history.shape != (TRAIN_STEPS,):
        return Finding("wrong-shape", f"{case.opening}, `losses` has {history.size} entries but should have one per "
                       f"step ({TRAIN_STEPS}).")
    if not (np.all(np.isfinite(w)) and np.isfinite(b)):
        return Finding("not-finite", f"{case.opening}, training diverged (w or b is inf or NaN).")
    sk_w, sk_b, sk_loss = _sklearn_fit(X, y)
    if not (np.allclose(w, sk_w, rtol=0.0, atol=TRAIN_ATOL) and abs(b - sk_b) <= TRAIN_ATOL):
        return Finding("wrong-value", f"{case.opening}, your (w, b) is not the maximum-likelihood solution found by "
                       "scikit-learn's LogisticRegression without penalty: |w - w_sklearn| is up to "
                       f"{float(np.max(np.abs(w - sk_w))):.3g} and |b - b_sklearn| = {abs(b - sk_b):.3g} (allowed: "
                       f"{TRAIN_ATOL:g}). Your final loss is {history[-1]:.8f}; the optimum is {sk_loss:.8f}. Check "
                       "the update w <- w - lr dw, b <- b - lr db, once per step, for all the steps.")
    return Pass(f"Your trainer reaches scikit-learn's maximum-likelihood fit to {TRAIN_ATOL:g}.")


def check_breast_cancer(student: Student, rng: np.random.Generator) -> Result:
    """Retrain with the student's trainer on the breast-cancer split and measure the test accuracy here."""
    X, y = data.load_breast_cancer()
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, test_fraction=0.25, seed=0)
    mean, std = data.fit_standardiser(X_train)
    X_train, X_test = data.standardise(X_train, mean, std), data.standardise(X_test, mean, std)
    case = Case(f"on the breast cancer data (standardised, lr = {CANCER_LR}, steps = {CANCER_STEPS})",
                (X_train, y_train.astype(np.float64), CANCER_LR, CANCER_STEPS))
    returned = student.call("train_logistic_regression", *case.args, case=case)
    if returned.finding is not None:
        return returned.finding
    trained = _trained(returned.value, X_train, case)
    if isinstance(trained, Finding):
        return trained
    w, b, _ = trained
    accuracy = float(np.mean((X_test @ w + b >= 0) == (y_test == 1))) if np.all(np.isfinite(w)) else 0.0
    if not accuracy >= CANCER_MIN_ACCURACY:
        return Finding("did-not-learn", f"Retrained {case.description}, your logistic regression reaches a test "
                       f"accuracy of {accuracy:.3f}, below the required {CANCER_MIN_ACCURACY}: check the training "
                       "loop (item 5), w <- w - lr dw and b <- b - lr db once per step, for all the steps.")
    return Pass(f"Retrained on the breast cancer data: test accuracy {accuracy:.3f} (at least {CANCER_MIN_ACCURACY} "
                "required).")


_CALLS_OF_THE_TRAINER = ("sigmoid", "binary_cross_entropy", "logistic_loss", "logistic_regression_loss")

ASSIGNMENT = Assignment("03-maximum-likelihood", (
    declare("sigmoid-test", SIGMOID, then=_check_tail, mistakes=_TAIL),
    declare("bce-test", BCE, calls=("sigmoid",)),
    declare("logistic-test", LOGISTIC, calls=("sigmoid", "binary_cross_entropy")),
    declare("gradient-test", REGRESSION, calls=("sigmoid", "binary_cross_entropy", "logistic_loss")),
    declare("trainer-test", TRAINER, then=_matches_sklearn, calls=_CALLS_OF_THE_TRAINER),
    Item("cancer-test", ("train_logistic_regression",), check_breast_cancer, calls=_CALLS_OF_THE_TRAINER),
), references={  # what the earlier functions answer while a later item is graded (see common.Assignment)
    "sigmoid": activations.sigmoid,
    "binary_cross_entropy": _bce_with(activations.sigmoid),
    "logistic_loss": _logistic_with(activations.sigmoid),
    "logistic_regression_loss": _regression_with_bce(_bce_with(activations.sigmoid)),
})
