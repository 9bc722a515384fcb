"""Corpus for 01-perceptron: the perceptron loss, one step, training, the mistake bound, full batch, multiclass."""

from __future__ import annotations


import numpy as np

from corpus import Submission, correct, function_from, wrong

A = "01-perceptron"


# ----------------------------------------------------------------------------- perceptron_loss

def loss_vectorised(z, y):
    margins = y * z
    loss = np.mean(np.maximum(0.0, -margins))
    dz = np.where(margins <= 0, -y, 0.0) / len(z)
    return float(loss), dz


def loss_loop(z, y):
    n = len(z)
    total, dz = 0.0, np.zeros(n)
    for i in range(n):
        if y[i] * z[i] <= 0:
            total += -y[i] * z[i]
            dz[i] = -y[i] / n
    return total / n, dz


def loss_mask(z, y):
    z = np.asarray(z, dtype=np.float64)
    mistakes = (y * z) <= 0
    return np.sum(-y[mistakes] * z[mistakes]) / z.size, -y * mistakes / z.size


def loss_sum(z, y):
    margins = y * z
    return float(np.sum(np.maximum(0, -margins))), np.where(margins <= 0, -y, 0.0)


def loss_grad_not_mean(z, y):
    margins = y * z
    return float(np.mean(np.maximum(0, -margins))), np.where(margins <= 0, -y, 0.0)


def loss_strict(z, y):
    margins = y * z
    return float(np.mean(np.maximum(0, -margins))), np.where(margins < 0, -y, 0.0) / len(z)


def loss_grad_sign(z, y):
    margins = y * z
    return float(np.mean(np.maximum(0, -margins))), np.where(margins <= 0, y, 0.0) / len(z)


def loss_wrong_max(z, y):
    margins = y * z
    return float(np.mean(np.maximum(0, margins))), np.where(margins >= 0, y, 0.0) / len(z)


def loss_grad_twice_mean(z, y):
    n = len(z)
    margins = y * z
    return float(np.mean(np.maximum(0, -margins))), np.where(margins <= 0, -y / n, 0.0) / n


def loss_grad_everywhere(z, y):
    margins = y * z
    return float(np.mean(np.maximum(0, -margins))), -y / len(z)


def loss_column(z, y):
    margins = y * z
    dz = np.where(margins <= 0, -y, 0.0) / len(z)
    return float(np.mean(np.maximum(0, -margins))), dz.reshape(-1, 1)


# ----------------------------------------------------------------------------- perceptron_step

def step_good(w, b, x, y, lr=1.0):
    if y * (w @ x + b) <= 0:
        return w + lr * y * x, b + lr * y, True
    return w, b, False


def step_copy_loop(w, b, x, y, lr=1.0):
    score = b
    for j in range(len(w)):
        score += w[j] * x[j]
    new_w = w.copy()
    if y * score > 0:
        return new_w, b, 0
    for j in range(len(w)):
        new_w[j] += lr * y * x[j]
    return new_w, float(b + lr * y), 1


def step_strict(w, b, x, y, lr=1.0):
    if y * (w @ x + b) < 0:
        return w + lr * y * x, b + lr * y, True
    return w, b, False


def step_in_place(w, b, x, y, lr=1.0):
    if y * (np.dot(w, x) + b) <= 0:
        w += lr * y * x
        b += lr * y
        return w, b, True
    return w, b, False


def step_sign(w, b, x, y, lr=1.0):
    if y * (w @ x + b) <= 0:
        return w - lr * y * x, b - lr * y, True
    return w, b, False


def step_no_lr(w, b, x, y, lr=1.0):
    if y * (w @ x + b) <= 0:
        return w + y * x, b + y, True
    return w, b, False


def step_no_bias(w, b, x, y, lr=1.0):
    if y * (w @ x + b) <= 0:
        return w + lr * y * x, b, True
    return w, b, False


def step_reversed_test(w, b, x, y, lr=1.0):
    if y * (w @ x + b) > 0:
        return w + lr * y * x, b + lr * y, True
    return w, b, False


