"""Hidden checks of assignment 01-perceptron: the loss, one step, training, the mistake bound, full batch, multiclass.

Each item is declared as data: the function, the reference (:mod:`dlfoundations.losses`,
:mod:`dlfoundations.linear`), its cases and its table of known mistakes. Besides the standard situations (a
random batch, a single example, large scores) every item is tested on points lying exactly on the decision
boundary: the course's convention is that ``y z <= 0`` is a mistake, so a score of exactly 0 triggers an
update (the subgradient of the perceptron loss on the "mistake" side). Boundary points are built from small
integers, so that their score is exactly 0 in any order of summation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import numpy as np

from dlfoundations import linear, losses
from dlfoundations.kit.compare import Case, values_match
from dlfoundations.kit.data import make_separable
from dlfcourse.grader.checks import mistakes as m
from dlfcourse.grader.checks.common import Assignment, declare
from dlfcourse.grader.checks.core import Compared, Seen
from dlfcourse.grader.inputs import random_scores, random_signs, standard_situations

__all__ = ["ASSIGNMENT"]

_BOUNDARY_HINT = ("a score of exactly 0 (a point on the decision boundary) must count as a mistake: the test is "
                  "y z <= 0, not y z < 0")


def _integer_point_on_boundary(rng: np.random.Generator, d: int) -> tuple[np.ndarray, float, np.ndarray]:
    """Integer-valued ``w``, ``b`` and ``x`` with ``w . x + b = 0`` exactly (in any summation order)."""
    w = rng.integers(-3, 4, size=d).astype(np.float64)
    w[0] = 1.0  # never the zero vector
    x = rng.integers(-3, 4, size=d).astype(np.float64)
    return w, -float(w @ x), x


# ----------------------------------------------------------------------------- perceptron loss


def _loss_cases(rng: np.random.Generator) -> list[Case]:
    cases = [Case(s.description, (random_scores(rng, s.batch_size, None, s.scale), random_signs(rng, s.batch_size)),
                  s.batch_size) for s in standard_situations(rng, multiclass=False)]
    n = int(rng.integers(4, 10))
    z = random_scores(rng, n, None)
    z[: n // 2] = 0.0
    rng.shuffle(z)
    return cases + [Case(f"with points exactly on the boundary (some z = 0, N = {n})", (z, random_signs(rng, n)), n)]


def _zero_score_correct(s: Seen) -> bool:
    z, dz, right = s.args[0], s.array("dz"), s.right("dz")
    on = z == 0
    return dz is not None and dz.shape == z.shape and bool(on.any()) and not np.any(dz[on]) and \
        values_match(dz[~on], right[~on])


def _flat_side_nonzero(s: Seen) -> bool:
    z, y = s.args
    dz = s.array("dz")
    return dz is not None and dz.shape == z.shape and bool(np.any(dz[y * z > 0] != 0))


LOSS = Compared("perceptron_loss", losses.perceptron_loss, _loss_cases, ("loss", "dz"), (
    m.probe("zero-score-correct", "wrong-value", f"`dz` is 0 at the entries where y z = 0, but {_BOUNDARY_HINT}: use "
            "`margins <= 0` in np.where.", _zero_score_correct),
    m.sign_flipped("subgradient-sign", "dz", "`dz` has the opposite sign: the loss max(0, -y z) decreases when y z "
                   "grows, so on a mistake dz_i = -y_i / N (and 0 elsewhere)."),
    m.variant("max-of-yz", "sign-flipped", "your `loss` is the mean of max(0, y z): it grows with the correctly "
              "classified points. The perceptron loss is max(0, -y z), positive on mistakes.",
              lambda s: float(np.mean(np.maximum(0.0, s.args[1] * s.args[0]))), "loss", rtol=1e-9),
    m.probe("gradient-on-correct-examples", "wrong-value", "`dz` is not 0 for the correctly classified examples "
            "(y z > 0): there the loss is flat, so its subgradient is 0; only mistakes (y z <= 0) get -y_i / N.",
            _flat_side_nonzero),
), batch=(0, 1))


# ----------------------------------------------------------------------------- one perceptron step


def _step_cases(rng: np.random.Generator) -> list[Case]:
    d = int(rng.integers(2, 6))
    cases = []
    for description, sign in (("on a misclassified example", -1.0), ("on a correctly classified example", 1.0)):
        w, x, b = rng.normal(size=d), rng.normal(size=d), float(rng.normal())
        y = sign * (1.0 if w @ x + b > 0 else -1.0)
        cases.append(Case(description, (w, b, x, y, float(rng.uniform(0.1, 0.9)))))
    cases.append(Case("from w = 0, b = 0 (every score is 0)", (np.zeros(d), 0.0, rng.normal(size=d),
                                                               float(random_signs(rng, 1)[0]), 1.0)))
    w, b, x = _integer_point_on_boundary(rng, d)
    return cases + [Case("on an example exactly on the decision boundary (w . x + b = 0)",
                         (w, b, x, float(random_signs(rng, 1)[0]), float(rng.uniform(1.2, 2.0))))]


def _moved(s: Seen) -> bool | None:
    """Whether the student's step changed w (None if it did not return a w of the right shape)."""
    new_w = s.array("new_w")
    return None if new_w is None or new_w.shape != s.args[0].shape else not np.array_equal(new_w, s.args[0])


