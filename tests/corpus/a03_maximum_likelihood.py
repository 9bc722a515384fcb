"""Corpus for 03-maximum-likelihood: sigmoid, the {0, 1} and {-1, +1} losses, logistic regression, the trainer.

``CANCER_ENTRIES`` are graded by the breast cancer item, which grades the same function as the
trainer item (``train_logistic_regression``), so they cannot be reached by function name.
"""

from __future__ import annotations

from dataclasses import replace as _replace

import math
from typing import Any

import numpy as np

from corpus import Submission, correct, function_from, wrong

A = "03-maximum-likelihood"


# ----------------------------------------------------------------------------- sigmoid

def sigmoid_good(z):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_masks(z):
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    positive = z >= 0
    out[positive] = 1 / (1 + np.exp(-z[positive]))
    ez = np.exp(z[~positive])
    out[~positive] = ez / (1 + ez)
    return out


def sigmoid_logaddexp(z):
    return np.exp(-np.logaddexp(0.0, -np.asarray(z, dtype=np.float64)))


def sigmoid_naive(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_exp_ratio(z):
    return np.exp(z) / (1.0 + np.exp(z))


def sigmoid_sign(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, e / (1.0 + e), 1.0 / (1.0 + e))


def sigmoid_math(z):
    return np.array([1.0 / (1.0 + math.exp(-v)) for v in np.ravel(z)]).reshape(np.shape(z))


# ----------------------------------------------------------------------------- binary_cross_entropy

_BCE = '''
def binary_cross_entropy(logits, y):
    z = np.asarray(logits, dtype=np.float64)
    loss = np.mean(np.logaddexp(0.0, z) - y * z)
    return float(loss), (sigmoid(z) - y) / len(z)
'''


def bce_softplus(logits, y):
    z = logits
    softplus = np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))
    return float(np.mean(softplus - y * z)), (sigmoid_good(z) - y) / z.shape[0]


def bce_loop(logits, y):
    n = len(logits)
    loss, grad = 0.0, np.zeros(n)
    for i in range(n):
        z = float(logits[i])
        loss += max(z, 0.0) + math.log1p(math.exp(-abs(z))) - y[i] * z
        p = 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))
        grad[i] = (p - y[i]) / n
    return loss / n, grad


def bce_log_of_probabilities(logits, y):
    p = sigmoid_good(logits)
    loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    return float(loss), (p - y) / len(y)


def bce_naive_softplus(logits, y):
    loss = np.mean(np.log(1 + np.exp(logits)) - y * logits)
    return float(loss), (sigmoid_good(logits) - y) / len(y)


def bce_log1p_exp(logits, y):
    loss = np.mean(np.log1p(np.exp(logits)) - y * logits)
    return float(loss), (sigmoid_good(logits) - y) / len(y)


def bce_sum(logits, y):
    return float(np.sum(np.logaddexp(0, logits) - y * logits)), sigmoid_good(logits) - y


def bce_grad_sum(logits, y):
    return float(np.mean(np.logaddexp(0, logits) - y * logits)), sigmoid_good(logits) - y


def bce_grad_sign(logits, y):
    return float(np.mean(np.logaddexp(0, logits) - y * logits)), (y - sigmoid_good(logits)) / len(y)


def bce_signed_formula(logits, y):
    return float(np.mean(np.logaddexp(0, -y * logits))), -y * sigmoid_good(-y * logits) / len(y)


# ----------------------------------------------------------------------------- logistic_loss

def logistic_good(scores, y):
    z = np.asarray(scores, dtype=np.float64)
    return float(np.mean(np.logaddexp(0.0, -y * z))), -y * sigmoid_good(-y * z) / len(z)


_LOGISTIC_VIA_BCE = '''
def logistic_loss(scores, y):
    return binary_cross_entropy(scores, (y + 1) / 2)
'''


def logistic_loop(scores, y):
    n = len(scores)
    total, grad = 0.0, np.zeros(n)
    for i in range(n):
        t = -y[i] * scores[i]
        total += max(t, 0.0) + math.log1p(math.exp(-abs(t)))
        s = 1 / (1 + math.exp(-t)) if t >= 0 else math.exp(t) / (1 + math.exp(t))
        grad[i] = -y[i] * s / n
    return total / n, grad


