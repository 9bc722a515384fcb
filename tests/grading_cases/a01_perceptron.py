"""Synthetic students for 01-perceptron: the correct solution, the typical perceptron mistakes, and misbehaviour.

Later items call earlier functions by name (training calls the step, the
full-batch gradient the loss); while a later item is graded those names answer
with the reference's values (error carried forward by proxy), so a wrong or
missing earlier function costs its own item only.
"""

from grading_cases import Submission

ASSIGNMENT = "01-perceptron"

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
               expected={'perceptron_step-test': 0.0, 'train_perceptron-test': 0.0, 'full_batch_gradient-test': 0.0},
               diagnoses={'perceptron_step-test': 'mutates-input', 'train_perceptron-test': 'wrong-shape', 'full_batch_gradient-test': 'missing-bias-grad'}),
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
    Submission("blank", blank=True, expected={'perceptron_loss-test': 0.0, 'perceptron_step-test': 0.0, 'train_perceptron-test': 0.0, 'mistake_bound-test': 0.0, 'full_batch_gradient-test': 0.0, 'multiclass_update-test': 0.0}, diagnoses={'perceptron_loss-test': 'not-implemented', 'perceptron_step-test': 'not-implemented', 'train_perceptron-test': 'not-implemented', 'mistake_bound-test': 'not-implemented', 'full_batch_gradient-test': 'not-implemented', 'multiclass_update-test': 'not-implemented'}),
]
