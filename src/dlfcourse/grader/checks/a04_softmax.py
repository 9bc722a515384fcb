"""Hidden checks of assignment 04-softmax: softmax, its Jacobian, cross-entropy, softmax regression, hinge, digits.

Each item is declared as data: the function, the reference (:mod:`dlfoundations.losses`,
:mod:`dlfoundations.layers`, :mod:`dlfoundations.linear`), its cases and its table of known mistakes. The
situations are a random batch, a batch of one example, large logits (every row has a logit above +5,000,
and in the first row the label's logit lies thousands below the maximum, so its probability underflows to
0) and two classes (K = 2). The number of features d always differs from K, so a transposed ``dW`` has the
wrong shape and is reported as such. NaN and inf are explained by probing the student's function
(:mod:`~dlfcourse.grader.checks.stability`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dlfoundations import layers, linear, losses
from dlfoundations.kit import data
from dlfoundations.kit.compare import Case, Finding
from dlfoundations.optim import SGD
from dlfcourse.grader.checks import mistakes as m
from dlfcourse.grader.checks import stability as st
from dlfcourse.grader.checks.common import Assignment, Pass, Result, as_float, declare
from dlfcourse.grader.checks.core import Compared
from dlfcourse.grader.inputs import Situation, large_logits, random_labels, random_scores, standard_situations
from dlfcourse.grader.student import Student

__all__ = ["ASSIGNMENT", "DIGITS_LR", "DIGITS_STEPS", "DIGITS_MIN_ACCURACY"]

#: The digits run of the trainer (the notebook asks for the same values) and the accuracy it must reach.
DIGITS_LR, DIGITS_STEPS, DIGITS_MIN_ACCURACY = 0.5, 150, 0.93
LOG_SOFTMAX = "log p = (z - max) - log(sum(exp(z - max))) (a log-softmax)"


# ----------------------------------------------------------------------------- cases


def _logits(rng: np.random.Generator, s: Situation, y: np.ndarray) -> np.ndarray:
    return large_logits(rng, y, s.num_classes) if s.large else random_scores(rng, s.batch_size, s.num_classes)


def _loss_cases(rng: np.random.Generator) -> list[Case]:
    """(scores, labels) for every standard multiclass situation."""
    cases = []
    for s in standard_situations(rng):
        y = random_labels(rng, s.batch_size, s.num_classes)
        cases.append(Case(s.description, (_logits(rng, s, y), y), s.batch_size))
    return cases


def _softmax_cases(rng: np.random.Generator) -> list[Case]:
    cases = [Case(c.description, (c.args[0],), c.batch_size) for c in _loss_cases(rng)]
    k = int(rng.integers(3, 7))
    return cases + [Case(f"on a single score vector of shape ({k},)", (random_scores(rng, k, None),))]


def _jacobian_cases(rng: np.random.Generator) -> list[Case]:
    k = int(rng.integers(3, 7))
    large = random_scores(rng, k, None, 1e4)
    large[rng.integers(k)] = rng.uniform(5e3, 1e4)
    return [Case(f"on a random score vector (K = {k})", (random_scores(rng, k, None),)),
            Case("on large scores (around ±10,000)", (large,)),
            Case("with two classes (K = 2)", (random_scores(rng, 2, None),))]


def _regression_case(rng: np.random.Generator, s: Situation) -> Case:
    k = s.num_classes
    d = int(rng.choice([v for v in range(2, 8) if v != k]))
    X, W, b = rng.normal(size=(s.batch_size, d)), rng.normal(size=(d, k)), rng.normal(size=k)
    if s.large:  # logits around ±10,000, one above +5,000 in the first row
        W = W * 1e4 / np.sqrt(d)
        X[0] = W[:, 0] * (7e3 / float(W[:, 0] @ W[:, 0]))
        b = np.zeros(k)
    return Case(s.description, (W, b, X, random_labels(rng, s.batch_size, k)), s.batch_size)


def _regression_inputs(Z: np.ndarray, y: np.ndarray) -> tuple:
    """(W, b, X, y) whose scores X W + b are exactly Z: X holds the identity, W the scores (d = N + 1 ≠ K)."""
    n, k = Z.shape
    W = np.zeros((n + 1, k))
    W[:n] = Z
    return W, np.zeros(k), np.eye(n, n + 1), y


# ----------------------------------------------------------------------------- references


def _regression_with(cross_entropy: Callable[..., Any]) -> Callable[..., tuple[float, np.ndarray, np.ndarray]]:
    """``(W, b, X, y) -> (loss, dW, db)``: the affine layer, ``cross_entropy``, back through the affine layer."""
    def reference(W: np.ndarray, b: np.ndarray, X: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        scores, cache = layers.affine_forward(X, W, b)
        loss, dscores = cross_entropy(scores, y)
        _, dW, db = layers.affine_backward(np.asarray(dscores, dtype=np.float64), cache)
        return float(np.asarray(loss, dtype=np.float64)), dW, db
    return reference


def _trainer_reference(X: np.ndarray, y: np.ndarray, num_classes: int, lr: float,
                       steps: int) -> tuple[np.ndarray, float | np.ndarray, np.ndarray]:
    """Full-batch gradient descent from zero: the library's softmax regression with plain SGD."""
    fit = linear.logistic.fit_softmax_regression(X, y, num_classes, optimiser=SGD(lr=lr), epochs=steps)
    return fit.W, fit.b, np.asarray(fit.loss_history)