# ----------------------------------------------------------------------------- train_perceptron

_TRAIN = '''
def train_perceptron(X, y, epochs, lr=1.0):
    w, b = np.zeros(X.shape[1]), 0.0
    mistakes_per_epoch = []
    for _ in range(epochs):
        count = 0
        for i in range(len(y)):
            w, b, mistake = perceptron_step(w, b, X[i], y[i], lr)
            count += int(mistake)
        mistakes_per_epoch.append(count)
        if count == 0:
            break
    return w, b, mistakes_per_epoch
'''

_TRAIN_INLINE = '''
def train_perceptron(X, y, epochs, lr=1.0):
    n, d = X.shape
    w = np.zeros(d)
    b = 0.0
    history = []
    for epoch in range(epochs):
        errors = 0
        for xi, yi in zip(X, y):
            if yi * (xi @ w + b) <= 0:
                w = w + lr * yi * xi
                b = b + lr * yi
                errors += 1
        history.append(errors)
        if errors == 0:
            break
    return w, b, history
'''

_TRAIN_NO_STOP = '''
def train_perceptron(X, y, epochs, lr=1.0):
    w, b = np.zeros(X.shape[1]), 0.0
    mistakes_per_epoch = []
    for _ in range(epochs):
        count = 0
        for i in range(len(y)):
            w, b, mistake = perceptron_step(w, b, X[i], y[i], lr)
            count += int(mistake)
        mistakes_per_epoch.append(count)
    return w, b, mistakes_per_epoch
'''

_TRAIN_STRICT = _TRAIN_INLINE.replace("yi * (xi @ w + b) <= 0", "yi * (xi @ w + b) < 0")

_TRAIN_DEFERRED = '''
def train_perceptron(X, y, epochs, lr=1.0):
    w, b = np.zeros(X.shape[1]), 0.0
    history = []
    for _ in range(epochs):
        wrong = y * (X @ w + b) <= 0
        history.append(int(wrong.sum()))
        if not wrong.any():
            break
        for i in np.flatnonzero(wrong):
            w = w + lr * y[i] * X[i]
            b = b + lr * y[i]
    return w, b, history
'''

_TRAIN_REVERSED = '''
def train_perceptron(X, y, epochs, lr=1.0):
    w, b = np.zeros(X.shape[1]), 0.0
    history = []
    for _ in range(epochs):
        count = 0
        for i in reversed(range(len(y))):
            w, b, mistake = perceptron_step(w, b, X[i], y[i], lr)
            count += mistake
        history.append(count)
        if count == 0:
            break
    return w, b, history
'''

_TRAIN_CUMULATIVE = '''
def train_perceptron(X, y, epochs, lr=1.0):
    w, b = np.zeros(X.shape[1]), 0.0
    history, total = [], 0
    for _ in range(epochs):
        before = total
        for i in range(len(y)):
            w, b, mistake = perceptron_step(w, b, X[i], y[i], lr)
            total += int(mistake)
        history.append(total)
        if total == before:
            break
    return w, b, history
'''

# ----------------------------------------------------------------------------- mistake_bound

def bound_good(X, y, w_star):
    R = np.max(np.linalg.norm(X, axis=1))
    gamma = np.min(y * (X @ w_star)) / np.linalg.norm(w_star)
    return R, gamma, (R / gamma) ** 2


def bound_loop(X, y, w_star):
    norm = np.sqrt(np.sum(w_star ** 2))
    R, gamma = 0.0, np.inf
    for xi, yi in zip(X, y, strict=True):
        R = max(R, float(np.sqrt(xi @ xi)))
        gamma = min(gamma, float(yi * (xi @ w_star) / norm))
    return R, gamma, (R / gamma) ** 2


def bound_abs(X, y, w_star):
    unit = w_star / np.linalg.norm(w_star)
    R = np.linalg.norm(X, axis=1).max()
    gamma = np.abs(X @ unit).min()  # w* separates the data, so |w* . x| = y (w* . x)
    return R, gamma, (R / gamma) ** 2