def logistic_naive(scores, y):
    return float(np.mean(np.log(1 + np.exp(-y * scores)))), -y * sigmoid_good(-y * scores) / len(y)


def logistic_bce_formula(scores, y):
    return float(np.mean(np.logaddexp(0, scores) - y * scores)), (sigmoid_good(scores) - y) / len(y)


def logistic_sign_inside(scores, y):
    return float(np.mean(np.logaddexp(0, -y * scores))), -y * sigmoid_good(y * scores) / len(y)


def logistic_sum(scores, y):
    return float(np.sum(np.logaddexp(0, -y * scores))), -y * sigmoid_good(-y * scores)


def logistic_grad_sign(scores, y):
    return float(np.mean(np.logaddexp(0, -y * scores))), y * sigmoid_good(-y * scores) / len(y)


def logistic_grad_not_mean(scores, y):
    return float(np.mean(np.logaddexp(0, -y * scores))), -y * sigmoid_good(-y * scores)


def logistic_squeezed(scores, y):
    z = np.squeeze(np.asarray(scores, dtype=float))
    y = np.squeeze(y)
    return float(np.mean(np.logaddexp(0, -y * z))), np.squeeze(-y * sigmoid_good(-y * z) / z.size)


# ----------------------------------------------------------------------------- logistic_regression_loss

def regression_good(w, b, X, y):
    n = X.shape[0]
    z = X @ w + b
    error = (sigmoid_good(z) - y) / n
    return float(np.mean(np.logaddexp(0, z) - y * z)), X.T @ error, float(np.sum(error))


def regression_folded(w, b, X, y):
    A = np.hstack([X, np.ones((X.shape[0], 1))])
    theta = np.concatenate([w, [b]])
    z = A @ theta
    grad = A.T @ (sigmoid_good(z) - y) / len(y)
    return float(np.mean(np.logaddexp(0, z) - y * z)), grad[:-1], float(grad[-1])


_REGRESSION_VIA_BCE = '''
def logistic_regression_loss(w, b, X, y):
    loss, dz = binary_cross_entropy(X @ w + b, y)
    return loss, X.T @ dz, float(np.sum(dz))
'''

_REGRESSION_VIA_LOGISTIC = '''
def logistic_regression_loss(w, b, X, y):
    loss, dz = logistic_loss(X @ w + b, 2 * y - 1)
    return loss, X.T @ dz, dz.sum()
'''

_REGRESSION_RAW_LABELS = '''
def logistic_regression_loss(w, b, X, y):
    loss, dz = logistic_loss(X @ w + b, y)
    return loss, X.T @ dz, dz.sum()
'''


def regression_no_mean(w, b, X, y):
    z = X @ w + b
    error = sigmoid_good(z) - y
    return float(np.mean(np.logaddexp(0, z) - y * z)), X.T @ error, float(np.sum(error))


def regression_no_db(w, b, X, y):
    z = X @ w + b
    error = (sigmoid_good(z) - y) / len(y)
    return float(np.mean(np.logaddexp(0, z) - y * z)), X.T @ error, 0.0


def regression_sign(w, b, X, y):
    z = X @ w + b
    error = (y - sigmoid_good(z)) / len(y)
    return float(np.mean(np.logaddexp(0, z) - y * z)), X.T @ error, float(np.sum(error))


def regression_column(w, b, X, y):
    z = (X @ w + b).reshape(-1, 1)
    error = (sigmoid_good(z) - y.reshape(-1, 1)) / len(y)
    return float(np.mean(np.logaddexp(0, z) - y.reshape(-1, 1) * z)), X.T @ error, float(np.sum(error))


def regression_weight_decay(w, b, X, y):
    lam = 0.1
    z = X @ w + b
    error = (sigmoid_good(z) - y) / len(y)
    loss = np.mean(np.logaddexp(0, z) - y * z) + 0.5 * lam * np.sum(w ** 2)
    return float(loss), X.T @ error + lam * w, float(np.sum(error))


def regression_naive_loss(w, b, X, y):
    z = X @ w + b
    p = 1 / (1 + np.exp(-z))
    loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    return float(loss), X.T @ (p - y) / len(y), float(np.mean(p - y))


def regression_mse_gradient(w, b, X, y):
    z = X @ w + b
    p = sigmoid_good(z)
    error = (p - y) * p * (1 - p) / len(y)
    return float(np.mean(np.logaddexp(0, z) - y * z)), X.T @ error, float(np.sum(error))


