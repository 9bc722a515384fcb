"""Hidden checks of assignment 02-gradient-descent: MSE, a GD step, a numerical gradient, minibatches, training, ridge.

References: :mod:`dlfoundations.regression` (the MSE of a linear model, one gradient-descent step, least
squares and ridge), :mod:`dlfoundations.kit.gradcheck` (the centred-difference gradient, on the trusted side)
and :func:`dlfoundations.kit.data.minibatches` (the batch sizes of a pass). Items are declared as data with
their tables of known mistakes.

The numerical gradient gets its test function ``f`` as a :func:`~dlfcourse.grader.student.grader_function`
(a function cannot cross the boundary; its source does, and the trusted side rebuilds it from the same
source), and the sandbox of this assignment does not contain ``dlfoundations.kit.gradcheck``
(``withheld_kit``), so that item cannot be delegated. The minibatch iterator may be a generator: it is
called with ``collect=True`` and its batches come back as a list. It is not compared shuffle for shuffle
(its check is written out): every row appears exactly once, the batch sizes are those of
:func:`~dlfoundations.kit.data.minibatches`, rows of X and y stay paired, the order is shuffled, and the
same seed gives the same batches.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dlfoundations import regression
from dlfoundations.kit import data, gradcheck
from dlfoundations.kit.compare import Case, Finding
from dlfcourse.grader.checks import mistakes as m
from dlfcourse.grader.checks.common import Assignment, Item, Pass, Result, as_float, declare
from dlfcourse.grader.checks.core import Compared, Seen
from dlfcourse.grader.checks.values import scalar
from dlfcourse.grader.inputs import standard_situations
from dlfcourse.grader.student import Student, grader_function

__all__ = ["ASSIGNMENT"]


def _regression_case(rng: np.random.Generator, description: str, n: int, d: int, scale: float = 1.0) -> Case:
    """``(X, y, w, b)`` for a linear regressor: X ``(n, d)``, targets y ``(n,)``, weights w ``(d,)``, a float b."""
    X, y = rng.normal(size=(n, d)) * scale, rng.normal(size=n) * scale
    return Case(description, (X, y, rng.normal(size=d), float(rng.normal())), n)


def _regression_cases(rng: np.random.Generator) -> list[Case]:
    """A random batch, one example, large values, and a single feature (d = 1)."""
    cases = [_regression_case(rng, s.description.replace("large scores", "large inputs"), s.batch_size,
                              int(rng.integers(2, 6)), s.scale) for s in standard_situations(rng, multiclass=False)]
    n = int(rng.integers(4, 10))
    return cases + [_regression_case(rng, f"with a single feature (d = 1, N = {n})", n, 1)]


# ----------------------------------------------------------------------------- MSE loss and gradient


def _loss_right(s: Seen) -> bool:
    loss = scalar(s.mine("loss"))
    return loss is not None and bool(np.isclose(loss, s.right("loss"), rtol=1e-6))


MSE = Compared("linear_mse", regression.linear_mse, _regression_cases, ("loss", "dw", "db"), (
    m.regularisation_added("regularisation-added", lambda lam, excess, where: (
        f"{m.penalty(lam, excess, where)}: you added a regularisation (weight decay) term, but the mean squared "
        "error has none. Remove it."), lambda s: [s.args[2]], ("dw",)),
    m.sign_flipped("residual-sign", ("dw", "db"), "the loss is right but `dw` and `db` have the wrong sign: the "
                   "residual is r = X w + b - y (prediction minus target); with y - (X w + b) both gradients flip.",
                   when=_loss_right),
    m.variant("bias-left-out", "wrong-value", "your predictions leave out the bias: the model is ŷ = X w + b, so "
              "the residual is r = X w + b - y.",
              lambda s: regression.linear_mse(s.args[0], s.args[1], s.args[2], 0.0)[:2], ("loss", "dw"),
              when=lambda s: s.args[3] != 0),
    m.variant("no-half", "factor", "`loss` is twice too large while the gradient is right: the course's loss has a "
              "factor 1/2, J = (1/2N) ||X w + b - y||².", lambda s: (2 * s.right("loss"), s.right("dw")),
              ("loss", "dw")),
), batch=(0, 1))


# ----------------------------------------------------------------------------- one gradient-descent step


def _step_with(linear_mse: Callable[..., Any]) -> Callable[..., tuple[np.ndarray, float]]:
    """The step's reference built on ``linear_mse``: ``(w - lr dw, b - lr db)``."""
    def reference(X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float, lr: float) -> tuple[np.ndarray, float]:
        _, dw, db = linear_mse(X, y, w, b)
        return w - lr * np.asarray(dw, dtype=np.float64), float(b - lr * np.asarray(db, dtype=np.float64))
    return reference


