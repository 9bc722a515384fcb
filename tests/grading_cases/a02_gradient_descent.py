"""Synthetic students for 02-gradient-descent: the correct solution, typical mistakes, and misbehaviour.

The training item calls the loss, the step and the minibatches by name; while it
is graded those names answer with the reference's values (error carried forward
by proxy), so a mistake there costs its own item only; ``expected`` lists every
item a student loses.
"""

from grading_cases import Submission

ASSIGNMENT = "02-gradient-descent"

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
    Submission("loop", answers={"ridge-answer": _ENDLESS_RIDGE}, expected={'ridge-test': 0.0}, diagnoses={'ridge-test': 'time-limit'}),
    Submission("deleted_test", delete_cells=("numerical_gradient-test",)),
]