# ----------------------------------------------------------------------------- train_logistic_regression

_TRAIN = '''
def train_logistic_regression(X, y, lr, steps):
    w, b = np.zeros(np.shape(X)[1]), 0.0
    losses = []
    for _ in range(steps):
        loss, dw, db = logistic_regression_loss(w, b, X, y)
        losses.append(loss)
        w, b = w - lr * dw, b - lr * db
    return w, b, losses
'''

_TRAIN_INLINE = '''
def train_logistic_regression(X, y, lr, steps):
    n, d = X.shape
    w = np.zeros(d)
    b = 0.0
    losses = []
    for step in range(steps):
        z = X @ w + b
        losses.append(float(np.mean(np.logaddexp(0, z) - y * z)))
        p = np.where(z >= 0, 1 / (1 + np.exp(-np.abs(z))), np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z))))
        w = w - lr * X.T @ (p - y) / n
        b = b - lr * np.mean(p - y)
    return w, b, losses
'''

_TRAIN_LOSS_AFTER = '''
def train_logistic_regression(X, y, lr, steps):
    w, b = np.zeros(X.shape[1]), 0.0
    losses = []
    for _ in range(steps):
        _, dw, db = logistic_regression_loss(w, b, X, y)
        w, b = w - lr * dw, b - lr * db
        losses.append(logistic_regression_loss(w, b, X, y)[0])
    return w, b, losses
'''

_TRAIN_NO_BIAS = '''
def train_logistic_regression(X, y, lr, steps):
    w, b = np.zeros(X.shape[1]), 0.0
    losses = []
    for _ in range(steps):
        loss, dw, db = logistic_regression_loss(w, b, X, y)
        losses.append(loss)
        w = w - lr * dw
    return w, b, losses
'''

_TRAIN_LATE_BIAS = '''
def train_logistic_regression(X, y, lr, steps):
    w, b = np.zeros(X.shape[1]), 0.0
    losses = []
    for _ in range(steps):
        loss, dw, _ = logistic_regression_loss(w, b, X, y)
        losses.append(loss)
        w = w - lr * dw
        _, _, db = logistic_regression_loss(w, b, X, y)
        b = b - lr * db
    return w, b, losses
'''

_TRAIN_FROM_ONES = _TRAIN.replace("np.zeros(np.shape(X)[1]), 0.0", "np.ones(np.shape(X)[1]), 0.0")

_TRAIN_FIXED_STEPS = _TRAIN.replace("range(steps)", "range(100)")

_TRAIN_UPHILL = _TRAIN.replace("w - lr * dw, b - lr * db", "w + lr * dw, b + lr * db")

_TRAIN_WRONG_SHAPE = _TRAIN.replace("return w, b, losses", "return w.reshape(-1, 1), b, losses")

_GOOD = {"logistic_regression_loss": regression_good}


def _trainer(source: str, regression_loss: Any = regression_good) -> tuple[Any, dict[str, Any]]:
    helpers = {"logistic_regression_loss": regression_loss}
    return function_from(source, **helpers), helpers


