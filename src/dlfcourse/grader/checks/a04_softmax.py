"""Hidden checks of assignment 04-softmax: softmax, its Jacobian, cross-entropy, softmax regression, hinge, digits.

Each check draws its inputs from the item's seed, computes the answer with the
reference library (:mod:`dlfoundations.losses`, :mod:`dlfoundations.layers`,
:mod:`dlfoundations.linear`) and compares it with what the student's function
returned. The situations are a random batch, a batch of one example, large
logits (every row has a logit above +5,000, and in the first row the label's
logit lies thousands below the maximum, so its probability underflows to 0)
and two classes (K = 2). The number of features d always differs from K, so a
transposed ``dW`` has the wrong shape and is reported as such.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dlfoundations import layers, linear, losses
from dlfoundations.kit import data
from dlfoundations.kit.compare import Case, Finding
from dlfoundations.optim import SGD
from dlfcourse.grader.checks.common import Assignment, Item, Pass, Result, as_float, \
    check_against_reference, first_failure, same_data
from dlfcourse.grader.inputs import Situation, large_logits, random_labels, random_scores, standard_situations
from dlfcourse.grader.student import Student

__all__ = ["ASSIGNMENT", "DIGITS_LR", "DIGITS_STEPS", "DIGITS_MIN_ACCURACY"]

#: The digits run of the trainer (the notebook asks for the same values) and the accuracy it must reach.
DIGITS_LR, DIGITS_STEPS, DIGITS_MIN_ACCURACY = 0.5, 150, 0.93


def _logits(rng: np.random.Generator, s: Situation, y: np.ndarray) -> np.ndarray:
    """Scores ``(N, K)`` for a situation (large ones from :func:`large_logits`)."""
    return large_logits(rng, y, s.num_classes) if s.large else random_scores(rng, s.batch_size, s.num_classes)


def _loss_cases(rng: np.random.Generator) -> list[Case]:
    """(scores, labels) for every standard multiclass situation."""
    cases = []
    for s in standard_situations(rng):
        y = random_labels(rng, s.batch_size, s.num_classes)
        cases.append(Case(s.description, (_logits(rng, s, y), y), s.batch_size))
    return cases


# ----------------------------------------------------------------------------- softmax and its Jacobian


def _naive_softmaxes(Z: np.ndarray) -> dict[str, np.ndarray]:
    """The usual unstable softmaxes of ``Z``, reproduced here to recognise them by their values."""
    with np.errstate(all="ignore"):
        plain = np.exp(Z)
        whole = np.exp(Z - np.max(Z))
        return {"none": plain / plain.sum(axis=-1, keepdims=True),
                "whole": whole / whole.sum(axis=-1, keepdims=True)}


def _explain_unstable_softmax(got: np.ndarray, Z: np.ndarray, case: Case) -> Finding | None:
    """No max subtraction, or the maximum of the whole array instead of each row's."""
    naive = _naive_softmaxes(Z)
    if same_data(got, naive["whole"], rtol=1e-6, atol=1e-12, equal_nan=True):
        return Finding("not-finite", f"{case.opening}, softmax(Z) has NaN rows: you subtracted the maximum of the "
                       "whole array, so in a row whose scores all lie far below that maximum every exp() underflows "
                       "to 0 and the row becomes 0/0. Subtract each row's own maximum: "
                       "Z - Z.max(axis=-1, keepdims=True).")
    if same_data(got, naive["none"], rtol=1e-6, atol=1e-12, equal_nan=True):
        return Finding("not-finite", f"{case.opening}, softmax(Z) has NaN entries: exp() of a score above 709 "
                       "overflows to inf, and inf/inf is NaN. Subtract each row's maximum before exp(): "
                       "Z - Z.max(axis=-1, keepdims=True) (it does not change the softmax).")
    return None


