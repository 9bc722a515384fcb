"""Hidden tests of assignment 01-perceptron: one ``check_<item>(student_fn)`` per graded item.

Every check draws fresh random inputs, computes the answer with the reference
library (:mod:`dlfoundations.losses`, :mod:`dlfoundations.linear`) and compares
it with the student's result. Besides the standard situations (a random batch,
a single example, large scores) every item is tested on points lying exactly
on the decision boundary: the course's convention is that ``y z <= 0`` is a
mistake, so a score of exactly 0 triggers an update (the subgradient
convention of the perceptron loss).
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from dlfoundations import linear, losses
from dlfoundations.kit.data import make_separable
from dlfoundations.grading import guard
from dlfoundations.grading.check import Case, check_against_reference
from dlfoundations.grading.compare import values_match
from dlfoundations.grading.failure import GradingFailure
from dlfoundations.grading.inputs import fresh_rng, random_scores, random_signs, standard_situations

__all__ = [
    "check_perceptron_loss",
    "check_perceptron_step",
    "check_train_perceptron",
    "check_mistake_bound",
    "check_full_batch_gradient",
    "check_multiclass_update",
]

_BOUNDARY_HINT = ("a score of exactly 0 (a point on the decision boundary) counts as a mistake: "
                  "the test is y z <= 0, not y z < 0.")


def _as_array(value: Any) -> np.ndarray:
    return np.asarray(value, dtype=np.float64)


def _integer_point_on_boundary(rng: np.random.Generator, d: int) -> tuple[np.ndarray, float, np.ndarray]:
    """Integer-valued ``w``, ``b`` and ``x`` with ``w . x + b = 0`` exactly (in any summation order)."""
    w = rng.integers(-3, 4, size=d).astype(np.float64)
    w[0] = 1.0  # never the zero vector
    x = rng.integers(-3, 4, size=d).astype(np.float64)
    return w, -float(w @ x), x


# ----------------------------------------------------------------------------- perceptron loss


def _explain_loss(got: Any, expected: Any, case: Case) -> None:
    z = case.args[0]
    on_boundary = z == 0
    dz = _as_array(got[1])
    if on_boundary.any() and dz.shape == z.shape and not np.any(dz[on_boundary]) \
            and values_match(dz[~on_boundary], expected[1][~on_boundary]):
        raise GradingFailure("wrong-value", f"{case.opening}, `dz` is 0 "
                             f"where y z = 0, but {_BOUNDARY_HINT}")


def check_perceptron_loss(student_fn) -> None:
    """``perceptron_loss(z, y) -> (loss, dz)``: the mean of max(0, -y z) and its subgradient."""
    rng = fresh_rng()
    cases = [Case(s.description, (random_scores(rng, s.batch_size, None, s.scale), random_signs(rng, s.batch_size)),
                  s.batch_size) for s in standard_situations(rng, multiclass=False)]
    n = int(rng.integers(4, 10))
    z = random_scores(rng, n, None)
    z[: n // 2] = 0.0
    rng.shuffle(z)
    cases.append(Case(f"with points exactly on the boundary (some z = 0, N = {n})", (z, random_signs(rng, n)), n))
    check_against_reference(student_fn, losses.perceptron_loss, cases, ("loss", "dz"), "perceptron_loss",
                            explain=_explain_loss)


# ----------------------------------------------------------------------------- one perceptron step


def _step_reference(w: np.ndarray, b: float, x: np.ndarray, y: float, lr: float) -> tuple[np.ndarray, float, bool]:
    return linear.perceptron_step(w, b, x, y, lr)


def _explain_step(got: Any, expected: Any, case: Case) -> None:
    w, b, x, y, lr = case.args
    new_w = _as_array(got[0])
    if new_w.shape != w.shape:
        return
    moved = not np.array_equal(new_w, w)
    sentence = f"{case.opening}"
    if not expected[2] and moved:
        raise GradingFailure("wrong-value", f"{sentence}, your step changed w although the example is classified "
                             "correctly (y (w . x + b) > 0): the perceptron only updates on a mistake.")
    if expected[2] and not moved and y * (w @ x + b) == 0:
        raise GradingFailure("wrong-value", f"{sentence}, your step did not update w, but {_BOUNDARY_HINT}")
    if expected[2] and moved:
        change, right = new_w - w, expected[0] - w
        factor = float(np.vdot(change, right) / np.vdot(right, right))
        if not values_match(change, factor * right):
            return
        if np.isclose(factor, -1.0):
            raise GradingFailure("sign-flipped", f"{sentence}, w moved the wrong way: on a mistake add lr * y * x.")
        if np.isclose(factor, 1.0 / lr):
            raise GradingFailure("factor", f"{sentence}, the change of w ignores the learning rate: on a mistake "
                                 "w changes by lr * y * x.")


def check_perceptron_step(student_fn) -> None:
    """``perceptron_step(w, b, x, y, lr) -> (new_w, new_b, mistake)``: Rosenblatt's rule on one example."""
    rng = fresh_rng()
    d = int(rng.integers(2, 6))
    cases = []
    for description, sign in (("on a misclassified example", -1.0), ("on a correctly classified example", 1.0)):
        w, x, b = rng.normal(size=d), rng.normal(size=d), float(rng.normal())
        y = sign * (1.0 if w @ x + b > 0 else -1.0)
        cases.append(Case(description, (w, b, x, y, float(rng.uniform(0.1, 2.0)))))
    cases.append(Case("from w = 0, b = 0 (every score is 0)", (np.zeros(d), 0.0, rng.normal(size=d),
                                                               float(random_signs(rng, 1)[0]), 1.0)))
    w, b, x = _integer_point_on_boundary(rng, d)
    cases.append(Case("on an example exactly on the decision boundary (w . x + b = 0)",
                      (w, b, x, float(random_signs(rng, 1)[0]), float(rng.uniform(0.1, 2.0)))))
    check_against_reference(student_fn, _step_reference, cases, ("new_w", "new_b", "mistake"), "perceptron_step",
                            explain=_explain_step)


