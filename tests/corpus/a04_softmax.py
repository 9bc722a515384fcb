"""Corpus of 04-softmax: softmax, its Jacobian, cross-entropy, softmax regression, the hinge, the trainer.

Written the way students write these functions (CS231n-style loops and
vectorised code alike); each wrong one carries the mistake named in its label.
"""

from __future__ import annotations

import math

import numpy as np

from corpus import Submission, correct, wrong

A = "04-softmax"


# ----------------------------------------------------------------------------- softmax

def softmax_vectorised(Z):
    Z = np.asarray(Z, dtype=np.float64)
    e = np.exp(Z - Z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_rows_loop(Z):
    Z = np.array(Z, dtype=np.float64)
    if Z.ndim == 1:
        e = np.exp(Z - Z.max())
        return e / e.sum()
    out = np.empty_like(Z)
    for i in range(Z.shape[0]):
        e = np.exp(Z[i] - np.max(Z[i]))
        out[i] = e / np.sum(e)
    return out


def softmax_in_place_on_copy(Z):
    P = np.array(Z, dtype=np.float64)  # its own copy: working in place on it is fine
    P -= P.max(axis=-1, keepdims=True)
    np.exp(P, out=P)
    P /= P.sum(axis=-1, keepdims=True)
    return P


def softmax_no_max(Z):
    e = np.exp(Z)
    return e / e.sum(axis=-1, keepdims=True)


def softmax_global_max(Z):
    e = np.exp(Z - np.max(Z))  # the maximum of the whole array, not of each row
    return e / e.sum(axis=-1, keepdims=True)


def softmax_whole_matrix(Z):
    e = np.exp(Z - Z.max(axis=-1, keepdims=True))
    return e / e.sum()


def softmax_axis_0(Z):
    e = np.exp(Z - Z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def softmax_mutates(Z):
    Z -= Z.max(axis=-1, keepdims=True)
    e = np.exp(Z)
    return e / e.sum(axis=-1, keepdims=True)


def softmax_2d_only(Z):
    e = np.exp(Z - Z.max(axis=1, keepdims=True))  # axis=1 fails on a single vector (K,)
    return e / e.sum(axis=1, keepdims=True)


# ----------------------------------------------------------------------------- Jacobian

def jacobian_outer(z):
    p = softmax_vectorised(z)
    return np.diag(p) - np.outer(p, p)


def jacobian_loops(z):
    p = softmax_vectorised(z)
    K = len(p)
    J = np.zeros((K, K))
    for i in range(K):
        for j in range(K):
            J[i, j] = p[i] * ((1.0 if i == j else 0.0) - p[j])
    return J


def jacobian_diagonal_only(z):
    p = softmax_vectorised(z)
    return p * (1 - p)


def jacobian_sign(z):
    p = softmax_vectorised(z)
    return np.outer(p, p) - np.diag(p)


def jacobian_no_diag_term(z):
    p = softmax_vectorised(z)
    return -np.outer(p, p)


# ----------------------------------------------------------------------------- cross-entropy

def _log_softmax(Z):
    shifted = Z - Z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def ce_log_softmax(scores, y):
    n = scores.shape[0]
    logp = _log_softmax(np.asarray(scores, dtype=np.float64))
    d = np.exp(logp)
    d[np.arange(n), y] -= 1
    return float(-logp[np.arange(n), y].mean()), d / n


def ce_logsumexp_loop(scores, y):
    n, k = scores.shape
    loss, d = 0.0, np.zeros((n, k))
    for i in range(n):
        m = np.max(scores[i])
        lse = m + np.log(np.sum(np.exp(scores[i] - m)))
        loss += lse - scores[i, y[i]]
        d[i] = np.exp(scores[i] - lse)
        d[i, y[i]] -= 1
    return loss / n, d / n


def ce_onehot(scores, y):
    n, k = scores.shape
    Y = np.eye(k)[y]
    logp = _log_softmax(scores)
    return float(-(Y * logp).sum() / n), (np.exp(logp) - Y) / n


def ce_log_of_probability(scores, y):
    n = scores.shape[0]
    p = softmax_vectorised(scores)  # stable softmax ...
    loss = -np.mean(np.log(p[np.arange(n), y]))  # ... then the log of a probability that underflows to 0
    d = p.copy()
    d[np.arange(n), y] -= 1
    return float(loss), d / n


def ce_sum(scores, y):
    loss, d = ce_log_softmax(scores, y)
    return loss * len(y), d * len(y)


def ce_sum_in_gradient_only(scores, y):
    loss, d = ce_log_softmax(scores, y)
    return loss, d * len(y)


def ce_sign(scores, y):
    loss, d = ce_log_softmax(scores, y)
    return loss, -d


def ce_no_onehot(scores, y):
    n = scores.shape[0]
    logp = _log_softmax(scores)
    return float(-logp[np.arange(n), y].mean()), np.exp(logp) / n  # the -1 at the label is missing


def ce_regularised(scores, y):
    loss, d = ce_log_softmax(scores, y)
    return loss + 0.5 * 1e-3 * np.sum(scores ** 2), d + 1e-3 * scores


# ----------------------------------------------------------------------------- softmax regression

def regression_vectorised(W, b, X, y):
    loss, d = cross_entropy(X @ W + b, y)
    return loss, X.T @ d, d.sum(axis=0)


def regression_bias_folded(W, b, X, y):
    Xb = np.hstack([X, np.ones((X.shape[0], 1))])  # the bias as an extra column of X
    Wb = np.vstack([W, b])
    loss, d = ce_log_softmax(Xb @ Wb, y)
    G = Xb.T @ d
    return loss, G[:-1], G[-1]


def regression_loops(W, b, X, y):
    n = X.shape[0]
    loss, dW, db = 0.0, np.zeros_like(W), np.zeros_like(b)
    for i in range(n):
        z = X[i] @ W + b
        m = z.max()
        p = np.exp(z - m) / np.exp(z - m).sum()
        loss += -(z[y[i]] - m - np.log(np.exp(z - m).sum()))
        p[y[i]] -= 1
        dW += np.outer(X[i], p)
        db += p
    return loss / n, dW / n, db / n


def regression_transposed(W, b, X, y):
    loss, d = ce_log_softmax(X @ W + b, y)
    return loss, d.T @ X, d.sum(axis=0)


def regression_no_bias(W, b, X, y):
    loss, d = ce_log_softmax(X @ W + b, y)
    return loss, X.T @ d, np.zeros_like(b)


def regression_bias_keepdims(W, b, X, y):
    loss, d = ce_log_softmax(X @ W + b, y)
    return loss, X.T @ d, d.sum(axis=0, keepdims=True)  # (1, K) instead of (K,)


def regression_sum(W, b, X, y):
    loss, d = ce_log_softmax(X @ W + b, y)
    n = X.shape[0]
    return loss * n, X.T @ (d * n), (d * n).sum(axis=0)


def regression_l2(W, b, X, y):
    loss, d = ce_log_softmax(X @ W + b, y)
    return loss + 0.5 * 0.1 * np.sum(W * W), X.T @ d + 0.1 * W, d.sum(axis=0)


def cross_entropy(scores, y):  # the helper regression_vectorised uses (the notebook's own)
    return ce_log_softmax(scores, y)


# ----------------------------------------------------------------------------- hinge

def hinge_vectorised(scores, y):
    n = scores.shape[0]
    rows = np.arange(n)
    margins = np.maximum(0, scores - scores[rows, y][:, None] + 1)
    margins[rows, y] = 0
    mask = (margins > 0).astype(float)
    mask[rows, y] = -mask.sum(axis=1)
    return float(margins.sum() / n), mask / n


def hinge_loops(scores, y):
    n, k = scores.shape
    loss, d = 0.0, np.zeros((n, k))
    for i in range(n):
        for j in range(k):
            if j == y[i]:
                continue
            margin = scores[i, j] - scores[i, y[i]] + 1
            if margin > 0:
                loss += margin
                d[i, j] += 1
                d[i, y[i]] -= 1
    return loss / n, d / n


def hinge_counts_true_class(scores, y):
    n = scores.shape[0]
    rows = np.arange(n)
    margins = np.maximum(0, scores - scores[rows, y][:, None] + 1)  # j = y_i left in: +1 per row
    mask = (margins > 0).astype(float)
    mask[rows, y] = 0
    mask[rows, y] = -mask.sum(axis=1)
    return float(margins.sum() / n), mask / n


def hinge_sum(scores, y):
    loss, d = hinge_vectorised(scores, y)
    return loss * len(y), d * len(y)


def hinge_no_true_class_gradient(scores, y):
    n = scores.shape[0]
    rows = np.arange(n)
    margins = np.maximum(0, scores - scores[rows, y][:, None] + 1)
    margins[rows, y] = 0
    mask = (margins > 0).astype(float)  # the -count at the label is missing
    return float(margins.sum() / n), mask / n


def hinge_margin_zero(scores, y):
    n = scores.shape[0]
    rows = np.arange(n)
    margins = np.maximum(0, scores - scores[rows, y][:, None])  # the margin 1 is missing
    mask = (margins > 0).astype(float)
    mask[rows, y] = -mask.sum(axis=1)
    return float(margins.sum() / n), mask / n


# ----------------------------------------------------------------------------- trainer

def softmax_regression_loss(W, b, X, y):  # the student's own (correct) item 4, used by the trainers
    return regression_vectorised(W, b, X, y)


def trainer_correct(X, y, num_classes, lr, steps):
    W, b, losses = np.zeros((X.shape[1], num_classes)), np.zeros(num_classes), []
    for _ in range(steps):
        loss, dW, db = softmax_regression_loss(W, b, X, y)
        losses.append(loss)
        W, b = W - lr * dW, b - lr * db
    return W, b, losses


def trainer_loss_after_update(X, y, num_classes, lr, steps):
    W, b, losses = np.zeros((X.shape[1], num_classes)), np.zeros(num_classes), []
    for _ in range(steps):
        _, dW, db = softmax_regression_loss(W, b, X, y)
        W, b = W - lr * dW, b - lr * db
        losses.append(softmax_regression_loss(W, b, X, y)[0])  # the loss after the update: shifted by one
    return W, b, losses


def trainer_no_bias(X, y, num_classes, lr, steps):
    W, b, losses = np.zeros((X.shape[1], num_classes)), np.zeros(num_classes), []
    for _ in range(steps):
        loss, dW, db = softmax_regression_loss(W, b, X, y)
        losses.append(loss)
        W = W - lr * dW  # b is never updated
    return W, b, losses


def trainer_ascent(X, y, num_classes, lr, steps):
    W, b, losses = np.zeros((X.shape[1], num_classes)), np.zeros(num_classes), []
    for _ in range(steps):
        loss, dW, db = softmax_regression_loss(W, b, X, y)
        losses.append(loss)
        W, b = W + lr * dW, b + lr * db
    return W, b, losses


def summed_regression(W, b, X, y):
    return regression_sum(W, b, X, y)


def trainer_on_summed_loss(X, y, num_classes, lr, steps):
    # its notebook's softmax_regression_loss sums (a wrong earlier function): the grader serves the
    # reference in its place while the trainer is graded, so the trainer passes on its own merit
    W, b, losses = np.zeros((X.shape[1], num_classes)), np.zeros(num_classes), []
    for _ in range(steps):
        loss, dW, db = softmax_regression_loss(W, b, X, y)
        losses.append(loss)
        W, b = W - lr * dW, b - lr * db
    return W, b, losses


_CE = {"cross_entropy": ce_log_softmax}
_REG = {"softmax_regression_loss": regression_vectorised}

ENTRIES = [
    correct(A, "softmax", "vectorised with keepdims", softmax_vectorised),
    correct(A, "softmax", "a loop over rows", softmax_rows_loop),
    correct(A, "softmax", "in place on its own copy", softmax_in_place_on_copy),
    wrong(A, "softmax", "no max subtraction", softmax_no_max, "not-finite", "overflows", "each row's maximum",
          mistake="no-max-subtraction"),
    wrong(A, "softmax", "the maximum of the whole array", softmax_global_max, "not-finite", "whole array",
          "each row's own maximum", mistake="whole-array-maximum"),
    wrong(A, "softmax", "normalised by the whole matrix", softmax_whole_matrix, "wrong-value", "whole matrix",
          "each row", mistake="rows-not-normalised"),
    wrong(A, "softmax", "normalised along axis 0", softmax_axis_0, "wrong-value", "axis 0", "axis=-1",
          mistake="rows-not-normalised"),
    wrong(A, "softmax", "z -= max in place", softmax_mutates, "mutates-input", "`Z`", "in place"),
    wrong(A, "softmax", "axis=1 fails on a vector", softmax_2d_only, "raised-error", "single score vector"),
    correct(A, "softmax_jacobian", "diag(p) - outer(p, p)", jacobian_outer, helpers={"softmax": softmax_vectorised}),
    correct(A, "softmax_jacobian", "two loops", jacobian_loops, helpers={"softmax": softmax_vectorised}),
    wrong(A, "softmax_jacobian", "only the diagonal", jacobian_diagonal_only, "wrong-shape", "shape",
          helpers={"softmax": softmax_vectorised}),
    wrong(A, "softmax_jacobian", "the sign of both terms", jacobian_sign, "sign-flipped", "opposite sign",
          helpers={"softmax": softmax_vectorised}),
    wrong(A, "softmax_jacobian", "no diag(p) term", jacobian_no_diag_term, "wrong-value", "largest difference",
          helpers={"softmax": softmax_vectorised}),
    correct(A, "cross_entropy", "log-softmax", ce_log_softmax),
    correct(A, "cross_entropy", "a loop with log-sum-exp", ce_logsumexp_loop),
    correct(A, "cross_entropy", "one-hot matrix", ce_onehot),
    wrong(A, "cross_entropy", "log of an underflowed probability", ce_log_of_probability, "not-finite",
          "rounds to exactly 0", "log-softmax", mistake="log-of-underflowed-probability"),
    wrong(A, "cross_entropy", "sum instead of mean", ce_sum, "forgot-mean", "divide by N"),
    wrong(A, "cross_entropy", "sum in the gradient only", ce_sum_in_gradient_only, "forgot-mean", "`dscores`",
          "divide by N"),
    wrong(A, "cross_entropy", "the gradient's sign", ce_sign, "sign-flipped", "`dscores`", "opposite sign"),
    wrong(A, "cross_entropy", "no -1 at the label", ce_no_onehot, "wrong-value", "`dscores`"),
    wrong(A, "cross_entropy", "a regularisation term", ce_regularised, "wrong-value", "regularisation", "none",
          mistake="regularisation-added"),
    correct(A, "softmax_regression_loss", "vectorised on its cross_entropy", regression_vectorised, helpers=_CE),
    correct(A, "softmax_regression_loss", "the bias folded into W", regression_bias_folded),
    correct(A, "softmax_regression_loss", "a loop over examples", regression_loops),
    correct(A, "softmax_regression_loss", "on its own summed cross_entropy (carried forward)",
            regression_vectorised, helpers={"cross_entropy": ce_sum}),
    wrong(A, "softmax_regression_loss", "dW transposed", regression_transposed, "transposed", "`dW`", "transposed"),
    wrong(A, "softmax_regression_loss", "db forgotten", regression_no_bias, "missing-bias-grad", "`db`", "all zeros"),
    wrong(A, "softmax_regression_loss", "db of shape (1, K)", regression_bias_keepdims, "wrong-shape", "`db`",
          "(1,"),
    wrong(A, "softmax_regression_loss", "sums instead of means", regression_sum, "forgot-mean", "divide by N"),
    wrong(A, "softmax_regression_loss", "an L2 term", regression_l2, "wrong-value", "regularisation", "λ = 0",
          mistake="regularisation-added"),
    correct(A, "multiclass_hinge", "vectorised mask", hinge_vectorised),
    correct(A, "multiclass_hinge", "two loops", hinge_loops),
    wrong(A, "multiclass_hinge", "counts j = y_i", hinge_counts_true_class, "wrong-value", "exactly 1 too large",
          "j ≠ y_i", mistake="true-class-counted"),
    wrong(A, "multiclass_hinge", "sum instead of mean", hinge_sum, "forgot-mean", "divide by N"),
    wrong(A, "multiclass_hinge", "no gradient at the label", hinge_no_true_class_gradient, "wrong-value",
          "`dscores`"),
    wrong(A, "multiclass_hinge", "margin 0 instead of 1", hinge_margin_zero, "wrong-value", "`loss`"),
    correct(A, "train_softmax_regression", "gradient descent from zero", trainer_correct, helpers=_REG,
            expensive=True),
    correct(A, "train_softmax_regression", "on its own summed regression loss (carried forward)",
            trainer_on_summed_loss, helpers={"softmax_regression_loss": summed_regression}, expensive=True),
    wrong(A, "train_softmax_regression", "the loss recorded after the update", trainer_loss_after_update,
          "wrong-value", "`losses`", helpers=_REG, expensive=True),
    wrong(A, "train_softmax_regression", "b never updated", trainer_no_bias, "missing-bias-grad",
          "b is still all zeros", helpers=_REG, expensive=True, mistake="bias-never-updated"),
    wrong(A, "train_softmax_regression", "gradient ascent", trainer_ascent, "sign-flipped", "goes up",
          helpers=_REG, expensive=True, mistake="gradient-ascent"),
]


# ----------------------------------------------------------------------------- NaN and inf from code that subtracts a
# maximum (or not), math.log, CS231n loops, np.matrix, a zero gradient: one entry per known mistake and more


def ce_naive_loop(scores, y):
    num_train, num_classes = scores.shape
    loss, dscores = 0.0, np.zeros_like(scores)
    for i in range(num_train):
        exp_scores = np.exp(scores[i])
        probs = exp_scores / np.sum(exp_scores)
        loss += -np.log(probs[y[i]])
        dscores[i] = probs
        dscores[i, y[i]] -= 1
    return loss / num_train, dscores / num_train


def ce_global_max(scores, y):
    N = scores.shape[0]
    shifted = scores - np.max(scores)  # one maximum for the whole batch
    probs = np.exp(shifted) / np.sum(np.exp(shifted), axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[np.arange(N), y])) / N
    probs[np.arange(N), y] -= 1
    return loss, probs / N


def ce_through_jacobian(scores, y):
    N, K = scores.shape
    Z = scores - scores.max(axis=1, keepdims=True)
    P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    Y = np.eye(K)[y]
    loss = -np.mean(np.log(np.sum(P * Y, axis=1)))
    dP = -Y / P / N  # dL/dp, then back through the softmax's Jacobian
    dZ = P * (dP - np.sum(dP * P, axis=1, keepdims=True))
    return loss, dZ


def ce_math_log(scores, y):
    N, K = scores.shape
    loss, d = 0.0, np.zeros((N, K))
    for i in range(N):
        row = scores[i] - max(scores[i])
        exps = [math.exp(s) for s in row]
        total = sum(exps)
        loss += -math.log(exps[y[i]] / total)
        for j in range(K):
            d[i, j] = exps[j] / total - (1.0 if j == y[i] else 0.0)
    return loss / N, d / N


def ce_gradient_commented_out(scores, y):
    N = scores.shape[0]
    logp = _log_softmax(scores)
    loss = -logp[np.arange(N), y].mean()
    dscores = np.zeros_like(scores)
    # p = np.exp(logp); p[np.arange(N), y] -= 1; dscores = p / N
    return loss, dscores


def ce_np_matrix(scores, y):
    S = np.matrix(scores)  # old CS231n code: matrices, * is the matrix product
    N = S.shape[0]
    S = S - S.max(axis=1)
    logp = S - np.log(np.exp(S).sum(axis=1))
    loss = -np.mean([logp[i, y[i]] for i in range(N)])
    P = np.exp(logp)
    P[np.arange(N), y] -= 1
    return float(loss), P / N


def regression_log_of_p(W, b, X, y):
    N = X.shape[0]
    scores = X @ W + b
    scores = scores - np.max(scores, axis=1, keepdims=True)
    p = np.exp(scores) / np.sum(np.exp(scores), axis=1, keepdims=True)
    loss = -np.sum(np.log(p[np.arange(N), y])) / N
    dscores = p.copy()
    dscores[np.arange(N), y] -= 1
    dscores /= N
    return loss, X.T @ dscores, dscores.sum(axis=0)


def regression_through_jacobian(W, b, X, y):
    N, K = X.shape[0], W.shape[1]
    Z = X @ W + b
    Z = Z - Z.max(axis=1, keepdims=True)
    P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    Y = np.eye(K)[y]
    loss = -np.mean(np.log(np.sum(P * Y, axis=1)))
    dP = -Y / P / N
    dZ = P * (dP - np.sum(dP * P, axis=1, keepdims=True))
    return loss, X.T @ dZ, dZ.sum(axis=0)


def regression_global_max(W, b, X, y):
    N = X.shape[0]
    scores = X.dot(W) + b
    scores -= np.max(scores)  # CS231n's hint, applied to the whole batch at once
    exp_scores = np.exp(scores)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    loss = -np.mean(np.log(probs[range(N), y]))
    probs[range(N), y] -= 1
    return loss, X.T.dot(probs) / N, np.sum(probs, axis=0) / N


def regression_naive_loops(W, b, X, y):
    num_train, num_classes = X.shape[0], W.shape[1]
    loss, dW, db = 0.0, np.zeros_like(W), np.zeros_like(b)
    for i in range(num_train):
        scores = X[i].dot(W) + b
        exp_scores = np.exp(scores)
        probs = exp_scores / np.sum(exp_scores)
        loss += -np.log(probs[y[i]])
        for j in range(num_classes):
            dW[:, j] += (probs[j] - (j == y[i])) * X[i]
            db[j] += probs[j] - (j == y[i])
    return loss / num_train, dW / num_train, db / num_train


def regression_math_log_loops(W, b, X, y):
    num_train, num_classes = X.shape[0], W.shape[1]
    loss, dW, db = 0.0, np.zeros_like(W), np.zeros_like(b)
    for i in range(num_train):
        scores = X[i].dot(W) + b
        scores -= np.max(scores)
        probs = np.exp(scores) / np.sum(np.exp(scores))
        loss -= math.log(probs[y[i]])
        probs[y[i]] -= 1
        dW += np.outer(X[i], probs)
        db += probs
    return loss / num_train, dW / num_train, db / num_train


def regression_cs231n_reg(W, b, X, y, reg=1e-3):
    num_train = X.shape[0]
    scores = X.dot(W) + b
    scores -= scores.max(axis=1, keepdims=True)
    log_probs = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(num_train), y].mean() + reg * np.sum(W * W)  # the assignment's reg, left in
    dscores = np.exp(log_probs)
    dscores[np.arange(num_train), y] -= 1
    dscores /= num_train
    return loss, X.T.dot(dscores) + 2 * reg * W, dscores.sum(axis=0)


