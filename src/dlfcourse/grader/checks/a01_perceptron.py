"""Hidden checks of assignment 01-perceptron: the loss, one step, training, the mistake bound, full batch, multiclass.

Each check draws its inputs from the item's seed, computes the answer with the
reference library (:mod:`dlfoundations.losses`, :mod:`dlfoundations.linear`)
and compares it with what the student's function returned. Besides the
standard situations (a random batch, a single example, large scores) every
item is tested on points lying exactly on the decision boundary: the course's
convention is that ``y z <= 0`` is a mistake, so a score of exactly 0 triggers
an update (the subgradient of the perceptron loss on the "mistake" side).
Boundary points are built from small integers, so that their score is exactly
0 in any order of summation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dlfoundations import linear, losses
from dlfoundations.kit.compare import Case, Finding, values_match
from dlfoundations.kit.data import make_separable
from dlfcourse.grader.checks.common import Assignment, Item, Result, as_float, check_against_reference
from dlfcourse.grader.inputs import random_scores, random_signs, standard_situations
from dlfcourse.grader.student import Student

__all__ = ["ASSIGNMENT"]

_BOUNDARY_HINT = ("a score of exactly 0 (a point on the decision boundary) must count as a mistake: the test is "
                  "y z <= 0, not y z < 0")


def _integer_point_on_boundary(rng: np.random.Generator, d: int) -> tuple[np.ndarray, float, np.ndarray]:
    """Integer-valued ``w``, ``b`` and ``x`` with ``w . x + b = 0`` exactly (in any summation order)."""
    w = rng.integers(-3, 4, size=d).astype(np.float64)
    w[0] = 1.0  # never the zero vector
    x = rng.integers(-3, 4, size=d).astype(np.float64)
    return w, -float(w @ x), x


def _pair(got: Any, n: int = 2) -> tuple[Any, ...] | None:
    """``got`` as a tuple of ``n`` values, or None if it is not one."""
    return tuple(got) if isinstance(got, (tuple, list)) and len(got) == n else None


# ----------------------------------------------------------------------------- perceptron loss


def _explain_loss(got: Any, expected: Any, case: Case) -> Finding | None:
    """A score of 0 treated as correct, or max(0, y z) instead of max(0, -y z)."""
    values = _pair(got)
    if values is None:
        return None
    z, y = case.args
    loss, dz = as_float(values[0]), as_float(values[1])
    if loss is None or dz is None or dz.shape != z.shape:
        return None
    on_boundary = z == 0
    if on_boundary.any() and not np.any(dz[on_boundary]) and values_match(dz[~on_boundary],
                                                                           expected[1][~on_boundary]):
        return Finding("wrong-value", f"{case.opening}, `dz` is 0 at the entries where y z = 0, but "
                       f"{_BOUNDARY_HINT}: use `margins <= 0` in np.where.")
    if values_match(dz, -expected[1]) and np.any(expected[1]):
        return Finding("sign-flipped", f"{case.opening}, `dz` has the opposite sign: the loss max(0, -y z) "
                       "decreases when y z grows, so on a mistake dz_i = -y_i / N (and 0 elsewhere).")
    if np.isclose(float(loss), float(np.mean(np.maximum(0.0, y * z))), rtol=1e-9) and \
            not np.isclose(expected[0], float(np.mean(np.maximum(0.0, y * z))), rtol=1e-9):
        return Finding("sign-flipped", f"{case.opening}, your `loss` is the mean of max(0, y z): it grows with the "
                       "correctly classified points. The perceptron loss is max(0, -y z), positive on mistakes.")
    correct_side = y * z > 0
    if np.any(dz[correct_side] != 0):
        return Finding("wrong-value", f"{case.opening}, `dz` is not 0 for the correctly classified examples "
                       "(y z > 0): there the loss is flat, so its subgradient is 0; only mistakes (y z <= 0) get "
                       "-y_i / N.")
    return None


def _loss_cases(rng: np.random.Generator) -> list[Case]:
    cases = [Case(s.description, (random_scores(rng, s.batch_size, None, s.scale), random_signs(rng, s.batch_size)),
                  s.batch_size) for s in standard_situations(rng, multiclass=False)]
    n = int(rng.integers(4, 10))
    z = random_scores(rng, n, None)
    z[: n // 2] = 0.0
    rng.shuffle(z)
    cases.append(Case(f"with points exactly on the boundary (some z = 0, N = {n})", (z, random_signs(rng, n)), n))
    return cases


def check_perceptron_loss(student: Student, rng: np.random.Generator) -> Result:
    """``perceptron_loss(z, y) -> (loss, dz)``: the mean of max(0, -y z) and its subgradient."""
    return check_against_reference(student, "perceptron_loss", losses.perceptron_loss, _loss_cases(rng),
                                   ("loss", "dz"), explain=_explain_loss)


# ----------------------------------------------------------------------------- one perceptron step


def _step_reference(w: np.ndarray, b: float, x: np.ndarray, y: float, lr: float) -> tuple[np.ndarray, float, bool]:
    return linear.perceptron_step(w, b, x, y, lr)


def _explain_step(got: Any, expected: Any, case: Case) -> Finding | None:
    """No update on the boundary, an update on a correct example, the sign, the learning rate, the bias."""
    values = _pair(got, 3)
    if values is None:
        return None
    w, b, x, y, lr = case.args
    new_w, new_b = as_float(values[0]), as_float(values[1])
    if new_w is None or new_b is None or new_w.shape != w.shape or new_b.size != 1:
        return None
    moved = not np.array_equal(new_w, w)
    if not expected[2] and moved:
        return Finding("wrong-value", f"{case.opening}, your step changed w although the example is classified "
                       "correctly (y (w . x + b) > 0): the perceptron only updates on a mistake.")
    if expected[2] and not moved and y * (w @ x + b) == 0:
        return Finding("wrong-value", f"{case.opening}, your step did not update w, but {_BOUNDARY_HINT}.")
    if expected[2] and not moved:
        return Finding("wrong-value", f"{case.opening}, your step did not update w although the example is "
                       "misclassified: the perceptron updates when y (w . x + b) <= 0; check the direction of "
                       "your test.")
    if expected[2] and moved:
        change, right = new_w - w, expected[0] - w
        factor = float(np.vdot(change, right) / np.vdot(right, right))
        if values_match(change, factor * right):
            if np.isclose(factor, -1.0):
                return Finding("sign-flipped", f"{case.opening}, w moved the wrong way: on a mistake the update "
                               "is w + lr * y * x (and b + lr * y), which moves the score towards the label.")
            if np.isclose(factor, 1.0 / lr):
                return Finding("factor", f"{case.opening}, the change of w ignores the learning rate "
                               f"(lr = {lr:.3g}): on a mistake w changes by lr * y * x and b by lr * y.")
        if values_match(new_w, expected[0]) and np.isclose(float(new_b.ravel()[0]), b, rtol=0, atol=1e-12):
            return Finding("missing-bias-grad", f"{case.opening}, w is updated correctly but b is not: on a "
                           "mistake also b <- b + lr * y.")
    return None


def _in_place(result: Result, message: str) -> Result:
    """An item-specific message for a ``mutates-input`` finding (the case opening kept)."""
    if isinstance(result, Finding) and result.code == "mutates-input":
        opening = result.message.split(",", 1)[0]
        return Finding("mutates-input", f"{opening}, {message}")
    return result


def check_perceptron_step(student: Student, rng: np.random.Generator) -> Result:
    """``perceptron_step(w, b, x, y, lr) -> (new_w, new_b, mistake)``: Rosenblatt's rule on one example."""
    d = int(rng.integers(2, 6))
    cases = []
    for description, sign in (("on a misclassified example", -1.0), ("on a correctly classified example", 1.0)):
        w, x, b = rng.normal(size=d), rng.normal(size=d), float(rng.normal())
        y = sign * (1.0 if w @ x + b > 0 else -1.0)
        cases.append(Case(description, (w, b, x, y, float(rng.uniform(0.1, 0.9)))))
    cases.append(Case("from w = 0, b = 0 (every score is 0)", (np.zeros(d), 0.0, rng.normal(size=d),
                                                               float(random_signs(rng, 1)[0]), 1.0)))
    w, b, x = _integer_point_on_boundary(rng, d)
    cases.append(Case("on an example exactly on the decision boundary (w . x + b = 0)",
                      (w, b, x, float(random_signs(rng, 1)[0]), float(rng.uniform(1.2, 2.0)))))
    return _in_place(check_against_reference(student, "perceptron_step", _step_reference, cases,
                                             ("new_w", "new_b", "mistake"), explain=_explain_step),
                     "`perceptron_step` changed the caller's array `w` in place (w += ...): return a new array, "
                     "w + lr * y * x, and leave the w you were given as it was.")


