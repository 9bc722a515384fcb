"""Hidden tests of assignment 02-gradient-descent: one ``check_<item>(student_fn)`` per graded item.

References: :mod:`dlfoundations.regression` (the MSE of a linear model, one
gradient-descent step, least squares and ridge), :mod:`dlfoundations.kit.gradcheck`
(the centred-difference gradient) and :func:`dlfoundations.kit.data.minibatches`
(the batch sizes of a minibatch pass). Inputs are fresh on every run.

The minibatch iterator is not compared shuffle for shuffle: the check is that
every row appears exactly once, the batch sizes are those of
:func:`~dlfoundations.kit.data.minibatches`, rows of X and y stay paired, the order
is shuffled, and the same seed gives the same batches. The numerical-gradient
item may not delegate to :mod:`dlfoundations.kit.gradcheck`, although other items may.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from dlfoundations import regression
from dlfoundations.kit import data, gradcheck
from dlfoundations.grading import guard
from dlfoundations.grading.check import Case, check_against_reference
from dlfoundations.grading.compare import values_match
from dlfoundations.grading.failure import GradingFailure
from dlfoundations.grading.inputs import fresh_rng, standard_situations

__all__ = [
    "check_linear_mse",
    "check_gradient_descent_step",
    "check_numerical_gradient",
    "check_minibatches",
    "check_fit_linear_regression",
    "check_ridge",
]


def _as_array(value: Any) -> np.ndarray:
    return np.asarray(value, dtype=np.float64)


def _regression_case(rng: np.random.Generator, description: str, n: int, d: int, scale: float = 1.0) -> Case:
    """``(X, y, w, b)`` for a linear regressor: X ``(n, d)``, targets y ``(n,)``, weights w ``(d,)``, a float b."""
    X, y = rng.normal(size=(n, d)) * scale, rng.normal(size=n) * scale
    return Case(description, (X, y, rng.normal(size=d), float(rng.normal())), n)


def _regression_cases(rng: np.random.Generator) -> list[Case]:
    """A random batch, one example, large values, and a single feature (d = 1)."""
    cases = [_regression_case(rng, s.description.replace("large scores", "large inputs"), s.batch_size,
                              int(rng.integers(2, 6)), s.scale) for s in standard_situations(rng, multiclass=False)]
    n = int(rng.integers(4, 10))
    cases.append(_regression_case(rng, f"with a single feature (d = 1, N = {n})", n, 1))
    return cases


# ----------------------------------------------------------------------------- MSE loss and gradient


def _explain_mse(got: Any, expected: Any, case: Case) -> None:
    if np.isclose(float(_as_array(got[0])), 2 * expected[0], rtol=1e-6) and expected[0] > 0:
        raise GradingFailure("factor", f"{case.opening}, `loss` is twice too large: the course's loss has a "
                             "factor 1/2, J = (1/2N) ||X w + b - y||².")


def check_linear_mse(student_fn) -> None:
    """``linear_mse(X, y, w, b) -> (loss, dw, db)``: the mean squared error of ``X w + b`` and its gradient."""
    cases = _regression_cases(fresh_rng())
    check_against_reference(student_fn, regression.linear_mse, cases, ("loss", "dw", "db"), "linear_mse",
                            explain=_explain_mse)


# ----------------------------------------------------------------------------- one gradient-descent step


def _explain_step(got: Any, expected: Any, case: Case) -> None:
    X, y, w, b, lr = case.args
    new_w, new_b = _as_array(got[0]), float(_as_array(got[1]))
    if new_w.shape != w.shape:
        return
    change, right = new_w - w, expected[0] - w
    factor = float(np.vdot(change, right) / np.vdot(right, right))
    if values_match(change, factor * right, rtol=1e-5, atol=1e-10):
        hints = {-1.0: ("sign-flipped", "w moved uphill (along +dw): a descent step is w - lr * dw."),
                 float(len(y)): ("forgot-mean", f"w moved N = {len(y)} times too far: the gradient is a mean "
                                 "over the batch (did you forget to divide by N?)."),
                 1.0 / lr: ("factor", "the change of w ignores the learning rate: w <- w - lr * dw.")}
        for value, (code, message) in hints.items():
            if np.isclose(factor, value):
                raise GradingFailure(code, f"{case.opening}, {message}")
    if values_match(new_w, expected[0]) and new_b == b and expected[1] != b:
        raise GradingFailure("missing-bias-grad", f"{case.opening}, w is updated correctly but b is not: "
                             "b <- b - lr * db (is your db zero?).")


def check_gradient_descent_step(student_fn) -> None:
    """``gradient_descent_step(X, y, w, b, lr) -> (new_w, new_b)``: one full-batch step, inputs untouched."""
    rng = fresh_rng()
    cases = [Case(c.description, (*c.args, float(rng.uniform(0.01, 0.5))), c.batch_size)
             for c in _regression_cases(rng)]
    check_against_reference(student_fn, regression.gradient_descent_step, cases, ("new_w", "new_b"),
                            "gradient_descent_step", explain=_explain_step)


# ----------------------------------------------------------------------------- numerical gradient


def _smooth_function(rng: np.random.Generator, size: int) -> Callable[[np.ndarray], float]:
    """A random smooth scalar function of an array with ``size`` entries (any shape)."""
    a, c, u = rng.normal(size=size), rng.uniform(0.1, 1.0, size=size), rng.normal(size=size)

    def f(x: np.ndarray) -> float:
        v = np.ravel(x)
        return float(np.sum(a * np.sin(v) + c * v**2) + np.log1p(float(u @ v) ** 2))

    return f


def _explain_numerical(got: Any, expected: Any, case: Case) -> None:
    grad = _as_array(got)
    if grad.shape != expected.shape:
        return
    if values_match(grad, 2 * expected, rtol=1e-5, atol=1e-8):
        raise GradingFailure("factor", f"{case.opening}, the gradient is twice too large: the centred "
                             "difference divides by 2h, the distance between x - h and x + h.")
    error = gradcheck.rel_error(grad, expected)
    if 1e-9 < error < 1e-2:
        raise GradingFailure("wrong-value", f"{case.opening}, the gradient is close but not accurate enough "
                             f"(relative error {error:.1e}): use the centred difference "
                             "(f(x + h e_i) - f(x - h e_i)) / (2h), whose error is O(h²), not a one-sided one.")


def check_numerical_gradient(student_fn) -> None:
    """``numerical_gradient(f, x, h=1e-5)``: centred differences, any shape of x, x left unchanged."""
    rng = fresh_rng()
    d, rows, cols = int(rng.integers(3, 8)), int(rng.integers(2, 4)), int(rng.integers(2, 5))
    cases = [
        Case(f"on a random smooth function of a vector x of {d} entries", (_smooth_function(rng, d),
                                                                           rng.normal(size=d))),
        Case(f"on a 2-D array x of shape ({rows}, {cols}) (x may have any shape)",
             (_smooth_function(rng, rows * cols), rng.normal(size=(rows, cols)))),
        Case("with the step h = 1e-4 given as the third argument", (_smooth_function(rng, d), rng.normal(size=d),
                                                                     1e-4)),
        Case("on a vector x with a single entry", (_smooth_function(rng, 1), rng.normal(size=1))),
    ]
    check_against_reference(student_fn, gradcheck.numerical_gradient, cases, ("gradient",), "numerical_gradient",
                            forbid=("gradcheck",), explain=_explain_numerical)


# ----------------------------------------------------------------------------- minibatches


def _fail(code: str, case: Case, message: str) -> None:
    raise GradingFailure(code, f"{case.opening}, {message}")


def _student_batches(student_fn, case: Case) -> list[tuple[np.ndarray, np.ndarray]]:
    """Call the student's iterator and consume it under the guards; check its items and that X, y are intact."""
    X, y = case.args[0], case.args[1]
    before = (X.copy(), y.copy())
    result = guard.call_student(student_fn, *case.args, what="`minibatches`")
    batches = guard.call_student(list, result, what="iterating over what `minibatches` returned")
    if not (np.array_equal(X, before[0]) and np.array_equal(y, before[1])):
        _fail("mutates-input", case, "`minibatches` shuffled or modified X or y in place: index a permutation "
              "of the rows instead (X[rows], y[rows]), which makes copies.")
    for item in batches:
        if not (isinstance(item, (tuple, list)) and len(item) == 2 and all(isinstance(a, np.ndarray) for a in item)):
            _fail("wrong-type", case, "each batch should be a pair (X_batch, y_batch) of numpy arrays.")
        if item[0].ndim != 2 or item[0].shape[1:] != X.shape[1:] or item[1].shape != (item[0].shape[0],):
            _fail("wrong-shape", case, f"a batch has X_batch of shape {item[0].shape} and y_batch of shape "
                  f"{item[1].shape}; expected (m, {X.shape[1]}) and (m,).")
    return batches


