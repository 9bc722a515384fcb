"""Tests for dlfoundations.layers: forward values, backward by numerical gradients, caches, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlfoundations.activations import ACTIVATIONS
from dlfoundations.kit.gradcheck import numerical_gradient, rel_error
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

ACTIVATION_LAYERS = {
    "relu": (relu_forward, relu_backward),
    "sigmoid": (sigmoid_forward, sigmoid_backward),
    "tanh": (tanh_forward, tanh_backward),
}

RANDOM = settings(max_examples=25, deadline=None, derandomize=True, database=None)
dims = st.integers(1, 5)
seeds = st.integers(0, 2**32 - 1)


def away_from_zero(rng, shape, gap=1e-3):
    """|z| >= gap, so centred differences (h = 1e-5) never straddle relu's kink."""
    z = rng.normal(scale=2.0, size=shape)
    return z + gap * np.where(z >= 0, 1.0, -1.0)


# --- backward against numerical gradients ------------------------------------------------------
# With a fixed random upstream gradient G, the scalar f = Σ out ⊙ G has df/dinput = backward(G).


@RANDOM
@given(n=dims, d=dims, k=dims, seed=seeds)
def test_affine_backward_matches_numerical_gradients(n, d, k, seed):
    rng = np.random.default_rng(seed)
    X, W, b = rng.normal(size=(n, d)), rng.normal(size=(d, k)), rng.normal(size=k)
    dout = rng.normal(size=(n, k))
    out, cache = affine_forward(X, W, b)
    dX, dW, db = affine_backward(dout, cache)

    def f(_):
        return np.sum(affine_forward(X, W, b)[0] * dout)

    assert (out.shape, dX.shape, dW.shape, db.shape) == ((n, k), X.shape, W.shape, b.shape)
    assert rel_error(dX, numerical_gradient(f, X)) < 1e-7
    assert rel_error(dW, numerical_gradient(f, W)) < 1e-7
    assert rel_error(db, numerical_gradient(f, b)) < 1e-7


@RANDOM
@given(name=st.sampled_from(sorted(ACTIVATION_LAYERS)), n=dims, k=dims, seed=seeds)
def test_activation_backward_matches_numerical_gradient(name, n, k, seed):
    forward, backward = ACTIVATION_LAYERS[name]
    rng = np.random.default_rng(seed)
    z, dout = away_from_zero(rng, (n, k)), rng.normal(size=(n, k))
    dz = backward(dout, forward(z)[1])
    numeric = numerical_gradient(lambda v: np.sum(forward(v)[0] * dout), z)
    assert dz.shape == z.shape
    assert rel_error(dz, numeric) < 1e-7


# --- forward values -----------------------------------------------------------------------------


def test_affine_forward_by_hand():
    X = np.array([[1.0, 2.0], [0.0, -1.0]])
    W = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]])
    b = np.array([0.5, 0.0, 0.0])
    out, _ = affine_forward(X, W, b)
    np.testing.assert_allclose(out, [[1.5, 2.0, 0.0], [0.5, -1.0, 1.0]])


def test_affine_backward_by_hand():
    X, W = np.array([[1.0, 2.0]]), np.array([[3.0], [4.0]])
    _, cache = affine_forward(X, W, np.zeros(1))
    dX, dW, db = affine_backward(np.array([[2.0]]), cache)
    np.testing.assert_allclose(dX, [[6.0, 8.0]])  # dout Wᵀ
    np.testing.assert_allclose(dW, [[2.0], [4.0]])  # Xᵀ dout
    np.testing.assert_allclose(db, [2.0])


def test_activation_layers_by_hand():
    z = np.array([[-1.0, 0.0, 2.0]])
    dout = np.array([[10.0, 10.0, 10.0]])
    out, cache = relu_forward(z)
    np.testing.assert_array_equal(out, [[0.0, 0.0, 2.0]])
    np.testing.assert_array_equal(relu_backward(dout, cache), [[0.0, 0.0, 10.0]])
    out, cache = sigmoid_forward(np.zeros(2))
    np.testing.assert_array_equal(out, [0.5, 0.5])
    np.testing.assert_array_equal(sigmoid_backward(np.ones(2), cache), [0.25, 0.25])
    out, cache = tanh_forward(np.zeros(2))
    np.testing.assert_array_equal(out, [0.0, 0.0])
    np.testing.assert_array_equal(tanh_backward(np.ones(2), cache), [1.0, 1.0])


def test_the_activation_table_of_the_mlp_agrees_with_the_layers():
    """The MLP takes g and g' (from the output) from the table; the layers write their own formulas."""
    z = np.linspace(-3.0, 3.0, 7) + 0.05  # no z exactly 0
    dout = np.arange(7.0) - 2.0
    expected_out = {"relu": np.maximum(z, 0), "sigmoid": 1 / (1 + np.exp(-z)), "tanh": np.tanh(z)}
    for name, (forward, backward) in ACTIVATION_LAYERS.items():
        out, cache = forward(z)
        np.testing.assert_allclose(out, expected_out[name], rtol=1e-15)
        np.testing.assert_allclose(ACTIVATIONS[name].function(z), out, rtol=1e-15)
        slope = ACTIVATIONS[name].derivative_from_output(out)
        np.testing.assert_allclose(dout * slope, backward(dout, cache), rtol=1e-15)