ENTRIES = [
    correct(A, "sigmoid", "e^{-|z|} once", sigmoid_good),
    correct(A, "sigmoid", "boolean masks", sigmoid_masks),
    correct(A, "sigmoid", "through logaddexp", sigmoid_logaddexp),
    wrong(A, "sigmoid", "naive 1 / (1 + e^-z)", sigmoid_naive, "not-finite", "exactly 0", "overflow",
          mistake="naive-sigmoid"),
    wrong(A, "sigmoid", "e^z / (1 + e^z)", sigmoid_exp_ratio, "not-finite", "overflowed", "e^{-|z|}",
          mistake="overflow"),
    wrong(A, "sigmoid", "branches swapped", sigmoid_sign, "sign-flipped", "1 - sigmoid(z)",
          mistake="one-minus-sigmoid"),
    wrong(A, "sigmoid", "math.exp in a loop", sigmoid_math, "raised-error", "OverflowError", "large scores",
          mistake="math-range-error"),

    correct(A, "binary_cross_entropy", "logaddexp with own sigmoid", function_from(_BCE, sigmoid=sigmoid_good),
            helpers={"sigmoid": sigmoid_good}),
    correct(A, "binary_cross_entropy", "softplus by hand", bce_softplus),
    correct(A, "binary_cross_entropy", "loop", bce_loop),
    # the notebook's sigmoid overflows (e^z / (1 + e^z)): while the loss is graded the grader serves the reference's
    # sigmoid in its place, so the loss passes on its own merit (with the naive sigmoid dscores would be NaN)
    correct(A, "binary_cross_entropy", "right loss, own sigmoid naive (the reference's sigmoid is served)",
            function_from(_BCE, sigmoid=sigmoid_exp_ratio), helpers={"sigmoid": sigmoid_exp_ratio}),
    wrong(A, "binary_cross_entropy", "log of probabilities", bce_log_of_probabilities, "not-finite",
          "np.logaddexp(0, t)", "rounded to 0", mistake="loss-overflows"),
    wrong(A, "binary_cross_entropy", "log(1 + exp(z))", bce_naive_softplus, "not-finite", "np.logaddexp",
          mistake="loss-overflows"),
    wrong(A, "binary_cross_entropy", "log1p(exp(z))", bce_log1p_exp, "not-finite", "np.log1p(np.exp(t))",
          mistake="loss-overflows"),
    wrong(A, "binary_cross_entropy", "sum instead of mean", bce_sum, "forgot-mean", "`loss`", "divide by N"),
    wrong(A, "binary_cross_entropy", "sum in the gradient only", bce_grad_sum, "forgot-mean", "`dscores`"),
    wrong(A, "binary_cross_entropy", "gradient y - p", bce_grad_sign, "sign-flipped", "`dscores`", "sigmoid(z) - y",
          mistake="gradient-sign"),
    wrong(A, "binary_cross_entropy", "the {-1, +1} formula", bce_signed_formula, "wrong-value", "{-1, +1}",
          "log 2", mistake="signed-formula"),

    correct(A, "logistic_loss", "logaddexp", logistic_good),
    correct(A, "logistic_loss", "through own binary_cross_entropy",
            function_from(_LOGISTIC_VIA_BCE, binary_cross_entropy=function_from(_BCE, sigmoid=sigmoid_good))),
    correct(A, "logistic_loss", "loop", logistic_loop),
    wrong(A, "logistic_loss", "log(1 + exp(-y z))", logistic_naive, "not-finite", "np.logaddexp",
          mistake="loss-overflows"),
    wrong(A, "logistic_loss", "the {0, 1} formula", logistic_bce_formula, "wrong-value", "{0, 1} formula",
          mistake="01-formula"),
    wrong(A, "logistic_loss", "sigmoid(y z) in the gradient", logistic_sign_inside, "wrong-value",
          "minus sign inside", mistake="sign-inside-sigmoid"),
    wrong(A, "logistic_loss", "sum instead of mean", logistic_sum, "forgot-mean", "`loss`"),
    wrong(A, "logistic_loss", "gradient sign", logistic_grad_sign, "sign-flipped", "`dscores`", "-y sigmoid(-y z)",
          mistake="gradient-sign"),
    wrong(A, "logistic_loss", "squeezed: shape () at N = 1", logistic_squeezed, "wrong-shape", "(N = 1)",
          "shape ()"),
    wrong(A, "logistic_loss", "gradient without 1/N", logistic_grad_not_mean, "forgot-mean", "`dscores`"),

    correct(A, "logistic_regression_loss", "vectorised", regression_good),
    correct(A, "logistic_regression_loss", "bias folded into theta", regression_folded),
    correct(A, "logistic_regression_loss", "through own binary_cross_entropy",
            function_from(_REGRESSION_VIA_BCE, binary_cross_entropy=function_from(_BCE, sigmoid=sigmoid_good))),
    correct(A, "logistic_regression_loss", "through own logistic_loss with 2y - 1",
            function_from(_REGRESSION_VIA_LOGISTIC, logistic_loss=logistic_good),
            helpers={"logistic_loss": logistic_good}),
    # the notebook's binary_cross_entropy sums (bce_sum): the reference's loss is served in its place
    correct(A, "logistic_regression_loss", "right chain rule, own loss without the mean (the reference's is served)",
            function_from(_REGRESSION_VIA_BCE, binary_cross_entropy=bce_sum),
            helpers={"binary_cross_entropy": bce_sum}),
    wrong(A, "logistic_regression_loss", "gradients without 1/N", regression_no_mean, "forgot-mean", "`dw`"),
    wrong(A, "logistic_regression_loss", "db missing", regression_no_db, "missing-bias-grad", "`db`"),
    wrong(A, "logistic_regression_loss", "y - p", regression_sign, "sign-flipped", "`dw`", "prediction minus label",
          mistake="gradient-sign"),
    wrong(A, "logistic_regression_loss", "dw a column", regression_column, "wrong-shape", "column", "(N,)",
          mistake="dw-column"),
    wrong(A, "logistic_regression_loss", "weight decay added", regression_weight_decay, "wrong-value",
          "regularisation", "(0.1/2) ||w||²", mistake="regularisation-added"),
    wrong(A, "logistic_regression_loss", "{0, 1} labels into logistic_loss",
          function_from(_REGRESSION_RAW_LABELS, logistic_loss=logistic_good), "wrong-value", "2y - 1",
          helpers={"logistic_loss": logistic_good}, mistake="signed-loss-on-01-labels"),
    wrong(A, "logistic_regression_loss", "log of a naive sigmoid", regression_naive_loss, "not-finite",
          "np.logaddexp(0, z)", mistake="loss-overflows"),
    wrong(A, "logistic_regression_loss", "the MSE-on-sigmoid gradient", regression_mse_gradient, "wrong-value",
          "squared error", "cancels", mistake="squared-error-gradient"),
]

