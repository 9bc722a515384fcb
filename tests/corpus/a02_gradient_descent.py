"""Corpus for 02-gradient-descent: MSE, a GD step, a numerical gradient, minibatches, training, ridge."""

from __future__ import annotations

from typing import Any

import numpy as np

from corpus import Submission, correct, function_from, wrong

A = "02-gradient-descent"


# ----------------------------------------------------------------------------- linear_mse

def mse_good(X, y, w, b):
    n = X.shape[0]
    r = X @ w + b - y
    return float(r @ r / (2 * n)), X.T @ r / n, float(np.sum(r) / n)


def mse_loop(X, y, w, b):
    n, d = X.shape
    loss, dw, db = 0.0, np.zeros(d), 0.0
    for i in range(n):
        r = float(np.dot(X[i], w)) + b - y[i]
        loss += r * r
        dw += r * X[i]
        db += r
    return loss / (2 * n), dw / n, db / n


def mse_means(X, y, w, b):
    X = np.asarray(X, dtype=np.float64)
    r = X.dot(w) + b - y
    return 0.5 * np.mean(r ** 2), np.mean(r[:, None] * X, axis=0), np.mean(r)


def mse_bias_folded(X, y, w, b):
    A = np.column_stack([X, np.ones(len(X))])  # the bias trick: theta = (w, b)
    theta = np.append(w, b)
    r = A @ theta - y
    grad = A.T @ r / len(y)
    return float(r @ r) / (2 * len(y)), grad[:-1], float(grad[-1])


def mse_no_half(X, y, w, b):
    n = X.shape[0]
    r = X @ w + b - y
    return float(np.mean(r ** 2)), X.T @ r / n, float(np.mean(r))


def mse_sum(X, y, w, b):
    r = X @ w + b - y
    return 0.5 * float(r @ r), X.T @ r, float(np.sum(r))


def mse_grad_sum(X, y, w, b):
    r = X @ w + b - y
    return 0.5 * float(np.mean(r ** 2)), X.T @ r, float(np.mean(r))


def mse_residual_sign(X, y, w, b):
    n = X.shape[0]
    r = y - (X @ w + b)
    return float(r @ r / (2 * n)), X.T @ r / n, float(np.sum(r) / n)


def mse_weight_decay(X, y, w, b):
    n, lam = X.shape[0], 0.01
    r = X @ w + b - y
    return float(r @ r / (2 * n) + 0.5 * lam * w @ w), X.T @ r / n + lam * w, float(np.sum(r) / n)


def mse_no_db(X, y, w, b):
    n = X.shape[0]
    r = X @ w + b - y
    return float(r @ r / (2 * n)), X.T @ r / n, 0.0


def mse_column(X, y, w, b):
    n = X.shape[0]
    r = (X @ w + b - y).reshape(-1, 1)
    return float(np.sum(r ** 2) / (2 * n)), X.T @ r / n, float(np.sum(r) / n)


def mse_grad_twice(X, y, w, b):
    n = X.shape[0]
    r = X @ w + b - y
    return float(r @ r / (2 * n)), 2 * X.T @ r / n, float(2 * np.sum(r) / n)


def mse_no_bias_in_prediction(X, y, w, b):
    n = X.shape[0]
    r = X @ w - y
    return float(r @ r / (2 * n)), X.T @ r / n, float(np.sum(r) / n)


# ----------------------------------------------------------------------------- gradient_descent_step

_STEP = '''
def gradient_descent_step(X, y, w, b, lr):
    _, dw, db = linear_mse(X, y, w, b)
    return w - lr * dw, b - lr * db
'''


def step_inline(X, y, w, b, lr):
    n = len(y)
    r = X @ w + b - y
    new_w = w.copy()
    new_w -= lr * (X.T @ r) / n  # on a copy: the caller's w is untouched
    return new_w, b - lr * r.mean()


def step_uphill(X, y, w, b, lr):
    _, dw, db = mse_good(X, y, w, b)
    return w + lr * dw, b + lr * db


def step_in_place(X, y, w, b, lr):
    _, dw, db = mse_good(X, y, w, b)
    w -= lr * dw
    return w, b - lr * db


def step_no_lr(X, y, w, b, lr):
    _, dw, db = mse_good(X, y, w, b)
    return w - dw, b - db


