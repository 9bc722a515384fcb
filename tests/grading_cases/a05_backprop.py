"""Synthetic students for 05-backprop: the correct solution, the typical backprop mistakes, and misbehaviour.

A mistake in an early function costs its own item only: while a later item is
graded, the earlier functions its code calls answer with the grader's
references (error carried forward), so ``expected`` lists one item per mistake.
"""

from grading_cases import Submission

ASSIGNMENT = "05-backprop"

ALL_ITEMS = ("relu-test", "affine-test", "forward-test", "mse-test", "cross-entropy-test",
             "gradient-check-test", "train-test")

_TRANSPOSED_AFFINE = '''
def affine_forward(X, W, b):
    return X @ W + b, (X, W)


def affine_backward(dout, cache):
    X, W = cache
    return dout @ W.T, dout.T @ X, dout.sum(axis=0)  # dW the wrong way round
'''

_NO_BIAS_BACKWARD = '''
def two_layer_backward(delta2, cache):
    (X, W1), A, (H, W2) = cache
    dW2 = H.T @ delta2
    delta1 = (delta2 @ W2.T) * (A > 0)
    dW1 = X.T @ delta1
    return {"W1": dW1, "b1": np.zeros(W1.shape[1]), "W2": dW2, "b2": np.zeros(W2.shape[1])}


def two_layer_mse(params, X, Y):
    Z, cache = two_layer_forward(params, X)
    N = X.shape[0]
    return np.sum((Z - Y) ** 2) / (2 * N), two_layer_backward((Z - Y) / N, cache)
'''

_NO_MEAN_MSE = '''
def two_layer_backward(delta2, cache):
    affine1_cache, relu_cache, affine2_cache = cache
    dH, dW2, db2 = affine_backward(delta2, affine2_cache)
    delta1 = relu_backward(dH, relu_cache)
    _, dW1, db1 = affine_backward(delta1, affine1_cache)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def two_layer_mse(params, X, Y):
    Z, cache = two_layer_forward(params, X)
    diff = Z - Y
    return np.sum(diff ** 2) / 2, two_layer_backward(diff, cache)  # no 1/N anywhere
'''

_OVERWRITES_W2 = '''
def two_layer_backward(delta2, cache):
    affine1_cache, relu_cache, (H, W2) = cache
    _, dW2, db2 = affine_backward(delta2, (H, W2))
    W2 = W2 - 0.5 * dW2  # take the gradient step right away...
    delta1 = relu_backward(delta2 @ W2.T, relu_cache)  # ...so delta1 uses the wrong W2
    _, dW1, db1 = affine_backward(delta1, affine1_cache)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def two_layer_mse(params, X, Y):
    Z, cache = two_layer_forward(params, X)
    N = X.shape[0]
    return np.sum((Z - Y) ** 2) / (2 * N), two_layer_backward((Z - Y) / N, cache)
'''

_NAIVE_SOFTMAX = '''
def two_layer_cross_entropy(params, X, y):
    Z, cache = two_layer_forward(params, X)
    N = X.shape[0]
    P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)  # no max subtraction
    rows = np.arange(N)
    delta2 = P.copy()
    delta2[rows, y] -= 1.0
    return -np.mean(np.log(P[rows, y])), two_layer_backward(delta2 / N, cache)
'''

_REFERENCE_LOSS = '''
from dlfoundations.losses import cross_entropy


def two_layer_cross_entropy(params, X, y):
    Z, cache = two_layer_forward(params, X)
    loss, delta2 = cross_entropy(Z, y)
    return loss, two_layer_backward(delta2, cache)
'''

_CRASHING_CHECK = '''
raise RuntimeError("I will write the gradient check later")


def network_gradient_errors(loss_fn, params, h=1e-5):
    return {}
'''

SUBMISSIONS = [
    Submission("correct"),
    Submission("transposed", answers={"affine-answer": _TRANSPOSED_AFFINE},
               expected={'affine-test': 0.0}, diagnoses={'affine-test': 'transposed'}),
    Submission("missing_bias", answers={"mse-answer": _NO_BIAS_BACKWARD},
               expected={'mse-test': 0.0},
               diagnoses={'mse-test': 'missing-bias-grad'}),
    Submission("forgot_mean", answers={"mse-answer": _NO_MEAN_MSE},
               expected={'mse-test': 0.0}, diagnoses={'mse-test': 'forgot-mean'}),
    Submission("overwrites_w2", answers={"mse-answer": _OVERWRITES_W2},
               expected={'mse-test': 0.0},
               diagnoses={'mse-test': 'wrong-value'}),
    Submission("no_max_subtraction", answers={"cross-entropy-answer": _NAIVE_SOFTMAX},
               expected={'cross-entropy-test': 0.0}, diagnoses={'cross-entropy-test': 'not-finite'}),
    Submission("uses_reference", answers={"cross-entropy-answer": _REFERENCE_LOSS},
               expected={'cross-entropy-test': 0.0}, diagnoses={'cross-entropy-test': 'missing'}),
    Submission("crash", answers={"gradient-check-answer": _CRASHING_CHECK}, expected={'gradient-check-test': 0.0}, diagnoses={'gradient-check-test': 'missing'}),
    Submission("edited_test", edit_tests=("mse-test",)),
    Submission("blank", blank=True, expected={'relu-test': 0.0, 'affine-test': 0.0, 'forward-test': 0.0, 'mse-test': 0.0, 'cross-entropy-test': 0.0, 'gradient-check-test': 0.0, 'train-test': 0.0}, diagnoses={'relu-test': 'not-implemented', 'affine-test': 'not-implemented', 'forward-test': 'not-implemented', 'mse-test': 'not-implemented', 'cross-entropy-test': 'not-implemented', 'gradient-check-test': 'not-implemented', 'train-test': 'not-implemented'}),
]