for _label, _source, _expected, _mistake in [
    ("with own loss", _TRAIN, None, None),
    ("inline", _TRAIN_INLINE, None, None),
    ("loss recorded after the update", _TRAIN_LOSS_AFTER, ("wrong-value", "before updating"), "loss-after-the-update"),
    ("bias never updated", _TRAIN_NO_BIAS, ("missing-bias-grad", "b <- b - lr * db"), "bias-never-updated"),
    ("bias gradient after the w update", _TRAIN_LATE_BIAS, ("wrong-value", "same evaluation"), "late-bias-gradient"),
    ("started from ones", _TRAIN_FROM_ONES, ("wrong-value", "ln 2", "start from zeros"), "not-from-zero"),
    ("a fixed number of steps", _TRAIN_FIXED_STEPS, ("wrong-shape", "`losses`"), "one-loss-per-step"),
    ("uphill steps", _TRAIN_UPHILL, ("sign-flipped", "uphill", "w <- w - lr * dw"), "uphill"),
]:
    _f, _h = _trainer(_source)
    if _expected is None:
        ENTRIES.append(correct(A, "train_logistic_regression", _label, _f, helpers=_h, expensive=True))
    else:
        ENTRIES.append(wrong(A, "train_logistic_regression", _label, _f, *_expected, helpers=_h, expensive=True,
                             mistake=_mistake))
# the notebook's logistic_regression_loss has no 1/N: the reference's is served in its place while the trainer is
# graded, so the trainer passes, scikit-learn's fit included (with the wrong loss its steps would be N times too long)
_f, _h = _trainer(_TRAIN, regression_no_mean)
ENTRIES.append(correct(A, "train_logistic_regression", "right loop, own loss without the mean (the reference's is "
                       "served)", _f, helpers=_h, expensive=True))

CANCER_ENTRIES = []
for _label, _source, _expected in [
    ("with own loss", _TRAIN, None),
    ("inline", _TRAIN_INLINE, None),
    ("uphill steps", _TRAIN_UPHILL, ("did-not-learn", "test accuracy", "below the required 0.95")),
    ("w returned as a column", _TRAIN_WRONG_SHAPE, ("wrong-shape", "one weight per feature")),
]:
    _f, _h = _trainer(_source)
    if _expected is None:
        CANCER_ENTRIES.append(correct(A, "train_logistic_regression", f"cancer: {_label}", _f, helpers=_h,
                                      expensive=True))
    else:
        CANCER_ENTRIES.append(wrong(A, "train_logistic_regression", f"cancer: {_label}", _f, *_expected,
                                    helpers=_h, expensive=True))

# The breast-cancer item grades the same function as the trainer: its entries name their item.
ENTRIES += [_replace(entry, grade_id="cancer-test") for entry in CANCER_ENTRIES]


# ----------------------------------------------------------------------------- Coursera style (θ in a column) and
# more mistakes, one per known mistake


