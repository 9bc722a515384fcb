"""Hidden tests of assignment 03-maximum-likelihood: one ``check_<item>(student_fn)`` per graded item.

Every check draws fresh random inputs, computes the answer with the reference
library (:mod:`dlfoundations.activations`, :mod:`dlfoundations.losses`,
:mod:`dlfoundations.layers`) or, for the trainer, with scikit-learn, and
compares it with the student's result.

Stability is tested strictly: the student's function runs with numpy's
floating-point warnings turned into errors (``np.errstate(over="raise",
divide="raise", invalid="raise")``). The naive sigmoid ``1 / (1 + exp(-z))``
returns the right numbers at z = -10,000 but only after ``exp`` overflowed to
inf; here that overflow is caught and reported as ``not-finite``. Large-score
cases always contain scores beyond ±5,000 of both signs, so that every naive
formula overflows.
"""

from __future__ import annotations

import math
import sys
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from dlfoundations import activations, layers, losses
from dlfoundations.kit import data
from dlfoundations.grading import guard
from dlfoundations.grading.check import Case, compare_result
from dlfoundations.grading.failure import GradingFailure
from dlfoundations.grading.inputs import fresh_rng, random_scores, standard_situations

__all__ = [
    "TRAIN_LR",
    "TRAIN_STEPS",
    "CANCER_LR",
    "CANCER_STEPS",
    "check_sigmoid",
    "check_binary_cross_entropy",
    "check_logistic_loss",
    "check_logistic_regression_loss",
    "check_train_logistic_regression",
    "check_breast_cancer",
]

#: The trainer is compared with scikit-learn after this many full-batch steps of this size.
TRAIN_LR, TRAIN_STEPS = 1.0, 500
#: The breast-cancer run of the trainer (the notebook asks for the same values).
CANCER_LR, CANCER_STEPS, CANCER_MIN_ACCURACY = 0.5, 200, 0.95
#: |w - w_sklearn| and |b - b_sklearn| allowed after TRAIN_STEPS steps (gradient descent gets within ~1e-7; checked on 2,000 random draws).
TRAIN_ATOL = 1e-4

_errstate = np.errstate
_STABILITY_HINT = ("A stable version never exponentiates a large positive number: compute e^{-|z|} instead "
                   "(careful: np.where evaluates both of its branches on every entry, so an overflow happens even "
                   "in the branch you throw away), or use np.logaddexp(0, t) = log(1 + e^t).")


def _call_strictly(student_fn: Callable, case: Case, what: str) -> Any:
    """Call the student with floating-point warnings as errors; an overflow becomes a ``not-finite`` failure."""
    with _errstate(over="raise", divide="raise", invalid="raise"):
        try:
            return guard.call_student(student_fn, *case.args, what=f"`{what}`", **case.kwargs)
        except GradingFailure as failure:
            if failure.code != "raised-error" or "FloatingPointError: " not in failure.message:
                raise
            detail = failure.message.split("FloatingPointError: ", 1)[1]
    raise GradingFailure("not-finite", f"{case.opening}, `{what}` is not numerically stable: numpy reported "
                         f"{detail}. There the result is inf or NaN (or only right by luck). {_STABILITY_HINT}")


def _check(student_fn: Callable, reference_fn: Callable, cases: list[Case], names: tuple[str, ...], what: str,
           report: bool = True) -> None:
    """Compare ``student_fn`` with ``reference_fn`` on every case (strict floating point), with diagnoses."""
    for case in cases:
        expected = reference_fn(*[a.copy() if isinstance(a, np.ndarray) else a for a in case.args])
        compare_result(_call_strictly(student_fn, case, what), expected, names, case)
    if report:
        print(f"{what}: all hidden checks passed.")


def _large_scores(rng: np.random.Generator, n: int) -> np.ndarray:
    """Scores ``(n,)`` around ±10,000 with at least one below -5,000 and one above +5,000 (n >= 2)."""
    z = random_scores(rng, n, None, 1e4)
    z[0], z[1] = -rng.uniform(5e3, 1e4), rng.uniform(5e3, 1e4)
    return rng.permutation(z)


