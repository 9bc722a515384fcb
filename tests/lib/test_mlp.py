"""Tests for dlfoundations.mlp: initialisation, forward pass, backprop (gradient checks), training."""

from __future__ import annotations


import numpy as np
import pytest

from dlfoundations.kit import data
from dlfoundations.gradients import check_gradients
from dlfoundations.layers import (
    affine_backward,
    affine_forward,
    relu_backward,
    relu_forward,
    sigmoid_backward,
    sigmoid_forward,
    tanh_backward,
    tanh_forward,
)
from dlfoundations.mlp import init_mlp, mlp_backward, mlp_forward, mlp_loss, mlp_predict
from dlfoundations.optim import Adam
from dlfoundations.training import LoopSettings, fit

GRAPH = {  # independent definitions of the activations, written out here
    "relu": lambda z: np.maximum(z, 0.0),
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "tanh": np.tanh,
}
SLOPE = {  # and of their derivatives g'(z), in terms of z
    "relu": lambda z: (z > 0).astype(float),
    "sigmoid": lambda z: np.exp(-z) / (1.0 + np.exp(-z)) ** 2,
    "tanh": lambda z: 1.0 / np.cosh(z) ** 2,
}


LAYERS = {
    "relu": (relu_forward, relu_backward),
    "sigmoid": (sigmoid_forward, sigmoid_backward),
    "tanh": (tanh_forward, tanh_backward),
}