def _mistake(s: Seen) -> bool:
    return bool(s.right("mistake"))


def _on_boundary(s: Seen) -> bool:
    w, b, x, y, _ = s.args
    return y * (w @ x + b) == 0


STEP = Compared("perceptron_step", linear.perceptron.perceptron_step, _step_cases, ("new_w", "new_b", "mistake"), (
    m.probe("update-when-correct", "wrong-value", "your step changed w although the example is classified correctly "
            "(y (w . x + b) > 0): the perceptron only updates on a mistake.",
            lambda s: not _mistake(s) and _moved(s) is True),
    m.probe("zero-score-correct", "wrong-value", f"your step did not update w, but {_BOUNDARY_HINT}.",
            lambda s: _mistake(s) and _moved(s) is False and _on_boundary(s)),
    m.probe("test-reversed", "wrong-value", "your step did not update w although the example is misclassified: the "
            "perceptron updates when y (w . x + b) <= 0; check the direction of your test.",
            lambda s: _mistake(s) and _moved(s) is False),
    m.step_scaled("update-sign", "sign-flipped", lambda s: -1.0, "w moved the wrong way: on a mistake the update is "
                  "w + lr * y * x (and b + lr * y), which moves the score towards the label.",
                  start=lambda s: s.args[0], when=_mistake),
    m.step_scaled("learning-rate-ignored", "factor", lambda s: 1.0 / s.args[4], lambda lr: (
        f"the change of w ignores the learning rate (lr = {lr:.3g}): on a mistake w changes by lr * y * x and b by "
        "lr * y."), start=lambda s: s.args[0], when=_mistake, facts=lambda s: {"lr": s.args[4]}),
    m.bias_not_updated("bias-not-updated", "w is updated correctly but b is not: on a mistake also b <- b + lr * y.",
                       "new_w", "new_b", lambda s: s.args[1]),
), on_call={"mutates-input": "`perceptron_step` changed the caller's array `w` in place (w += ...): return a new "
                             "array, w + lr * y * x, and leave the w you were given as it was."})


# ----------------------------------------------------------------------------- training loop


def _train_reference(X: np.ndarray, y: np.ndarray, epochs: int) -> tuple[np.ndarray, float, np.ndarray]:
    result = linear.perceptron.train_perceptron(X, y, epochs)
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


def _train_cases(rng: np.random.Generator) -> list[Case]:
    n, d = int(rng.integers(12, 20)), int(rng.integers(2, 5))
    # make_separable returns (X, y), and (X, y, w*) with return_w_star=True.
    X, y = cast(tuple[np.ndarray, np.ndarray],
                make_separable(n, d, margin=float(rng.uniform(0.2, 0.4)), seed=int(rng.integers(2**31))))
    noisy_X, noisy_y = rng.normal(size=(n, d)), random_signs(rng, n)
    return [  # the short, non-separable run first: a wrong step shows there, at little cost
        Case(f"on data that is not separable (random labels, N = {n}, 5 epochs)", (noisy_X, noisy_y, 5)),
        Case(f"on separable data (N = {n}, d = {d}, at most 50 epochs)", (X, y, 50)),
        Case("on a single example (N = 1, 10 epochs)", (X[:1], y[:1], 10)),
    ]