def regression_np_matrix(W, b, X, y):
    Xm, Wm = np.matrix(X), np.matrix(W)
    N = Xm.shape[0]
    S = Xm * Wm + b
    S = S - S.max(axis=1)
    logp = S - np.log(np.exp(S).sum(axis=1))
    loss = -np.mean([logp[i, y[i]] for i in range(N)])
    P = np.exp(logp)
    P[np.arange(N), y] -= 1
    P = P / N
    return float(loss), Xm.T * P, P.sum(axis=0)  # db: a (1, K) matrix


ENTRIES += [
    wrong(A, "cross_entropy", "no max subtraction (CS231n loop)", ce_naive_loop, "not-finite", "overflows",
          "each row's maximum", mistake="no-max-subtraction"),
    wrong(A, "cross_entropy", "the maximum of the whole batch", ce_global_max, "not-finite", "whole array",
          "each row's own maximum", mistake="whole-array-maximum"),
    wrong(A, "cross_entropy", "backward through the Jacobian, dividing by p", ce_through_jacobian, "not-finite",
          "divides by that probability", "(p - onehot(y)) / N", mistake="division-by-underflowed-probability"),
    wrong(A, "cross_entropy", "math.log in a loop", ce_math_log, "raised-error", "math domain error",
          "rounded to exactly 0", "log-softmax", mistake="math-domain-error"),
    wrong(A, "cross_entropy", "gradient commented out", ce_gradient_commented_out, "wrong-value", "`dscores`",
          "all zeros", "commented out"),
    correct(A, "cross_entropy", "np.matrix (old CS231n code)", ce_np_matrix),
    wrong(A, "softmax_regression_loss", "stable softmax, log of an underflowed probability", regression_log_of_p,
          "not-finite", "you subtract each row's maximum", "rounds to exactly 0", "log-softmax",
          mistake="log-of-underflowed-probability"),
    wrong(A, "softmax_regression_loss", "backward through the Jacobian, dividing by p", regression_through_jacobian,
          "not-finite", "divides by that probability", mistake="division-by-underflowed-probability"),
    wrong(A, "softmax_regression_loss", "the maximum of the whole batch (CS231n style)", regression_global_max,
          "not-finite", "not the maximum of the whole array", mistake="whole-array-maximum"),
    wrong(A, "softmax_regression_loss", "no max subtraction (CS231n loops)", regression_naive_loops, "not-finite",
          "overflows", "each row's maximum", mistake="no-max-subtraction"),
    wrong(A, "softmax_regression_loss", "math.log in loops, max subtracted", regression_math_log_loops,
          "raised-error", "math domain error", "log-softmax", mistake="math-domain-error"),
    wrong(A, "softmax_regression_loss", "reg * sum(W * W) left in (CS231n style)", regression_cs231n_reg,
          "wrong-value", "regularisation", "λ = 0", mistake="regularisation-added"),
    wrong(A, "softmax_regression_loss", "np.matrix, db a (1, K) matrix", regression_np_matrix, "wrong-shape", "`db`",
          "(1,"),
]