def step_bias_kept(X, y, w, b, lr):
    _, dw, db = mse_good(X, y, w, b)
    return w - lr * dw, b


def step_sum_gradient(X, y, w, b, lr):
    r = X @ w + b - y
    return w - lr * X.T @ r, b - lr * float(np.sum(r))


# ----------------------------------------------------------------------------- numerical_gradient

def num_good(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=np.float64)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x, dtype=np.float64)
        step[index] = h
        grad[index] = (f(x + step) - f(x - step)) / (2 * h)
    return grad


def num_restore(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    it = np.nditer(x, flags=["multi_index"])
    while not it.finished:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        plus = f(x)
        x[i] = old - h
        minus = f(x)
        x[i] = old
        grad[i] = (plus - minus) / (2 * h)
        it.iternext()
    return grad


def num_flat(f, x, h=1e-5):
    flat = x.ravel().copy()
    grad = np.empty_like(flat)
    for i in range(flat.size):
        up, down = flat.copy(), flat.copy()
        up[i] += h
        down[i] -= h
        grad[i] = (f(up.reshape(x.shape)) - f(down.reshape(x.shape))) / (2 * h)
    return grad.reshape(x.shape)


def num_smaller_h(f, x, h=1e-6):
    grad = np.zeros_like(x)
    for index in np.ndindex(*x.shape):
        e = np.zeros_like(x)
        e[index] = h
        grad[index] = (f(x + e) - f(x - e)) / (2 * h)
    return grad


def num_forward(f, x, h=1e-5):
    grad = np.zeros_like(x)
    fx = f(x)
    for index in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[index] = h
        grad[index] = (f(x + e) - fx) / h
    return grad


def num_backward(f, x, h=1e-5):
    grad = np.zeros_like(x)
    fx = f(x)
    for index in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[index] = h
        grad[index] = (fx - f(x - e)) / h
    return grad


def num_over_h(f, x, h=1e-5):
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[index] = h
        grad[index] = (f(x + e) - f(x - e)) / h
    return grad


def num_undo_by_subtraction(f, x, h=1e-5):
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        x[index] += h
        plus = f(x)
        x[index] -= 2 * h
        minus = f(x)
        x[index] += h
        grad[index] = (plus - minus) / (2 * h)
    return grad


def num_not_restored(f, x, h=1e-5):
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        x[index] += h
        plus = f(x)
        x[index] -= 2 * h
        minus = f(x)
        grad[index] = (plus - minus) / (2 * h)
    return grad


def num_vector_only(f, x, h=1e-5):
    grad = np.zeros_like(x)
    for i in range(len(x)):
        e = np.zeros_like(x)
        e[i] = h
        grad[i] = (f(x + e) - f(x - e)) / (2 * h)
    return grad


# ----------------------------------------------------------------------------- minibatches

def batches_good(X, y, batch_size, seed):
    order = np.random.default_rng(seed).permutation(X.shape[0])
    return [(X[order[i:i + batch_size]], y[order[i:i + batch_size]]) for i in range(0, len(order), batch_size)]


def batches_generator(X, y, batch_size, seed):
    rng = np.random.default_rng(seed)
    rows = rng.permutation(len(y))
    start = 0
    while start < len(rows):
        chunk = rows[start:start + batch_size]
        yield X[chunk], y[chunk]
        start += batch_size


def batches_shuffled_index(X, y, batch_size, seed):
    index = np.arange(len(X))
    np.random.default_rng(seed).shuffle(index)
    out = []
    for chunk in np.array_split(index, range(batch_size, len(index), batch_size)):
        out.append((X[chunk], y[chunk]))
    return out


def batches_drop_last(X, y, batch_size, seed):
    order = np.random.default_rng(seed).permutation(len(X))
    return [(X[order[k * batch_size:(k + 1) * batch_size]], y[order[k * batch_size:(k + 1) * batch_size]])
            for k in range(len(X) // batch_size)]


def batches_unshuffled(X, y, batch_size, seed):
    return [(X[i:i + batch_size], y[i:i + batch_size]) for i in range(0, len(X), batch_size)]


def batches_shuffle_in_place(X, y, batch_size, seed):
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(X))
    X[:] = X[order]
    y[:] = y[order]
    return [(X[i:i + batch_size], y[i:i + batch_size]) for i in range(0, len(X), batch_size)]


def batches_global_rng(X, y, batch_size, seed):
    order = np.random.permutation(len(X))
    return [(X[order[i:i + batch_size]], y[order[i:i + batch_size]]) for i in range(0, len(X), batch_size)]


def batches_two_permutations(X, y, batch_size, seed):
    rng = np.random.default_rng(seed)
    rows_X, rows_y = rng.permutation(len(X)), rng.permutation(len(y))
    return [(X[rows_X[i:i + batch_size]], y[rows_y[i:i + batch_size]]) for i in range(0, len(X), batch_size)]


def batches_with_replacement(X, y, batch_size, seed):
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, len(X), size=len(X))
    return [(X[rows[i:i + batch_size]], y[rows[i:i + batch_size]]) for i in range(0, len(X), batch_size)]


def batches_fixed_seed(X, y, batch_size, seed):
    order = np.random.default_rng(0).permutation(len(X))
    return [(X[order[i:i + batch_size]], y[order[i:i + batch_size]]) for i in range(0, len(X), batch_size)]


# ----------------------------------------------------------------------------- fit_linear_regression

_FIT = '''
def fit_linear_regression(X, y, lr, epochs, batch_size, seed=0):
    w, b = np.zeros(X.shape[1]), 0.0
    losses = []
    for epoch in range(epochs):
        for X_batch, y_batch in minibatches(X, y, batch_size, seed + epoch):
            w, b = gradient_descent_step(X_batch, y_batch, w, b, lr)
        losses.append(linear_mse(X, y, w, b)[0])
    return w, b, losses
'''

_FIT_INLINE = '''
def fit_linear_regression(X, y, lr, epochs, batch_size, seed=0):
    n, d = X.shape
    w, b, losses = np.zeros(d), 0.0, []
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            rows = order[start:start + batch_size]
            r = X[rows] @ w + b - y[rows]
            w = w - lr * X[rows].T @ r / len(rows)
            b = b - lr * np.mean(r)
        residual = X @ w + b - y
        losses.append(float(residual @ residual) / (2 * n))
    return w, b, losses
'''

_FIT_LOSS_BEFORE = '''
def fit_linear_regression(X, y, lr, epochs, batch_size, seed=0):
    w, b = np.zeros(X.shape[1]), 0.0
    losses = []
    for epoch in range(epochs):
        losses.append(linear_mse(X, y, w, b)[0])
        for X_batch, y_batch in minibatches(X, y, batch_size, seed + epoch):
            w, b = gradient_descent_step(X_batch, y_batch, w, b, lr)
    return w, b, losses
'''

_FIT_BIAS_DROPPED = _FIT.replace("w, b = gradient_descent_step(X_batch, y_batch, w, b, lr)",
                                 "w, _ = gradient_descent_step(X_batch, y_batch, w, b, lr)")

_FIT_FIRST_BATCH_ONLY = '''
def fit_linear_regression(X, y, lr, epochs, batch_size, seed=0):
    w, b = np.zeros(X.shape[1]), 0.0
    losses = []
    for epoch in range(epochs):
        X_batch, y_batch = minibatches(X, y, batch_size, seed + epoch)[0]
        w, b = gradient_descent_step(X_batch, y_batch, w, b, lr)
        losses.append(linear_mse(X, y, w, b)[0])
    return w, b, losses
'''

_FIT_BATCH_LOSS = '''
def fit_linear_regression(X, y, lr, epochs, batch_size, seed=0):
    w, b = np.zeros(X.shape[1]), 0.0
    losses = []
    for epoch in range(epochs):
        for X_batch, y_batch in minibatches(X, y, batch_size, seed + epoch):
            w, b = gradient_descent_step(X_batch, y_batch, w, b, lr)
        losses.append(linear_mse(X_batch, y_batch, w, b)[0])
    return w, b, losses
'''

_FIT_RESTART = '''
def fit_linear_regression(X, y, lr, epochs, batch_size, seed=0):
    losses = []
    for epoch in range(epochs):
        w, b = np.zeros(X.shape[1]), 0.0
        for X_batch, y_batch in minibatches(X, y, batch_size, seed + epoch):
            w, b = gradient_descent_step(X_batch, y_batch, w, b, lr)
        losses.append(linear_mse(X, y, w, b)[0])
    return w, b, losses
'''

_FIT_SAME_SEED = _FIT.replace("seed + epoch", "seed")

_HELPERS = {"minibatches": batches_good, "linear_mse": mse_good}


def _fit(source: str, step: Any = None) -> tuple[Any, dict[str, Any]]:
    """A trainer built on the good helpers (or on ``step``), and the helpers to grade it with."""
    helpers = {**_HELPERS, "gradient_descent_step": step or function_from(_STEP, linear_mse=mse_good)}
    return function_from(source, **helpers), helpers


# ----------------------------------------------------------------------------- ridge

def ridge_good(X, y, l2):
    x_mean, y_mean = X.mean(axis=0), y.mean()
    Xc, yc = X - x_mean, y - y_mean
    w = np.linalg.solve(Xc.T @ Xc + len(X) * l2 * np.eye(X.shape[1]), Xc.T @ yc)
    return w, float(y_mean - x_mean @ w)


def ridge_bias_trick(X, y, l2):
    n, d = X.shape
    A = np.hstack([X, np.ones((n, 1))])
    penalty = n * l2 * np.eye(d + 1)
    penalty[d, d] = 0.0  # the bias is not penalised
    theta = np.linalg.solve(A.T @ A + penalty, A.T @ y)
    return theta[:d], theta[d]


def ridge_lstsq(X, y, l2):
    n, d = X.shape
    Xc = X - X.mean(0)
    yc = y - y.mean()
    # the same system, written as one least-squares problem: [Xc; sqrt(N l2) I] w ~ [yc; 0]
    stacked = np.vstack([Xc, np.sqrt(n * l2) * np.eye(d)])
    w = np.linalg.lstsq(stacked, np.concatenate([yc, np.zeros(d)]), rcond=None)[0]
    return w, y.mean() - X.mean(0) @ w


def ridge_penalised_bias(X, y, l2):
    n, d = X.shape
    A = np.column_stack([X, np.ones(n)])
    theta = np.linalg.solve(A.T @ A + n * l2 * np.eye(d + 1), A.T @ y)
    return theta[:-1], float(theta[-1])


def ridge_without_n(X, y, l2):
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    w = np.linalg.solve(Xc.T @ Xc + l2 * np.eye(X.shape[1]), Xc.T @ yc)
    return w, float(y.mean() - X.mean(axis=0) @ w)


def ridge_uncentred(X, y, l2):
    w = np.linalg.solve(X.T @ X + len(X) * l2 * np.eye(X.shape[1]), X.T @ y)
    return w, float(y.mean() - X.mean(axis=0) @ w)


def ridge_half_penalty(X, y, l2):
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    w = np.linalg.solve(Xc.T @ Xc + len(X) * l2 / 2 * np.eye(X.shape[1]), Xc.T @ yc)
    return w, float(y.mean() - X.mean(axis=0) @ w)


def ridge_no_bias(X, y, l2):
    w = np.linalg.solve(X.T @ X + len(X) * l2 * np.eye(X.shape[1]), X.T @ y)
    return w, 0.0


def ridge_no_penalty(X, y, l2):
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    w = np.linalg.lstsq(Xc, yc, rcond=None)[0]
    return w, float(y.mean() - X.mean(axis=0) @ w)


ENTRIES = [
    correct(A, "linear_mse", "vectorised", mse_good),
    correct(A, "linear_mse", "loop", mse_loop),
    correct(A, "linear_mse", "means", mse_means),
    correct(A, "linear_mse", "bias folded into theta", mse_bias_folded),
    wrong(A, "linear_mse", "no 1/2 in the loss", mse_no_half, "factor", "1/2", mistake="no-half"),
    wrong(A, "linear_mse", "sum instead of mean", mse_sum, "forgot-mean", "`loss`", "divide by N"),
    wrong(A, "linear_mse", "sum in the gradient only", mse_grad_sum, "forgot-mean", "`dw`"),
    wrong(A, "linear_mse", "residual y - prediction", mse_residual_sign, "sign-flipped", "residual",
          mistake="residual-sign"),
    wrong(A, "linear_mse", "a weight decay term", mse_weight_decay, "wrong-value", "regularisation",
          "(0.01/2) ||w||²", mistake="regularisation-added"),
    wrong(A, "linear_mse", "no bias gradient", mse_no_db, "missing-bias-grad", "`db`"),
    wrong(A, "linear_mse", "dw a column", mse_column, "wrong-shape", "`dw`", "shape"),
    wrong(A, "linear_mse", "gradient of the mean square without the 1/2", mse_grad_twice, "factor", "`dw`",
          "twice"),
    wrong(A, "linear_mse", "bias left out of the prediction", mse_no_bias_in_prediction, "wrong-value",
          "leave out the bias", mistake="bias-left-out"),

    correct(A, "gradient_descent_step", "through own linear_mse", function_from(_STEP, linear_mse=mse_good),
            helpers={"linear_mse": mse_good}),
    correct(A, "gradient_descent_step", "inline on a copy", step_inline),
    # the notebook's linear_mse sums (mse_sum): while the step is graded the grader serves the reference's
    # linear_mse in its place, so the step passes on its own merit (with mse_sum it would move N times too far)
    correct(A, "gradient_descent_step", "right step, own loss with sums (the reference's loss is served)",
            function_from(_STEP, linear_mse=mse_sum), helpers={"linear_mse": mse_sum}),
    wrong(A, "gradient_descent_step", "uphill", step_uphill, "sign-flipped", "uphill", "w - lr * dw", mistake="uphill"),
    wrong(A, "gradient_descent_step", "w updated in place", step_in_place, "mutates-input", "in place", "w - lr * dw"),
    wrong(A, "gradient_descent_step", "learning rate ignored", step_no_lr, "factor", "learning rate",
          mistake="learning-rate-ignored"),
    wrong(A, "gradient_descent_step", "bias not updated", step_bias_kept, "missing-bias-grad", "b <- b - lr * db",
          mistake="bias-not-updated"),
    wrong(A, "gradient_descent_step", "gradient summed, not averaged", step_sum_gradient, "forgot-mean",
          "times too far", mistake="summed-gradient"),

    correct(A, "numerical_gradient", "perturbed copies", num_good),
    correct(A, "numerical_gradient", "save and restore the entry", num_restore),
    correct(A, "numerical_gradient", "flattened copy", num_flat),
    correct(A, "numerical_gradient", "default h = 1e-6", num_smaller_h),
    wrong(A, "numerical_gradient", "forward difference", num_forward, "wrong-value", "one-sided", "centred",
          mistake="forward-difference"),
    wrong(A, "numerical_gradient", "backward difference", num_backward, "wrong-value", "one-sided",
          mistake="backward-difference"),
    wrong(A, "numerical_gradient", "divided by h", num_over_h, "factor", "2h", mistake="divided-by-h"),
    wrong(A, "numerical_gradient", "undone by subtraction", num_undo_by_subtraction, "mutates-input",
          "bit for bit", "x[i] = old"),
    wrong(A, "numerical_gradient", "x left perturbed", num_not_restored, "mutates-input", "not exactly as before"),
    wrong(A, "numerical_gradient", "vectors only", num_vector_only, "wrong-value", "2-D", "np.ndindex",
          mistake="vectors-only"),

    correct(A, "minibatches", "list of pairs", batches_good),
    correct(A, "minibatches", "generator", batches_generator),
    correct(A, "minibatches", "shuffled index, split", batches_shuffled_index),
    wrong(A, "minibatches", "last batch dropped", batches_drop_last, "wrong-shape", "last, smaller batch"),
    wrong(A, "minibatches", "not shuffled", batches_unshuffled, "wrong-value", "original order"),
    wrong(A, "minibatches", "X shuffled in place", batches_shuffle_in_place, "mutates-input", "in place",
          "X[rows]"),
    wrong(A, "minibatches", "global unseeded shuffle", batches_global_rng, "wrong-value", "same seed"),
    wrong(A, "minibatches", "X and y shuffled apart", batches_two_permutations, "wrong-value", "belong together"),
    wrong(A, "minibatches", "rows drawn with replacement", batches_with_replacement, "wrong-value",
          "exactly once"),
    wrong(A, "minibatches", "seed ignored", batches_fixed_seed, "wrong-value", "another seed"),
]

for _label, _source, _expected, _mistake in [
    ("with own helpers", _FIT, None, None),
    ("inline", _FIT_INLINE, None, None),
    ("same seed every epoch", _FIT_SAME_SEED, None, None),
    ("loss recorded before the epoch", _FIT_LOSS_BEFORE, ("wrong-value", "end of each epoch"),
     "losses-before-the-epoch"),
    ("new bias dropped", _FIT_BIAS_DROPPED, ("missing-bias-grad", "b is still 0"), "bias-never-updated"),
    ("one batch per epoch", _FIT_FIRST_BATCH_ONLY, ("did-not-learn", "every minibatch"), None),
    ("loss of the last batch", _FIT_BATCH_LOSS, ("wrong-value", "whole training set"), None),
    ("restarted every epoch", _FIT_RESTART, ("wrong-value", "restart", "before the loop"), "restarted-every-epoch"),
]:
    _trainer, _helpers = _fit(_source)
    if _expected is None:
        ENTRIES.append(correct(A, "fit_linear_regression", _label, _trainer, helpers=_helpers, expensive=True))
    else:
        ENTRIES.append(wrong(A, "fit_linear_regression", _label, _trainer, *_expected, helpers=_helpers,
                             expensive=True, mistake=_mistake))
# the notebook's gradient_descent_step goes uphill: the reference's step is served in its place while the trainer
# is graded, so the trainer passes, end point and all (with the uphill step it would diverge)
_trainer, _helpers = _fit(_FIT, step=step_uphill)
ENTRIES.append(correct(A, "fit_linear_regression", "right loop, own step uphill (the reference's step is served)",
                       _trainer, helpers=_helpers, expensive=True))

ENTRIES += [
    correct(A, "ridge", "centred", ridge_good),
    correct(A, "ridge", "bias trick, bias unpenalised", ridge_bias_trick),
    correct(A, "ridge", "stacked least squares", ridge_lstsq),
    wrong(A, "ridge", "bias penalised", ridge_penalised_bias, "wrong-value", "bias is penalised",
          mistake="bias-penalised"),
    wrong(A, "ridge", "no N in front of l2", ridge_without_n, "wrong-value", "N times too weak",
          mistake="penalty-without-n"),
    wrong(A, "ridge", "not centred", ridge_uncentred, "wrong-value", "not centred", mistake="not-centred"),
    wrong(A, "ridge", "half the penalty", ridge_half_penalty, "wrong-value", "half as strong", mistake="half-penalty"),
    wrong(A, "ridge", "no bias at all", ridge_no_bias, "wrong-value", "no bias", mistake="no-bias"),
    wrong(A, "ridge", "penalty forgotten", ridge_no_penalty, "wrong-value", "penalty is missing",
          mistake="penalty-missing"),
]


# ----------------------------------------------------------------------------- Coursera style (θ in a column) and
# more mistakes, one per known mistake


def mse_theta_column(X, y, w, b):
    m = len(y)
    Xb = np.hstack([np.ones((m, 1)), X])  # the bias as theta[0], with a column of ones
    theta = np.concatenate([[b], w]).reshape(-1, 1)
    err = Xb @ theta - y.reshape(-1, 1)
    J = (err.T @ err).item() / (2 * m)
    grad = Xb.T @ err / m
    return J, grad[1:, 0], float(grad[0, 0])


def mse_coursera_regularised(X, y, w, b):
    m = len(y)
    lambda_ = 1.0  # from the regularised exercise, left in: this item has no penalty
    Xb = np.hstack([np.ones((m, 1)), X])
    theta = np.concatenate([[b], w]).reshape(-1, 1)
    err = Xb @ theta - y.reshape(-1, 1)
    J = (err.T @ err).item() / (2 * m) + lambda_ / (2 * m) * float(np.sum(theta[1:] ** 2))
    grad = Xb.T @ err / m
    grad[1:] = grad[1:] + lambda_ / m * theta[1:]
    return J, grad[1:, 0], float(grad[0, 0])


def step_theta0_theta1(X, y, w, b, lr):
    # ex1 of the Coursera course: one feature, theta[0] the bias, theta[1] the slope, updated together
    m = len(y)
    h = X @ w + b
    temp0 = b - lr / m * np.sum(h - y)
    temp1 = w[0] - lr / m * np.sum((h - y) * X[:, 0])
    new_w = w.copy()
    new_w[0] = temp1
    return new_w, temp0


def step_lr_twice(X, y, w, b, lr):
    r = X @ w + b - y
    dw, db = lr * X.T @ r / len(y), lr * np.mean(r)  # the step itself, called a gradient
    return w - lr * dw, b - lr * db


def num_large_h(f, x, h=1e-2):
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"])
    while not it.finished:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        fp = f(x)
        x[i] = old - h
        fm = f(x)
        x[i] = old
        grad[i] = (fp - fm) / (2 * h)
        it.iternext()
    return grad


_FIT_START_LOSS = '''
def fit_linear_regression(X, y, lr, epochs, batch_size, seed=0):
    w, b = np.zeros(X.shape[1]), 0.0
    losses = [linear_mse(X, y, w, b)[0]]  # the starting loss too: one entry too many
    for epoch in range(epochs):
        for X_batch, y_batch in minibatches(X, y, batch_size, seed + epoch):
            w, b = gradient_descent_step(X_batch, y_batch, w, b, lr)
        losses.append(linear_mse(X, y, w, b)[0])
    return w, b, losses
'''


def ridge_zero_bias(X, y, l2):
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    w = np.linalg.solve(Xc.T @ Xc + len(X) * l2 * np.eye(X.shape[1]), Xc.T @ yc)
    return w, 0.0  # the intercept is never put back


def ridge_n_squared(X, y, l2):
    n, d = X.shape
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    lam = n * l2  # the 1/(2N) of the loss moved to the penalty ...
    w = np.linalg.solve(Xc.T @ Xc + n * lam * np.eye(d), Xc.T @ yc)  # ... and N again
    return w, float(y.mean() - X.mean(axis=0) @ w)


_trainer, _helpers = _fit(_FIT_START_LOSS)
ENTRIES += [
    correct(A, "linear_mse", "θ in a column, bias first (Coursera style)", mse_theta_column),
    wrong(A, "linear_mse", "regularised cost left in, λ = 1 (Coursera style)", mse_coursera_regularised,
          "wrong-value", "regularisation", "has none", mistake="regularisation-added"),
    wrong(A, "gradient_descent_step", "theta[0] and theta[1] only (Coursera ex1)", step_theta0_theta1,
          "wrong-value", "only w[0] moved", "every weight", mistake="one-feature-formula"),
    wrong(A, "gradient_descent_step", "lr applied twice", step_lr_twice, "factor", "lr²",
          mistake="learning-rate-twice"),
    wrong(A, "numerical_gradient", "h = 1e-2 by default", num_large_h, "wrong-value", "not accurate enough",
          mistake="close-not-accurate"),
    wrong(A, "fit_linear_regression", "the starting loss recorded too", _trainer, "wrong-shape",
          "one per epoch", helpers=_helpers, expensive=True, mistake="one-loss-per-epoch"),
    wrong(A, "ridge", "intercept never put back", ridge_zero_bias, "missing-bias-grad", "b is 0",
          mistake="bias-zero"),
    wrong(A, "ridge", "N twice in the penalty", ridge_n_squared, "wrong-value", "N times too strong",
          mistake="penalty-n-squared"),
]


# ----------------------------------------------------------------------------- whole notebooks, graded end to end
#
# Synthetic students for 02-gradient-descent: the correct solution, typical mistakes, and misbehaviour.
#
# The training item calls the loss, the step and the minibatches by name; while it
# is graded those names answer with the reference's values (error carried forward
# by proxy), so a mistake there costs its own item only; ``expected`` lists every
# item a student loses.

_NO_BIAS_GRADIENT = '''
def linear_mse(X, y, w, b):
    n = X.shape[0]
    residual = X @ w + b - y
    return float(residual @ residual / (2 * n)), X.T @ residual / n, 0.0  # forgot db
'''

_ASCENT_STEP = '''
def gradient_descent_step(X, y, w, b, lr):
    _, dw, db = linear_mse(X, y, w, b)
    return w + lr * dw, b + lr * db  # uphill
'''

_RIDGE_WITHOUT_N = '''
def ridge(X, y, l2):
    x_mean, y_mean = X.mean(axis=0), y.mean()
    Xc, yc = X - x_mean, y - y_mean
    w = np.linalg.solve(Xc.T @ Xc + l2 * np.eye(X.shape[1]), Xc.T @ yc)  # N * l2 expected
    return w, float(y_mean - x_mean @ w)
'''

_SHUFFLES_IN_PLACE = '''
def minibatches(X, y, batch_size, seed):
    np.random.default_rng(seed).shuffle(X)  # shuffles the caller's arrays
    np.random.default_rng(seed).shuffle(y)
    return [(X[start:start + batch_size], y[start:start + batch_size]) for start in range(0, len(y), batch_size)]
'''

_INEXACT_RESTORE = '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        x[index] += h
        f_plus = f(x)
        x[index] -= 2 * h
        f_minus = f(x)
        x[index] += h  # rounding: x is not always restored exactly
        grad[index] = (f_plus - f_minus) / (2 * h)
    return grad
'''

_DROPS_LAST_BATCH = '''
def minibatches(X, y, batch_size, seed):
    order = np.random.default_rng(seed).permutation(len(y))
    return [(X[order[start:start + batch_size]], y[order[start:start + batch_size]])
            for start in range(0, len(y) - batch_size + 1, batch_size)]  # the last, smaller batch is lost
'''

_FORWARD_DIFFERENCE = '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = h
        grad[index] = (f(x + step) - f(x)) / h  # one-sided
    return grad
'''

_GRADCHECK_DELEGATION = '''
from dlfoundations.kit.gradcheck import numerical_gradient as library_gradient


def numerical_gradient(f, x, h=1e-5):
    return library_gradient(f, x, h)
'''

_IMPORTLIB_RIDGE = '''
import importlib


def ridge(X, y, l2):
    return importlib.import_module("dlfoundations.regression").ridge(X, y, l2)
'''

_ENDLESS_RIDGE = '''
def ridge(X, y, l2):
    while True:
        pass
'''

SUBMISSIONS = [
    Submission("correct"),
    Submission("no_bias_gradient", answers={"linear_mse-answer": _NO_BIAS_GRADIENT},
               expected={'linear_mse-test': 0.0},
               diagnoses={'linear_mse-test': 'missing-bias-grad'}),
    Submission("ascent_and_ridge_without_n",
               answers={"gradient_descent_step-answer": _ASCENT_STEP, "ridge-answer": _RIDGE_WITHOUT_N},
               expected={'gradient_descent_step-test': 0.0, 'ridge-test': 0.0},
               diagnoses={'gradient_descent_step-test': 'sign-flipped', 'ridge-test': 'wrong-value'}),
    Submission("mutates_inputs",  # the trainer is graded with the grader's minibatches, which shuffle nothing
               answers={"minibatches-answer": _SHUFFLES_IN_PLACE, "numerical_gradient-answer": _INEXACT_RESTORE},
               expected={'numerical_gradient-test': 0.0, 'minibatches-test': 0.0},
               diagnoses={'numerical_gradient-test': 'mutates-input', 'minibatches-test': 'mutates-input'}),
    Submission("drops_last_and_one_sided",
               answers={"minibatches-answer": _DROPS_LAST_BATCH, "numerical_gradient-answer": _FORWARD_DIFFERENCE},
               expected={'numerical_gradient-test': 0.0, 'minibatches-test': 0.0},
               diagnoses={'numerical_gradient-test': 'wrong-value', 'minibatches-test': 'wrong-shape'}),
    Submission("uses_reference",
               answers={"numerical_gradient-answer": _GRADCHECK_DELEGATION, "ridge-answer": _IMPORTLIB_RIDGE},
               expected={'numerical_gradient-test': 0.0, 'ridge-test': 0.0},
               diagnoses={'numerical_gradient-test': 'missing', 'ridge-test': 'raised-error'}),
    Submission("loop", answers={"ridge-answer": _ENDLESS_RIDGE}, expected={'ridge-test': 0.0},
               diagnoses={'ridge-test': 'time-limit'}),
    Submission("deleted_test", delete_cells=("numerical_gradient-test",)),
]
