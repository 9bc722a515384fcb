"""Tests for dlfoundations.kit.surfaces: values by hand, gradients against numerical ones, validation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dlfoundations.kit.gradcheck import numerical_gradient, rel_error
from dlfoundations.kit.surfaces import ill_conditioned_quadratic, quadratic, rosenbrock


def test_quadratic_value_and_gradient_by_hand():
    f, grad = quadratic(np.array([[2.0, 1.0], [1.0, 3.0]]))
    # p = (1, -1): p^T A p = 2 - 1 - 1 + 3 = 3, so f = 1.5; A p = (2 - 1, 1 - 3)
    assert f(np.array([1.0, -1.0])) == pytest.approx(1.5)
    np.testing.assert_allclose(grad(np.array([1.0, -1.0])), [1.0, -2.0])
    assert f(np.zeros(2)) == 0.0


def test_quadratic_gradient_matches_numerical_gradient():
    rng = np.random.default_rng(0)
    for d in [2, 3]:
        B = rng.normal(size=(d, d))
        f, grad = quadratic(B @ B.T + 0.5 * np.eye(d))
        for _ in range(5):
            p = rng.normal(size=d) * 3
            assert rel_error(grad(p), numerical_gradient(f, p)) < 1e-7


def test_quadratic_keeps_its_own_copy_of_A():
    A = np.array([[2.0, 0.0], [0.0, 1.0]])
    f, _ = quadratic(A)
    A[0, 0] = 100.0
    assert f(np.array([1.0, 0.0])) == pytest.approx(1.0)


def test_ill_conditioned_quadratic_axis_aligned():
    f, grad = ill_conditioned_quadratic(condition=20.0)
    # f(x, y) = (x^2 + 20 y^2) / 2
    assert f(np.array([1.0, 0.0])) == pytest.approx(0.5)
    assert f(np.array([0.0, 1.0])) == pytest.approx(10.0)
    np.testing.assert_allclose(grad(np.array([2.0, -1.0])), [2.0, -20.0])


def test_ill_conditioned_quadratic_rotated():
    angle = np.pi / 6
    f, grad = ill_conditioned_quadratic(condition=80.0, angle=angle)
    steep = np.array([-np.sin(angle), np.cos(angle)])  # the rotated y-axis
    flat = np.array([np.cos(angle), np.sin(angle)])  # the rotated x-axis
    assert f(steep) == pytest.approx(40.0)
    assert f(flat) == pytest.approx(0.5)
    np.testing.assert_allclose(grad(steep), 80.0 * steep, atol=1e-12)
    np.testing.assert_allclose(grad(flat), flat, atol=1e-12)
    p = np.array([0.3, -1.7])
    assert rel_error(grad(p), numerical_gradient(f, p)) < 1e-7


def test_rosenbrock_values_by_hand():
    f, grad = rosenbrock()
    assert f(np.array([0.0, 0.0])) == pytest.approx(1.0)
    assert f(np.array([-1.0, 1.0])) == pytest.approx(4.0)
    # (2 - 0)^2 + 10 (1 - 0)^2
    assert rosenbrock(a=2.0, b=10.0)[0](np.array([0.0, 1.0])) == pytest.approx(14.0)
    # at (0, 1): df/dx = -2 (1 - 0) - 0 = -2, df/dy = 200 (1 - 0) = 200
    np.testing.assert_allclose(grad(np.array([0.0, 1.0])), [-2.0, 200.0])


@pytest.mark.parametrize("point", [[-1.2, 1.0], [0.5, -0.3], [2.0, 3.0], [-1.5, 2.0]])
def test_rosenbrock_gradient_at_fixed_points(point):
    p = np.array(point)
    f, grad = rosenbrock()
    assert rel_error(grad(p), numerical_gradient(f, p)) < 1e-7


@pytest.mark.parametrize("a,b", [(1.0, 100.0), (-0.5, 5.0), (2.0, 1.0)])
def test_rosenbrock_minimum_at_a_a_squared(a, b):
    minimum = np.array([a, a**2])
    f, grad = rosenbrock(a, b)
    assert f(minimum) == 0.0
    np.testing.assert_array_equal(grad(minimum), [0.0, 0.0])
    assert f(minimum + [0.01, 0.0]) > 0


@settings(max_examples=40, deadline=None)
@given(
    x=st.floats(-2.0, 2.0),
    y=st.floats(-1.0, 3.0),
    a=st.floats(-2.0, 2.0),
    b=st.floats(1.0, 100.0),
)
def test_rosenbrock_gradient_matches_numerical_gradient(x, y, a, b):
    p = np.array([x, y])
    f, grad = rosenbrock(a, b)
    analytic = grad(p)
    # Near a stationary point the centred difference's O(h^2) error dominates the tiny
    # gradient and the *relative* error means nothing; the minimum is tested separately.
    assume(np.max(np.abs(analytic)) > 1.0)
    numeric = numerical_gradient(f, p)
    assert rel_error(analytic, numeric) < 1e-7


def test_surface_functions_return_the_documented_types():
    p = np.array([1.0, 2.0])
    for f, grad in (ill_conditioned_quadratic(), rosenbrock()):
        assert isinstance(f(p), float)
        assert grad(p).shape == (2,) and grad(p).dtype == np.float64


# ----------------------------------------------------------------------------- bad input


def test_quadratic_refuses_bad_matrices():
    with pytest.raises(ValueError, match="A must be symmetric"):
        quadratic(np.array([[1.0, 2.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="A must be positive definite, but its smallest eigenvalue is -1"):
        quadratic(np.array([[1.0, 0.0], [0.0, -1.0]]))
    with pytest.raises(ValueError, match="A must be positive definite, but its smallest eigenvalue is 0"):
        quadratic(np.array([[1.0, 1.0], [1.0, 1.0]]))
    with pytest.raises(ValueError, match=r"A must be square, got shape \(2, 3\)"):
        quadratic(np.ones((2, 3)))
    with pytest.raises(ValueError, match="A must be 2-D"):
        quadratic(np.ones(2))
    with pytest.raises(ValueError, match="A contains NaN"):
        quadratic(np.array([[1.0, np.nan], [np.nan, 1.0]]))


def test_ill_conditioned_quadratic_refuses_condition_below_one():
    with pytest.raises(ValueError, match="condition must be >= 1"):
        ill_conditioned_quadratic(0.5)
    with pytest.raises(ValueError, match="condition must be a finite number > 0"):
        ill_conditioned_quadratic(-3.0)


def test_points_must_be_finite_vectors_of_the_right_length():
    f, grad = quadratic(np.eye(2))
    with pytest.raises(ValueError, match=r"p must have shape \(2,\), got \(3,\)"):
        f(np.zeros(3))
    with pytest.raises(ValueError, match=r"p must have shape \(2,\), got \(3,\)"):
        rosenbrock()[1](np.zeros(3))
    with pytest.raises(ValueError, match="p must be 1-D"):
        rosenbrock()[0](np.zeros((2, 1)))
    with pytest.raises(ValueError, match="p contains NaN"):
        grad(np.array([np.nan, 0.0]))


@pytest.mark.parametrize("a, b, message", [(1.0, 0.0, "b must be a finite number > 0"),
                                           (np.nan, 100.0, "a contains NaN"),
                                           ([1.0, 2.0], 100.0, "a must be 0-D")])
def test_rosenbrock_refuses_bad_constants(a, b, message):
    with pytest.raises(ValueError, match=message):
        rosenbrock(a, b)
