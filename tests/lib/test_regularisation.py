"""Tests for dlfoundations.regularisation: dropout, the L2 penalty, early stopping."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlfoundations.kit.gradcheck import numerical_gradient, rel_error
from dlfoundations.regularisation import dropout_backward, dropout_forward, early_stopping, l2_penalty

RANDOM = settings(max_examples=25, deadline=None, derandomize=True, database=None)
seeds = st.integers(0, 2**32 - 1)


# --- dropout ------------------------------------------------------------------------------------


@RANDOM
@given(p=st.sampled_from([0.1, 0.5, 0.8]), seed=seeds)
def test_dropout_backward_matches_numerical_gradient_with_fixed_mask(p, seed):
    rng = np.random.default_rng(seed)
    x, dout = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    _, mask = dropout_forward(x, p, rng=seed)

    def f(v):  # the same mask at every evaluation: re-seed the generator each time
        return np.sum(dropout_forward(v, p, rng=seed)[0] * dout)

    numeric = numerical_gradient(f, x)
    assert rel_error(dropout_backward(dout, mask), numeric) < 1e-7


def test_dropout_mask_by_hand():
    # Keep where u >= p, with u the generator's uniforms; kept entries are scaled by 1/(1-p).
    p, seed = 0.5, 7
    uniforms = np.random.default_rng(seed).random((3, 4))
    x = np.arange(1.0, 13.0).reshape(3, 4)
    out, _ = dropout_forward(x, p, rng=np.random.default_rng(seed))
    np.testing.assert_allclose(out, np.where(uniforms >= p, 2.0 * x, 0.0))


def test_dropout_preserves_expectation():
    x = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]])
    rng = np.random.default_rng(0)
    samples = np.stack([dropout_forward(x, 0.3, rng)[0] for _ in range(20000)])
    # standard error per entry is |x| sqrt(p / (1 - p)) / sqrt(20000) <= 0.02: allow 5 of them
    np.testing.assert_allclose(samples.mean(axis=0), x, atol=0.1)


def test_dropout_drops_the_right_fraction():
    out, mask = dropout_forward(np.ones((200, 500)), 0.25, rng=1)
    assert abs(np.mean(mask == 0) - 0.25) < 0.01
    np.testing.assert_allclose(np.unique(out), [0.0, 1.0 / 0.75])


def test_dropout_p_zero_and_test_mode_are_identity():
    x = np.random.default_rng(3).normal(size=(5, 6))
    for out, mask in (dropout_forward(x, 0.0, rng=0), dropout_forward(x, 0.9, rng=0, train=False)):
        np.testing.assert_array_equal(out, x)
        np.testing.assert_array_equal(mask, np.ones_like(x))
        np.testing.assert_array_equal(dropout_backward(x, mask), x)


@pytest.mark.parametrize("p", [1.0, 1.5, -0.1, float("nan")])
def test_dropout_rejects_bad_p(p):
    with pytest.raises(ValueError, match="p "):
        dropout_forward(np.ones((2, 2)), p, rng=0)


def test_dropout_rejects_bad_input():
    with pytest.raises(ValueError, match="x contains NaN"):
        dropout_forward(np.array([1.0, np.nan]), 0.5, rng=0)
    with pytest.raises(ValueError, match="train must be True or False"):
        dropout_forward(np.ones(3), 0.5, rng=0, train="yes")
    _, mask = dropout_forward(np.ones((2, 3)), 0.5, rng=0)
    with pytest.raises(ValueError, match="dout has shape"):
        dropout_backward(np.ones((3, 2)), mask)


# --- L2 penalty ---------------------------------------------------------------------------------


def test_l2_penalty_by_hand():
    params = {"W1": np.array([[1.0, 2.0]]), "b1": np.array([5.0, 5.0]), "W2": np.array([[3.0], [-1.0]]),
              "b2": np.array([7.0])}
    penalty, grads = l2_penalty(params, 0.1)
    assert penalty == pytest.approx(0.05 * (1 + 4 + 9 + 1))
    np.testing.assert_allclose(grads["W1"], [[0.1, 0.2]])
    np.testing.assert_allclose(grads["W2"], [[0.3], [-0.1]])
    np.testing.assert_array_equal(grads["b1"], [0.0, 0.0])
    np.testing.assert_array_equal(grads["b2"], [0.0])


@RANDOM
@given(l2=st.floats(0.0, 3.0), seed=seeds)
def test_l2_penalty_gradient_matches_numerical_gradient(l2, seed):
    rng = np.random.default_rng(seed)
    params = {"W1": rng.normal(size=(3, 4)), "b1": rng.normal(size=4), "W2": rng.normal(size=(4, 2)),
              "b2": rng.normal(size=2)}
    _, grads = l2_penalty(params, l2)
    for key, value in params.items():
        numeric = numerical_gradient(lambda _: l2_penalty(params, l2)[0], value)
        assert rel_error(grads[key], numeric) < 1e-7, key


def test_l2_penalty_matches_mlp_loss():
    from dlfoundations.mlp import init_mlp, mlp_loss

    params = init_mlp([2, 5, 3], seed=0)
    X, y = np.random.default_rng(0).normal(size=(6, 2)), np.array([0, 1, 2, 0, 1, 2])
    plain, plain_grads = mlp_loss(params, X, y)
    regularised, grads = mlp_loss(params, X, y, l2=0.3)
    penalty, penalty_grads = l2_penalty(params, 0.3)
    assert regularised == pytest.approx(plain + penalty)
    for key in params:
        np.testing.assert_allclose(grads[key], plain_grads[key] + penalty_grads[key])


def test_l2_penalty_rejects_bad_input():
    with pytest.raises(ValueError, match="l2 must be a finite number >= 0"):
        l2_penalty({"W1": np.ones((2, 2))}, -1.0)
    with pytest.raises(ValueError, match="params must be a non-empty dict"):
        l2_penalty({}, 0.1)
    with pytest.raises(ValueError, match=r"params\['W1'\] contains NaN"):
        l2_penalty({"W1": np.array([[np.nan]])}, 0.1)


# --- early stopping -----------------------------------------------------------------------------


def test_early_stopping_by_hand():
    losses = [1.0, 0.8, 0.7, 0.75, 0.72, 0.71, 0.9]
    assert early_stopping(losses, patience=2) == (3, 5)  # epochs 4 and 5 bring no new best
    assert early_stopping(losses, patience=10) == (3, 7)  # never fires: runs every epoch
    assert early_stopping([3.0, 2.0, 1.0], patience=1) == (3, 3)


def test_early_stopping_rejects_bad_input():
    with pytest.raises(ValueError, match="patience must be an integer >= 1"):
        early_stopping([1.0, 2.0], patience=0)
    with pytest.raises(ValueError, match="val_losses is empty"):
        early_stopping([], patience=3)
