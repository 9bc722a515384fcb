"""dlfoundations: the reference implementation of the Deep Learning Foundations course.

Import the module you need, for example ``from dlfoundations import losses``:

    activations  relu, sigmoid, tanh and their derivatives
    losses       perceptron, logistic, binary/multiclass cross-entropy, MSE, hinge; softmax
    layers       affine and activation layers as forward/backward pairs
    mlp          a multilayer perceptron of any depth: init, forward, backward, loss, predict
    gradcheck    centred-difference numerical gradients and the relative error
    optim        SGD, momentum, Adagrad, RMSProp, Adam as pure init/update optimisers
    schedules    learning-rate schedules
    surfaces     2-D test functions for optimisers (quadratics, Rosenbrock)
    linear       the perceptron, multiclass perceptron, logistic and softmax regression
    data         generated and bundled data sets, splits, standardisation, minibatches
    training     a small training loop that records a history
    regression   least squares, ridge and gradient descent for linear regression
    regularization  dropout, the L2 penalty, early stopping
    plotting     decision boundaries, learning curves, optimiser trajectories
    grading      helpers for the nbgrader assignments' tests

Conventions: rows are examples (``X`` is ``(N, d)``), losses take scores and
return ``(mean loss, dscores)``, layers are ``forward -> (out, cache)`` /
``backward(dout, cache)`` pairs, optimisers are pure ``init``/``update``.
"""

__version__ = "0.1.0"
