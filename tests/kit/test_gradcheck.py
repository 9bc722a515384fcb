"""Tests for the gradient checker: kit.gradcheck (numerical_gradient, rel_error) and gradients.check_gradients.

The expected values are worked out by hand here (derivatives of small polynomials, the
relative-error formula on two short vectors), never taken from the code under test.
"""

from __future__ import annotations

import numpy as np
import pytest

from dlfoundations.gradients import check_gradients
from dlfoundations.kit.gradcheck import DEFAULT_STEP, numerical_gradient, rel_error


def cubic(x):
    """f(x) = Σ x_i³ + x_0 x_1, so df/dx_i = 3 x_i² (+ x_1 for i = 0, + x_0 for i = 1)."""
    flat = x.ravel()
    return float(np.sum(x**3) + flat[0] * flat[1])


def cubic_gradient(x):
    grad = 3.0 * x**2
    flat = grad.ravel()
    flat[0] += x.ravel()[1]
    flat[1] += x.ravel()[0]
    return grad


# ----------------------------------------------------------------------------- numerical_gradient


@pytest.mark.parametrize("shape", [(5,), (2, 3), (2, 1, 2)])
def test_numerical_gradient_matches_a_gradient_worked_by_hand(shape):
    x = np.random.default_rng(0).normal(size=shape)
    numeric = numerical_gradient(cubic, x)
    assert numeric.shape == shape and numeric.dtype == np.float64
    assert rel_error(cubic_gradient(x), numeric) < 1e-7


def test_a_wrong_analytic_gradient_is_caught():
    x = np.random.default_rng(1).normal(size=(3, 4))
    numeric = numerical_gradient(cubic, x)
    forgot_the_cross_term = 3.0 * x**2
    wrong_power = 2.0 * x
    transposed = cubic_gradient(x).T.reshape(x.shape)
    for wrong in (forgot_the_cross_term, wrong_power, transposed, 2.0 * cubic_gradient(x)):
        assert rel_error(wrong, numeric) > 1e-3
    assert rel_error(cubic_gradient(x), numeric) < 1e-7


def test_differences_are_centred_not_one_sided():
    """For f(x) = x³ at x = 1: centred (f(1+h) - f(1-h)) / 2h = 3 + h², one-sided (f(1+h) - f(1)) / h = 3 + 3h + h²."""
    x = np.array([1.0])
    numeric = numerical_gradient(lambda v: float(v[0] ** 3), x)[0]
    h = DEFAULT_STEP
    assert h == 1e-5
    assert abs(numeric - 3.0) < 10 * h**2  # a one-sided difference would be off by 3h = 3e-5
    assert abs(numeric - (3.0 + h**2)) < 1e-8


def test_the_step_h_is_the_one_asked_for():
    # floor(10 x) at x = 2 with h = 0.05: (floor(20.5) - floor(19.5)) / 0.1 = (20 - 19) / 0.1 = 10
    numeric = numerical_gradient(lambda v: float(np.floor(v[0] * 10.0)), np.array([2.0]), h=0.05)
    assert numeric[0] == pytest.approx(10.0)


def test_the_input_is_restored_exactly_and_each_call_moves_one_entry_by_h():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 3)) * 1e3  # large values: x + h - h would not round-trip to x
    original = x.copy()
    seen = []

    def f(v):
        assert v is x  # the checker perturbs the array itself, so f may close over it
        seen.append(v - original)
        return float(np.sum(v**2))

    numerical_gradient(f, x, h=1e-5)
    np.testing.assert_array_equal(x, original)  # bit for bit
    assert len(seen) == 2 * x.size
    for call, delta in enumerate(seen):
        changed = np.flatnonzero(delta)
        assert len(changed) == 1, f"call {call} moved {len(changed)} entries"
        index = np.unravel_index(changed[0], x.shape)
        step = original[index] + (1e-5 if call % 2 == 0 else -1e-5)
        assert x[index] + delta[index] == pytest.approx(step, rel=1e-12)


def test_the_input_is_restored_when_f_raises():
    x = np.array([1.0, 2.0, 3.0])
    calls = []

    def explode_on_the_second_entry(v):
        calls.append(v.copy())
        if len(calls) == 3:  # x + h e_1: the second entry is perturbed
            raise RuntimeError("boom")
        return float(np.sum(v))

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(explode_on_the_second_entry, x)
    assert calls[2][1] != 2.0
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])