# ----------------------------------------------------------------------------- training loop


def _train_reference(X: np.ndarray, y: np.ndarray, epochs: int) -> tuple[np.ndarray, float, np.ndarray]:
    result = linear.train_perceptron(X, y, epochs)
    return result.w, result.b, np.asarray(result.mistakes_per_epoch, dtype=np.float64)


def _deferred_updates(X: np.ndarray, y: np.ndarray, epochs: int) -> tuple[np.ndarray, float, np.ndarray]:
    """The usual slip: every example of an epoch is judged with the weights of the epoch's start."""
    w, b, history = np.zeros(X.shape[1]), 0.0, []
    for _ in range(epochs):
        wrong = y * (X @ w + b) <= 0
        history.append(int(np.sum(wrong)))
        if not wrong.any():
            break
        w, b = w + X[wrong].T @ y[wrong], b + float(np.sum(y[wrong]))
    return w, b, np.asarray(history, dtype=np.float64)


def _explain_train(got: Any, expected: Any, case: Case) -> Finding | None:
    values = _pair(got, 3)
    if values is None:
        return None
    X, y, epochs = case.args
    w, mistakes, reference = as_float(values[0]), as_float(values[2]), expected[2]
    if w is None or mistakes is None:
        return None
    mistakes = mistakes.ravel()
    if not np.any(w) and np.any(expected[0]):
        return Finding("wrong-value", f"{case.opening}, w never left 0. Training starts at w = 0, b = 0, where "
                       f"every score is 0, and {_BOUNDARY_HINT}.")
    if len(mistakes) > len(reference) and values_match(mistakes[: len(reference)], reference) \
            and not np.any(mistakes[len(reference):]):
        return Finding("wrong-shape", f"{case.opening}, training went on after an epoch without mistakes "
                       f"({len(mistakes)} epochs instead of {len(reference)}): stop as soon as an epoch has no "
                       "mistake.")
    if len(mistakes) == len(reference) and values_match(mistakes, np.cumsum(reference)) and len(reference) > 1:
        return Finding("wrong-value", f"{case.opening}, `mistakes_per_epoch` adds up the mistakes of all the "
                       "epochs so far: count each epoch's mistakes on their own (start the count at 0 in every "
                       "epoch).")
    reversed_rows = _train_reference(X[::-1], y[::-1], epochs)
    if len(mistakes) == len(reversed_rows[2]) and values_match(mistakes, reversed_rows[2]) and \
            values_match(w, reversed_rows[0]) and not values_match(reversed_rows[0], expected[0]):
        return Finding("wrong-value", f"{case.opening}, your perceptron visits the examples from the last to the "
                       "first: visit them in order, i = 0, 1, ..., N - 1.")
    deferred = _deferred_updates(X, y, epochs)
    if len(mistakes) == len(deferred[2]) and values_match(mistakes, deferred[2]) and values_match(w, deferred[0]):
        return Finding("wrong-value", f"{case.opening}, your training judges every example of an epoch with the "
                       "weights of the epoch's start and applies the updates afterwards. The perceptron updates "
                       "right away: the next example already sees the new w and b.")
    return None