def _step_cases(rng: np.random.Generator) -> list[Case]:
    return [Case(c.description, (*c.args, float(rng.uniform(0.05, 0.5))), c.batch_size) for c in _regression_cases(rng)]


def _lr(s: Seen) -> dict:
    return {"lr": s.args[4]}


STEP = Compared("gradient_descent_step", _step_with(regression.linear_mse), _step_cases, ("new_w", "new_b"), (
    m.step_scaled("uphill", "sign-flipped", lambda s: -1.0, "w moved uphill (along +dw): a descent step is "
                  "w - lr * dw."),
    m.step_scaled("summed-gradient", "forgot-mean", lambda s: float(s.n), lambda n: (
        f"w moved N = {n} times too far: the gradient is a mean over the batch (did you forget to divide by N?)."),
        when=lambda s: s.n > 1, facts=lambda s: {"n": s.n}),
    m.step_scaled("learning-rate-ignored", "factor", lambda s: 1.0 / s.args[4], lambda lr: (
        f"the change of w ignores the learning rate (lr = {lr:.3g}): w <- w - lr * dw."), facts=_lr),
    m.step_scaled("learning-rate-twice", "factor", lambda s: s.args[4], lambda lr: (
        f"w moved by lr² dw (lr = {lr:.3g}): multiply the gradient by lr once."), facts=_lr),
    m.only_first_entries("one-feature-formula", lambda moved, count, size: (
        f"only {moved} moved (and correctly); the other {size - count} entries of w kept their old values: the "
        "update is written out entry by entry, for one feature (theta[0] = ..., theta[1] = ...). Update every "
        "weight at once, w - lr * dw with dw = X.T @ r / N (r = X w + b - y), whatever the number of features.")),
    m.bias_not_updated("bias-not-updated", "w is updated correctly but b is not: b <- b - lr * db (is your db zero?).",
                       "new_w", "new_b", lambda s: s.args[3]),
), on_call={"mutates-input": "`gradient_descent_step` changed the caller's w in place (w -= lr * dw): the step must "
                             "be pure. Return w - lr * dw, a new array."})


# ----------------------------------------------------------------------------- numerical gradient

_SMOOTH = ("lambda x: float(np.sum(a * np.sin(np.ravel(x)) + c * np.ravel(x) ** 2)"
           " + np.log1p(float(u @ np.ravel(x)) ** 2))")


def _local(spec: dict[str, Any]) -> Callable[[np.ndarray], float]:
    """The grader's function behind a grader_function argument, rebuilt here from the same source."""
    return eval(spec["source"], {"np": np, **spec["env"]})  # noqa: S307 - the grader's own source


def _numerical_reference(spec: dict[str, Any], x: np.ndarray, h: float = gradcheck.DEFAULT_STEP) -> np.ndarray:
    return gradcheck.numerical_gradient(_local(spec), x.copy(), h)


def _one_sided(sign: float) -> Callable[[Seen], np.ndarray]:
    def wrong(s: Seen) -> np.ndarray:
        f, x = _local(s.args[0]), s.args[1]
        h = s.args[2] if len(s.args) > 2 else gradcheck.DEFAULT_STEP
        grad = np.zeros_like(x)
        for index in np.ndindex(x.shape):
            step = np.zeros_like(x)
            step[index] = sign * h
            grad[index] = sign * (f(x + step) - f(x)) / h
        return grad
    return wrong


