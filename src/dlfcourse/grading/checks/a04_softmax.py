"""Hidden tests of assignment 04-softmax: one ``check_<item>(student_fn)`` per graded item.

Every check draws fresh random inputs, computes the answer with the reference
library (:mod:`dlfoundations.losses`; the softmax-regression gradient is the
library's affine layer followed by its cross-entropy) and compares it with
the student's result. The standard situations are a random batch, a batch of
one example, large logits (every row holds one logit above +5,000, so that a
softmax without max-subtraction overflows for sure) and two classes (K = 2).
The number of features d is always different from K, so that a transposed
``dW`` has the wrong shape and is reported as such.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from dlfoundations import layers, linear, losses
from dlfoundations.kit import data
from dlfoundations.grading import guard
from dlfoundations.grading.check import Case, check_against_reference
from dlfoundations.grading.failure import GradingFailure
from dlfoundations.grading.inputs import Situation, fresh_rng, random_labels, random_scores, standard_situations
from dlfoundations.optim import SGD

__all__ = [
    "DIGITS_LR",
    "DIGITS_STEPS",
    "check_softmax",
    "check_softmax_jacobian",
    "check_cross_entropy",
    "check_softmax_regression_loss",
    "check_multiclass_hinge",
    "check_digits",
]

#: The digits run of the trainer (the notebook asks for the same values) and the accuracy it must reach.
DIGITS_LR, DIGITS_STEPS, DIGITS_MIN_ACCURACY = 0.5, 150, 0.93


def _logits(rng: np.random.Generator, s: Situation) -> np.ndarray:
    """Scores ``(N, K)`` for a situation; large ones have, in every row, one logit in [5,000, 10,000]."""
    z = random_scores(rng, s.batch_size, s.num_classes, s.scale)
    if s.scale > 100:
        z[np.arange(s.batch_size), rng.integers(0, s.num_classes, size=s.batch_size)] = \
            rng.uniform(5e3, 1e4, size=s.batch_size)
    return z


def _loss_cases(rng: np.random.Generator) -> list[Case]:
    """(scores, labels) for every standard multiclass situation."""
    return [Case(s.description, (_logits(rng, s), random_labels(rng, s.batch_size, s.num_classes)), s.batch_size)
            for s in standard_situations(rng)]


# ----------------------------------------------------------------------------- softmax and its Jacobian


def check_softmax(student_fn: Callable) -> None:
    """``softmax(Z)``: row-wise probabilities of scores ``(N, K)`` (and of one vector ``(K,)``), stable."""
    rng = fresh_rng()
    cases = [Case(s.description, (_logits(rng, s),), s.batch_size) for s in standard_situations(rng)]
    k = int(rng.integers(3, 7))
    cases.append(Case(f"on a single score vector of shape ({k},)", (random_scores(rng, k, None),)))
    check_against_reference(student_fn, losses.softmax, cases, ("softmax(Z)",), "softmax")


def check_softmax_jacobian(student_fn: Callable) -> None:
    """``softmax_jacobian(z)``: ``diag(p) - p pᵀ`` ``(K, K)`` for one score vector ``(K,)``."""
    rng = fresh_rng()
    k = int(rng.integers(3, 7))
    large = random_scores(rng, k, None, 1e4)
    large[rng.integers(k)] = rng.uniform(5e3, 1e4)
    cases = [
        Case(f"on a random score vector (K = {k})", (random_scores(rng, k, None),)),
        Case("on large scores (around ±10,000)", (large,)),
        Case("with two classes (K = 2)", (random_scores(rng, 2, None),)),
    ]
    check_against_reference(student_fn, losses.softmax_jacobian, cases, ("J",), "softmax_jacobian")


# ----------------------------------------------------------------------------- cross-entropy


def check_cross_entropy(student_fn: Callable) -> None:
    """``cross_entropy(scores, y) -> (loss, dscores)``: mean softmax cross-entropy, integer labels, stable."""
    rng = fresh_rng()
    check_against_reference(student_fn, losses.cross_entropy, _loss_cases(rng), ("loss", "dscores"), "cross_entropy")


# ----------------------------------------------------------------------------- softmax regression gradient


def _softmax_regression_reference(W: np.ndarray, b: np.ndarray, X: np.ndarray,
                                  y: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """``(loss, dW, db)``: the library's affine layer, its cross-entropy, and back through the affine layer."""
    scores, cache = layers.affine_forward(X, W, b)
    loss, dscores = losses.cross_entropy(scores, y)
    _, dW, db = layers.affine_backward(dscores, cache)
    return loss, dW, db


def _regression_case(rng: np.random.Generator, s: Situation) -> Case:
    k = s.num_classes
    d = int(rng.choice([v for v in range(2, 8) if v != k]))
    X, W, b = rng.normal(size=(s.batch_size, d)), rng.normal(size=(d, k)), rng.normal(size=k)
    if s.scale > 100:  # logits around ±10,000, one above +5,000 in the first row
        W = W * 1e4 / np.sqrt(d)
        X[0] = W[:, 0] * (7e3 / float(W[:, 0] @ W[:, 0]))
        b = np.zeros(k)
    return Case(s.description, (W, b, X, random_labels(rng, s.batch_size, k)), s.batch_size)