def bound_unnormalised(X, y, w_star):
    R = np.max(np.linalg.norm(X, axis=1))
    gamma = np.min(y * (X @ w_star))
    return R, gamma, (R / gamma) ** 2


def bound_squared_R(X, y, w_star):
    R = np.max(np.sum(X ** 2, axis=1))
    gamma = np.min(y * (X @ w_star)) / np.linalg.norm(w_star)
    return R, gamma, (R / gamma) ** 2


def bound_mean_R(X, y, w_star):
    R = np.mean(np.linalg.norm(X, axis=1))
    gamma = np.min(y * (X @ w_star)) / np.linalg.norm(w_star)
    return R, gamma, (R / gamma) ** 2


def bound_not_squared(X, y, w_star):
    R = np.max(np.linalg.norm(X, axis=1))
    gamma = np.min(y * (X @ w_star)) / np.linalg.norm(w_star)
    return R, gamma, R / gamma


def bound_norm_squared(X, y, w_star):
    R = np.max(np.linalg.norm(X, axis=1))
    gamma = np.min(y * (X @ w_star)) / (w_star @ w_star)
    return R, gamma, (R / gamma) ** 2


# ----------------------------------------------------------------------------- full_batch_gradient

_FULL = '''
def full_batch_gradient(X, y, w, b):
    _, dz = perceptron_loss(X @ w + b, y)
    return X.T @ dz, np.sum(dz)
'''


def full_loop(X, y, w, b):
    n, d = X.shape
    dw, db = np.zeros(d), 0.0
    for i in range(n):
        if y[i] * (X[i] @ w + b) <= 0:
            dw -= y[i] * X[i] / n
            db -= y[i] / n
    return dw, db


def full_no_bias(X, y, w, b):
    _, dz = loss_vectorised(X @ w + b, y)
    return X.T @ dz, 0.0


def full_column(X, y, w, b):
    _, dz = loss_vectorised(X @ w + b, y)
    return X.T @ dz[:, None], float(np.sum(dz))


def full_sum(X, y, w, b):
    margins = y * (X @ w + b)
    dz = np.where(margins <= 0, -y, 0.0)
    return X.T @ dz, float(np.sum(dz))


def full_update_rule(X, y, w, b):
    mistakes = y * (X @ w + b) <= 0
    return X[mistakes].T @ y[mistakes], float(np.sum(y[mistakes]))


def full_strict(X, y, w, b):
    margins = y * (X @ w + b)
    dz = np.where(margins < 0, -y, 0.0) / len(y)
    return X.T @ dz, float(np.sum(dz))


def full_db_mean(X, y, w, b):
    _, dz = loss_vectorised(X @ w + b, y)
    return X.T @ dz, float(np.mean(dz))


# ----------------------------------------------------------------------------- multiclass_perceptron_update

def multi_good(W, b, x, y):
    scores = x @ W + b
    others = scores.copy()
    others[y] = -np.inf
    rival = int(np.argmax(others))
    if scores[rival] < scores[y]:
        return W, b, False
    new_W, new_b = W.copy(), b.copy()
    new_W[:, y] += x
    new_W[:, rival] -= x
    new_b[y] += 1.0
    new_b[rival] -= 1.0
    return new_W, new_b, True


def multi_loop(W, b, x, y):
    K = W.shape[1]
    scores = [float(x @ W[:, k] + b[k]) for k in range(K)]
    rival, best = None, -np.inf
    for k in range(K):
        if k != y and scores[k] > best:
            rival, best = k, scores[k]
    if best < scores[y]:
        return W.copy(), b.copy(), False
    new_W = W.copy()
    new_b = b.copy()
    new_W[:, y] = new_W[:, y] + x
    new_W[:, rival] = new_W[:, rival] - x
    new_b[y] += 1
    new_b[rival] -= 1
    return new_W, new_b, True