def _numerical_cases(rng: np.random.Generator) -> list[Case]:
    d, rows, cols = int(rng.integers(3, 8)), int(rng.integers(2, 4)), int(rng.integers(2, 5))
    specs = [
        (f"on a random smooth function of a vector x of {d} entries", d, (d,), ()),
        (f"on a 2-D array x of shape ({rows}, {cols}) (x may have any shape)", rows * cols, (rows, cols), ()),
        ("with the step h = 1e-4 given as the third argument", d, (d,), (1e-4,)),
        ("on a vector x with a single entry", 1, (1,), ()),
    ]
    cases = []
    for description, size, shape, rest in specs:
        env = {"a": rng.normal(size=size), "c": rng.uniform(0.1, 1.0, size=size), "u": rng.normal(size=size)}
        cases.append(Case(description, (grader_function(_SMOOTH, **env), rng.normal(size=shape), *rest)))
    return cases


def _close_not_accurate(s: Seen) -> Any:
    grad, right = s.array("the gradient"), s.right("the gradient")
    if grad is None or grad.shape != right.shape:
        return None
    error = gradcheck.rel_error(grad, right)
    return {"error": error, "h": s.args[2] if len(s.args) > 2 else gradcheck.DEFAULT_STEP} \
        if 1e-9 < error < 1e-3 else None


def _one_sided_mistake(key: str, sign: float, formula: str, more: str) -> Any:
    return m.variant(key, "wrong-value", lambda error: (
        f"your gradient is the one-sided difference {formula}, whose error is of order h (here up to {error:.1e}). "
        f"Use the centred difference (f(x + h e_i) - f(x - h e_i)) / (2h), accurate to order h²{more}"),
        _one_sided(sign), rtol=1e-6, atol=1e-9,
        facts=lambda s: {"error": float(np.max(np.abs(s.array("the gradient") - s.right("the gradient"))))})


NUMERICAL = Compared("numerical_gradient", _numerical_reference, _numerical_cases, ("the gradient",), (
    m.scaled("divided-by-h", "factor", "the gradient", lambda s: 2.0, "the gradient is twice too large: the centred "
             "difference divides by 2h, the distance between x - h and x + h."),
    _one_sided_mistake("forward-difference", 1.0, "(f(x + h e_i) - f(x)) / h", "."),
    _one_sided_mistake("backward-difference", -1.0, "(f(x) - f(x - h e_i)) / h", "."),
    m.probe("vectors-only", "wrong-value", "your gradient is wrong for this 2-D x (the vector cases passed): with one "
            "index, x[i] is a whole row. Loop over every index tuple with np.ndindex(x.shape), or work on a "
            "flattened copy and reshape the result.", lambda s: s.args[1].ndim > 1),
    m.probe("close-not-accurate", "wrong-value", lambda error, h: (
        f"the gradient is close but not accurate enough (relative error {error:.1e}, h = {h:g}): use the centred "
        "difference (f(x + h e_i) - f(x - h e_i)) / (2h) with the h you are given."), _close_not_accurate),
), on_call={
    "missing": lambda case, finding: (
        "`numerical_gradient` is not defined in your notebook: check its name, and that its cell runs without an "
        "error from a fresh start. In this item dlfoundations.kit.gradcheck is not available (importing it fails "
        "when your work is graded): write the centred difference yourself."),
    "mutates-input": "x was not exactly as before when `numerical_gradient` returned. Perturbing x in place and "
                     "undoing it with x[i] -= h does not restore it bit for bit (rounding): build the perturbed "
                     "points as new arrays (x_plus = x.copy()), or save the original entry and put it back "
                     "(x[i] = old).",
})


# ----------------------------------------------------------------------------- minibatches


