"""dlfoundations: the reference implementation of the Deep Learning Foundations course.

Import the module you need, for example ``from dlfoundations import losses``:

    types        the types the modules share: Params, LearningRate, LossFn, Optimiser, ...
    activations  relu, sigmoid, tanh and their derivatives, and the table of them by name
    losses       perceptron, logistic, binary/multiclass cross-entropy, MSE, hinge; softmax
    layers       affine and activation layers as forward/backward pairs
    mlp          a multilayer perceptron of any depth, built on the layers: init, forward,
                 backward, loss, predict
    gradients    check every parameter's gradient of a model against centred differences
    optim        SGD, momentum, Adagrad, RMSProp, Adam as pure init/update optimisers,
                 each with a NamedTuple state (SGDState, MomentumState, ...)
    schedules    learning-rate schedules
    linear       the perceptron (binary, multiclass), logistic and softmax regression
    training     a small training loop that records a history: fit(params, loss_fn,
                 optimiser, (X, y), LoopSettings(epochs, batch_size, seed))
    regression   least squares, ridge and gradient descent for linear regression
    regularisation  dropout, the L2 penalty, early stopping

The student kit, ``dlfoundations.kit``, holds what answers may use (data sets,
plotting, the numerical gradient checker, 2-D test surfaces, the visible tests'
helpers) and the input validation the whole library shares (``kit.validation``); it
imports nothing from the reference.

Conventions: rows are examples (``X`` is ``(N, d)``), losses take scores and
return ``(mean loss, dscores)``, layers are ``forward -> (out, cache)`` /
``backward(dout, cache)`` pairs, optimisers are pure ``init``/``update``.
"""

__version__ = "0.1.0"