def _kept_going(s: Seen) -> Any:
    mistakes, reference = s.array("mistakes_per_epoch"), s.right("mistakes_per_epoch")
    if mistakes is None or mistakes.ndim != 1 or len(mistakes) <= len(reference) or \
            not values_match(mistakes[: len(reference)], reference) or np.any(mistakes[len(reference):]):
        return None
    return {"got": len(mistakes), "right": len(reference)}


_W_B_HISTORY = ("final w", "mistakes_per_epoch")

TRAIN = Compared("train_perceptron", _train_reference, _train_cases, ("final w", "final b", "mistakes_per_epoch"), (
    m.probe("zero-score-correct", "wrong-value", "w never left 0. Training starts at w = 0, b = 0, where every score "
            f"is 0, and {_BOUNDARY_HINT}.", lambda s: s.array("final w") is not None and not np.any(
                s.array("final w")) and bool(np.any(s.right("final w")))),
    m.probe("no-early-stop", "wrong-shape", lambda got, right: (
        f"training went on after an epoch without mistakes ({got} epochs instead of {right}): stop as soon as an "
        "epoch has no mistake."), _kept_going),
    m.variant("cumulative-count", "wrong-value", "`mistakes_per_epoch` adds up the mistakes of all the epochs so "
              "far: count each epoch's mistakes on their own (start the count at 0 in every epoch).",
              lambda s: np.cumsum(s.right("mistakes_per_epoch")), "mistakes_per_epoch"),
    m.variant("rows-backwards", "wrong-value", "your perceptron visits the examples from the last to the first: "
              "visit them in order, i = 0, 1, ..., N - 1.", lambda s: tuple(np.asarray(v) for i, v in enumerate(
                  _train_reference(s.args[0][::-1], s.args[1][::-1], s.args[2])) if i != 1), _W_B_HISTORY),
    m.variant("deferred-updates", "wrong-value", "your training judges every example of an epoch with the weights "
              "of the epoch's start and applies the updates afterwards. The perceptron updates right away: the next "
              "example already sees the new w and b.",
              lambda s: tuple(v for i, v in enumerate(_deferred_updates(*s.args)) if i != 1), _W_B_HISTORY),
))


# ----------------------------------------------------------------------------- mistake bound


def _bound_cases(rng: np.random.Generator) -> list[Case]:
    n, d = int(rng.integers(10, 40)), int(rng.integers(2, 6))
    X, y, w_star = cast(tuple[np.ndarray, np.ndarray, np.ndarray],  # return_w_star=True: also w*
                        make_separable(n, d, margin=float(rng.uniform(0.1, 0.5)), seed=int(rng.integers(2**31)),
                                       return_w_star=True))
    scale = float(rng.uniform(2.0, 5.0))
    return [Case(f"on separable data (N = {n}, d = {d}) with a separator w* of norm {scale:.3g}",
                 (X, y, scale * w_star)),
            Case("on a single example (N = 1) with a separator of norm 3", (X[:1], y[:1], 3.0 * w_star))]


def _norms(s: Seen) -> np.ndarray:
    return np.linalg.norm(s.args[0], axis=1)


def _margins(s: Seen) -> np.ndarray:
    X, y, w_star = s.args
    return y * (X @ w_star)


def _r_is(key: str, what: Callable[[Seen], float], message: str) -> Any:
    return m.variant(key, "wrong-value", message, lambda s: what(s), "R", rtol=1e-6)


_LARGEST = "; R is the largest one (the radius of a ball around all the data)."

