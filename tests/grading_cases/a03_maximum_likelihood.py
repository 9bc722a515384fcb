"""Synthetic students for 03-maximum-likelihood: typical mistakes and the generic misbehaviours.

Items (test cells): sigmoid-test 2, bce-test 2, logistic-test 2, gradient-test 3, trainer-test 3,
cancer-test 2. Mistakes do not cascade: while a later item is graded, the earlier functions it calls
by name (the sigmoid in the losses, the gradient in the trainer) answer with the reference's values
(error carried forward by proxy), so a wrong earlier function costs its own item only.
"""

from grading_cases import Submission

ASSIGNMENT = "03-maximum-likelihood"

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
    Submission("blank", blank=True, expected={'sigmoid-test': 0.0, 'bce-test': 0.0, 'logistic-test': 0.0, 'gradient-test': 0.0, 'trainer-test': 0.0, 'cancer-test': 0.0},
               diagnoses={'sigmoid-test': 'not-implemented', 'bce-test': 'not-implemented', 'logistic-test': 'not-implemented', 'gradient-test': 'not-implemented', 'trainer-test': 'not-implemented', 'cancer-test': 'not-implemented'}),
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
               expected={'trainer-test': 0.0, 'cancer-test': 0.0}, diagnoses={'trainer-test': 'missing', 'cancer-test': 'missing'}),
    Submission("loop", answers={"logistic-answer": _LOGISTIC_LOOP}, expected={'logistic-test': 0.0}, diagnoses={'logistic-test': 'time-limit'}),
    Submission("edited_test", edit_tests=("bce-test",)),
]