def multi_argmax_all(W, b, x, y):
    scores = x @ W + b
    rival = int(np.argmax(scores))
    if rival == y:
        return W, b, False
    new_W, new_b = W.copy(), b.copy()
    new_W[:, y] += x
    new_W[:, rival] -= x
    new_b[y] += 1
    new_b[rival] -= 1
    return new_W, new_b, True


def multi_strict(W, b, x, y):
    scores = x @ W + b
    others = scores.copy()
    others[y] = -np.inf
    rival = int(np.argmax(others))
    if scores[rival] <= scores[y]:
        return W, b, False
    new_W, new_b = W.copy(), b.copy()
    new_W[:, y] += x
    new_W[:, rival] -= x
    new_b[y] += 1
    new_b[rival] -= 1
    return new_W, new_b, True


def multi_no_rival(W, b, x, y):
    scores = x @ W + b
    others = scores.copy()
    others[y] = -np.inf
    if np.max(others) < scores[y]:
        return W, b, False
    new_W, new_b = W.copy(), b.copy()
    new_W[:, y] += x
    new_b[y] += 1
    return new_W, new_b, True


def multi_sign(W, b, x, y):
    scores = x @ W + b
    others = scores.copy()
    others[y] = -np.inf
    rival = int(np.argmax(others))
    if scores[rival] < scores[y]:
        return W, b, False
    new_W, new_b = W.copy(), b.copy()
    new_W[:, y] -= x
    new_W[:, rival] += x
    new_b[y] -= 1
    new_b[rival] += 1
    return new_W, new_b, True


def multi_in_place(W, b, x, y):
    scores = x @ W + b
    others = scores.copy()
    others[y] = -np.inf
    rival = int(np.argmax(others))
    if scores[rival] < scores[y]:
        return W, b, False
    W[:, y] += x
    W[:, rival] -= x
    b[y] += 1
    b[rival] -= 1
    return W, b, True


def multi_no_bias(W, b, x, y):
    scores = x @ W + b
    others = scores.copy()
    others[y] = -np.inf
    rival = int(np.argmax(others))
    if scores[rival] < scores[y]:
        return W, b, False
    new_W = W.copy()
    new_W[:, y] += x
    new_W[:, rival] -= x
    return new_W, b, True


def multi_rows(W, b, x, y):
    Wt = W.T.copy()  # one row per class is easier to index
    scores = Wt @ x + b
    others = scores.copy()
    others[y] = -np.inf
    rival = int(np.argmax(others))
    if scores[rival] < scores[y]:
        return W, b, False
    Wt[y] += x
    Wt[rival] -= x
    new_b = b.copy()
    new_b[y] += 1
    new_b[rival] -= 1
    return Wt, new_b, True