BOUND = Compared("mistake_bound", linear.perceptron.mistake_bound, _bound_cases, ("R", "gamma", "bound"), (
    _r_is("r-squared", lambda s: s.right("R") ** 2, "`R` is the largest *squared* norm: R = max_i ||x_i||, so take "
          "the square root (np.linalg.norm(X, axis=1))."),
    _r_is("r-mean-norm", lambda s: _norms(s).mean(), "`R` is the mean of the norms ||x_i||" + _LARGEST),
    _r_is("r-sum-of-norms", lambda s: _norms(s).sum(), "`R` is the sum of the norms ||x_i||" + _LARGEST),
    _r_is("r-smallest-norm", lambda s: _norms(s).min(), "`R` is the smallest of the norms ||x_i||" + _LARGEST),
    _r_is("r-largest-entry", lambda s: float(np.max(np.abs(s.args[0]))), "`R` is the largest entry of X; R is the "
          "largest norm of a row, max_i ||x_i|| (np.linalg.norm(X, axis=1))."),
    m.variant("margin-not-normalised", "factor", lambda norm: (
        f"`gamma` is ||w*|| = {norm:.3g} times too large: the margin is measured with the unit vector w* / ||w*||, so "
        "divide by ||w*||."), lambda s: float(np.min(_margins(s))), "gamma",
        facts=lambda s: {"norm": float(np.linalg.norm(s.args[2]))}),
    m.variant("margin-over-squared-norm", "factor", "`gamma` is divided by ||w*||² instead of ||w*||.",
              lambda s: float(np.min(_margins(s))) / float(s.args[2] @ s.args[2]), "gamma"),
    m.variant("bound-not-squared", "wrong-value", "`bound` is R / gamma; the bound is its square, (R / gamma) ** 2.",
              lambda s: (s.right("R"), s.right("gamma"), s.right("R") / s.right("gamma"))),
))


# ----------------------------------------------------------------------------- full-batch gradient


def _full_batch_with(perceptron_loss: Callable[..., Any]) -> Callable[..., tuple[np.ndarray, float]]:
    """The gradient of the mean perceptron loss built on ``perceptron_loss``: dz pulled back through z = X w + b."""
    def reference(X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float) -> tuple[np.ndarray, float]:
        _, dz = perceptron_loss(X @ w + b, y)
        dz = np.asarray(dz, dtype=np.float64)
        return X.T @ dz, float(np.sum(dz))
    return reference


def _full_batch_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for s in standard_situations(rng, multiclass=False):
        d = int(rng.integers(2, 6))
        X, w = rng.normal(size=(s.batch_size, d)) * s.scale, rng.normal(size=d)
        b = float(rng.normal())
        y = -np.sign(X @ w + b) if s.batch_size == 1 else random_signs(rng, s.batch_size)  # N = 1: a mistake
        cases.append(Case(s.description, (X, y, w, b), s.batch_size))
    n = int(rng.integers(4, 10))
    return cases + [Case(f"from w = 0, b = 0 (N = {n}, every point on the boundary)",
                         (rng.normal(size=(n, 3)), random_signs(rng, n), np.zeros(3), 0.0), n)]


def _zero_dw_at_zero(s: Seen) -> bool:
    """``dw`` is 0 at w = 0, b = 0, where every score is 0."""
    dw = s.array("dw")
    return not np.any(s.args[2]) and s.args[3] == 0 and dw is not None and dw.shape == s.right("dw").shape and \
        not np.any(dw)


FULL_BATCH = Compared("full_batch_gradient", _full_batch_with(losses.perceptron_loss), _full_batch_cases,
                      ("dw", "db"), (
    m.column_shape("dw-column", lambda shape, d: (
        f"`dw` has shape {shape}, a column: it should have the shape of w, ({d},). Keep dz 1-D, shape (N,), so that "
        "X.T @ dz is a vector."), "dw"),
    m.probe("zero-score-correct", "wrong-value", f"`dw` is 0, but every score is 0 there and {_BOUNDARY_HINT}.",
            _zero_dw_at_zero),
    m.scaled("update-rule", "sign-flipped", "dw", lambda s: -float(len(s.args[1])), "`dw` is the perceptron update "
             "sum_i y_i x_i over the mistakes; the gradient of the mean loss is minus that, divided by N: X^T dz with "
             "dz from perceptron_loss.", when=lambda s: len(s.args[1]) > 1),
), batch=(0, 1))


# ----------------------------------------------------------------------------- multiclass update


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


def _multiclass_cases(rng: np.random.Generator) -> list[Case]:
    k = int(rng.integers(3, 7))
    d = int(rng.choice([v for v in range(2, 7) if v != k]))
    tie_W = rng.integers(-2, 3, size=(d, k)).astype(np.float64)
    tie_x = rng.integers(-2, 3, size=d).astype(np.float64)
    tie_b = np.zeros(k)
    tie_scores = tie_x @ tie_W
    tie_b[0] = np.max(np.delete(tie_scores, 0)) - tie_scores[0]  # z_0 equals the best other score: argmax gives 0
    return [
        _multiclass_case(rng, f"when another class beats the true one (K = {k})", k, "mistake"),
        _multiclass_case(rng, f"when the true class wins (K = {k})", k, "correct"),
        _multiclass_case(rng, "with two classes (K = 2) and a mistake", 2, "mistake"),
        _multiclass_case(rng, "with two classes (K = 2) and the true class winning", 2, "correct"),
        Case(f"from W = 0, b = 0 (all K = {k} scores tie)", (np.zeros((d, k)), np.zeros(k), rng.normal(size=d),
                                                             int(rng.integers(k)))),
        Case("when the true class 0 ties with another one", (tie_W, tie_b, tie_x, 0)),
    ]