def _large_case(rng: np.random.Generator, n: int, labels: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Scores around ±10,000 and labels ``(n,)``, n >= 4, that contain every combination of a score beyond
    ±5,000 with each label: confident hits and confident mistakes, so every naive formula overflows."""
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
        if s.scale > 100:
            z, y = _large_case(rng, s.batch_size, labels)
        else:
            z = random_scores(rng, s.batch_size, None, s.scale)
            y = rng.choice(labels, size=s.batch_size).astype(np.float64)
            if s.batch_size > 1:
                y[:2] = labels
                y = rng.permutation(y)
        cases.append(Case(s.description, (z, y), s.batch_size))
    return cases


def _labels01(rng: np.random.Generator, n: int) -> np.ndarray:
    """Labels ``(n,)`` in {0.0, 1.0}, both present when n > 1."""
    y = rng.integers(0, 2, size=n).astype(np.float64)
    if n > 1:
        y[:2] = 0.0, 1.0
    return rng.permutation(y)


# ----------------------------------------------------------------------------- sigmoid


def check_sigmoid(student_fn: Callable) -> None:
    """``sigmoid(z)``: elementwise, any shape, no overflow at |z| = 10,000."""
    rng = fresh_rng()
    n = int(rng.integers(4, 10))
    cases = [
        Case(f"on a random vector of {n} scores", (random_scores(rng, n, None),)),
        Case("on a single score (shape (1,))", (random_scores(rng, 1, None),)),
        Case("on large scores (around ±10,000, both signs)", (_large_scores(rng, n),)),
        Case(f"on a matrix of scores (shape (3, {n}))", (random_scores(rng, 3, n, 5.0),)),
    ]
    _check(student_fn, activations.sigmoid, cases, ("sigmoid(z)",), "sigmoid")


# ----------------------------------------------------------------------------- the two label conventions


def check_binary_cross_entropy(student_fn: Callable) -> None:
    """``binary_cross_entropy(z, y) -> (loss, dscores)`` for y in {0, 1}: mean over the batch, stable."""
    rng = fresh_rng()
    cases = _score_cases(rng, (0.0, 1.0))
    _check(student_fn, losses.binary_cross_entropy, cases, ("loss", "dscores"), "binary_cross_entropy")


def _bce_on_signed_labels(z: np.ndarray, y_signed: np.ndarray) -> tuple[float, np.ndarray]:
    """The {0, 1} form evaluated on labels ``2y - 1``: the two conventions must agree."""
    return losses.binary_cross_entropy(z, (y_signed + 1) / 2)


def check_logistic_loss(student_fn: Callable) -> None:
    """``logistic_loss(z, y) -> (loss, dscores)`` for y in {-1, +1}: mean of log(1 + e^{-yz}), stable."""
    rng = fresh_rng()
    cases = _score_cases(rng, (-1.0, 1.0))
    _check(student_fn, losses.logistic_loss, cases, ("loss", "dscores"), "logistic_loss", report=False)
    n = int(rng.integers(4, 10))
    y01 = _labels01(rng, n)
    agree = Case(f"on labels 2y - 1 made from labels y in {{0, 1}} (N = {n}): it must agree with the binary "
                 "cross-entropy on y", (random_scores(rng, n, None), 2 * y01 - 1), n)
    _check(student_fn, _bce_on_signed_labels, [agree], ("loss", "dscores"), "logistic_loss")


# ----------------------------------------------------------------------------- logistic regression gradient


def _logistic_regression_reference(w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray, float]:
    """``(loss, dw, db)`` of the mean binary cross-entropy of ``z = X w + b``, by the library's affine layer."""
    z, cache = layers.affine_forward(X, w[:, None], np.array([b]))
    loss, dz = losses.binary_cross_entropy(z[:, 0], y)
    _, dW, db = layers.affine_backward(dz[:, None], cache)
    return loss, dW[:, 0], float(db[0])


def _regression_case(rng: np.random.Generator, description: str, n: int, large: bool) -> Case:
    d = int(rng.integers(2, 6))
    X, w, b = rng.normal(size=(n, d)), rng.normal(size=d), float(rng.normal())
    if large:  # two examples with scores -7,000 and +7,000, the others around ±10,000
        w, b = w * 1e4 / np.sqrt(d), 0.0
        X[:2] = np.outer([-1.0, 1.0], w) * (7e3 / float(w @ w))
    return Case(description, (w, b, X, _labels01(rng, n)), n)


def check_logistic_regression_loss(student_fn: Callable) -> None:
    """``logistic_regression_loss(w, b, X, y) -> (loss, dw, db)``: mean BCE of X w + b and its gradients."""
    rng = fresh_rng()
    cases = [_regression_case(rng, s.description, s.batch_size, s.scale > 100)
             for s in standard_situations(rng, multiclass=False)]
    _check(student_fn, _logistic_regression_reference, cases, ("loss", "dw", "db"), "logistic_regression_loss")


# ----------------------------------------------------------------------------- trainer, against scikit-learn


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


def _check_trained(got: Any, X: np.ndarray, what: str, case: Case) -> tuple[np.ndarray, float, np.ndarray]:
    """Unpack ``(w, b, losses)`` from a trainer and check their shapes."""
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        raise GradingFailure("wrong-type", f"{case.opening}, `{what}` should return (w, b, losses), "
                             f"but it returned a {type(got).__name__}.")
    try:
        w, b, history = (np.asarray(v, dtype=np.float64) for v in got)
    except (TypeError, ValueError):
        raise GradingFailure("wrong-type", f"{case.opening}, `{what}` should return w (an array), b (a number) "
                             "and losses (a list of numbers).") from None
    if w.shape != (X.shape[1],):
        raise GradingFailure("wrong-shape", f"{case.opening}, w has shape {w.shape} but should have shape "
                             f"({X.shape[1]},): one weight per feature.")
    if b.size != 1:
        raise GradingFailure("wrong-shape", f"{case.opening}, b has shape {b.shape}; it should be one number.")
    return w, float(b.reshape(())), history.ravel()


def check_train_logistic_regression(student_fn: Callable) -> None:
    """``train_logistic_regression(X, y, lr, steps) -> (w, b, losses)`` reaches scikit-learn's unpenalised fit."""
    rng = fresh_rng()
    n, d = int(rng.integers(150, 250)), int(rng.integers(2, 5))
    X, y = _overlapping_data(rng, n, d)
    case = Case(f"on standardised, overlapping data (N = {n}, d = {d}) with lr = {TRAIN_LR} and "
                f"steps = {TRAIN_STEPS}", (X, y, TRAIN_LR, TRAIN_STEPS), n)
    w, b, history = _check_trained(guard.call_student(student_fn, *case.args, what="`train_logistic_regression`"),
                                   X, "train_logistic_regression", case)
    sk_w, sk_b, sk_loss = _sklearn_fit(X, y)
    if history.shape != (TRAIN_STEPS,):
        raise GradingFailure("wrong-shape", f"{case.opening}, `losses` has {history.size} entries but should "
                             f"have one per step ({TRAIN_STEPS}).")
    if not np.isclose(history[0], math.log(2.0), rtol=1e-9, atol=1e-9):
        raise GradingFailure("wrong-value", f"{case.opening}, losses[0] is {history[0]:.6g}, but it should be the "
                             f"loss at the start (w = 0, b = 0), which is ln 2 = {math.log(2.0):.6f}: record the "
                             "loss before each update, and start from zeros.")
    if not (np.all(np.isfinite(w)) and np.isfinite(b)):
        raise GradingFailure("not-finite", f"{case.opening}, training diverged (w or b is inf or NaN).")
    if b == 0.0 and abs(sk_b) > TRAIN_ATOL:
        raise GradingFailure("missing-bias-grad", f"{case.opening}, b is still 0 after training although the "
                             f"maximum-likelihood bias is {sk_b:.4f}: update the bias too (b <- b - lr db).")
    if not (np.allclose(w, sk_w, rtol=0.0, atol=TRAIN_ATOL) and abs(b - sk_b) <= TRAIN_ATOL):
        raise GradingFailure("wrong-value", f"{case.opening}, your (w, b) is not the maximum-likelihood solution "
                             f"found by scikit-learn's LogisticRegression without penalty: |w - w_sklearn| is up to "
                             f"{float(np.max(np.abs(w - sk_w))):.3g} and |b - b_sklearn| = {abs(b - sk_b):.3g} "
                             f"(allowed: {TRAIN_ATOL:g}). Your final loss is {history[-1]:.8f}; the optimum is "
                             f"{sk_loss:.8f}. Check the gradient step w <- w - lr dw, b <- b - lr db.")
    print("train_logistic_regression: all hidden checks passed.")


def check_breast_cancer(student_fn: Callable) -> None:
    """Retrain with the student's trainer on the breast-cancer split and check the test accuracy."""
    X, y = data.load_breast_cancer()
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, test_fraction=0.25, seed=0)
    mean, std = data.fit_standardizer(X_train)
    X_train, X_test = data.standardize(X_train, mean, std), data.standardize(X_test, mean, std)
    case = Case(f"on the breast cancer data (standardised, lr = {CANCER_LR}, steps = {CANCER_STEPS})",
                (X_train, y_train.astype(np.float64), CANCER_LR, CANCER_STEPS))
    w, b, _ = _check_trained(guard.call_student(student_fn, *case.args, what="`train_logistic_regression`"),
                             X_train, "train_logistic_regression", case)
    accuracy = float(np.mean((X_test @ w + b >= 0) == (y_test == 1)))
    if not accuracy >= CANCER_MIN_ACCURACY:
        raise GradingFailure("did-not-learn", f"Retrained {case.description}, your logistic regression reaches a "
                             f"test accuracy of {accuracy:.3f}, below the required {CANCER_MIN_ACCURACY}.")
    print(f"breast cancer: retrained, test accuracy {accuracy:.3f} (at least {CANCER_MIN_ACCURACY} required).")


guard.protect(sys.modules[__name__])