def ce_onehot_log(scores, y):
    N, K = scores.shape
    Y = np.eye(K)[y]
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    P = e / e.sum(axis=1, keepdims=True)
    loss = -np.sum(Y * np.log(P)) / N  # log(0) = -inf where a probability underflows, times 0: NaN
    return loss, (P - Y) / N


def regression_loops_log_of_p(W, b, X, y):
    num_train = X.shape[0]
    loss, dW, db = 0.0, np.zeros_like(W), np.zeros_like(b)
    for i in range(num_train):
        f = X[i].dot(W) + b
        f -= np.max(f)  # the numeric-stability trick, per example
        p = np.exp(f) / np.sum(np.exp(f))
        loss += -np.log(p[y[i]])
        p[y[i]] -= 1
        dW += np.outer(X[i], p)
        db += p
    return loss / num_train, dW / num_train, db / num_train


ENTRIES += [
    wrong(A, "cross_entropy", "one-hot times np.log(P), max subtracted", ce_onehot_log, "not-finite", "is nan",
          "rounds to exactly 0", "log-softmax", mistake="log-of-underflowed-probability"),
    wrong(A, "softmax_regression_loss", "CS231n loops, max subtracted, np.log(p[y])", regression_loops_log_of_p,
          "not-finite", "is inf", "you subtract each row's maximum", "log-softmax",
          mistake="log-of-underflowed-probability"),
]