def sigmoid_where_both_naive(z):
    z = np.asarray(z, dtype=np.float64)
    # "stable": each case gets its own formula, but np.where computes both on every entry
    return np.where(z >= 0, 1.0 / (1.0 + np.exp(-z)), np.exp(z) / (1.0 + np.exp(z)))


def bce_naive_gradient(logits, y):
    z = np.asarray(logits, dtype=np.float64)
    loss = np.mean(np.logaddexp(0.0, z) - y * z)
    p = np.exp(z) / (1.0 + np.exp(z))  # the sigmoid written out again, naively
    return float(loss), (p - y) / len(z)


def bce_math_loop(logits, y):
    n = len(logits)
    loss, grad = 0.0, np.zeros(n)
    for i in range(n):
        z = float(logits[i])
        loss += math.log(1 + math.exp(z)) - y[i] * z
        grad[i] = (1 / (1 + math.exp(-z)) - y[i]) / n
    return loss / n, grad


def logistic_naive_gradient(scores, y):
    t = -y * scores
    loss = np.mean(np.logaddexp(0.0, t))
    return float(loss), -y * np.exp(t) / (1.0 + np.exp(t)) / len(scores)


def logistic_math_loop(scores, y):
    n = len(scores)
    total, grad = 0.0, np.zeros(n)
    for i in range(n):
        t = -y[i] * scores[i]
        total += math.log(1.0 + math.exp(t))
        grad[i] = -y[i] * math.exp(t) / (1.0 + math.exp(t)) / n
    return total / n, grad


def regression_theta_column(w, b, X, y):
    m = len(y)
    Xb = np.c_[np.ones(m), X]  # theta[0] is the intercept
    theta = np.r_[b, w].reshape(-1, 1)
    z = Xb @ theta
    J = float(np.mean(np.logaddexp(0.0, z) - y.reshape(-1, 1) * z))
    grad = Xb.T @ (sigmoid_good(z) - y.reshape(-1, 1)) / m
    return J, grad[1:, 0], float(grad[0, 0])


def regression_math_sigmoid(w, b, X, y):
    m = len(y)
    J, dw, db = 0.0, np.zeros_like(w), 0.0
    for i in range(m):
        z = float(X[i] @ w + b)
        h = 1.0 / (1.0 + math.exp(-z))
        J += -y[i] * math.log(h) - (1 - y[i]) * math.log(1 - h)
        dw += (h - y[i]) * X[i]
        db += h - y[i]
    return J / m, dw / m, db / m


ENTRIES += [
    wrong(A, "sigmoid", "np.where of two naive formulas", sigmoid_where_both_naive, "not-finite", "np.where",
          "both branches", mistake="overflow-in-unused-branch"),
    wrong(A, "binary_cross_entropy", "stable loss, naive sigmoid in the gradient", bce_naive_gradient, "not-finite",
          "`dscores`", "stable sigmoid", mistake="gradient-overflows"),
    wrong(A, "binary_cross_entropy", "math.log(1 + math.exp(z)) in a loop", bce_math_loop, "raised-error",
          "OverflowError", "np.logaddexp(0, t)", mistake="math-range-error"),
    wrong(A, "logistic_loss", "stable loss, naive sigmoid in the gradient", logistic_naive_gradient, "not-finite",
          "`dscores`", mistake="gradient-overflows"),
    wrong(A, "logistic_loss", "math.exp in a loop", logistic_math_loop, "raised-error", "math range error",
          "np.logaddexp(0, t)", mistake="math-range-error"),
    correct(A, "logistic_regression_loss", "θ in a column, intercept first (Coursera style)", regression_theta_column),
    wrong(A, "logistic_regression_loss", "a loop with math.exp (Coursera style)", regression_math_sigmoid,
          "raised-error", "math range error", "np.logaddexp(0, z)", mistake="math-range-error"),
]


# ----------------------------------------------------------------------------- whole notebooks, graded end to end
#
# Synthetic students for 03-maximum-likelihood: typical mistakes and the generic misbehaviours.
#
# Items (test cells): sigmoid-test 2, bce-test 2, logistic-test 2, gradient-test 3, trainer-test 3,
# cancer-test 2. Mistakes do not cascade: while a later item is graded, the earlier functions it calls
# by name (the sigmoid in the losses, the gradient in the trainer) answer with the reference's values
# (error carried forward by proxy), so a wrong earlier function costs its own item only.