def check_train_perceptron(student: Student, rng: np.random.Generator) -> Result:
    """``train_perceptron(X, y, epochs) -> (w, b, mistakes_per_epoch)``: in-order epochs from zero, early stop."""
    n, d = int(rng.integers(12, 20)), int(rng.integers(2, 5))
    X, y = make_separable(n, d, margin=float(rng.uniform(0.2, 0.4)), seed=int(rng.integers(2**31)))
    noisy_X, noisy_y = rng.normal(size=(n, d)), random_signs(rng, n)
    cases = [  # the short, non-separable run first: a wrong step shows there, at little cost
        Case(f"on data that is not separable (random labels, N = {n}, 5 epochs)", (noisy_X, noisy_y, 5)),
        Case(f"on separable data (N = {n}, d = {d}, at most 50 epochs)", (X, y, 50)),
        Case("on a single example (N = 1, 10 epochs)", (X[:1], y[:1], 10)),
    ]
    return check_against_reference(student, "train_perceptron", _train_reference, cases,
                                   ("final w", "final b", "mistakes_per_epoch"), explain=_explain_train)


# ----------------------------------------------------------------------------- mistake bound


def _explain_bound(got: Any, expected: Any, case: Case) -> Finding | None:
    values = _pair(got, 3)
    if values is None:
        return None
    X, y, w_star = case.args
    R, gamma, bound = (float(np.asarray(v, dtype=np.float64)) for v in values)
    norm = float(np.linalg.norm(w_star))
    norms = np.linalg.norm(X, axis=1)
    if not np.isclose(R, expected[0], rtol=1e-6):
        if np.isclose(R, expected[0] ** 2, rtol=1e-6):
            return Finding("wrong-value", f"{case.opening}, `R` is the largest *squared* norm: R = max_i ||x_i||, "
                           "so take the square root (np.linalg.norm(X, axis=1)).")
        for what, value in (("the mean", norms.mean()), ("the sum", norms.sum()), ("the smallest", norms.min())):
            if np.isclose(R, value, rtol=1e-6):
                return Finding("wrong-value", f"{case.opening}, `R` is {what} of the norms ||x_i||; R is the "
                               "largest one (the radius of a ball around all the data).")
        if np.isclose(R, float(np.max(np.abs(X))), rtol=1e-6):
            return Finding("wrong-value", f"{case.opening}, `R` is the largest entry of X; R is the largest norm "
                           "of a row, max_i ||x_i|| (np.linalg.norm(X, axis=1)).")
    if np.isclose(gamma, expected[1] * norm, rtol=1e-6) and not np.isclose(norm, 1.0):
        return Finding("factor", f"{case.opening}, `gamma` is ||w*|| = {norm:.3g} times too large: the margin is "
                       "measured with the unit vector w* / ||w*||, so divide by ||w*||.")
    if np.isclose(gamma, float(np.min(y * (X @ w_star))) / norm ** 2, rtol=1e-6) and not np.isclose(norm, 1.0):
        return Finding("factor", f"{case.opening}, `gamma` is divided by ||w*||² instead of ||w*||.")
    if np.isclose(R, expected[0]) and np.isclose(gamma, expected[1]) and np.isclose(bound, R / gamma, rtol=1e-6):
        return Finding("wrong-value", f"{case.opening}, `bound` is R / gamma; the bound is its square, "
                       "(R / gamma) ** 2.")
    return None