# ----------------------------------------------------------------------------- known mistakes


def _unstable(family: st.Family, subject: str, finite_part: str) -> tuple:
    """The causes of NaN and inf in a softmax cross-entropy, told apart by probes, in this item's words."""
    return (
        st.no_max_subtraction(family, lambda bad: (
            f"there is NaN or inf in {bad}: exp() of a score above 709 overflows to inf (and inf/inf is NaN), and "
            "your function fails even on rows whose scores are all about +1,000. Subtract each row's maximum from "
            f"{subject} before exp(): Z - Z.max(axis=-1, keepdims=True) (each row's own maximum; it does not change "
            "the softmax).")),
        st.whole_array_maximum(family, lambda bad: (
            f"there is NaN in {bad}: you subtract a maximum, but the maximum of the whole array, so in a row whose "
            "scores all lie far below that maximum every exp() underflows to 0 and the row becomes 0/0. Subtract "
            "each row's own maximum, Z - Z.max(axis=-1, keepdims=True), not the maximum of the whole array.")),
        st.log_of_underflowed_probability(family, lambda loss: (
            f"your `loss` is {loss}{finite_part}: you subtract each row's maximum, but when a score lies far below its "
            "row's maximum its probability rounds to exactly 0, and np.log(0) = -inf"
            f"{' (and 0 * -inf = nan where one-hot labels multiply it)' if loss == 'nan' else ''}. Take the log of "
            f"the softmax analytically: {LOG_SOFTMAX}, and never np.log of a probability.")),
        st.division_by_underflowed_probability(family, lambda bad: (
            f"there is NaN or inf in {bad} where the label's probability rounds to exactly 0 (its score lies far "
            "below its row's maximum; you do subtract each row's maximum): your gradient divides by that "
            "probability (dL/dp = -1/p, then back through the softmax). Simplify by hand first: the gradient with "
            "respect to the scores is (p - onehot(y)) / N, with no division by p.")),
        m.raised("math-domain-error", "math domain error", (
            "math.log(0) raises this: the label's probability rounded to exactly 0 (its score lies thousands below "
            f"its row's maximum). Take the log of the softmax analytically, {LOG_SOFTMAX}, rather than the log "
            "of a probability.")),
    )


def _rows_not_normalised(seen: Any) -> Any:
    p = seen.array("softmax(Z)")
    if p is None or p.ndim != 2 or p.shape != np.shape(seen.expected) or not np.all(np.isfinite(p)):
        return None
    sums = p.sum(axis=-1)
    if np.allclose(sums, 1.0):
        return None
    if np.allclose(p.sum(), 1.0):
        return {"how": "the whole matrix sums to 1: you divided by the sum of all entries, not by each row's sum"}
    if np.allclose(p.sum(axis=0), 1.0):
        return {"how": "its columns sum to 1: you normalised along axis 0; normalise each row (axis=-1, "
                       "keepdims=True)"}
    return {"how": f"row 0 sums to {sums[0]:.4g}"}


def _digits_accuracy(student: Student, rng: np.random.Generator) -> Result:
    """Retrain on the standardised digits (seed-0 split) and measure the test accuracy on the grader's side."""
    X, y = data.load_digits()
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, test_fraction=0.25, seed=0)
    mean, std = data.fit_standardiser(X_train)
    X_train, X_test = data.standardise(X_train, mean, std), data.standardise(X_test, mean, std)
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


def _trainer_case(rng: np.random.Generator) -> list[Case]:
    n, k = int(rng.integers(10, 30)), int(rng.integers(3, 6))
    d = int(rng.choice([v for v in range(2, 7) if v != k]))  # d ≠ K: a transposed dW never fits by chance
    steps = int(rng.integers(3, 12))
    return [Case(f"on random data (N = {n}, d = {d}, K = {k}, lr = 0.5, {steps} steps from W = 0, b = 0)",
                 (rng.normal(size=(n, d)), random_labels(rng, n, k), k, 0.5, steps), n)]