ALL_ITEMS = ("sigmoid-test", "bce-test", "logistic-test", "gradient-test", "trainer-test", "cancer-test")

_NAIVE_SIGMOID = '''
def sigmoid(z):
    """The textbook formula: exp(-z) overflows for z < -709."""
    return 1.0 / (1.0 + np.exp(-z))
'''

_BCE_SUM = '''
def binary_cross_entropy(logits, y):
    z = np.asarray(logits, dtype=np.float64)
    loss = np.sum(np.logaddexp(0.0, z) - y * z)  # a sum: the mean is missing
    return float(loss), sigmoid(z) - y
'''

_LOGISTIC_SIGN = '''
def logistic_loss(scores, y):
    z = np.asarray(scores, dtype=np.float64)
    loss = np.mean(np.logaddexp(0.0, -y * z))
    return float(loss), y * sigmoid(-y * z) / len(z)  # the minus sign of the chain rule is lost
'''

_LOGISTIC_LOOP = '''
def logistic_loss(scores, y):
    while True:
        pass
'''

_BCE_IMPORTLIB = '''
import importlib


def binary_cross_entropy(logits, y):
    course = importlib.import_module("dlfoundations.losses")
    return course.binary_cross_entropy(logits, y)
'''

_GRADIENT_NO_BIAS = '''
def logistic_regression_loss(w, b, X, y):
    n = X.shape[0]
    z = X @ w + b
    error = (sigmoid(z) - y) / n
    return float(np.mean(np.logaddexp(0.0, z) - y * z)), X.T @ error, 0.0  # db forgotten
'''

_GRADIENT_COLUMN = '''
def logistic_regression_loss(w, b, X, y):
    n = X.shape[0]
    z = X @ w + b
    error = ((sigmoid(z) - y) / n)[:, None]  # a column: dw comes out (d, 1)
    return float(np.mean(np.logaddexp(0.0, z) - y * z)), X.T @ error, float(error.sum())
'''

_TRAINER_CRASH = '''
raise RuntimeError("I will finish this cell later")


def train_logistic_regression(X, y, lr, steps):
    return np.zeros(X.shape[1]), 0.0, []
'''

_ALL = ("sigmoid-test", "bce-test", "logistic-test", "gradient-test", "trainer-test", "cancer-test")

SUBMISSIONS = [
    Submission("correct"),
    Submission("blank", blank=True, expected=dict.fromkeys(ALL_ITEMS, 0.0),
               diagnoses=dict.fromkeys(ALL_ITEMS, "not-implemented")),
    Submission("not_finite", answers={"sigmoid-answer": _NAIVE_SIGMOID},
               expected={'sigmoid-test': 0.0},
               diagnoses={'sigmoid-test': 'not-finite'}),
    Submission("forgot_mean", answers={"bce-answer": _BCE_SUM},
               expected={'bce-test': 0.0}, diagnoses={'bce-test': 'forgot-mean'}),
    Submission("sign_flipped", answers={"logistic-answer": _LOGISTIC_SIGN},
               expected={'logistic-test': 0.0}, diagnoses={'logistic-test': 'sign-flipped'}),
    Submission("missing_bias", answers={"gradient-answer": _GRADIENT_NO_BIAS},
               expected={'gradient-test': 0.0},
               diagnoses={'gradient-test': 'missing-bias-grad'}),
    Submission("wrong_shape", answers={"gradient-answer": _GRADIENT_COLUMN},  # trainer: graded on the grader's
               expected={'gradient-test': 0.0}, diagnoses={'gradient-test': 'wrong-shape'}),
    Submission("uses_reference_importlib", answers={"bce-answer": _BCE_IMPORTLIB},
               expected={'bce-test': 0.0}, diagnoses={'bce-test': 'raised-error'}),
    Submission("crash", answers={"trainer-answer": _TRAINER_CRASH},
               expected={'trainer-test': 0.0, 'cancer-test': 0.0},
               diagnoses={'trainer-test': 'missing', 'cancer-test': 'missing'}),
    Submission("loop", answers={"logistic-answer": _LOGISTIC_LOOP}, expected={'logistic-test': 0.0},
               diagnoses={'logistic-test': 'time-limit'}),
    Submission("edited_test", edit_tests=("bce-test",)),
]