# ----------------------------------------------------------------------------- whole notebooks, graded end to end
#
# Synthetic students for 04-softmax: typical mistakes and the generic misbehaviours.
#
# Items (test cells): softmax-test 2, jacobian-test 2, ce-test 3, regression-test 3, hinge-test 3,
# digits-test 3. The Jacobian is built on the student's softmax and the regression gradient on the
# student's cross-entropy, so a mistake there fails those items too, as it would in a real notebook.

_NAIVE_SOFTMAX = '''
def softmax(Z):
    e = np.exp(Z)  # no max-subtraction: exp(1000) is inf
    return e / np.sum(e, axis=-1, keepdims=True)
'''

_MUTATING_SOFTMAX = '''
def softmax(Z):
    Z -= np.max(Z, axis=-1, keepdims=True)  # in place: changes the caller's array
    e = np.exp(Z)
    return e / np.sum(e, axis=-1, keepdims=True)
'''

_ALIASED_SOFTMAX = '''
def softmax(Z):
    return saved_softmax(Z)
'''

_JACOBIAN_DIAGONAL = '''
def softmax_jacobian(z):
    p = softmax(z)
    return p * (1.0 - p)  # only the diagonal of the Jacobian
'''

_CE_SUM = '''
def cross_entropy(scores, y):
    n = scores.shape[0]
    rows = np.arange(n)
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    log_p = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    dscores = np.exp(log_p)
    dscores[rows, y] -= 1.0
    return float(-np.sum(log_p[rows, y])), dscores  # sums: the mean over the batch is missing
'''