ENTRIES = [
    correct(A, "perceptron_loss", "vectorised", loss_vectorised),
    correct(A, "perceptron_loss", "loop", loss_loop),
    correct(A, "perceptron_loss", "boolean mask", loss_mask),
    wrong(A, "perceptron_loss", "sum instead of mean", loss_sum, "forgot-mean", "divide by N"),
    wrong(A, "perceptron_loss", "gradient without 1/N", loss_grad_not_mean, "forgot-mean", "`dz`", "batch size"),
    wrong(A, "perceptron_loss", "score 0 counted as correct", loss_strict, "wrong-value", "exactly 0",
          "mistake", "<= 0", mistake="zero-score-correct"),
    wrong(A, "perceptron_loss", "subgradient sign", loss_grad_sign, "sign-flipped", "`dz`", "opposite sign",
          mistake="subgradient-sign"),
    wrong(A, "perceptron_loss", "max(0, y z)", loss_wrong_max, "sign-flipped", "max(0, -y z)", mistake="max-of-yz"),
    wrong(A, "perceptron_loss", "gradient divided by N twice", loss_grad_twice_mean, "extra-mean", "`dz`",
          "too small"),
    wrong(A, "perceptron_loss", "gradient on every example", loss_grad_everywhere, "wrong-value", "`dz`",
          "correctly classified", mistake="gradient-on-correct-examples"),
    wrong(A, "perceptron_loss", "dz a column", loss_column, "wrong-shape", "`dz`", "shape"),

    correct(A, "perceptron_step", "textbook", step_good),
    correct(A, "perceptron_step", "loop on a copy, 0/1 flag", step_copy_loop),
    wrong(A, "perceptron_step", "score 0 counted as correct", step_strict, "wrong-value", "exactly 0",
          "did not update", mistake="zero-score-correct"),
    wrong(A, "perceptron_step", "w updated in place", step_in_place, "mutates-input", "`w`", "in place",
          "w + lr * y * x"),
    wrong(A, "perceptron_step", "update sign", step_sign, "sign-flipped", "wrong way", "w + lr * y * x",
          mistake="update-sign"),
    wrong(A, "perceptron_step", "learning rate ignored", step_no_lr, "factor", "learning rate",
          mistake="learning-rate-ignored"),
    wrong(A, "perceptron_step", "bias not updated", step_no_bias, "missing-bias-grad", "b <- b + lr * y",
          mistake="bias-not-updated"),
    wrong(A, "perceptron_step", "test reversed", step_reversed_test, "wrong-value", "y (w . x + b) <= 0",
          mistake="test-reversed"),

    correct(A, "train_perceptron", "with own step", function_from(_TRAIN, perceptron_step=step_good),
            helpers={"perceptron_step": step_good}, expensive=True),
    correct(A, "train_perceptron", "inline loop", function_from(_TRAIN_INLINE), expensive=True),
    # the notebook's own perceptron_step is wrong (step_sign): while the trainer is graded the grader serves the
    # reference's step in its place, so the trainer passes on its own merit, with no note (grade_function knows
    # no earlier verdict); were step_sign used, the trajectory would differ and it would fail
    correct(A, "train_perceptron", "right loop, own step wrong (the reference's step is served)",
            function_from(_TRAIN, perceptron_step=step_sign), helpers={"perceptron_step": step_sign}, expensive=True),
    wrong(A, "train_perceptron", "no early stop",
          function_from(_TRAIN_NO_STOP, perceptron_step=step_good), "wrong-shape",
          "stop as soon as", helpers={"perceptron_step": step_good}, expensive=True, mistake="no-early-stop"),
    wrong(A, "train_perceptron", "score 0 counted as correct",
          function_from(_TRAIN_STRICT), "wrong-value", "never left 0",
          "exactly 0", expensive=True, mistake="zero-score-correct"),
    wrong(A, "train_perceptron", "updates deferred to the end of the epoch",
          function_from(_TRAIN_DEFERRED), "wrong-value",
          "right away", expensive=True, mistake="deferred-updates"),
    wrong(A, "train_perceptron", "rows visited backwards", function_from(_TRAIN_REVERSED, perceptron_step=step_good),
          "wrong-value", "in order", helpers={"perceptron_step": step_good}, expensive=True, mistake="rows-backwards"),
    wrong(A, "train_perceptron", "cumulative mistake count",
          function_from(_TRAIN_CUMULATIVE, perceptron_step=step_good),
          "wrong-value", "`mistakes_per_epoch`", "adds up", helpers={"perceptron_step": step_good}, expensive=True,
          mistake="cumulative-count"),

    correct(A, "mistake_bound", "vectorised", bound_good),
    correct(A, "mistake_bound", "loop", bound_loop),
    correct(A, "mistake_bound", "unit vector and |w . x|", bound_abs),
    wrong(A, "mistake_bound", "margin not divided by the norm", bound_unnormalised, "factor", "divide by ||w*||",
          mistake="margin-not-normalised"),
    wrong(A, "mistake_bound", "R squared", bound_squared_R, "wrong-value", "squared", "`R`", mistake="r-squared"),
    wrong(A, "mistake_bound", "R the mean norm", bound_mean_R, "wrong-value", "the mean", "largest",
          mistake="r-mean-norm"),
    wrong(A, "mistake_bound", "bound not squared", bound_not_squared, "wrong-value", "(R / gamma) ** 2",
          mistake="bound-not-squared"),
    wrong(A, "mistake_bound", "divided by the squared norm", bound_norm_squared, "factor", "||w*||²",
          mistake="margin-over-squared-norm"),

    correct(A, "full_batch_gradient", "through own perceptron_loss",
            function_from(_FULL, perceptron_loss=loss_vectorised),
            helpers={"perceptron_loss": loss_vectorised}),
    correct(A, "full_batch_gradient", "loop", full_loop),
    # the notebook's perceptron_loss sums (loss_sum): the reference's loss is served in its place (see above)
    correct(A, "full_batch_gradient", "right chain rule, own loss without the mean (the reference's loss is served)",
            function_from(_FULL, perceptron_loss=loss_sum), helpers={"perceptron_loss": loss_sum}),
    wrong(A, "full_batch_gradient", "bias gradient missing", full_no_bias, "missing-bias-grad", "`db`", "bias"),
    wrong(A, "full_batch_gradient", "dw a column", full_column, "wrong-shape", "`dw`", "(N,)", mistake="dw-column"),
    wrong(A, "full_batch_gradient", "sum instead of mean", full_sum, "forgot-mean", "`dw`", "divide by N"),
    wrong(A, "full_batch_gradient", "the update rule instead of the gradient", full_update_rule, "sign-flipped",
          "update", "divided by N", mistake="update-rule"),
    wrong(A, "full_batch_gradient", "score 0 counted as correct", full_strict, "wrong-value", "exactly 0",
          mistake="zero-score-correct"),
    wrong(A, "full_batch_gradient", "db a mean", full_db_mean, "extra-mean", "`db`"),

    correct(A, "multiclass_perceptron_update", "textbook", multi_good),
    correct(A, "multiclass_perceptron_update", "loops over the classes", multi_loop),
    wrong(A, "multiclass_perceptron_update", "argmax over all classes misses ties", multi_argmax_all,
          "wrong-value", "tie", "other classes only", mistake="tie-counted-correct"),
    wrong(A, "multiclass_perceptron_update", "tie counted as correct", multi_strict, "wrong-value", "tie",
          "mistake", mistake="tie-counted-correct"),
    wrong(A, "multiclass_perceptron_update", "rival not pushed down", multi_no_rival, "wrong-value",
          "pushed down", mistake="rival-not-pushed-down"),
    wrong(A, "multiclass_perceptron_update", "update sign", multi_sign, "sign-flipped", "wrong way",
          mistake="update-sign"),
    wrong(A, "multiclass_perceptron_update", "W changed in place", multi_in_place, "mutates-input", "W.copy()",
          "in place"),
    wrong(A, "multiclass_perceptron_update", "rows per class, not transposed back", multi_rows, "transposed",
          "`new_W`", "transposed"),
    wrong(A, "multiclass_perceptron_update", "bias not updated", multi_no_bias, "missing-bias-grad", "b_y += 1",
          mistake="bias-not-updated"),
]