def _order(batches: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """The row numbers in the order the batches visit them (y holds each row's number)."""
    return np.concatenate([yb for _, yb in batches]) if batches else np.zeros(0)


def _check_batches(student_fn, case: Case) -> None:
    X, y, batch_size, seed = case.args
    batches = _student_batches(student_fn, case)
    sizes = [len(yb) for _, yb in batches]
    expected = [len(yb) for _, yb in data.minibatches(X, y, batch_size, seed=seed)]
    if sizes != expected:
        hint = " The last, smaller batch is missing." if sizes == expected[:-1] else ""
        _fail("wrong-shape", case, f"the batch sizes are {sizes}, expected {expected}: every batch has batch_size "
              f"rows except the last, which holds the rows left over.{hint}")
    order = _order(batches)
    if not np.array_equal(np.sort(order), y):
        _fail("wrong-value", case, "the batches do not contain every row exactly once.")
    if not all(np.array_equal(Xb, X[yb.astype(int)]) for Xb, yb in batches):
        _fail("wrong-value", case, "the rows of X_batch and y_batch do not belong together: shuffle X and y "
              "with the same permutation.")
    if len(y) >= 10 and np.array_equal(order, y):
        _fail("wrong-value", case, "the rows come in their original order: the batches must be shuffled.")
    if not np.array_equal(_order(_student_batches(student_fn, case)), order):
        _fail("wrong-value", case, "calling it twice with the same seed gave different batches: draw the "
              "permutation from np.random.default_rng(seed).")
    other = Case(case.description, (X, y, batch_size, seed + 1))
    if len(y) >= 10 and np.array_equal(_order(_student_batches(student_fn, other)), order):
        _fail("wrong-value", case, "another seed gave the same order: the shuffle must depend on the seed.")


def check_minibatches(student_fn) -> None:
    """``minibatches(X, y, batch_size, seed)``: seeded shuffle, every row once, the last batch smaller."""
    rng = fresh_rng()
    n, d = int(rng.integers(12, 40)), int(rng.integers(2, 5))
    batch = int(rng.integers(3, 8))
    while n % batch == 0:
        n += 1
    seed = int(rng.integers(2**31))
    divisible = batch * int(rng.integers(3, 6))

    def args(rows: int, size: int) -> tuple:  # y holds each row's number, so the order can be read off it
        return rng.normal(size=(rows, d)), np.arange(rows, dtype=np.float64), size, seed

    cases = [
        Case(f"with N = {n} rows and batch_size = {batch} (the last batch is smaller)", args(n, batch)),
        Case(f"with N = {divisible} rows and batch_size = {batch} (no remainder)", args(divisible, batch)),
        Case(f"with batch_size = {n + 5} larger than N = {n}", args(n, n + 5)),
        Case("with a single row (N = 1)", args(1, batch)),
    ]
    for case in cases:
        _check_batches(student_fn, case)
    print("minibatches: all hidden checks passed.")


# ----------------------------------------------------------------------------- training with minibatches


def _gradient_descent_reference(X: np.ndarray, y: np.ndarray, lr: float, epochs: int, batch_size: int,
                                seed: int) -> tuple[np.ndarray, float, np.ndarray]:
    """Full-batch training (batch_size >= N): ``epochs`` steps of the reference step, loss after each."""
    w, b, history = np.zeros(X.shape[1]), 0.0, []
    for _ in range(epochs):
        w, b = regression.gradient_descent_step(X, y, w, b, lr)
        history.append(regression.linear_mse(X, y, w, b)[0])
    return w, b, np.asarray(history)


def _regression_data(rng: np.random.Generator, n: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    X = rng.normal(size=(n, d))
    y = X @ rng.normal(size=d) + rng.uniform(1.0, 3.0) + 0.5 * rng.normal(size=n)
    return X, y


def _check_near_optimum(student_fn, rng: np.random.Generator) -> None:
    """With minibatches the path is random, so only the end point is checked: close to the least-squares loss."""
    X, y = _regression_data(rng, 160, int(rng.integers(2, 5)))
    case = Case("with minibatches of 16 rows (N = 160, lr = 0.05, 40 epochs)", (X, y, 0.05, 40, 16, 1))
    w, b, history = guard.call_student(student_fn, *case.args, what="`fit_linear_regression`")
    if len(history) != 40:
        _fail("wrong-shape", case, f"`losses` has {len(history)} entries, expected one per epoch (40).")
    optimum = regression.linear_mse(X, y, *regression.least_squares(X, y))[0]
    final = regression.linear_mse(X, y, _as_array(w), float(_as_array(b)))[0]
    if not final <= 1.05 * optimum:
        _fail("did-not-learn", case, f"the final training loss is {final:.4g}, more than 5% above the "
              f"least-squares optimum {optimum:.4g}.")


def check_fit_linear_regression(student_fn) -> None:
    """``fit_linear_regression(X, y, lr, epochs, batch_size, seed) -> (w, b, losses)`` from w = 0, b = 0."""
    rng = fresh_rng()
    n, d = int(rng.integers(20, 60)), int(rng.integers(2, 5))
    X, y = _regression_data(rng, n, d)
    cases = [Case(f"with one batch holding all N = {n} rows (plain gradient descent, lr = 0.1, 15 epochs)",
                  (X, y, 0.1, 15, n, int(rng.integers(2**31))), n)]
    check_against_reference(student_fn, _gradient_descent_reference, cases, ("w", "b", "losses"),
                            "fit_linear_regression")
    _check_near_optimum(student_fn, rng)


# ----------------------------------------------------------------------------- ridge


def _ridge_with_penalised_bias(X: np.ndarray, y: np.ndarray, l2: float) -> tuple[np.ndarray, float]:
    """The usual slip: ridge with the bias trick, penalising the bias column too (for the diagnosis only)."""
    A = np.column_stack([X, np.ones(len(X))])
    theta = np.linalg.solve(A.T @ A + len(X) * l2 * np.eye(A.shape[1]), A.T @ y)
    return theta[:-1], float(theta[-1])


def _explain_ridge(got: Any, expected: Any, case: Case) -> None:
    X, y, l2 = case.args
    got_w, got_b = _as_array(got[0]), float(_as_array(got[1]))
    if got_w.shape != expected[0].shape:
        return
    slips = {
        "the bias is penalised: only w is in the penalty (l2/2)||w||², so b is free (b = ȳ - x̄ᵀw).":
            _ridge_with_penalised_bias(X, y, l2),
        "the penalty is N times too weak: with the mean (1/2N)||Xw + b - y||², the normal equations read "
        "(XcᵀXc + N l2 I) w = Xcᵀyc.": regression.ridge(X, y, l2 / len(y)),
    }
    for message, (w, b) in slips.items():
        if values_match(got_w, w) and np.isclose(got_b, b, rtol=1e-6, atol=1e-9):
            raise GradingFailure("wrong-value", f"{case.opening}, {message}")
    if got_b == 0 and expected[1] != 0:
        raise GradingFailure("wrong-value", f"{case.opening}, b is 0: the model has a bias, b = ȳ - x̄ᵀw.")


def check_ridge(student_fn) -> None:
    """``ridge(X, y, l2) -> (w, b)``: the closed form of (1/2N)||Xw + b - y||² + (l2/2)||w||², bias unpenalised."""
    rng = fresh_rng()
    n, d = int(rng.integers(15, 40)), int(rng.integers(2, 6))

    def args(X: np.ndarray) -> tuple:  # data away from the origin, so that penalising the bias shows
        X = X + rng.uniform(1.0, 3.0, size=X.shape[1])
        return X, X @ rng.normal(size=X.shape[1]) + rng.uniform(2.0, 4.0) + rng.normal(size=len(X)), \
            float(rng.uniform(0.05, 1.0))

    X = rng.normal(size=(n, d))
    wide = int(rng.integers(d + 2, d + 6))
    cases = [
        Case(f"on a random batch of N = {n} examples", args(X), n),
        Case(f"with more features than examples (N = 3, d = {wide}: XᵀX is singular)",
             args(rng.normal(size=(3, wide))), 3),
        Case("with a duplicated feature (XᵀX is singular)", args(np.column_stack([X, X[:, :1]])), n),
        Case("on a batch of a single example (N = 1)", args(rng.normal(size=(1, d))), 1),
    ]
    check_against_reference(student_fn, regression.ridge, cases, ("w", "b"), "ridge", explain=_explain_ridge)


guard.protect(sys.modules[__name__])
