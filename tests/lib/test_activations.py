"""Tests for dlfoundations.activations: values, derivatives by numerical gradients, stability."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st

from dlfoundations.activations import relu, relu_derivative, sigmoid, sigmoid_derivative, tanh, tanh_derivative
from dlfoundations.kit.gradcheck import numerical_gradient, rel_error

RANDOM = settings(max_examples=25, deadline=None, derandomize=True, database=None)
shapes = st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple)
seeds = st.integers(0, 2**32 - 1)


def away_from_zero(rng: np.random.Generator, shape: tuple[int, ...], gap: float = 1e-3) -> np.ndarray:
    """Normal draws with |z| >= gap, so centred differences (h = 1e-5) never straddle a kink at 0."""
    z = rng.normal(scale=3.0, size=shape)
    return z + gap * np.where(z >= 0, 1.0, -1.0)


def elementwise_numerical_derivative(g, z: np.ndarray) -> np.ndarray:
    """For elementwise g, d/dz_i Σ_j g(z_j) = g'(z_i)."""
    return numerical_gradient(lambda v: g(v).sum(), z)


# --- derivatives against numerical gradients -------------------------------------------------


@RANDOM
@given(shape=shapes, seed=seeds)
def test_relu_derivative_matches_numerical_gradient(shape, seed):
    z = away_from_zero(np.random.default_rng(seed), shape)
    assert rel_error(relu_derivative(z), elementwise_numerical_derivative(relu, z)) < 1e-7


@RANDOM
@given(shape=shapes, seed=seeds)
def test_sigmoid_derivative_matches_numerical_gradient(shape, seed):
    z = np.random.default_rng(seed).normal(scale=3.0, size=shape)
    assert rel_error(sigmoid_derivative(z), elementwise_numerical_derivative(sigmoid, z)) < 1e-7


@RANDOM
@given(shape=shapes, seed=seeds)
def test_tanh_derivative_matches_numerical_gradient(shape, seed):
    z = np.random.default_rng(seed).normal(scale=2.0, size=shape)
    assert rel_error(tanh_derivative(z), elementwise_numerical_derivative(tanh, z)) < 1e-7


# --- values -----------------------------------------------------------------------------------


def test_relu_and_its_derivative_by_hand():
    z = np.array([[-2.0, 0.0, 3.5]])
    np.testing.assert_array_equal(relu(z), [[0.0, 0.0, 3.5]])
    np.testing.assert_array_equal(relu_derivative(z), [[0.0, 0.0, 1.0]])  # 0 at the kink


def test_known_values():
    assert sigmoid(0.0) == 0.5
    assert sigmoid_derivative(0.0) == 0.25
    assert tanh(0.0) == 0.0
    assert tanh_derivative(0.0) == 1.0
    assert sigmoid(np.log(3.0)) == pytest.approx(0.75)  # 1 / (1 + 1/3)


def test_sigmoid_matches_scipy_expit_and_identities():
    z = np.linspace(-40.0, 40.0, 161)
    np.testing.assert_allclose(sigmoid(z), scipy.special.expit(z), rtol=1e-14, atol=0)
    np.testing.assert_allclose(sigmoid(z) + sigmoid(-z), 1.0, rtol=1e-15)
    np.testing.assert_allclose(tanh(z), 2.0 * scipy.special.expit(2.0 * z) - 1.0, atol=1e-15)


@pytest.mark.parametrize("f", [relu, relu_derivative, sigmoid, sigmoid_derivative, tanh, tanh_derivative])
def test_float64_output_of_input_shape(f):
    z = np.array([[1, -2, 0], [3, 4, -5]])  # integers in, float64 out
    out = f(z)
    assert out.dtype == np.float64 and out.shape == z.shape


@pytest.mark.parametrize("f", [relu, relu_derivative, sigmoid, sigmoid_derivative, tanh, tanh_derivative])
def test_input_is_not_mutated(f):
    z = np.random.default_rng(0).normal(size=(3, 4))
    before = z.copy()
    f(z)
    np.testing.assert_array_equal(z, before)


# --- stability ----------------------------------------------------------------------------------


def test_sigmoid_is_stable_at_large_magnitudes_without_warnings():
    z = np.array([1e4, -1e4, 800.0, -800.0])
    # Every floating-point problem raises, except underflow to 0 (e^{-1e4} rounds to 0.0,
    # which is the correctly rounded result, not an instability).
    with warnings.catch_warnings(), np.errstate(all="raise", under="ignore"):
        warnings.simplefilter("error")
        s = sigmoid(z)
        ds = sigmoid_derivative(z)
    np.testing.assert_array_equal(s, [1.0, 0.0, 1.0, 0.0])
    np.testing.assert_array_equal(ds, [0.0, 0.0, 0.0, 0.0])


def test_naive_sigmoid_overflows_where_ours_does_not():
    z = np.array([1e4, -1e4])
    with np.errstate(over="raise"), pytest.raises(FloatingPointError, match="overflow"):
        1.0 / (1.0 + np.exp(-z))
    with np.errstate(over="raise"):
        sigmoid(z)


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("f", [relu, relu_derivative, sigmoid, sigmoid_derivative, tanh, tanh_derivative])
def test_bad_input_raises(f):
    with pytest.raises(ValueError, match="z contains NaN"):
        f(np.array([0.0, np.nan]))
    with pytest.raises(ValueError, match="z contains an infinite value"):
        f(np.array([np.inf]))
    with pytest.raises(ValueError, match="z is empty"):
        f(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="z must be numeric"):
        f("abc")