def _explain_softmax(got: Any, expected: Any, case: Case) -> Finding | None:
    """Unstable softmaxes by name; rows that do not sum to 1 (normalised over the wrong axis or the whole array)."""
    p = as_float(got)
    if p is None or p.shape != np.shape(expected):
        return None
    if not np.all(np.isfinite(p)):
        return _explain_unstable_softmax(p, np.asarray(case.args[0], dtype=np.float64), case)
    if p.ndim != 2:
        return None
    sums = p.sum(axis=-1)
    if not np.allclose(sums, 1.0):
        if np.allclose(p.sum(), 1.0):
            how = "the whole matrix sums to 1: you divided by the sum of all entries, not by each row's sum"
        elif np.allclose(p.sum(axis=0), 1.0):
            how = "its columns sum to 1: you normalised along axis 0; normalise each row (axis=-1, keepdims=True)"
        else:
            how = f"row 0 sums to {sums[0]:.4g}"
        return Finding("wrong-value", f"{case.opening}, the rows of softmax(Z) do not sum to 1: {how}.")
    return None


def check_softmax(student: Student, rng: np.random.Generator) -> Result:
    """``softmax(Z)``: row-wise probabilities of scores ``(N, K)`` (and of one vector ``(K,)``), stable."""
    cases = [Case(c.description, (c.args[0],), c.batch_size) for c in _loss_cases(rng)]
    k = int(rng.integers(3, 7))
    cases.append(Case(f"on a single score vector of shape ({k},)", (random_scores(rng, k, None),)))
    return check_against_reference(student, "softmax", losses.softmax, cases, ("softmax(Z)",),
                                   explain=_explain_softmax)


def check_softmax_jacobian(student: Student, rng: np.random.Generator) -> Result:
    """``softmax_jacobian(z)``: ``diag(p) - p pᵀ`` ``(K, K)`` for one score vector ``(K,)``."""
    k = int(rng.integers(3, 7))
    large = random_scores(rng, k, None, 1e4)
    large[rng.integers(k)] = rng.uniform(5e3, 1e4)
    cases = [
        Case(f"on a random score vector (K = {k})", (random_scores(rng, k, None),)),
        Case("on large scores (around ±10,000)", (large,)),
        Case("with two classes (K = 2)", (random_scores(rng, 2, None),)),
    ]
    return check_against_reference(student, "softmax_jacobian", losses.softmax_jacobian, cases, ("J",))


# ----------------------------------------------------------------------------- cross-entropy


def _regularisation_added(got: Any, expected: Any, scores: np.ndarray) -> float | None:
    """The λ of a term ½λ‖Z‖² added to the loss (and λZ to its gradient), if that is the whole difference."""
    loss, dscores = as_float(got[0]), as_float(got[1])
    if loss is None or dscores is None or dscores.shape != scores.shape:
        return None
    difference = dscores - np.asarray(expected[1], dtype=np.float64)
    energy = float(np.vdot(scores, scores))
    lam = float(np.vdot(difference, scores)) / energy if energy else 0.0
    if abs(lam) < 1e-12 or not np.allclose(difference, lam * scores, rtol=1e-5, atol=1e-10):
        return None
    return lam if np.isclose(float(loss) - float(expected[0]), 0.5 * lam * energy, rtol=1e-5, atol=1e-10) else None


def _explain_cross_entropy(got: Any, expected: Any, case: Case) -> Finding | None:
    """A regularisation term added; the log of an underflowed probability."""
    loss = as_float(got[0]) if isinstance(got, (tuple, list)) and len(got) == 2 else None
    if loss is None:
        return None
    lam = _regularisation_added(got, expected, np.asarray(case.args[0], dtype=np.float64))
    if lam is not None:
        return Finding("wrong-value", f"{case.opening}, your loss is larger by exactly (λ/2)‖Z‖² and dscores by "
                       f"λZ, with λ = {lam:.3g}: you added a regularisation (weight decay) term, but the "
                       "cross-entropy has none (a penalty belongs to the weights of a model, not to the scores). "
                       "Remove it.")
    if np.isfinite(loss).all():
        return None
    scores, _ = case.args
    shifted = scores - scores.max(axis=1, keepdims=True)
    if np.all(np.isfinite(np.exp(shifted))) and not np.all(np.isfinite(np.exp(scores))):
        return Finding("not-finite", f"{case.opening}, your loss is {float(np.ravel(loss)[0])}. Here the label's "
                       "score lies thousands below its row's maximum, so its probability rounds to exactly 0 and "
                       "np.log(0) = -inf — even when you subtract each row's maximum first. Take the log of the "
                       "softmax analytically: log p = (z - max) - log(sum(exp(z - max))) (a log-softmax), and "
                       "never np.log of a probability.")
    return None


