"""Hidden checks of assignment 03-maximum-likelihood: sigmoid, the two label conventions, logistic regression.

Each check draws its inputs from the item's seed, computes the answer with the
reference library (:mod:`dlfoundations.activations`, :mod:`dlfoundations.losses`)
or, for the trainer, also with scikit-learn (on the trusted side), and compares
it with what the student's function returned.

Stability is judged by the values. Large-score cases always contain scores
beyond ±5,000 of both signs with both labels, so that a naive ``log(1 + e^t)``
or ``e^z / (1 + e^z)`` gives inf or NaN. The naive sigmoid ``1 / (1 + e^{-z})``
returns the right number at z = -10,000 (1/inf = 0) but only after ``e^{-z}``
overflowed; it shows in the tail: for -745 < z < -709.78 the true sigmoid is a
tiny positive number that a stable formula returns, while the naive one
returns exactly 0 there.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from dlfoundations import activations, losses
from dlfoundations.kit import data
from dlfoundations.kit.compare import Case, Finding, values_match
from dlfcourse.grader.checks.common import Assignment, Item, Pass, Result, as_float, check_against_reference, \
    first_failure
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


def _loss_grad(got: Any) -> tuple[np.ndarray, np.ndarray] | None:
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return None
    loss, grad = as_float(got[0]), as_float(got[1])
    return None if loss is None or grad is None else (loss, grad)


def _matches(got: tuple[np.ndarray, ...], values: tuple[Any, ...]) -> bool:
    return all(np.shape(g) == np.shape(v) and values_match(np.asarray(g, dtype=np.float64),
                                                            np.asarray(v, dtype=np.float64))
               for g, v in zip(got, values))


# ----------------------------------------------------------------------------- sigmoid


def _explain_sigmoid(got: Any, expected: Any, case: Case) -> Finding | None:
    s = as_float(got)
    if s is None or s.shape != np.shape(expected):
        return None
    z = case.args[0]
    bad = ~np.isfinite(s)
    if bad.any():
        where = float(z[bad][0])
        return Finding("not-finite", f"{case.opening}, your sigmoid gives {s[bad][0]} at z = {where:.6g}: there "
                       f"e^{'z' if where > 0 else '-z'} overflowed to inf (and inf / inf is NaN). {_STABILITY_HINT}")
    if values_match(s, 1.0 - expected):
        return Finding("sign-flipped", f"{case.opening}, your values are 1 - sigmoid(z) = sigmoid(-z): the sigmoid "
                       "is 1 / (1 + e^{-z}), close to 1 for large positive z.")
    return None


def _tail_case(rng: np.random.Generator) -> Case:
    """Scores where e^{-z} overflows but the sigmoid is still a positive (subnormal) number, and moderate ones."""
    z = np.concatenate([-rng.uniform(710.5, 725.0, size=3), rng.uniform(-30.0, 30.0, size=3)])
    return Case("on scores just below -709.78 (where e^{-z} overflows, z = -710 ... -725) and moderate ones",
                (rng.permutation(z),))


def _check_tail(student: Student, case: Case) -> Result:
    """The naive 1 / (1 + e^{-z}) returns exactly 0 where e^{-z} overflowed; the true value is positive.

    Then the same call with overflows as errors: a stable-looking ``np.where`` of two naive branches
    still overflows in the branch it throws away.
    """
    returned = student.call("sigmoid", *case.args, case=case)
    if returned.finding is not None:
        return returned.finding
    s = as_float(returned.value)
    z = case.args[0]
    if s is None or s.shape != z.shape:
        return Finding("wrong-shape", f"{case.opening}, sigmoid(z) should have the shape of z, {z.shape}.")
    deep = z < -709.78
    if np.any(s[deep] == 0.0):
        where = float(z[deep][s[deep] == 0.0][0])
        return Finding("not-finite", f"{case.opening}, your sigmoid returns exactly 0 at z = {where:.6g}, where the "
                       f"true value is {float(activations.sigmoid(np.array([where]))[0]):.3g}: e^{{-z}} overflowed "
                       "to inf there (numpy warns 'overflow encountered in exp'), and 1 / (1 + inf) = 0 only by "
                       f"luck. At z = -10,000 the same overflow happens. {_STABILITY_HINT}")
    strict = student.call("sigmoid", *case.args, case=case, raise_on_overflow=True)
    if strict.error == "FloatingPointError":
        return Finding("not-finite", f"{case.opening}, an exp() in your sigmoid overflows (numpy raises 'overflow "
                       "encountered in exp' when overflows are errors, as the hidden tests make them), although "
                       "the values you return are right. np.where computes both branches on every entry and only "
                       "then throws one away, so a naive formula in the unused branch still overflows. Compute "
                       f"e^{{-|z|}}, which never overflows, and build both cases from it. {_STABILITY_HINT}")
    return Pass("")


def check_sigmoid(student: Student, rng: np.random.Generator) -> Result:
    """``sigmoid(z)``: elementwise, any shape, no overflow at |z| = 10,000."""
    n = int(rng.integers(4, 10))
    cases = [
        Case(f"on a random vector of {n} scores", (random_scores(rng, n, None),)),
        Case("on a single score (shape (1,))", (random_scores(rng, 1, None),)),
        Case("on large scores (around ±10,000, both signs)", (_large_scores(rng, n),)),
        Case(f"on a matrix of scores (shape (3, {n}))", (random_scores(rng, 3, n, 5.0),)),
    ]
    values = check_against_reference(student, "sigmoid", activations.sigmoid, cases, ("sigmoid(z)",),
                                     explain=_explain_sigmoid)
    if isinstance(values, Finding):
        return values
    tail = _check_tail(student, _tail_case(rng))
    return values if isinstance(tail, Pass) else tail


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


def _not_finite_loss(got: tuple[np.ndarray, np.ndarray], case: Case, formula: str) -> Finding | None:
    loss, grad = got
    if not np.all(np.isfinite(loss)):
        return Finding("not-finite", f"{case.opening}, your loss is {float(np.ravel(loss)[0])}: {formula} on a "
                       "score beyond ±5,000 overflows (e^t is inf for t > 709, and log(1 + inf) = inf; log of a "
                       "probability that rounded to 0 is -inf). Compute log(1 + e^t) as np.logaddexp(0, t), which "
                       "never overflows; np.log1p(np.exp(t)) does not help, the exp overflows first.")
    if not np.all(np.isfinite(grad)):
        return Finding("not-finite", f"{case.opening}, your loss is finite but `dscores` contains "
                       f"{grad[~np.isfinite(grad)][0]}: the sigmoid in the gradient overflowed. Use your stable "
                       "sigmoid from item 1.")
    return None


def _explain_bce(got: Any, expected: Any, case: Case) -> Finding | None:
    values = _loss_grad(got)
    if values is None:
        return None
    z, y = case.args
    unstable = _not_finite_loss(values, case, "log(1 + e^z) (or log(sigmoid(z)))")
    if unstable is not None:
        return unstable
    if values[1].shape == z.shape and values_match(values[1], -expected[1]):
        return Finding("sign-flipped", f"{case.opening}, `dscores` has the opposite sign: the derivative of "
                       "log(1 + e^z) - y z is sigmoid(z) - y (prediction minus label), not y - sigmoid(z).")
    signed = (float(np.mean(np.logaddexp(0.0, -y * z))), -y * activations.sigmoid(-y * z) / len(z))
    if _matches(values, signed) or (values_match(values[0], np.asarray(signed[0])) and len(z) > 1):
        return Finding("wrong-value", f"{case.opening}, you used the {{-1, +1}} formula log(1 + e^(-y z)) on labels "
                       "y in {0, 1}: with y = 0 it gives log 2 whatever the score. Here use log(1 + e^z) - y z, "
                       "or convert the labels first (2y - 1).")
    return None


def check_binary_cross_entropy(student: Student, rng: np.random.Generator) -> Result:
    """``binary_cross_entropy(z, y) -> (loss, dscores)`` for y in {0, 1}: mean over the batch, stable."""
    return check_against_reference(student, "binary_cross_entropy", losses.binary_cross_entropy,
                                   _score_cases(rng, (0.0, 1.0)), ("loss", "dscores"), explain=_explain_bce)


def _explain_logistic(got: Any, expected: Any, case: Case) -> Finding | None:
    values = _loss_grad(got)
    if values is None:
        return None
    z, y = case.args
    unstable = _not_finite_loss(values, case, "log(1 + e^(-y z))")
    if unstable is not None:
        return unstable
    loss, grad = values
    if grad.shape == z.shape and values_match(grad, -expected[1]):
        return Finding("sign-flipped", f"{case.opening}, `dscores` has the opposite sign: the derivative of "
                       "log(1 + e^(-y z)) is -y sigmoid(-y z), negative for y = +1.")
    as01 = (float(np.mean(np.logaddexp(0.0, z) - y * z)), (activations.sigmoid(z) - y) / len(z))
    if values_match(loss, np.asarray(as01[0])) and not np.isclose(as01[0], expected[0]):
        return Finding("wrong-value", f"{case.opening}, you used the {{0, 1}} formula log(1 + e^z) - y z on labels "
                       "y in {-1, +1}. Here the loss is log(1 + e^(-y z)), or convert the labels first: "
                       "(y + 1) / 2 is in {0, 1}.")
    if np.isclose(float(loss), expected[0], rtol=1e-6) and grad.shape == z.shape and \
            values_match(grad, -y * activations.sigmoid(y * z) / len(z)):
        return Finding("wrong-value", f"{case.opening}, the loss is right but `dscores` is -y sigmoid(y z) / N: the "
                       "derivative of log(1 + e^(-y z)) is -y sigmoid(-y z), with the minus sign inside the "
                       "sigmoid too.")
    return None


def check_logistic_loss(student: Student, rng: np.random.Generator) -> Result:
    """``logistic_loss(z, y) -> (loss, dscores)`` for y in {-1, +1}: mean of log(1 + e^{-yz}), stable; it must
    agree with the binary cross-entropy on labels 2y - 1."""
    cases = _score_cases(rng, (-1.0, 1.0))
    n = int(rng.integers(4, 10))
    cases.append(Case(f"on labels 2y - 1 made from labels y in {{0, 1}} (N = {n}): it must agree with the binary "
                      "cross-entropy on y", (random_scores(rng, n, None), 2 * _labels01(rng, n) - 1), n))
    return check_against_reference(student, "logistic_loss", losses.logistic_loss, cases, ("loss", "dscores"),
                                   explain=_explain_logistic)


# ----------------------------------------------------------------------------- logistic regression gradient


def _regression_with_bce(bce: Callable[..., Any]) -> Callable[..., tuple[float, np.ndarray, float]]:
    """``(loss, dw, db)`` of logistic regression built on a {0, 1} loss: dz pulled back through X w + b."""
    def reference(w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray, float]:
        loss, dz = bce(X @ w + b, y)
        dz = np.asarray(dz, dtype=np.float64)
        return float(np.asarray(loss, dtype=np.float64)), X.T @ dz, float(np.sum(dz))
    return reference


def _explain_regression(got: Any, expected: Any, case: Case) -> Finding | None:
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        return None
    loss, dw, db = (as_float(v) for v in got)
    if loss is None or dw is None or db is None:
        return None
    w, b, X, y = case.args
    if not np.all(np.isfinite(loss)):
        return Finding("not-finite", f"{case.opening}, your loss is {float(np.ravel(loss)[0])}: log(1 + e^z) or "
                       "log(sigmoid(z)) overflowed on a score beyond ±5,000. Compute log(1 + e^z) as "
                       "np.logaddexp(0, z).")
    if dw.shape == (len(w), 1):
        return Finding("wrong-shape", f"{case.opening}, `dw` has shape {dw.shape}, a column: it should have the "
                       f"shape of w, ({len(w)},). Keep z and the error vector 1-D (shape (N,)), not (N, 1).")
    if dw.shape != w.shape:
        return None
    extra = dw - expected[1]
    lam = float(np.vdot(extra, w) / np.vdot(w, w)) if np.any(w) else 0.0
    if lam > 0 and np.any(np.abs(extra) > 1e-9) and values_match(extra, lam * w, rtol=1e-5, atol=1e-9):
        return Finding("wrong-value", f"{case.opening}, `dw` is the correct gradient plus {lam:.4g} w (and the loss "
                       f"is larger by {float(loss) - expected[0]:.4g}, ({lam:.4g}/2) ||w||²): you added a "
                       "regularisation term, but this item's loss is the plain mean binary cross-entropy. Remove "
                       "it.")
    p = activations.sigmoid(X @ w + b)
    if values_match(dw, -expected[1]):
        return Finding("sign-flipped", f"{case.opening}, `dw` has the opposite sign: the error is sigmoid(z) - y "
                       "(prediction minus label), dw = X^T (sigmoid(z) - y) / N.")
    if values_match(dw, X.T @ ((p - y) * p * (1 - p)) / len(y)):
        return Finding("wrong-value", f"{case.opening}, `dw` is the gradient of the squared error (1/2)(sigmoid(z) - "
                       "y)², with the factor sigmoid'(z) = sigmoid(z)(1 - sigmoid(z)). For the cross-entropy that "
                       "factor cancels: dz = (sigmoid(z) - y) / N, dw = X^T dz.")
    as_signed = _regression_with_bce(lambda z, labels: (float(np.mean(np.logaddexp(0.0, -labels * z))),
                                                        -labels * activations.sigmoid(-labels * z) / len(z)))
    if _matches((loss, dw, db), as_signed(w, b, X, y)):
        return Finding("wrong-value", f"{case.opening}, you used the {{-1, +1}} logistic loss on labels y in {{0, 1}} "
                       "(with y = 0 it is log 2 whatever the score): convert them with 2y - 1 before calling "
                       "logistic_loss, or use the {0, 1} form log(1 + e^z) - y z.")
    return None


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


def check_logistic_regression_loss(student: Student, rng: np.random.Generator) -> Result:
    """``logistic_regression_loss(w, b, X, y) -> (loss, dw, db)``: mean BCE of X w + b and its gradients."""
    cases = [_regression_case(rng, s.description, max(s.batch_size, 2) if s.large else s.batch_size, s.large)
             for s in standard_situations(rng, multiclass=False)]
    return check_against_reference(student, "logistic_regression_loss",
                                   _regression_with_bce(losses.binary_cross_entropy), cases, ("loss", "dw", "db"),
                                   explain=_explain_regression)


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


_REFERENCE_LOSS = _regression_with_bce(losses.binary_cross_entropy)


def _late_bias(X: np.ndarray, y: np.ndarray, lr: float, steps: int) -> tuple[np.ndarray, float, np.ndarray]:
    """A slip: b's gradient taken after w was updated (two gradient evaluations per step)."""
    w, b, history = np.zeros(X.shape[1]), 0.0, []
    for _ in range(steps):
        loss, dw, _ = _REFERENCE_LOSS(w, b, X, y)
        history.append(loss)
        w = w - lr * dw
        b = b - lr * _REFERENCE_LOSS(w, b, X, y)[2]
    return w, b, np.asarray(history)