# ----------------------------------------------------------------------------- training loop


def _train_reference(X: np.ndarray, y: np.ndarray, epochs: int) -> tuple[np.ndarray, float, np.ndarray]:
    result = linear.train_perceptron(X, y, epochs)
    return result.w, result.b, np.asarray(result.mistakes_per_epoch, dtype=np.float64)


def _explain_train(got: Any, expected: Any, case: Case) -> None:
    mistakes = _as_array(got[2]).ravel()
    reference = expected[2]
    if not np.any(_as_array(got[0])) and np.any(expected[0]):
        raise GradingFailure("wrong-value", f"{case.opening}, w never left 0. "
                             f"Training starts at w = 0, b = 0, where every score is 0, and {_BOUNDARY_HINT}")
    if len(mistakes) > len(reference) and values_match(mistakes[: len(reference)], reference) \
            and not np.any(mistakes[len(reference):]):
        raise GradingFailure("wrong-shape", f"{case.opening}, training went on "
                             f"after an epoch without mistakes ({len(mistakes)} epochs instead of {len(reference)}): "
                             "stop as soon as an epoch has no mistake.")


def check_train_perceptron(student_fn) -> None:
    """``train_perceptron(X, y, epochs) -> (w, b, mistakes_per_epoch)``: in-order epochs from zero, early stop."""
    rng = fresh_rng()
    n, d = int(rng.integers(20, 60)), int(rng.integers(2, 5))
    X, y = make_separable(n, d, margin=float(rng.uniform(0.1, 0.4)), seed=int(rng.integers(2**31)))
    noisy_X, noisy_y = rng.normal(size=(n, d)), random_signs(rng, n)
    cases = [
        Case(f"on separable data (N = {n}, d = {d}, at most 200 epochs)", (X, y, 200)),
        Case(f"on data that is not separable (random labels, N = {n}, 5 epochs)", (noisy_X, noisy_y, 5)),
        Case("on a single example (N = 1, 10 epochs)", (X[:1], y[:1], 10)),
    ]
    check_against_reference(student_fn, _train_reference, cases, ("final w", "final b", "mistakes_per_epoch"),
                            "train_perceptron", explain=_explain_train)


# ----------------------------------------------------------------------------- mistake bound


def _explain_bound(got: Any, expected: Any, case: Case) -> None:
    w_star = case.args[2]
    norm = float(np.linalg.norm(w_star))
    if np.isclose(float(_as_array(got[1])), expected[1] * norm, rtol=1e-6):
        raise GradingFailure("factor", f"{case.opening}, `gamma` is "
                             f"||w*|| = {norm:.3g} times too large: the margin is measured with the unit vector "
                             "w* / ||w*||, so divide by ||w*||.")


def check_mistake_bound(student_fn) -> None:
    """``mistake_bound(X, y, w_star) -> (R, gamma, bound)``: the perceptron convergence theorem's numbers."""
    rng = fresh_rng()
    n, d = int(rng.integers(10, 40)), int(rng.integers(2, 6))
    X, y, w_star = make_separable(n, d, margin=float(rng.uniform(0.1, 0.5)), seed=int(rng.integers(2**31)),
                                  return_w_star=True)
    scale = float(rng.uniform(2.0, 5.0))
    cases = [
        Case(f"on separable data (N = {n}, d = {d}) with a separator w* of norm {scale:.3g}", (X, y, scale * w_star)),
        Case("on a single example (N = 1)", (X[:1], y[:1], w_star)),
    ]
    check_against_reference(student_fn, linear.mistake_bound, cases, ("R", "gamma", "bound"), "mistake_bound",
                            explain=_explain_bound)


# ----------------------------------------------------------------------------- full-batch gradient


def _full_batch_reference(X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float) -> tuple[np.ndarray, float]:
    """The gradient of the mean perceptron loss: the loss's dz, pulled back through z = X w + b."""
    _, dz = losses.perceptron_loss(X @ w + b, y)
    return X.T @ dz, float(np.sum(dz))