def _unchanged(s: Seen) -> bool | None:
    W, b = s.args[:2]
    new_W, new_b = s.array("new_W"), s.array("new_b")
    if new_W is None or new_b is None or new_W.shape != W.shape or new_b.shape != b.shape:
        return None
    return np.array_equal(new_W, W) and np.array_equal(new_b, b)


def _tie(s: Seen) -> bool:
    W, b, x, y = s.args
    scores = x @ W + b
    return bool(np.max(np.delete(scores, y)) == scores[y])


def _rival_kept(s: Seen) -> bool:
    W, b, x, y = s.args
    change, right = s.array("new_W") - W, s.right("new_W") - W
    rival = int(np.argmax(np.where(np.arange(len(b)) == y, -np.inf, x @ W + b)))
    return values_match(change[:, y], right[:, y]) and not np.any(change[:, rival])


def _rival(s: Seen) -> dict:
    W, b, x, y = s.args
    return {"rival": int(np.argmax(np.where(np.arange(len(b)) == y, -np.inf, x @ W + b)))}


MULTICLASS = Compared("multiclass_perceptron_update", lambda W, b, x, y: linear.perceptron.multiclass_perceptron_step(
    W, b, x, int(y)), _multiclass_cases, ("new_W", "new_b", "mistake"), (
    m.probe("update-when-correct", "wrong-value", "your update changed W or b although the true class has the "
            "highest score: the perceptron only updates on a mistake.",
            lambda s: not _mistake(s) and _unchanged(s) is False),
    m.probe("tie-counted-correct", "wrong-value", "there is a tie between the true class and another class, and a "
            "tie counts as a mistake (the true class must win strictly, z_ŷ >= z_y): update W and b. With np.argmax "
            "over all the scores the tie goes to the lowest index, which may be y itself: take the argmax over the "
            "other classes only.", lambda s: _mistake(s) and _unchanged(s) is True and _tie(s)),
    m.variant("update-sign", "sign-flipped", "W and b moved the wrong way: the true class y gains x (and +1), the "
              "best other class ŷ loses x (and -1).", lambda s: (2 * s.args[0] - s.right("new_W"),
                                                                 2 * s.args[1] - s.right("new_b")),
              ("new_W", "new_b"), when=_mistake),
    m.probe("rival-not-pushed-down", "wrong-value", lambda rival: (
        f"column y of W gained x, but the best other class ŷ = {rival} was not pushed down: on a mistake also "
        "w_ŷ <- w_ŷ - x and b_ŷ <- b_ŷ - 1."), lambda s: _mistake(s) and _unchanged(s) is False and _rival_kept(s)
        and _rival(s)),
    m.bias_not_updated("bias-not-updated", "W is updated correctly but b is not: on a mistake also b_y += 1 and "
                       "b_ŷ -= 1.", "new_W", "new_b", lambda s: s.args[1]),
), on_call={"mutates-input": "`multiclass_perceptron_update` changed the W or b it was given in place: update "
                             "copies, new_W, new_b = W.copy(), b.copy(), and return those."})


ASSIGNMENT = Assignment("01-perceptron", (
    declare("perceptron_loss-test", LOSS),
    declare("perceptron_step-test", STEP),
    declare("train_perceptron-test", TRAIN, calls=("perceptron_loss", "perceptron_step")),
    declare("mistake_bound-test", BOUND),
    declare("full_batch_gradient-test", FULL_BATCH, calls=("perceptron_loss",)),
    declare("multiclass_update-test", MULTICLASS),
), references={  # what the earlier functions answer while a later item is graded (see common.Assignment)
    "perceptron_loss": losses.perceptron_loss,
    "perceptron_step": linear.perceptron.perceptron_step,
})