def _batches_of(student: Student, case: Case) -> tuple[list[tuple[np.ndarray, np.ndarray]] | None, Finding | None]:
    """Call the student's iterator (its items collected in the sandbox) and check the items' form."""
    X = case.args[0]
    returned = student.call("minibatches", *case.args, case=case, collect=True)
    if returned.finding is not None:
        finding = returned.finding
        if finding.code == "mutates-input":
            finding = Finding("mutates-input", f"{case.opening}, `minibatches` shuffled or modified X or y in place "
                              "(np.random.shuffle(X), rng.shuffle(y), X[:] = ...): index a permutation of the rows "
                              "instead (X[rows], y[rows]), which makes copies.")
        return None, finding
    items = returned.value
    if not isinstance(items, (list, tuple)):
        return None, Finding("wrong-type", f"{case.opening}, `minibatches` should return (or yield) the pairs "
                             "(X_batch, y_batch).")
    batches = []
    for item in items:
        if not (isinstance(item, (tuple, list)) and len(item) == 2 and all(isinstance(a, np.ndarray) for a in item)):
            return None, Finding("wrong-type", f"{case.opening}, each batch should be a pair (X_batch, y_batch) of "
                                 "numpy arrays.")
        if item[0].ndim != 2 or item[0].shape[1:] != X.shape[1:] or item[1].shape != (item[0].shape[0],):
            return None, Finding("wrong-shape", f"{case.opening}, a batch has X_batch of shape {item[0].shape} and "
                                 f"y_batch of shape {item[1].shape}; expected (m, {X.shape[1]}) and (m,).")
        batches.append((item[0], item[1]))
    return batches, None