@pytest.mark.parametrize(
    "x, message",
    [
        (np.zeros(3, dtype=np.float32), "x must be a float64 numpy array"),
        ([1.0, 2.0], "x must be a float64 numpy array"),
        (np.arange(3), "x must be a float64 numpy array"),
        (np.zeros(0), "x is empty"),
    ],
)
def test_numerical_gradient_refuses_what_it_cannot_check(x, message):
    with pytest.raises(ValueError, match=message):
        numerical_gradient(lambda v: 0.0, x)


# ----------------------------------------------------------------------------- rel_error


def test_rel_error_by_hand():
    # max |a - b| = 1, max (|a| + |b|) = max(2, 5) = 5
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 3.0])) == pytest.approx(0.2)
    # signs count: |1 - (-1)| = 2 over |1| + |-1| = 2
    assert rel_error(np.array([1.0]), np.array([-1.0])) == pytest.approx(1.0)
    assert rel_error(np.array([[3.0, -4.0]]), np.array([[3.0, -4.0]])) == 0.0


def test_rel_error_has_a_floor_of_1e_minus_8():
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    # 1e-10 / max(1e-8, 1e-10) = 1e-2, not 1 (which the bare ratio would give)
    assert rel_error(np.array([1e-10]), np.array([0.0])) == pytest.approx(1e-2)


def test_rel_error_is_symmetric_and_takes_lists():
    a, b = [0.5, -2.0, 3.0], [0.5, -2.5, 2.0]
    assert rel_error(a, b) == rel_error(b, a) == pytest.approx(1.0 / 5.0)


def test_rel_error_refuses_different_shapes():
    with pytest.raises(ValueError, match=r"cannot compare arrays of shapes \(2,\) and \(3,\)"):
        rel_error(np.zeros(2), np.zeros(3))
    with pytest.raises(ValueError, match=r"cannot compare arrays of shapes \(2, 1\) and \(1, 2\)"):
        rel_error(np.zeros((2, 1)), np.zeros((1, 2)))


# ----------------------------------------------------------------------------- check_gradients


def quadratic_model(params):
    """L = Σ W² / 2 + 3 Σ b, so dL/dW = W and dL/db = 3."""
    W, b = params["W"], params["b"]
    return 0.5 * float(np.sum(W * W)) + 3.0 * float(np.sum(b)), {"W": W.copy(), "b": np.full_like(b, 3.0)}


def test_check_gradients_passes_a_right_model_and_flags_only_the_wrong_parameter():
    params = {"W": np.random.default_rng(3).normal(size=(3, 2)), "b": np.array([0.5, -1.0])}
    saved = {key: value.copy() for key, value in params.items()}
    errors = check_gradients(quadratic_model, params)
    assert set(errors) == {"W", "b"} and max(errors.values()) < 1e-7

    def wrong_bias(p):
        loss, grads = quadratic_model(p)
        return loss, {"W": grads["W"], "b": grads["b"] / 3.0}  # forgot the factor 3

    errors = check_gradients(wrong_bias, params)
    assert errors["W"] < 1e-7
    assert errors["b"] == pytest.approx(2.0 / 4.0)  # |1 - 3| / (1 + 3)
    for key in params:
        np.testing.assert_array_equal(params[key], saved[key])


def test_check_gradients_works_in_float64_on_float32_params():
    params = {"W": np.ones((2, 2), dtype=np.float32), "b": np.zeros(2, dtype=np.float32)}
    seen = []

    def model(p):
        seen.append(p["W"].dtype)
        return quadratic_model(p)

    assert max(check_gradients(model, params).values()) < 1e-7
    assert set(seen) == {np.dtype(np.float64)}


def test_check_gradients_refuses_missing_or_misshapen_gradients():
    params = {"W": np.ones((2, 2)), "b": np.zeros(2)}
    with pytest.raises(ValueError, match=r"the gradient dict has no entry for \['b'\]"):
        check_gradients(lambda p: (0.0, {"W": np.zeros((2, 2))}), params)
    with pytest.raises(ValueError, match=r"grads\['W'\] has shape \(4,\), expected \(2, 2\)"):
        check_gradients(lambda p: (float(np.sum(p["W"])), {"W": np.zeros(4), "b": np.zeros(2)}), params)
