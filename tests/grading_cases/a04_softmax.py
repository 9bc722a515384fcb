"""Synthetic students for 04-softmax: typical mistakes and the generic misbehaviours.

Items (test cells): softmax-test 2, jacobian-test 2, ce-test 3, regression-test 3, hinge-test 3,
digits-test 3. The Jacobian is built on the student's softmax and the regression gradient on the
student's cross-entropy, so a mistake there fails those items too, as it would in a real notebook.
"""

from grading_cases import Submission

ASSIGNMENT = "04-softmax"

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
    # the Jacobian calls softmax: the reference's serves it there (error carried forward), so only softmax's item is lost
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