# ----------------------------------------------------------------------------- more mistakes, one per known mistake


def step_always_updates(w, b, x, y, lr=1.0):
    # the test was left out: every example moves the weights
    new_w = w + lr * y * x
    new_b = b + lr * y
    return new_w, new_b, True


def bound_R_sum(X, y, w_star):
    R = 0.0
    for row in X:
        R += np.sqrt(np.sum(row ** 2))  # meant the largest norm
    gamma = np.min(y * (X @ w_star)) / np.linalg.norm(w_star)
    return R, gamma, (R / gamma) ** 2


def bound_R_min(X, y, w_star):
    R = np.min(np.linalg.norm(X, axis=1))
    gamma = np.min(y * (X @ w_star)) / np.linalg.norm(w_star)
    return R, gamma, (R / gamma) ** 2


def bound_R_max_entry(X, y, w_star):
    R = np.max(np.abs(X))  # the largest coordinate, not the largest norm
    gamma = np.min(y * (X @ w_star)) / np.linalg.norm(w_star)
    return R, gamma, (R / gamma) ** 2


def multi_always_updates(W, b, x, y):
    scores = x @ W + b
    others = scores.copy()
    others[y] = -np.inf
    y_hat = int(np.argmax(others))
    new_W, new_b = W.copy(), b.copy()
    new_W[:, y] += x  # no test: an update even when y wins
    new_W[:, y_hat] -= x
    new_b[y] += 1
    new_b[y_hat] -= 1
    return new_W, new_b, True