def check_softmax_regression_loss(student_fn: Callable) -> None:
    """``softmax_regression_loss(W, b, X, y) -> (loss, dW, db)``: mean CE of X W + b, (1/N) Xᵀ(P - Y), mean of P - Y."""
    rng = fresh_rng()
    cases = [_regression_case(rng, s) for s in standard_situations(rng)]
    check_against_reference(student_fn, _softmax_regression_reference, cases, ("loss", "dW", "db"),
                            "softmax_regression_loss")


# ----------------------------------------------------------------------------- multiclass hinge


def _explain_hinge(got: Any, expected: Any, case: Case) -> None:
    """Name the classic mistake: the correct class j = y_i counted in the sum (each row adds the margin 1)."""
    loss = float(np.asarray(got[0], dtype=np.float64))
    if np.isclose(loss, expected[0] + 1.0, rtol=1e-9, atol=1e-9):
        raise GradingFailure("wrong-value", f"{case.opening}, the loss is exactly 1 too large: the sum runs over "
                             "the classes j ≠ y_i only (for j = y_i the term would be max(0, 1) = 1 in every row).")


def check_multiclass_hinge(student_fn: Callable) -> None:
    """``multiclass_hinge(scores, y) -> (loss, dscores)``: mean over N of Σ_{j≠y} max(0, z_j - z_y + 1)."""
    rng = fresh_rng()
    check_against_reference(student_fn, losses.multiclass_hinge, _loss_cases(rng), ("loss", "dscores"),
                            "multiclass_hinge", explain=_explain_hinge)


# ----------------------------------------------------------------------------- training on digits


def _trainer_reference(X: np.ndarray, y: np.ndarray, num_classes: int, lr: float,
                       steps: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Full-batch gradient descent from zero: the library's softmax regression with plain SGD."""
    fit = linear.fit_softmax_regression(X, y, num_classes, optimizer=SGD(lr=lr), epochs=steps)
    return fit.weights, fit.bias, np.asarray(fit.loss_history)


def _digits_accuracy(student_fn: Callable) -> float:
    """Test accuracy of the student's trainer on the standardised digits split (seed 0, a quarter for testing)."""
    X, y = data.load_digits()
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, test_fraction=0.25, seed=0)
    mean, std = data.fit_standardizer(X_train)
    X_train, X_test = data.standardize(X_train, mean, std), data.standardize(X_test, mean, std)
    got = guard.call_student(student_fn, X_train, y_train, 10, DIGITS_LR, DIGITS_STEPS,
                             what="`train_softmax_regression`")
    try:
        W, b = np.asarray(got[0], dtype=np.float64), np.asarray(got[1], dtype=np.float64)
        return float(np.mean(np.argmax(X_test @ W + b, axis=1) == y_test))
    except (TypeError, ValueError, IndexError):
        raise GradingFailure("wrong-type", "On the digits data, `train_softmax_regression` should return (W, b, "
                             "losses) with W of shape (64, 10) and b of shape (10,).") from None


def _explain_trainer(got: Any, expected: Any, case: Case) -> None:
    """A bias that never moved from 0: the trainer does not update b (or its db is zero)."""
    if not np.any(np.asarray(got[1], dtype=np.float64)) and np.any(np.abs(expected[1]) > 1e-9):
        raise GradingFailure("missing-bias-grad", f"{case.opening}, b is still all zeros after training: "
                             "update the bias too (b <- b - lr db, with db the sum over the batch of dscores).")


def check_digits(student_fn: Callable) -> None:
    """``train_softmax_regression(X, y, num_classes, lr, steps) -> (W, b, losses)``: the library's trajectory,
    then a retraining on digits that must reach the required test accuracy."""
    rng = fresh_rng()
    n, d, k = int(rng.integers(10, 30)), int(rng.integers(2, 6)), int(rng.integers(3, 6))
    steps = int(rng.integers(3, 12))
    X = rng.normal(size=(n, d))
    case = Case(f"on random data (N = {n}, d = {d}, K = {k}, lr = 0.5, {steps} steps from W = 0, b = 0)",
                (X, random_labels(rng, n, k), k, 0.5, steps), n)
    check_against_reference(student_fn, _trainer_reference, [case], ("W", "b", "losses"), "train_softmax_regression",
                            explain=_explain_trainer)
    accuracy = _digits_accuracy(student_fn)
    if not accuracy >= DIGITS_MIN_ACCURACY:
        raise GradingFailure("did-not-learn", f"Retrained on the digits (standardised, lr = {DIGITS_LR}, steps = "
                             f"{DIGITS_STEPS}), your softmax regression reaches a test accuracy of {accuracy:.3f}, "
                             f"below the required {DIGITS_MIN_ACCURACY}.")
    print(f"digits: retrained, test accuracy {accuracy:.3f} (at least {DIGITS_MIN_ACCURACY} required).")


guard.protect(sys.modules[__name__])