def check_mistake_bound(student: Student, rng: np.random.Generator) -> Result:
    """``mistake_bound(X, y, w_star) -> (R, gamma, bound)``: the perceptron convergence theorem's numbers."""
    n, d = int(rng.integers(10, 40)), int(rng.integers(2, 6))
    X, y, w_star = make_separable(n, d, margin=float(rng.uniform(0.1, 0.5)), seed=int(rng.integers(2**31)),
                                  return_w_star=True)
    scale = float(rng.uniform(2.0, 5.0))
    cases = [
        Case(f"on separable data (N = {n}, d = {d}) with a separator w* of norm {scale:.3g}", (X, y, scale * w_star)),
        Case("on a single example (N = 1) with a separator of norm 3", (X[:1], y[:1], 3.0 * w_star)),
    ]
    return check_against_reference(student, "mistake_bound", linear.mistake_bound, cases, ("R", "gamma", "bound"),
                                   explain=_explain_bound)


# ----------------------------------------------------------------------------- full-batch gradient


def _full_batch_with(perceptron_loss: Callable[..., Any]) -> Callable[..., tuple[np.ndarray, float]]:
    """The gradient of the mean perceptron loss built on ``perceptron_loss``: dz pulled back through z = X w + b."""
    def reference(X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float) -> tuple[np.ndarray, float]:
        _, dz = perceptron_loss(X @ w + b, y)
        dz = np.asarray(dz, dtype=np.float64)
        return X.T @ dz, float(np.sum(dz))
    return reference


def _explain_full_batch(got: Any, expected: Any, case: Case) -> Finding | None:
    values = _pair(got)
    if values is None:
        return None
    X, y, w, b = case.args
    dw = as_float(values[0])
    if dw is None:
        return None
    if dw.shape == (len(w), 1):
        return Finding("wrong-shape", f"{case.opening}, `dw` has shape {dw.shape}, a column: it should have the shape "
                       f"of w, ({len(w)},). Keep dz 1-D, shape (N,), so that X.T @ dz is a vector.")
    if not np.any(w) and b == 0 and dw.shape == expected[0].shape and not np.any(dw):
        return Finding("wrong-value", f"{case.opening}, `dw` is 0, but every score is 0 there and "
                       f"{_BOUNDARY_HINT}.")
    if dw.shape == expected[0].shape and values_match(dw, -expected[0] * len(y)) and len(y) > 1:
        return Finding("sign-flipped", f"{case.opening}, `dw` is the perceptron update sum_i y_i x_i over the "
                       "mistakes; the gradient of the mean loss is minus that, divided by N: X^T dz with dz from "
                       "perceptron_loss.")
    return None


def _full_batch_cases(rng: np.random.Generator) -> list[Case]:
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
    return cases


def check_full_batch_gradient(student: Student, rng: np.random.Generator) -> Result:
    """``full_batch_gradient(X, y, w, b) -> (dw, db)`` of the mean perceptron loss over the batch."""
    return check_against_reference(student, "full_batch_gradient", _full_batch_with(losses.perceptron_loss),
                                   _full_batch_cases(rng), ("dw", "db"), explain=_explain_full_batch)