def _explain_full_batch(got: Any, expected: Any, case: Case) -> None:
    X, y, w, b = case.args
    if not np.any(w) and b == 0 and not np.any(_as_array(got[0])):
        raise GradingFailure("wrong-value", f"{case.opening}, `dw` is 0, but "
                             f"every score is 0 there and {_BOUNDARY_HINT}")


def check_full_batch_gradient(student_fn) -> None:
    """``full_batch_gradient(X, y, w, b) -> (dw, db)`` of the mean perceptron loss over the batch."""
    rng = fresh_rng()
    cases = []
    for s in standard_situations(rng, multiclass=False):
        d = int(rng.integers(2, 6))
        X, w = rng.normal(size=(s.batch_size, d)) * s.scale, rng.normal(size=d)
        b = float(rng.normal())
        y = -np.sign(X @ w + b) if s.batch_size == 1 else random_signs(rng, s.batch_size)  # N = 1: a mistake
        cases.append(Case(s.description, (X, y, w, b), s.batch_size))
    n = int(rng.integers(4, 10))
    cases.append(Case(f"from w = 0, b = 0 (N = {n}, every point on the boundary)",
                      (rng.normal(size=(n, 3)), random_signs(rng, n), np.zeros(3), 0.0), n))
    check_against_reference(student_fn, _full_batch_reference, cases, ("dw", "db"), "full_batch_gradient",
                            explain=_explain_full_batch)


# ----------------------------------------------------------------------------- multiclass update


def _multiclass_reference(W: np.ndarray, b: np.ndarray, x: np.ndarray, y: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """One step of :func:`dlfoundations.linear.train_multiclass_perceptron` from a given ``(W, b)``."""
    return linear.multiclass_perceptron_step(W, b, x, int(y))


def _explain_multiclass(got: Any, expected: Any, case: Case) -> None:
    W, b, x, y = case.args
    new_W, new_b = _as_array(got[0]), _as_array(got[1])
    sentence = f"{case.opening}"
    if new_W.shape != W.shape or new_b.shape != b.shape:
        return
    if not expected[2] and not (np.array_equal(new_W, W) and np.array_equal(new_b, b)):
        raise GradingFailure("wrong-value", f"{sentence}, your update changed W or b although the true class has the "
                             "highest score: the perceptron only updates on a mistake.")
    scores = x @ W + b
    if expected[2] and np.array_equal(new_W, W) and np.max(np.delete(scores, y)) == scores[y]:
        raise GradingFailure("wrong-value", f"{sentence}, there is a tie between the true class and another class, "
                             "and a tie counts as a mistake (the true class must win strictly): update W and b.")
    if expected[2] and values_match(new_W, expected[0]) and np.array_equal(new_b, b):
        raise GradingFailure("missing-bias-grad", f"{sentence}, W is updated correctly but b is not: on a mistake "
                             "also b_y += 1 and b_ŷ -= 1.")


def _multiclass_case(rng: np.random.Generator, description: str, k: int, outcome: str) -> Case:
    d = int(rng.integers(2, 6))
    W, b, x = rng.normal(size=(d, k)), rng.normal(size=k), rng.normal(size=d)
    y = int(rng.integers(k))
    scores = x @ W + b
    if outcome == "correct":
        b[y] += np.max(scores) - scores[y] + 1.0  # the true class wins by 1
    elif outcome == "mistake":
        b[y] -= scores[y] - np.min(scores) + 1.0  # the true class loses by 1
    return Case(description, (W, b, x, y))


def check_multiclass_update(student_fn) -> None:
    """``multiclass_perceptron_update(W, b, x, y) -> (new_W, new_b, mistake)``: one multiclass perceptron step."""
    rng = fresh_rng()
    k = int(rng.integers(3, 7))
    d = int(rng.integers(2, 6))
    tie_W = rng.integers(-2, 3, size=(d, k)).astype(np.float64)
    tie_x = rng.integers(-2, 3, size=d).astype(np.float64)
    tie_y = 0  # np.argmax(z) returns y on this tie: a rule `argmax(z) != y` misses the mistake
    tie_b = np.zeros(k)
    tie_scores = tie_x @ tie_W
    tie_b[tie_y] = np.max(np.delete(tie_scores, tie_y)) - tie_scores[tie_y]  # z_y equals the best other score
    cases = [
        _multiclass_case(rng, f"when another class beats the true one (K = {k})", k, "mistake"),
        _multiclass_case(rng, f"when the true class wins (K = {k})", k, "correct"),
        _multiclass_case(rng, "with two classes (K = 2) and a mistake", 2, "mistake"),
        _multiclass_case(rng, "with two classes (K = 2) and the true class winning", 2, "correct"),
        Case(f"from W = 0, b = 0 (all K = {k} scores tie)", (np.zeros((d, k)), np.zeros(k), rng.normal(size=d),
                                                             int(rng.integers(k)))),
        Case("when the true class 0 ties with another one", (tie_W, tie_b, tie_x, tie_y)),
    ]
    check_against_reference(student_fn, _multiclass_reference, cases, ("new_W", "new_b", "mistake"),
                            "multiclass_perceptron_update", explain=_explain_multiclass)


guard.protect(sys.modules[__name__])