def _batch(loss: str, n: int = 7, seed: int = 0) -> tuple[list[int], np.ndarray, np.ndarray]:
    """Layer sizes, inputs and targets for a small 3-layer network with the given loss head."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    if loss == "cross_entropy":
        return [4, 5, 6, 3], X, rng.integers(0, 3, size=n)
    if loss == "mse":
        return [4, 5, 6, 3], X, rng.normal(size=(n, 3))
    if loss == "logistic":
        return [4, 5, 6, 1], X, rng.choice([-1, 1], size=n)
    return [4, 5, 6, 1], X, rng.integers(0, 2, size=n)


def _hidden_preactivations(params, X, activation):
    """Every z_l of the hidden layers, computed here without the library."""
    h, zs = X, []
    for layer in range(1, len(params) // 2):
        z = h @ params[f"W{layer}"] + params[f"b{layer}"]
        zs.append(z)
        h = GRAPH[activation](z)
    return np.concatenate([z.ravel() for z in zs])


# ----------------------------------------------------------------------------- init


def test_init_shapes_zero_biases_and_he_scale():
    params = init_mlp([1000, 400, 3, 2], seed=0)
    assert list(params) == ["W1", "b1", "W2", "b2", "W3", "b3"]
    assert [params[k].shape for k in params] == [(1000, 400), (400,), (400, 3), (3,), (3, 2), (2,)]
    for layer in (1, 2, 3):
        assert np.all(params[f"b{layer}"] == 0.0)
    assert params["W1"].std() == pytest.approx(np.sqrt(2 / 1000), rel=0.01)
    assert params["W2"].std() == pytest.approx(np.sqrt(2 / 400), rel=0.05)
    assert abs(params["W1"].mean()) < 0.01 * np.sqrt(2 / 1000)


def test_init_fixed_scale_dtype_and_seed():
    params = init_mlp([500, 300], seed=1, weight_scale=0.01, dtype=np.float32)
    assert params["W1"].dtype == np.float32 and params["b1"].dtype == np.float32
    assert params["W1"].std() == pytest.approx(0.01, rel=0.01)
    np.testing.assert_array_equal(init_mlp([3, 4], seed=2)["W1"], init_mlp([3, 4], seed=2)["W1"])
    assert not np.array_equal(init_mlp([3, 4], seed=2)["W1"], init_mlp([3, 4], seed=3)["W1"])


@pytest.mark.parametrize(
    "sizes, message",
    [([4], "at least 2 sizes"), ([], "at least 2 sizes"), ([4, 0, 2], r"layer_sizes\[1\] must be an integer >= 1"),
     ([4, -3], r"layer_sizes\[1\]"), ([2.5, 3], r"layer_sizes\[0\] must be an integer")],
)
def test_init_refuses_bad_layer_sizes(sizes, message):
    with pytest.raises(ValueError, match=message):
        init_mlp(sizes)


def test_init_refuses_a_bad_weight_scale():
    with pytest.raises(ValueError, match="weight_scale must be 'he' or a number > 0"):
        init_mlp([2, 3], weight_scale="xavier")
    with pytest.raises(ValueError, match="weight_scale"):
        init_mlp([2, 3], weight_scale=-1.0)


# ----------------------------------------------------------------------------- forward


@pytest.mark.parametrize("activation", GRAPH)
def test_forward_matches_the_formula(activation):
    rng = np.random.default_rng(1)
    params = {key: rng.normal(size=value.shape) for key, value in init_mlp([3, 4, 5, 2]).items()}
    X = rng.normal(size=(6, 3))
    g = GRAPH[activation]
    expected = g(g(X @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]) @ params["W3"] + params["b3"]
    scores, caches = mlp_forward(params, X, activation)
    np.testing.assert_allclose(scores, expected, rtol=1e-12)
    assert len(caches) == 3


@pytest.mark.parametrize("activation", GRAPH)
def test_cache_holds_each_layers_input_weights_and_the_slope_that_made_its_input(activation):
    """The triple (h_{l-1}, W_l, g'(z_{l-1})) that chapter 5 and assignment 05 describe."""
    rng = np.random.default_rng(2)
    params = {key: rng.normal(size=value.shape) for key, value in init_mlp([3, 4, 5, 2]).items()}
    X = rng.normal(size=(6, 3))
    g = GRAPH[activation]
    derivative = SLOPE[activation]
    z1 = X @ params["W1"] + params["b1"]
    z2 = g(z1) @ params["W2"] + params["b2"]
    _, caches = mlp_forward(params, X, activation)
    (h0, W1, slope0), (h1, W2, slope1), (h2, W3, slope2) = caches
    assert slope0 is None and W1 is params["W1"] and W2 is params["W2"] and W3 is params["W3"]
    np.testing.assert_array_equal(h0, X)
    np.testing.assert_allclose(h1, g(z1), rtol=1e-12)
    np.testing.assert_allclose(h2, g(z2), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(slope1, dtype=float), derivative(z1), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(np.asarray(slope2, dtype=float), derivative(z2), rtol=1e-12, atol=1e-15)


def test_predict_uses_argmax_or_the_sign_of_a_single_score():
    params = {"W1": np.eye(3), "b1": np.zeros(3), "W2": np.array([[1.0, 0, 0], [0, 2, 0], [0, 0, 3]]),
              "b2": np.array([0.0, 0.0, -10.0])}
    X = np.array([[3.0, 1.0, 0.0], [1.0, 1.0, 5.0], [-1.0, 0.5, 0.0]])
    np.testing.assert_array_equal(mlp_predict(params, X), [0, 2, 1])  # scores [3,2,-10], [1,2,5], [0,1,-10]
    binary = {"W1": np.array([[1.0], [-1.0]]), "b1": np.array([0.5])}
    np.testing.assert_array_equal(mlp_predict(binary, np.array([[2.0, 1.0], [0.0, 1.0]])), [1, 0])


# ----------------------------------------------------------------------------- gradients


@pytest.mark.parametrize("l2", [0.0, 0.3])
@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
@pytest.mark.parametrize("loss", ["cross_entropy", "mse", "logistic", "binary_cross_entropy"])
def test_whole_network_gradient_check(loss, activation, l2):
    sizes, X, y = _batch(loss)
    params = init_mlp(sizes, seed=3)
    params = {key: value + 0.1 for key, value in params.items()}  # non-zero biases too
    if activation == "relu":  # a kink within h = 1e-5 of some z would spoil the check
        assert np.abs(_hidden_preactivations(params, X, activation)).min() > 1e-3
    errors = check_gradients(lambda p: mlp_loss(p, X, y, loss=loss, activation=activation, l2=l2), params)
    assert set(errors) == set(params)
    assert max(errors.values()) < 1e-7, errors


def test_l2_adds_half_l2_sum_of_squared_weights_and_l2_w_to_the_weight_gradients():
    sizes, X, y = _batch("cross_entropy")
    params = init_mlp(sizes, seed=4)
    params = {key: value + 0.05 for key, value in params.items()}
    loss0, grads0 = mlp_loss(params, X, y, l2=0.0)
    loss1, grads1 = mlp_loss(params, X, y, l2=0.7)
    squared = sum(np.sum(params[f"W{layer}"] ** 2) for layer in (1, 2, 3))
    assert loss1 - loss0 == pytest.approx(0.35 * squared, rel=1e-12)
    for layer in (1, 2, 3):
        np.testing.assert_allclose(grads1[f"W{layer}"] - grads0[f"W{layer}"], 0.7 * params[f"W{layer}"], atol=1e-14)
        np.testing.assert_array_equal(grads1[f"b{layer}"], grads0[f"b{layer}"])  # biases are not penalised


def test_two_layer_backprop_matches_the_hand_derived_formulas():
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(8, 3)), rng.integers(0, 4, size=8)
    params = {"W1": rng.normal(size=(3, 5)), "b1": rng.normal(size=5), "W2": rng.normal(size=(5, 4)),
              "b2": rng.normal(size=4)}
    h = np.tanh(X @ params["W1"] + params["b1"])
    z = h @ params["W2"] + params["b2"]
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    dz2 = (p - np.eye(4)[y]) / 8
    dz1 = (dz2 @ params["W2"].T) * (1 - h**2)
    loss, grads = mlp_loss(params, X, y, activation="tanh")
    assert loss == pytest.approx(-np.mean(np.log(p[np.arange(8), y])), rel=1e-12)
    expected = {"W1": X.T @ dz1, "b1": dz1.sum(0), "W2": h.T @ dz2, "b2": dz2.sum(0)}
    for key in expected:
        np.testing.assert_allclose(grads[key], expected[key], rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
def test_network_agrees_with_the_layers_composed_by_hand(activation):
    rng = np.random.default_rng(8)
    X, dscores = rng.normal(size=(9, 4)), rng.normal(size=(9, 3))
    params = {key: value + 0.1 for key, value in init_mlp([4, 6, 5, 3], seed=8).items()}
    forward, backward = LAYERS[activation]
    z1, a1 = affine_forward(X, params["W1"], params["b1"])
    h1, g1 = forward(z1)
    z2, a2 = affine_forward(h1, params["W2"], params["b2"])
    h2, g2 = forward(z2)
    scores, a3 = affine_forward(h2, params["W3"], params["b3"])
    dh2, dW3, db3 = affine_backward(dscores, a3)
    dh1, dW2, db2 = affine_backward(backward(dh2, g2), a2)
    _, dW1, db1 = affine_backward(backward(dh1, g1), a1)
    our_scores, caches = mlp_forward(params, X, activation)
    grads = mlp_backward(dscores, caches)
    np.testing.assert_allclose(our_scores, scores, rtol=1e-12)
    expected = {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2, "W3": dW3, "b3": db3}
    for key, value in expected.items():
        np.testing.assert_allclose(grads[key], value, rtol=1e-10, atol=1e-14)


def test_backward_never_overwrites_weights_or_inputs():
    sizes, X, y = _batch("mse")
    params = init_mlp(sizes, seed=6)
    saved = {key: value.copy() for key, value in params.items()}
    X_saved, y_saved = X.copy(), y.copy()
    scores, caches = mlp_forward(params, X, "sigmoid")
    grads = mlp_backward(np.ones_like(scores), caches)
    loss, grads_l2 = mlp_loss(params, X, y, loss="mse", activation="sigmoid", l2=0.5)
    for key in params:
        np.testing.assert_array_equal(params[key], saved[key])
        assert not np.shares_memory(grads[key], params[key])
        assert not np.shares_memory(grads_l2[key], params[key])
    np.testing.assert_array_equal(X, X_saved)
    np.testing.assert_array_equal(y, y_saved)


def test_float32_inputs_compute_in_float32_and_agree_with_float64():
    sizes, X, y = _batch("cross_entropy", n=50)
    params64 = init_mlp(sizes, seed=7)
    params32 = {key: value.astype(np.float32) for key, value in params64.items()}
    loss64, grads64 = mlp_loss(params64, X, y)
    loss32, grads32 = mlp_loss(params32, X.astype(np.float32), y)
    assert loss32 == pytest.approx(loss64, rel=1e-5)
    for key in grads64:
        assert grads32[key].dtype == np.float32
        np.testing.assert_allclose(grads32[key], grads64[key], rtol=1e-3, atol=1e-6)


# ----------------------------------------------------------------------------- bad input


def test_bad_inputs_raise_value_errors_naming_the_problem():
    params = init_mlp([4, 5, 3])
    X, y = np.zeros((6, 4)), np.zeros(6, dtype=int)
    cases = [
        (lambda: mlp_forward(params, np.zeros((6, 3))), "X has 3 columns but params\\['W1'\\] has 4 rows"),
        (lambda: mlp_forward(params, np.zeros(4)), "X must be 2-D"),
        (lambda: mlp_forward(params, X, activation="softplus"), "activation must be one of"),
        (lambda: mlp_loss(params, X, y, loss="hinge"), "loss must be one of"),
        (lambda: mlp_loss(params, X, np.full(6, 3)), "y must be in 0..2"),
        (lambda: mlp_loss(params, X, np.zeros(5, dtype=int)), "y has 5 rows but X has 6"),
        (lambda: mlp_loss(params, X, np.ones(6), loss="logistic"), "needs a network with 1 output"),
        (lambda: mlp_loss(init_mlp([4, 1]), X, np.zeros(6), loss="logistic"), "y must contain only -1 and 1"),
        (lambda: mlp_loss(params, X, y, l2=-0.1), "l2 must be a finite number >= 0"),
        (lambda: mlp_forward({"W1": params["W1"]}, X), "params must have keys W1, b1"),
        (lambda: mlp_forward({**params, "W2": np.zeros((4, 3))}, X), "params\\['W2'\\] has 4 rows"),
        (lambda: mlp_forward({**params, "b1": np.zeros(4)}, X), "params\\['b1'\\] has shape \\(4,\\)"),
        (lambda: mlp_forward(params, np.full((6, 4), np.nan)), "X contains NaN"),
    ]
    for call, message in cases:
        with pytest.raises(ValueError, match=message):
            call()


# ----------------------------------------------------------------------------- training


def _accuracy(params, X, y):
    return float(np.mean(mlp_predict(params, X) == y))


def _train_and_score(X, y, hidden, epochs, batch_size, lr, seed=0):
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, test_fraction=0.25, seed=seed)
    mean, std = data.fit_standardiser(X_train)
    X_train, X_test = data.standardise(X_train, mean, std), data.standardise(X_test, mean, std)
    params = init_mlp([X.shape[1], hidden, int(y.max()) + 1], seed=seed)
    params, history = fit(params, mlp_loss, Adam(lr), (X_train, y_train),
                          LoopSettings(epochs=epochs, batch_size=batch_size, seed=seed))
    return _accuracy(params, X_test, y_test), history


def test_two_layer_mlp_learns_two_moons():
    X, y = data.make_moons(1000, noise=0.15, seed=0)  # noise 0.2 caps any classifier near 96 %
    accuracy, history = _train_and_score(X, y, hidden=32, epochs=60, batch_size=32, lr=0.01)
    assert accuracy >= 0.97
    assert history.train_loss[-1] < 0.2 * history.train_loss[0]


def test_two_layer_mlp_learns_digits():
    X, y = data.load_digits()
    accuracy, history = _train_and_score(X, y, hidden=64, epochs=20, batch_size=64, lr=0.003)
    assert accuracy >= 0.95