# ----------------------------------------------------------------------------- multiclass update


def _multiclass_reference(W: np.ndarray, b: np.ndarray, x: np.ndarray, y: int) -> tuple[np.ndarray, np.ndarray, bool]:
    return linear.multiclass_perceptron_step(W, b, x, int(y))


def _explain_multiclass(got: Any, expected: Any, case: Case) -> Finding | None:
    values = _pair(got, 3)
    if values is None:
        return None
    W, b, x, y = case.args
    new_W, new_b = as_float(values[0]), as_float(values[1])
    if new_W is None or new_b is None or new_W.shape != W.shape or new_b.shape != b.shape:
        return None
    unchanged = np.array_equal(new_W, W) and np.array_equal(new_b, b)
    if not expected[2] and not unchanged:
        return Finding("wrong-value", f"{case.opening}, your update changed W or b although the true class has the "
                       "highest score: the perceptron only updates on a mistake.")
    scores = x @ W + b
    if expected[2] and unchanged and np.max(np.delete(scores, y)) == scores[y]:
        return Finding("wrong-value", f"{case.opening}, there is a tie between the true class and another class, "
                       "and a tie counts as a mistake (the true class must win strictly, z_ŷ >= z_y): update W and "
                       "b. With np.argmax over all the scores the tie goes to the lowest index, which may be y "
                       "itself: take the argmax over the other classes only.")
    if not expected[2]:
        return None
    change, right = new_W - W, expected[0] - W
    if values_match(change, -right) and values_match(new_b - b, -(expected[1] - b)):
        return Finding("sign-flipped", f"{case.opening}, W and b moved the wrong way: the true class y gains x "
                       "(and +1), the best other class ŷ loses x (and -1).")
    rival = int(np.argmax(np.where(np.arange(len(b)) == y, -np.inf, scores)))
    if values_match(change[:, y], right[:, y]) and not np.any(change[:, rival]):
        return Finding("wrong-value", f"{case.opening}, column y of W gained x, but the best other class ŷ = "
                       f"{rival} was not pushed down: on a mistake also w_ŷ <- w_ŷ - x and b_ŷ <- b_ŷ - 1.")
    if values_match(new_W, expected[0]) and np.array_equal(new_b, b):
        return Finding("missing-bias-grad", f"{case.opening}, W is updated correctly but b is not: on a mistake "
                       "also b_y += 1 and b_ŷ -= 1.")
    return None


def _multiclass_case(rng: np.random.Generator, description: str, k: int, outcome: str) -> Case:
    d = int(rng.choice([v for v in range(2, 7) if v != k]))  # d != K: a transposed W has the wrong shape
    W, b, x = rng.normal(size=(d, k)), rng.normal(size=k), rng.normal(size=d)
    y = int(rng.integers(k))
    scores = x @ W + b
    if outcome == "correct":
        b[y] += np.max(scores) - scores[y] + 1.0  # the true class wins by 1
    else:
        b[y] -= scores[y] - np.min(scores) + 1.0  # the true class loses by 1
    return Case(description, (W, b, x, y))


def check_multiclass_update(student: Student, rng: np.random.Generator) -> Result:
    """``multiclass_perceptron_update(W, b, x, y) -> (new_W, new_b, mistake)``: one multiclass perceptron step."""
    k = int(rng.integers(3, 7))
    d = int(rng.choice([v for v in range(2, 7) if v != k]))
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
    return _in_place(check_against_reference(student, "multiclass_perceptron_update", _multiclass_reference,
                                             cases, ("new_W", "new_b", "mistake"), explain=_explain_multiclass),
                     "`multiclass_perceptron_update` changed the W or b it was given in place: update copies, "
                     "new_W, new_b = W.copy(), b.copy(), and return those.")


ASSIGNMENT = Assignment("01-perceptron", (
    Item("perceptron_loss-test", ("perceptron_loss",), check_perceptron_loss),
    Item("perceptron_step-test", ("perceptron_step",), check_perceptron_step),
    Item("train_perceptron-test", ("train_perceptron",), check_train_perceptron,
         calls=("perceptron_loss", "perceptron_step")),
    Item("mistake_bound-test", ("mistake_bound",), check_mistake_bound),
    Item("full_batch_gradient-test", ("full_batch_gradient",), check_full_batch_gradient,
         calls=("perceptron_loss",)),
    Item("multiclass_update-test", ("multiclass_perceptron_update",), check_multiclass_update),
), references={  # what the earlier functions answer while a later item is graded (see common.Assignment)
    "perceptron_loss": losses.perceptron_loss,
    "perceptron_step": linear.perceptron_step,
})