def _loss_goes_up(seen: Any) -> Any:
    history = seen.array("losses")
    right = as_float(seen.right("losses"))
    if history is None or right is None or history.ndim != 1 or history.size < 2 or not history[-1] > history[0] or \
            not right[-1] < right[0]:
        return None
    return {"first": history[0], "last": history[-1]}


_SCORES = st.Family(st.rows_and_labels, "loss", ("dscores",))
_REGRESSION = st.Family(_regression_inputs, "loss", ("dW", "db"))
_SOFTMAX = st.Family(lambda Z, y: (Z,), None, ("softmax(Z)",))

SOFTMAX = Compared("softmax", losses.softmax, _softmax_cases, ("softmax(Z)",), (
    st.whole_array_maximum(_SOFTMAX, lambda bad: (
        "softmax(Z) has NaN rows: you subtracted the maximum of the whole array, so in a row whose scores all lie "
        "far below that maximum every exp() underflows to 0 and the row becomes 0/0. Subtract each row's own "
        "maximum: Z - Z.max(axis=-1, keepdims=True).")),
    st.no_max_subtraction(_SOFTMAX, lambda bad: (
        "softmax(Z) has NaN entries: exp() of a score above 709 overflows to inf, and inf/inf is NaN. Subtract "
        "each row's maximum before exp(): Z - Z.max(axis=-1, keepdims=True) (it does not change the softmax).")),
    m.probe("rows-not-normalised", "wrong-value",
            lambda how: f"the rows of softmax(Z) do not sum to 1: {how}.", _rows_not_normalised),
))

JACOBIAN = Compared("softmax_jacobian", losses.softmax_jacobian, _jacobian_cases, ("J",))

CROSS_ENTROPY = Compared("cross_entropy", losses.cross_entropy, _loss_cases, ("loss", "dscores"), (
    m.regularisation_added("regularisation-added", lambda lam, excess, where: (
        f"your loss is larger by exactly (λ/2)‖Z‖² and dscores by λZ, with λ = {lam:.3g}: you added a "
        "regularisation (weight decay) term, but the cross-entropy has none (a penalty belongs to the weights "
        "of a model, not to the scores). Remove it."), lambda s: [s.args[0]], ("dscores",)),
    *_unstable(_SCORES, "the scores", " but `dscores` is finite"),
), batch=(0, 1))

REGRESSION = Compared("softmax_regression_loss", _regression_with(losses.cross_entropy),
                      lambda rng: [_regression_case(rng, s) for s in standard_situations(rng)], ("loss", "dW", "db"), (
    m.regularisation_added("regularisation-added", lambda lam, excess, where: (
        f"your loss is larger by {excess:.4g} = ({lam:.3g}/2) ‖W‖², a regularisation (weight decay) term in "
        f"{where}, but this item's loss is the plain mean cross-entropy (λ = 0 here): remove the penalty "
        "(reg * np.sum(W * W)) and its gradient."), lambda s: [s.args[0]], ("dW",),
        scale=lambda args, c: (c * args[0], *args[1:])),
    *_unstable(_REGRESSION, "the scores X W + b", " but `dW` and `db` are finite"),
), batch=(2, 3))

HINGE = Compared("multiclass_hinge", losses.multiclass_hinge, _loss_cases, ("loss", "dscores"), (
    m.variant("true-class-counted", "wrong-value", "the loss is exactly 1 too large: the sum runs over the classes "
              "j ≠ y_i only (for j = y_i the term would be max(0, 1) = 1 in every row).",
              lambda s: s.right("loss") + 1.0, "loss", rtol=1e-9, atol=1e-9),
), batch=(0, 1))

TRAINER = Compared("train_softmax_regression", _trainer_reference, _trainer_case, ("W", "b", "losses"), (
    m.probe("gradient-ascent", "sign-flipped", lambda first, last: (
        f"your training loss goes up (from {first:.4g} to {last:.4g}): each step moves along the gradient instead "
        "of against it. Use W <- W - lr dW and b <- b - lr db."), _loss_goes_up),
    m.stays_zero("bias-never-updated", "missing-bias-grad", "b", "b is still all zeros after training: update the "
                 "bias too (b <- b - lr db, with db the sum over the batch of dscores)."),
))

ASSIGNMENT = Assignment("04-softmax", (
    declare("softmax-test", SOFTMAX),
    declare("jacobian-test", JACOBIAN, calls=("softmax",)),
    declare("ce-test", CROSS_ENTROPY, calls=("softmax",)),
    declare("regression-test", REGRESSION, calls=("softmax", "cross_entropy")),
    declare("hinge-test", HINGE),
    declare("digits-test", TRAINER, then=_digits_accuracy,
            calls=("softmax", "cross_entropy", "softmax_regression_loss")),
), references={
    "softmax": losses.softmax,
    "cross_entropy": losses.cross_entropy,
    "softmax_regression_loss": _regression_with(losses.cross_entropy),
})