def _explain_trainer(got: Any, expected: Any, case: Case) -> Finding | None:
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        return None
    w, b, history = (as_float(v) for v in got)
    if w is None or b is None or history is None or w.shape != expected[0].shape or b.size != 1:
        return None
    history = history.ravel()
    X, y, lr, steps = case.args
    if len(history) != steps:
        return Finding("wrong-shape", f"{case.opening}, `losses` has {len(history)} entries but should have one per "
                       f"step ({steps}): run exactly `steps` updates, and record the loss once per update.")
    if not np.any(b) and abs(expected[1]) > 1e-9:
        return Finding("missing-bias-grad", f"{case.opening}, b is still 0 after training: update the bias too "
                       "(b <- b - lr * db).")
    if len(history) > 2 and history[-1] > history[0] and expected[2][-1] < expected[2][0]:
        return Finding("sign-flipped", f"{case.opening}, your losses grow from {history[0]:.4g} to "
                       f"{history[-1]:.4g}: the steps go uphill. Gradient descent subtracts the gradient: "
                       "w <- w - lr * dw, b <- b - lr * db.")
    if len(history) == steps and values_match(w, expected[0]) and np.isclose(float(b.ravel()[0]), expected[1]):
        after = np.append(expected[2][1:], _REFERENCE_LOSS(expected[0], expected[1], X, y)[0])
        if values_match(history, after):
            return Finding("wrong-value", f"{case.opening}, w and b are right but each entry of `losses` is the loss "
                           "after the update: append the loss computed at the current parameters before updating "
                           f"them, so that losses[0] is the loss at zero, ln 2 = {math.log(2.0):.6f}.")
    if not np.isclose(history[0] if history.size else np.nan, math.log(2.0), rtol=1e-9, atol=1e-9):
        return Finding("wrong-value", f"{case.opening}, losses[0] is "
                       f"{float(history[0]) if history.size else 'missing'}, but it should be the loss at the start "
                       f"(w = 0, b = 0), which is ln 2 = {math.log(2.0):.6f}: start from zeros, and record the loss "
                       "before each update.")
    if _matches((w, b.ravel()[0], history), _late_bias(X, y, lr, steps)):
        return Finding("wrong-value", f"{case.opening}, your bias step uses a gradient computed after w was updated: "
                       "take dw and db from the same evaluation of logistic_regression_loss, then update both.")
    return None