def check_cross_entropy(student: Student, rng: np.random.Generator) -> Result:
    """``cross_entropy(scores, y) -> (loss, dscores)``: mean softmax cross-entropy, integer labels, stable."""
    return check_against_reference(student, "cross_entropy", losses.cross_entropy, _loss_cases(rng),
                                   ("loss", "dscores"), explain=_explain_cross_entropy)


# ----------------------------------------------------------------------------- softmax regression gradient


def _regression_with(cross_entropy: Callable[..., Any]) -> Callable[..., tuple[float, np.ndarray, np.ndarray]]:
    """``(W, b, X, y) -> (loss, dW, db)``: the affine layer, ``cross_entropy``, back through the affine layer."""
    def reference(W: np.ndarray, b: np.ndarray, X: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        scores, cache = layers.affine_forward(X, W, b)
        loss, dscores = cross_entropy(scores, y)
        _, dW, db = layers.affine_backward(np.asarray(dscores, dtype=np.float64), cache)
        return float(np.asarray(loss, dtype=np.float64)), dW, db
    return reference


def _regression_case(rng: np.random.Generator, s: Situation) -> Case:
    k = s.num_classes
    d = int(rng.choice([v for v in range(2, 8) if v != k]))
    X, W, b = rng.normal(size=(s.batch_size, d)), rng.normal(size=(d, k)), rng.normal(size=k)
    if s.large:  # logits around ±10,000, one above +5,000 in the first row
        W = W * 1e4 / np.sqrt(d)
        X[0] = W[:, 0] * (7e3 / float(W[:, 0] @ W[:, 0]))
        b = np.zeros(k)
    return Case(s.description, (W, b, X, random_labels(rng, s.batch_size, k)), s.batch_size)


def check_softmax_regression_loss(student: Student, rng: np.random.Generator) -> Result:
    """``softmax_regression_loss(W, b, X, y) -> (loss, dW, db)``: mean CE of X W + b, (1/N) Xᵀ(P - Y), mean of P - Y."""
    cases = [_regression_case(rng, s) for s in standard_situations(rng)]
    return check_against_reference(student, "softmax_regression_loss", _regression_with(losses.cross_entropy),
                                   cases, ("loss", "dW", "db"))


# ----------------------------------------------------------------------------- multiclass hinge


def _explain_hinge(got: Any, expected: Any, case: Case) -> Finding | None:
    """The correct class j = y_i counted in the sum (each row adds the margin 1)."""
    loss = float(np.asarray(got[0], dtype=np.float64))
    if np.isclose(loss, expected[0] + 1.0, rtol=1e-9, atol=1e-9):
        return Finding("wrong-value", f"{case.opening}, the loss is exactly 1 too large: the sum runs over the "
                       "classes j ≠ y_i only (for j = y_i the term would be max(0, 1) = 1 in every row).")
    return None


def check_multiclass_hinge(student: Student, rng: np.random.Generator) -> Result:
    """``multiclass_hinge(scores, y) -> (loss, dscores)``: mean over N of Σ_{j≠y} max(0, z_j - z_y + 1)."""
    return check_against_reference(student, "multiclass_hinge", losses.multiclass_hinge, _loss_cases(rng),
                                   ("loss", "dscores"), explain=_explain_hinge)


# ----------------------------------------------------------------------------- training on digits


def _trainer_reference(X: np.ndarray, y: np.ndarray, num_classes: int, lr: float,
                       steps: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Full-batch gradient descent from zero: the library's softmax regression with plain SGD."""
    fit = linear.fit_softmax_regression(X, y, num_classes, optimizer=SGD(lr=lr), epochs=steps)
    return fit.W, fit.b, np.asarray(fit.loss_history)


def _explain_trainer(got: Any, expected: Any, case: Case) -> Finding | None:
    """A training loss that goes up (a step along the gradient); a bias that never moved from 0."""
    losses = as_float(got[2])
    if losses is not None and losses.ndim == 1 and losses.size > 1 and losses[-1] > losses[0] \
            and expected[2][-1] < expected[2][0]:
        return Finding("sign-flipped", f"{case.opening}, your training loss goes up (from {losses[0]:.4g} to "
                       f"{losses[-1]:.4g}): each step moves along the gradient instead of against it. Use "
                       "W <- W - lr dW and b <- b - lr db.")
    if not np.any(np.asarray(got[1], dtype=np.float64)) and np.any(np.abs(expected[1]) > 1e-9):
        return Finding("missing-bias-grad", f"{case.opening}, b is still all zeros after training: update the "
                       "bias too (b <- b - lr db, with db the sum over the batch of dscores).")
    return None


def _digits_accuracy(student: Student) -> Result:
    """Retrain on the standardised digits (seed-0 split) and measure the test accuracy on the grader's side."""
    X, y = data.load_digits()
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, test_fraction=0.25, seed=0)
    mean, std = data.fit_standardizer(X_train)
    X_train, X_test = data.standardize(X_train, mean, std), data.standardize(X_test, mean, std)
    case = Case(f"on the digits (standardised, lr = {DIGITS_LR}, steps = {DIGITS_STEPS})")
    returned = student.call("train_softmax_regression", X_train, y_train, 10, DIGITS_LR, DIGITS_STEPS, case=case)
    if returned.finding is not None:
        return returned.finding
    got = returned.value
    W = as_float(got[0]) if isinstance(got, (tuple, list)) and len(got) == 3 else None
    b = as_float(got[1]) if W is not None else None
    if W is None or b is None or W.shape != (64, 10) or b.shape != (10,):
        return Finding("wrong-type", f"{case.opening}, `train_softmax_regression` should return (W, b, losses) "
                       "with W of shape (64, 10) and b of shape (10,).")
    accuracy = float(np.mean(np.argmax(X_test @ W + b, axis=1) == y_test))
    if not accuracy >= DIGITS_MIN_ACCURACY:
        return Finding("did-not-learn", f"Retrained {case.description}, your softmax regression reaches a test "
                       f"accuracy of {accuracy:.3f}, below the required {DIGITS_MIN_ACCURACY}.")
    return Pass(f"Retrained on the digits: test accuracy {accuracy:.3f} (at least {DIGITS_MIN_ACCURACY} required).")


def check_digits(student: Student, rng: np.random.Generator) -> Result:
    """``train_softmax_regression(X, y, num_classes, lr, steps) -> (W, b, losses)``: the reference trajectory on a
    small random problem, then a retraining on the digits that must reach the required test accuracy."""
    n, k = int(rng.integers(10, 30)), int(rng.integers(3, 6))
    d = int(rng.choice([v for v in range(2, 7) if v != k]))  # d ≠ K: a transposed dW never fits by chance
    steps = int(rng.integers(3, 12))
    case = Case(f"on random data (N = {n}, d = {d}, K = {k}, lr = 0.5, {steps} steps from W = 0, b = 0)",
                (rng.normal(size=(n, d)), random_labels(rng, n, k), k, 0.5, steps), n)
    trajectory = check_against_reference(student, "train_softmax_regression", _trainer_reference, [case],
                                         ("W", "b", "losses"), explain=_explain_trainer)
    return first_failure([trajectory, _digits_accuracy(student)])


ASSIGNMENT = Assignment("04-softmax", (
    Item("softmax-test", ("softmax",), check_softmax),
    Item("jacobian-test", ("softmax_jacobian",), check_softmax_jacobian, calls=("softmax",)),
    Item("ce-test", ("cross_entropy",), check_cross_entropy, calls=("softmax",)),
    Item("regression-test", ("softmax_regression_loss",), check_softmax_regression_loss,
         calls=("softmax", "cross_entropy")),
    Item("hinge-test", ("multiclass_hinge",), check_multiclass_hinge),
    Item("digits-test", ("train_softmax_regression",), check_digits,
         calls=("softmax", "cross_entropy", "softmax_regression_loss")),
), references={
    "softmax": losses.softmax,
    "cross_entropy": losses.cross_entropy,
    "softmax_regression_loss": _regression_with(losses.cross_entropy),
})