ENTRIES += [
    wrong(A, "perceptron_step", "always updates", step_always_updates, "wrong-value", "classified correctly",
          "only updates on a mistake", mistake="update-when-correct"),
    wrong(A, "mistake_bound", "R the sum of the norms (loop)", bound_R_sum, "wrong-value", "the sum", "largest",
          mistake="r-sum-of-norms"),
    wrong(A, "mistake_bound", "R the smallest norm", bound_R_min, "wrong-value", "the smallest", "largest",
          mistake="r-smallest-norm"),
    wrong(A, "mistake_bound", "R the largest entry of X", bound_R_max_entry, "wrong-value", "largest entry",
          "np.linalg.norm(X, axis=1)", mistake="r-largest-entry"),
    wrong(A, "multiclass_perceptron_update", "always updates", multi_always_updates, "wrong-value",
          "only updates on a mistake", mistake="update-when-correct"),
]


# ----------------------------------------------------------------------------- whole notebooks, graded end to end
#
# Synthetic students for 01-perceptron: the correct solution, the typical perceptron mistakes, and misbehaviour.
#
# Later items call earlier functions by name (training calls the step, the
# full-batch gradient the loss); while a later item is graded those names answer
# with the reference's values (error carried forward by proxy), so a wrong or
# missing earlier function costs its own item only.

ALL_ITEMS = ("perceptron_loss-test", "perceptron_step-test", "train_perceptron-test", "mistake_bound-test",
             "full_batch_gradient-test", "multiclass_update-test")

_SUM_NOT_MEAN = '''
def perceptron_loss(z, y):
    margins = y * z
    loss = np.sum(np.maximum(0.0, -margins))  # a sum, not a mean
    dz = np.where(margins <= 0, -y, 0.0)
    return float(loss), dz
'''

_FLIPPED_SUBGRADIENT = '''
def perceptron_loss(z, y):
    margins = y * z
    loss = np.mean(np.maximum(0.0, -margins))
    dz = np.where(margins <= 0, y, 0.0) / len(z)  # the sign of the subgradient is lost
    return float(loss), dz
'''

_STRICT_STEP = '''
def perceptron_step(w, b, x, y, lr=1.0):
    if y * (w @ x + b) < 0:  # a point on the boundary is not treated as a mistake
        return w + lr * y * x, b + lr * y, True
    return w, b, False
'''

_IN_PLACE_STEP = '''
def perceptron_step(w, b, x, y, lr=1.0):
    if y * (w @ x + b) <= 0:
        w += lr * y * x  # overwrites the caller's array
        return w, b + lr * y, True
    return w, b, False
'''

_NO_EARLY_STOP = '''
def train_perceptron(X, y, epochs, lr=1.0):
    w, b = np.zeros(X.shape[1]), 0.0
    mistakes_per_epoch = []
    for _ in range(epochs):
        mistakes = 0
        for i in range(len(y)):
            w, b, mistake = perceptron_step(w, b, X[i], y[i], lr)
            mistakes += int(mistake)
        mistakes_per_epoch.append(mistakes)  # never stops early
    return w, b, mistakes_per_epoch
'''

_NO_BIAS_GRADIENT = '''
def full_batch_gradient(X, y, w, b):
    _, dz = perceptron_loss(X @ w + b, y)
    return X.T @ dz, 0.0  # forgot the bias
'''