def _overlapping_data(rng: np.random.Generator, n: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Standardised ``X`` ``(n, d)`` and labels in {0, 1} drawn from a logistic model: the classes overlap."""
    X = rng.normal(size=(n, d))
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    w, b = rng.uniform(-1.0, 1.0, size=d), float(rng.choice([-1.0, 1.0]) * rng.uniform(0.3, 1.0))
    y = (rng.uniform(size=n) < activations.sigmoid(X @ w + b)).astype(np.float64)
    y[:2] = 0.0, 1.0
    return X, y


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


def check_train_logistic_regression(student: Student, rng: np.random.Generator) -> Result:
    """``train_logistic_regression(X, y, lr, steps) -> (w, b, losses)``: the reference trajectory on a small problem,
    then the maximum-likelihood fit of scikit-learn on overlapping data."""
    n, d, steps = int(rng.integers(10, 30)), int(rng.integers(2, 5)), int(rng.integers(3, 12))
    X, y = _overlapping_data(rng, n, d)
    case = Case(f"on random data (N = {n}, d = {d}, lr = 0.5, {steps} steps from w = 0, b = 0)", (X, y, 0.5, steps), n)
    trajectory = check_against_reference(student, "train_logistic_regression", _trainer_with(_REFERENCE_LOSS),
                                         [case], ("w", "b", "losses"), explain=_explain_trainer)
    if isinstance(trajectory, Finding):
        return trajectory
    return first_failure([trajectory, _matches_sklearn(student, rng)])


def check_breast_cancer(student: Student, rng: np.random.Generator) -> Result:
    """Retrain with the student's trainer on the breast-cancer split and measure the test accuracy here."""
    X, y = data.load_breast_cancer()
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, test_fraction=0.25, seed=0)
    mean, std = data.fit_standardizer(X_train)
    X_train, X_test = data.standardize(X_train, mean, std), data.standardize(X_test, mean, std)
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
    Item("sigmoid-test", ("sigmoid",), check_sigmoid),
    Item("bce-test", ("binary_cross_entropy",), check_binary_cross_entropy, calls=("sigmoid",)),
    Item("logistic-test", ("logistic_loss",), check_logistic_loss, calls=("sigmoid", "binary_cross_entropy")),
    Item("gradient-test", ("logistic_regression_loss",), check_logistic_regression_loss,
         calls=("sigmoid", "binary_cross_entropy", "logistic_loss")),
    Item("trainer-test", ("train_logistic_regression",), check_train_logistic_regression, calls=_CALLS_OF_THE_TRAINER),
    Item("cancer-test", ("train_logistic_regression",), check_breast_cancer, calls=_CALLS_OF_THE_TRAINER),
), references={  # what the earlier functions answer while a later item is graded (see common.Assignment)
    "sigmoid": activations.sigmoid,
    "binary_cross_entropy": _bce_with(activations.sigmoid),
    "logistic_loss": _logistic_with(activations.sigmoid),
    "logistic_regression_loss": _regression_with_bce(_bce_with(activations.sigmoid)),
})