def _order(batches: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """The row numbers in the order the batches visit them (y holds each row's number)."""
    return np.concatenate([yb for _, yb in batches]) if batches else np.zeros(0)


def _check_batches(student: Student, case: Case) -> Finding | None:
    X, y, batch_size, seed = case.args
    batches, finding = _batches_of(student, case)
    if finding is not None or batches is None:
        return finding
    sizes = [len(yb) for _, yb in batches]
    expected = [len(yb) for _, yb in data.minibatches(X, y, batch_size, seed=seed)]
    if sizes != expected:
        if sizes == expected[:-1]:
            hint = (" The last, smaller batch is missing: loop over range(0, N, batch_size) (not "
                    "N // batch_size batches), so the rows left over form a batch of their own.")
        elif len(sizes) == len(expected) and sum(sizes) > len(y):
            hint = " Some batches have rows twice: the last batch must hold only the rows left over."
        else:
            hint = ""
        return Finding("wrong-shape", f"{case.opening}, the batch sizes are {sizes}, expected {expected}: every batch "
                       f"has batch_size rows except the last, which holds the rows left over.{hint}")
    order = _order(batches)
    if not np.array_equal(np.sort(order), y):
        return Finding("wrong-value", f"{case.opening}, the batches do not contain every row exactly once (some rows "
                       "twice, others never): cut one permutation of the rows into chunks; do not draw rows with "
                       "replacement.")
    if not all(np.array_equal(Xb, X[yb.astype(int)]) for Xb, yb in batches):
        return Finding("wrong-value", f"{case.opening}, the rows of X_batch and y_batch do not belong together: "
                       "shuffle X and y with the same permutation (X[rows], y[rows]).")
    if len(y) >= 10 and np.array_equal(order, y):
        return Finding("wrong-value", f"{case.opening}, the rows come in their original order: the batches must be "
                       "shuffled (rows = np.random.default_rng(seed).permutation(N)).")
    again, finding = _batches_of(student, case)
    if finding is not None or again is None:
        return finding
    if not np.array_equal(_order(again), order):
        return Finding("wrong-value", f"{case.opening}, calling it twice with the same seed gave different batches: "
                       "draw the permutation from np.random.default_rng(seed), not from np.random or a generator "
                       "made once outside the function.")
    if len(y) >= 10:
        other, finding = _batches_of(student, Case(case.description, (X, y, batch_size, seed + 1)))
        if finding is not None or other is None:
            return finding
        if np.array_equal(_order(other), order):
            return Finding("wrong-value", f"{case.opening}, another seed gave the same order: the shuffle must "
                           "depend on the seed (np.random.default_rng(seed)).")
    return None


def check_minibatches(student: Student, rng: np.random.Generator) -> Result:
    """``minibatches(X, y, batch_size, seed)``: seeded shuffle, every row once, the last batch smaller."""
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
        finding = _check_batches(student, case)
        if finding is not None:
            return finding
    return Pass("`minibatches`: all hidden checks passed.")


def _minibatches_reference(X: np.ndarray, y: np.ndarray, batch_size: int,
                           seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The batches the notebook's ``minibatches`` yields, as a list (a proxy returns data; a loop over it is the
    same): the rows in the order ``np.random.default_rng(seed).permutation(N)``, in chunks of ``batch_size``.

    An integer that crossed the channel as a numpy scalar (``seed + epoch`` with a numpy ``seed``) arrives as a
    0-d array: it is taken as the integer it is, as the notebook's function would.
    """
    return list(data.minibatches(X, y, _integer(batch_size), seed=_integer(seed)))


def _integer(value: Any) -> Any:
    """``value`` as an int when it is a 0-d integer array, else as it is."""
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iu":
        return int(value)
    return value


# ----------------------------------------------------------------------------- training with minibatches


def _fit_reference(X: np.ndarray, y: np.ndarray, lr: float, epochs: int, batch_size: int,
                   seed: int) -> tuple[np.ndarray, float, list[float]]:
    """Full-batch training (batch_size >= N): ``epochs`` steps from zero, the loss on all of X, y after each."""
    w, b, history = np.zeros(X.shape[1]), 0.0, []
    for _ in range(epochs):
        w, b = regression.gradient_descent_step(X, y, w, b, lr)
        history.append(float(regression.linear_mse(X, y, w, b)[0]))
    return w, b, history


def _regression_data(rng: np.random.Generator, n: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    X = rng.normal(size=(n, d))
    y = X @ rng.normal(size=d) + rng.uniform(1.0, 3.0) + 0.5 * rng.normal(size=n)
    return X, y


def _fit_cases(rng: np.random.Generator) -> list[Case]:
    n, d = int(rng.integers(20, 60)), int(rng.integers(2, 5))
    X, y = _regression_data(rng, n, d)
    return [Case(f"with one batch holding all N = {n} rows (plain gradient descent, lr = 0.1, 15 epochs)",
                 (X, y, 0.1, 15, n, int(rng.integers(2**31))), n)]


def _losses_before(s: Seen) -> np.ndarray:
    X, y = s.args[:2]
    start = regression.linear_mse(X, y, np.zeros(X.shape[1]), 0.0)[0]
    return np.concatenate([[start], np.asarray(s.right("losses"))[:-1]])


def _history_length(s: Seen) -> Any:
    history = s.array("losses")
    epochs = s.args[3]
    return {"got": history.size, "epochs": epochs} if history is not None and history.size != epochs else None


def _near_optimum(student: Student, rng: np.random.Generator) -> Result:
    """With minibatches the path is random, so only the end point is checked: close to the least-squares loss."""
    X, y = _regression_data(rng, 160, int(rng.integers(2, 5)))
    case = Case("with minibatches of 16 rows (N = 160, lr = 0.05, 40 epochs)", (X, y, 0.05, 40, 16, 1), 160)
    returned = student.call("fit_linear_regression", *case.args, case=case)
    if returned.finding is not None:
        return returned.finding
    got = returned.value
    arrays = [as_float(v) for v in got] if isinstance(got, (tuple, list)) and len(got) == 3 else []
    values = [v for v in arrays if v is not None]
    if len(values) != 3 or values[0].shape != (X.shape[1],) or values[1].size != 1:
        return Finding("wrong-type", f"{case.opening}, `fit_linear_regression` should return (w, b, losses) with "
                       f"w of shape ({X.shape[1]},) and b a number.")
    w, b, history = values
    if history.size != 40:
        return Finding("wrong-shape", f"{case.opening}, `losses` has {history.size} entries, expected one per "
                       "epoch (40).")
    optimum = regression.linear_mse(X, y, *regression.least_squares(X, y))[0]
    final = regression.linear_mse(X, y, w, float(b.ravel()[0]))[0] if np.all(np.isfinite(w)) else np.inf
    if np.isfinite(final) and not np.isclose(float(history.ravel()[-1]), final, rtol=1e-6, atol=1e-12):
        return Finding("wrong-value", f"{case.opening}, the last entry of `losses` is "
                       f"{float(history.ravel()[-1]):.6g}, "
                       f"but the loss on the whole training set at your final (w, b) is {final:.6g}: at the end of "
                       "each epoch append linear_mse(X, y, w, b) on all of X and y, not on the last minibatch.")
    if not final <= 1.05 * optimum:
        return Finding("did-not-learn", f"{case.opening}, the final training loss is {final:.4g}, more than 5% above "
                       f"the least-squares optimum {optimum:.4g}: check that every minibatch of every epoch gets "
                       "its step, and that w and b carry over from one step to the next.")
    return Pass(f"With minibatches the final loss {final:.4g} is within 5% of the optimum {optimum:.4g}.")


FIT = Compared("fit_linear_regression", _fit_reference, _fit_cases, ("w", "b", "losses"), (
    m.variant("losses-before-the-epoch", "wrong-value", "w and b are right but each entry of `losses` is the loss "
              "before the epoch's steps: append the loss on the whole training set at the end of each epoch, after "
              "its steps (losses[0] is the loss after the first epoch).",
              lambda s: (s.right("w"), s.right("b"), _losses_before(s))),
    m.stays_zero("bias-never-updated", "missing-bias-grad", "b", "b is still 0 after training: update the bias too "
                 "(b <- b - lr * db), keeping the new b that gradient_descent_step returns."),
    m.variant("restarted-every-epoch", "wrong-value", "your final w and b are those of a single epoch from zero: they "
              "restart at w = 0, b = 0 in every epoch. Set them once, before the loop over the epochs.",
              lambda s: _fit_reference(s.args[0], s.args[1], s.args[2], 1, *s.args[4:])[:2], ("w", "b"),
              when=lambda s: s.args[3] > 1),
    m.probe("one-loss-per-epoch", "wrong-shape", lambda got, epochs: (
        f"`losses` has {got} entries, expected one per epoch ({epochs})."), _history_length),
))


# ----------------------------------------------------------------------------- ridge


def _ridge_with_penalised_bias(X: np.ndarray, y: np.ndarray, l2: float) -> tuple[np.ndarray, float]:
    """The usual slip: ridge with the bias trick, penalising the bias column too."""
    A = np.column_stack([X, np.ones(len(X))])
    theta = np.linalg.solve(A.T @ A + len(X) * l2 * np.eye(A.shape[1]), A.T @ y)
    return theta[:-1], float(theta[-1])


def _ridge_uncentred(X: np.ndarray, y: np.ndarray, l2: float) -> tuple[np.ndarray, float]:
    """Another slip: w from the uncentred system (XᵀX + N l2 I) w = Xᵀy, then b = ȳ - x̄ᵀw."""
    w = np.linalg.solve(X.T @ X + len(X) * l2 * np.eye(X.shape[1]), X.T @ y)
    return w, float(y.mean() - X.mean(axis=0) @ w)


def _least_squares(X: np.ndarray, y: np.ndarray, l2: float) -> tuple[np.ndarray, float]:
    plain = np.linalg.lstsq(X - X.mean(axis=0), y - y.mean(), rcond=None)[0]
    return plain, float(y.mean() - X.mean(axis=0) @ plain)


def _ridge_cases(rng: np.random.Generator) -> list[Case]:
    n, d = int(rng.integers(15, 40)), int(rng.integers(2, 6))

    def args(X: np.ndarray) -> tuple:  # data away from the origin, so that penalising the bias shows
        X = X + rng.uniform(1.0, 3.0, size=X.shape[1])
        return X, X @ rng.normal(size=X.shape[1]) + rng.uniform(2.0, 4.0) + rng.normal(size=len(X)), \
            float(rng.uniform(0.05, 1.0))

    X = rng.normal(size=(n, d))
    wide = int(rng.integers(d + 2, d + 6))
    return [Case(f"on a random batch of N = {n} examples", args(X), n),
            Case(f"with more features than examples (N = 3, d = {wide}: XᵀX is singular)",
                 args(rng.normal(size=(3, wide))), 3),
            Case("with a duplicated feature (XᵀX is singular)", args(np.column_stack([X, X[:, :1]])), n),
            Case("on a batch of a single example (N = 1)", args(rng.normal(size=(1, d))), 1)]


def _slip(key: str, message: str, solve: Callable[..., tuple[np.ndarray, float]],
          when: Callable[[Seen], bool] | None = None) -> Any:
    return m.variant(key, "wrong-value", message, lambda s: solve(*s.args), when=when)


def _several(s: Seen) -> bool:
    return s.n > 1  # a factor N shows only when N > 1

RIDGE = Compared("ridge", regression.ridge, _ridge_cases, ("w", "b"), (
    _slip("bias-penalised", "the bias is penalised: only w is in the penalty (l2/2)||w||², so b is free "
          "(b = ȳ - x̄ᵀw). With the bias trick, do not add N l2 to the diagonal entry of the ones column.",
          _ridge_with_penalised_bias),
    _slip("not-centred", "the data is not centred: solve (Xcᵀ Xc + N l2 I) w = Xcᵀ yc with Xc = X - x̄ and "
          "yc = y - ȳ, then b = ȳ - x̄ᵀw.", _ridge_uncentred),
    _slip("penalty-without-n", "the penalty is N times too weak: with the mean (1/2N)||Xw + b - y||², the normal "
          "equations read (XcᵀXc + N l2 I) w = Xcᵀyc.", lambda X, y, l2: regression.ridge(X, y, l2 / len(y)), _several),
    _slip("penalty-n-squared", "the penalty is N times too strong: the matrix is XcᵀXc + N l2 I, with N l2 on the "
          "diagonal, not N² l2.", lambda X, y, l2: regression.ridge(X, y, l2 * len(y)), _several),
    _slip("penalty-missing", "the penalty is missing: this is plain least squares. Ridge solves "
          "(Xcᵀ Xc + N l2 I) w = Xcᵀ yc.", _least_squares),
    _slip("no-bias", "the model has no bias (b = 0): fit b too, b = ȳ - x̄ᵀw, with w from the centred data.",
          lambda X, y, l2: (_ridge_uncentred(X, y, l2)[0], 0.0)),
    _slip("half-penalty", "the penalty is half as strong as it should be: the derivative of (l2/2)||w||² is l2 w, "
          "so the matrix is XcᵀXc + N l2 I.", lambda X, y, l2: regression.ridge(X, y, l2 / 2)),
    m.bias_not_updated("bias-zero", "w is right but b is 0: the model has a bias, b = ȳ - x̄ᵀw.", "w", "b",
                       lambda s: 0.0),
))


ASSIGNMENT = Assignment("02-gradient-descent", (
    declare("linear_mse-test", MSE),
    declare("gradient_descent_step-test", STEP, calls=("linear_mse",)),
    declare("numerical_gradient-test", NUMERICAL),
    Item("minibatches-test", ("minibatches",), check_minibatches),
    declare("fit_linear_regression-test", FIT, then=_near_optimum,
            calls=("linear_mse", "gradient_descent_step", "minibatches")),
    declare("ridge-test", RIDGE, calls=("linear_mse",)),
), withheld_kit=("gradcheck",), references={  # what the earlier functions answer while a later item is graded
    "linear_mse": regression.linear_mse,
    "gradient_descent_step": _step_with(regression.linear_mse),
    "minibatches": _minibatches_reference,
})