_UNNORMALISED_MARGIN = '''
def mistake_bound(X, y, w_star):
    R = np.max(np.linalg.norm(X, axis=1))
    gamma = np.min(y * (X @ w_star))  # not divided by ||w_star||
    return R, gamma, (R / gamma) ** 2
'''

_ARGMAX_RULE = '''
def multiclass_perceptron_update(W, b, x, y):
    scores = x @ W + b
    if np.argmax(scores) == y:  # a tie won by y's lower index is not treated as a mistake
        return W, b, False
    others = scores.copy()
    others[y] = -np.inf
    rival = int(np.argmax(others))
    new_W, new_b = W.copy(), b.copy()
    new_W[:, y] += x
    new_W[:, rival] -= x
    new_b[y] += 1.0
    new_b[rival] -= 1.0
    return new_W, new_b, True
'''

_REFERENCE_IMPORT = '''
from dlfoundations.losses import perceptron_loss
'''

_REFERENCE_ALIAS = '''
import dlfoundations.linear

my_step = dlfoundations.linear.perceptron_step


def perceptron_step(w, b, x, y, lr=1.0):
    return my_step(w, b, x, y, lr)
'''

_CRASHING_MULTICLASS = '''
raise RuntimeError("I will do the multiclass part later")


def multiclass_perceptron_update(W, b, x, y):
    return W, b, False
'''

SUBMISSIONS = [
    Submission("correct"),
    Submission("sum_not_mean", answers={"perceptron_loss-answer": _SUM_NOT_MEAN},
               expected={'perceptron_loss-test': 0.0},
               diagnoses={'perceptron_loss-test': 'forgot-mean'}),
    Submission("sign_and_boundary",
               answers={"perceptron_loss-answer": _FLIPPED_SUBGRADIENT, "perceptron_step-answer": _STRICT_STEP},
               expected={'perceptron_loss-test': 0.0, 'perceptron_step-test': 0.0},
               diagnoses={'perceptron_loss-test': 'sign-flipped', 'perceptron_step-test': 'wrong-value'}),
    Submission("in_place_no_bias_no_stop",
               answers={"perceptron_step-answer": _IN_PLACE_STEP, "train_perceptron-answer": _NO_EARLY_STOP,
                        "full_batch_gradient-answer": _NO_BIAS_GRADIENT},
               expected={'perceptron_step-test': 0.0, 'train_perceptron-test': 0.0,
                         'full_batch_gradient-test': 0.0},
               diagnoses={'perceptron_step-test': 'mutates-input', 'train_perceptron-test': 'wrong-shape',
                          'full_batch_gradient-test': 'missing-bias-grad'}),
    Submission("margin_and_ties",
               answers={"mistake_bound-answer": _UNNORMALISED_MARGIN, "multiclass_update-answer": _ARGMAX_RULE},
               expected={'mistake_bound-test': 0.0, 'multiclass_update-test': 0.0},
               diagnoses={'mistake_bound-test': 'factor', 'multiclass_update-test': 'wrong-value'}),
    # the reference is absent: both functions are missing, and cost their own items only (the trainer and the
    # full-batch gradient call them by name, and get the grader's values while they are graded)
    Submission("uses_reference",
               answers={"perceptron_loss-answer": _REFERENCE_IMPORT, "perceptron_step-answer": _REFERENCE_ALIAS},
               expected={'perceptron_loss-test': 0.0, 'perceptron_step-test': 0.0},
               diagnoses={'perceptron_loss-test': 'missing', 'perceptron_step-test': 'missing'}),
    Submission("crash", answers={"multiclass_update-answer": _CRASHING_MULTICLASS},
               expected={'multiclass_update-test': 0.0}, diagnoses={'multiclass_update-test': 'missing'}),
    Submission("edited_test", edit_tests=("mistake_bound-test",)),
    Submission("blank", blank=True, expected=dict.fromkeys(ALL_ITEMS, 0.0),
               diagnoses=dict.fromkeys(ALL_ITEMS, "not-implemented")),
]