_REGRESSION_TRANSPOSED = '''
def softmax_regression_loss(W, b, X, y):
    loss, dscores = cross_entropy(X @ W + b, y)
    return loss, dscores.T @ X, np.sum(dscores, axis=0)  # (K, d) instead of (d, K)
'''

_REGRESSION_NO_BIAS = '''
def softmax_regression_loss(W, b, X, y):
    loss, dscores = cross_entropy(X @ W + b, y)
    return loss, X.T @ dscores, np.zeros_like(b)  # db forgotten
'''

_HINGE_WITH_TRUE_CLASS = '''
def multiclass_hinge(scores, y):
    n = scores.shape[0]
    rows = np.arange(n)
    margins = np.maximum(0.0, scores - scores[rows, y][:, None] + 1.0)  # j = y_i left in the sum
    active = (margins > 0).astype(np.float64)
    active[rows, y] = 0.0
    active[rows, y] = -np.sum(active, axis=1)
    return float(np.sum(margins) / n), active / n
'''

SUBMISSIONS = [
    Submission("correct"),
    Submission("not_finite", answers={"softmax-answer": _NAIVE_SOFTMAX},
               expected={'softmax-test': 0.0},
               diagnoses={'softmax-test': 'not-finite'}),
    # the Jacobian calls softmax: the reference's serves it there (error carried forward), so only softmax's
    # item is lost
    Submission("mutates_input", answers={"softmax-answer": _MUTATING_SOFTMAX},
               expected={'softmax-test': 0.0},
               diagnoses={'softmax-test': 'mutates-input'}),
    Submission("wrong_shape", answers={"jacobian-answer": _JACOBIAN_DIAGONAL},
               expected={'jacobian-test': 0.0}, diagnoses={'jacobian-test': 'wrong-shape'}),
    Submission("forgot_mean", answers={"ce-answer": _CE_SUM},
               expected={'ce-test': 0.0},
               diagnoses={'ce-test': 'forgot-mean'}),
    Submission("transposed", answers={"regression-answer": _REGRESSION_TRANSPOSED},
               expected={'regression-test': 0.0},
               diagnoses={'regression-test': 'transposed'}),
    Submission("missing_bias", answers={"regression-answer": _REGRESSION_NO_BIAS},
               expected={'regression-test': 0.0},
               diagnoses={'regression-test': 'missing-bias-grad'}),
    Submission("hinge_counts_true_class", answers={"hinge-answer": _HINGE_WITH_TRUE_CLASS},
               expected={'hinge-test': 0.0}, diagnoses={'hinge-test': 'wrong-value'}),
    Submission("uses_reference_import", answers={"hinge-answer": "from dlfoundations.losses import multiclass_hinge"},
               expected={'hinge-test': 0.0}, diagnoses={'hinge-test': 'missing'}),
    Submission("uses_reference_alias", answers={"softmax-answer": _ALIASED_SOFTMAX},
               prepend="import dlfoundations.losses as course_losses\nsaved_softmax = course_losses.softmax",
               expected={'softmax-test': 0.0},
               diagnoses={'softmax-test': 'raised-error'}),
    Submission("deleted_test", delete_cells=("hinge-test",)),
]