def test_relu_backward_gives_the_same_mask_from_its_input_or_its_output():
    z = np.array([-2.0, -0.0, 0.0, 1e-300, 3.0])
    dout = np.full(5, 7.0)
    np.testing.assert_array_equal(relu_backward(dout, z), [0.0, 0.0, 0.0, 7.0, 7.0])
    np.testing.assert_array_equal(relu_backward(dout, relu_forward(z)[1]), [0.0, 0.0, 0.0, 7.0, 7.0])


def test_caches_are_minimal():
    X, W, b = np.ones((2, 3)), np.ones((3, 4)), np.zeros(4)
    _, cache = affine_forward(X, W, b)
    assert len(cache) == 2
    np.testing.assert_array_equal(cache[0], X)
    np.testing.assert_array_equal(cache[1], W)
    z = np.array([-1.0, 2.0])
    out, cache = relu_forward(z)
    np.testing.assert_array_equal(cache, z)  # relu keeps its input: dz = dout ⊙ [z > 0]
    for forward in (sigmoid_forward, tanh_forward):
        out, cache = forward(z)
        assert cache is out  # sigmoid and tanh keep their output: the derivative comes from it


def test_activation_layers_saturate_at_large_inputs():
    z = np.array([1e4, -1e4])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        for name, (forward, backward) in ACTIVATION_LAYERS.items():
            out, cache = forward(z)
            dz = backward(np.ones(2), cache)
            assert np.all(np.isfinite(out)) and np.all(np.isfinite(dz)), name
    np.testing.assert_array_equal(sigmoid_backward(np.ones(2), sigmoid_forward(z)[1]), [0.0, 0.0])


# --- no mutation ----------------------------------------------------------------------------------


def test_no_input_is_mutated():
    rng = np.random.default_rng(0)
    X, W, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)
    dout = rng.normal(size=(4, 2))
    originals = [a.copy() for a in (X, W, b, dout)]
    _, cache = affine_forward(X, W, b)
    affine_backward(dout, cache)
    for a, before in zip((X, W, b, dout), originals, strict=True):
        np.testing.assert_array_equal(a, before)
    for forward, backward in ACTIVATION_LAYERS.values():
        z, g = rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
        z0, g0 = z.copy(), g.copy()
        out, cache = forward(z)
        cache0 = np.copy(cache)
        backward(g, cache)
        np.testing.assert_array_equal(z, z0)
        np.testing.assert_array_equal(g, g0)
        np.testing.assert_array_equal(cache, cache0)


# --- bad input ------------------------------------------------------------------------------------

X, W, b = np.zeros((4, 3)), np.zeros((3, 2)), np.zeros(2)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: affine_forward(X, np.zeros((2, 2)), b), "W has 2 rows but X has 3 columns"),
        (lambda: affine_forward(X, W, np.zeros(3)), r"b has shape \(3,\) but W has 2 columns"),
        (lambda: affine_forward(X, W, np.zeros((1, 2))), "b must be 1-D"),
        (lambda: affine_forward(np.zeros(3), W, b), "X must be 2-D"),
        (lambda: affine_forward(X, np.zeros(3), b), "W must be 2-D"),
        (lambda: affine_forward(np.zeros((0, 3)), W, b), "X is empty"),
        (lambda: affine_forward(np.full((4, 3), np.nan), W, b), "X contains NaN"),
        (
            lambda: affine_backward(np.zeros((4, 3)), (X, W)),
            r"dout has shape \(4, 3\) but the forward output had shape \(4, 2\)",
        ),
        (lambda: affine_backward(np.zeros((2, 2)), (X, W)), r"dout has shape \(2, 2\) but the forward"),
        (lambda: affine_backward(np.full((4, 2), np.nan), (X, W)), "dout contains NaN"),
        (lambda: relu_forward([np.nan]), "z contains NaN"),
        (lambda: sigmoid_forward(np.zeros(0)), "z is empty"),
        (lambda: tanh_forward([np.inf]), "z contains an infinite value"),
        (lambda: relu_backward(np.zeros(3), np.zeros(2)), r"dout has shape \(3,\) but .* shape \(2,\)"),
        (lambda: sigmoid_backward(np.zeros((2, 1)), np.zeros(2)), r"dout has shape \(2, 1\) but the forward"),
        (lambda: tanh_backward(np.zeros(3), np.zeros((3, 1))), r"dout has shape \(3,\) but the forward"),
    ],
)
def test_bad_input_raises_value_error_naming_the_problem(call, message):
    with pytest.raises(ValueError, match=message):
        call()
