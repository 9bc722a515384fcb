"""Linear classifiers: the perceptron, logistic regression and softmax regression.

A linear classifier scores an example ``x`` ``(d,)`` with ``z = w . x + b``
(binary, label ``sign(z)``) or ``z = x W + b`` with ``W`` ``(d, K)``
(multiclass, label ``argmax_k z_k``). Rows are examples, so a batch ``X``
``(N, d)`` gets scores ``X @ w + b`` ``(N,)`` or ``X @ W + b`` ``(N, K)``.

One module per model, all importable from here:

    perceptron   Rosenblatt's perceptron (binary and multiclass), the mistake bound
    logistic     logistic and softmax regression, minimising the mean losses of
                 :mod:`dlfoundations.losses` with any optimiser of :mod:`dlfoundations.optim`
    _common      the input validation they share, and prediction from ``(W, b)``
"""

from __future__ import annotations

from dlfoundations.linear._common import predict_class, predict_sign
from dlfoundations.linear.logistic import LinearFit, fit_logistic_regression, fit_softmax_regression
from dlfoundations.linear.perceptron import (
    MulticlassPerceptronResult,
    PerceptronResult,
    full_batch_perceptron,
    mistake_bound,
    multiclass_perceptron_step,
    perceptron_step,
    train_multiclass_perceptron,
    train_perceptron,
)

__all__ = [
    "MulticlassPerceptronResult", "PerceptronResult", "full_batch_perceptron", "mistake_bound",
    "multiclass_perceptron_step", "perceptron_step", "train_multiclass_perceptron", "train_perceptron",
    "LinearFit", "fit_logistic_regression", "fit_softmax_regression",
    "predict_class", "predict_sign",
]
