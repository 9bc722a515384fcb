"""Tests for dlfoundations.regression.

Expected values come from elsewhere: worked by hand, from numerical gradients,
from np.linalg.lstsq, or from scikit-learn's LinearRegression and Ridge.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, Ridge

from dlfoundations.gradients import check_gradients
from dlfoundations.kit.gradcheck import numerical_gradient, rel_error
from dlfoundations.regression import gradient_descent_step, least_squares, linear_mse, ridge


def regression_problem(n=40, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = X @ rng.normal(size=d) + 0.7 + 0.1 * rng.normal(size=n)
    return X, y


def with_duplicate_column(X):
    return np.column_stack([X[:, 0], X])


# ----------------------------------------------------------------------------- linear_mse


def test_linear_mse_small_value_by_hand():
    # predictions 1*[1, 2] + 0 = [1, 2]; residuals [0, -1]
    # loss = (0 + 1) / (2*2) = 0.25; dw = (0*1 + (-1)*2) / 2 = -1; db = (0 - 1) / 2 = -0.5
    loss, dw, db = linear_mse([[1.0], [2.0]], [1.0, 3.0], [1.0], 0.0)
    assert loss == pytest.approx(0.25)
    np.testing.assert_allclose(dw, [-1.0])
    assert db == pytest.approx(-0.5)


@pytest.mark.parametrize("seed", range(5))
def test_linear_mse_gradient_check(seed):
    X, y = regression_problem(n=7, d=4, seed=seed)
    rng = np.random.default_rng(100 + seed)
    params = {"w": rng.normal(size=4), "b": np.array(rng.normal())}

    def loss_and_grads(p):
        loss, dw, db = linear_mse(X, y, p["w"], p["b"])
        return loss, {"w": dw, "b": np.array(db)}

    errors = check_gradients(loss_and_grads, params)
    assert errors["w"] < 1e-7 and errors["b"] < 1e-7, errors


def test_linear_mse_loss_is_the_mean_over_examples():
    X, y = regression_problem(n=10)
    w, b = np.ones(3), 0.5
    doubled, _, _ = linear_mse(np.vstack([X, X]), np.concatenate([y, y]), w, b)
    single, _, _ = linear_mse(X, y, w, b)
    assert doubled == pytest.approx(single)
    assert single == pytest.approx(np.sum((X @ w + b - y) ** 2) / 20)


# ----------------------------------------------------------------------------- gradient descent


def test_gradient_descent_step_by_hand_and_pure():
    X, y = np.array([[1.0], [2.0]]), np.array([1.0, 3.0])
    w = np.array([1.0])
    w_new, b_new = gradient_descent_step(X, y, w, 0.0, lr=0.1)
    # dw = -1, db = -0.5 (see the hand-worked loss test)
    np.testing.assert_allclose(w_new, [1.1])
    assert b_new == pytest.approx(0.05)
    np.testing.assert_array_equal(w, [1.0])  # input untouched


def test_gradient_descent_converges_to_least_squares():
    X, y = regression_problem(n=50, d=3, seed=3)
    w, b = np.zeros(3), 0.0
    for _ in range(500):
        w, b = gradient_descent_step(X, y, w, b, lr=0.5)
    theta, *_ = np.linalg.lstsq(np.column_stack([X, np.ones(50)]), y, rcond=None)
    np.testing.assert_allclose(w, theta[:-1], atol=1e-8)
    assert b == pytest.approx(theta[-1], abs=1e-8)


# ----------------------------------------------------------------------------- least squares


def test_least_squares_exact_line():
    x = np.array([0.0, 1.0, 2.0, 3.0])
    w, b = least_squares(x[:, None], 2.0 * x + 1.0)
    np.testing.assert_allclose(w, [2.0], atol=1e-12)
    assert b == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_least_squares_matches_sklearn(seed):
    X, y = regression_problem(n=30, d=5, seed=seed)
    w, b = least_squares(X, y)
    reference = LinearRegression().fit(X, y)
    np.testing.assert_allclose(w, reference.coef_, rtol=0, atol=1e-8)
    assert abs(b - reference.intercept_) < 1e-8


def test_least_squares_gradient_vanishes_at_solution():
    X, y = regression_problem(n=20, d=2, seed=7)
    w, b = least_squares(X, y)
    _, dw, db = linear_mse(X, y, w, b)
    np.testing.assert_allclose(dw, 0.0, atol=1e-12)
    assert abs(db) < 1e-12


@pytest.mark.parametrize(
    "make_singular",
    [
        with_duplicate_column,
        lambda X: np.column_stack([X, np.full(len(X), 3.0)]),  # constant column = 3 * bias column
        lambda X: X[:2],  # 2 examples, 4 parameters
    ],
    ids=["duplicate", "constant", "too-few-rows"],
)
def test_least_squares_singular_raises(make_singular):
    X, y = regression_problem(n=20, d=3)
    X_bad = make_singular(X)
    with pytest.raises(ValueError, match=r"XᵀX is singular.*ridge"):
        least_squares(X_bad, y[: len(X_bad)])


# ----------------------------------------------------------------------------- ridge
# Our objective J = (1/2N)||Xw + b - y||² + (l2/2)||w||². Times 2N it is
# ||y - Xw - b||² + N l2 ||w||², scikit-learn's Ridge objective with alpha = N * l2.


@pytest.mark.parametrize("l2", [1e-3, 0.1, 2.0])
def test_ridge_matches_sklearn_with_alpha_n_l2(l2):
    X, y = regression_problem(n=25, d=4, seed=1)
    w, b = ridge(X, y, l2)
    reference = Ridge(alpha=len(X) * l2).fit(X, y)
    np.testing.assert_allclose(w, reference.coef_, rtol=0, atol=1e-8)
    assert abs(b - reference.intercept_) < 1e-8


def test_ridge_scaling_matters():
    X, y = regression_problem(n=25, d=4, seed=1)
    w, _ = ridge(X, y, 0.1)
    wrong = Ridge(alpha=0.1).fit(X, y)  # forgetting the factor N
    assert np.max(np.abs(w - wrong.coef_)) > 1e-3


def test_ridge_is_a_stationary_point_of_its_objective():
    X, y = regression_problem(n=15, d=3, seed=2)
    l2 = 0.3
    w, b = ridge(X, y, l2)
    theta = np.append(w, b)

    def objective(t):
        r = X @ t[:-1] + t[-1] - y
        return r @ r / (2 * len(y)) + 0.5 * l2 * t[:-1] @ t[:-1]

    assert np.max(np.abs(numerical_gradient(objective, theta))) < 1e-8


def test_ridge_does_not_penalise_the_bias():
    X, y = regression_problem(n=25, d=2, seed=4)
    w, b = ridge(X, y, 1.0)
    w_shift, b_shift = ridge(X, y + 100.0, 1.0)
    np.testing.assert_allclose(w_shift, w, atol=1e-10)
    assert b_shift == pytest.approx(b + 100.0)


def test_ridge_small_l2_approaches_least_squares():
    X, y = regression_problem(n=30, d=3, seed=5)
    w_ls, b_ls = least_squares(X, y)
    w, b = ridge(X, y, 1e-10)
    assert rel_error(np.append(w, b), np.append(w_ls, b_ls)) < 1e-7


def test_ridge_solves_the_singular_case():
    X, y = regression_problem(n=30, d=3, seed=6)
    X_dup = with_duplicate_column(X)
    w, b = ridge(X_dup, y, 0.01)
    reference = Ridge(alpha=30 * 0.01).fit(X_dup, y)
    np.testing.assert_allclose(w, reference.coef_, rtol=0, atol=1e-8)
    assert abs(b - reference.intercept_) < 1e-8
    assert w[0] == pytest.approx(w[1])  # the two copies share the weight equally


# ----------------------------------------------------------------------------- bad input


def test_bad_inputs():
    X, y = regression_problem(n=6, d=2)
    w = np.zeros(2)
    with pytest.raises(ValueError, match="X must be 2-D"):
        linear_mse(X[:, 0], y, w, 0.0)
    with pytest.raises(ValueError, match="y must be 1-D"):
        least_squares(X, y[:, None])
    with pytest.raises(ValueError, match="X has 6 rows but y has 5"):
        ridge(X, y[:5], 1.0)
    with pytest.raises(ValueError, match="w has 3 entries but X has 2 columns"):
        linear_mse(X, y, np.zeros(3), 0.0)
    with pytest.raises(ValueError, match="b must be 0-D"):
        linear_mse(X, y, w, np.zeros(2))
    with pytest.raises(ValueError, match="X contains NaN"):
        least_squares(np.where(X > 0, np.nan, X), y)
    with pytest.raises(ValueError, match="y contains an infinite value"):
        linear_mse(X, np.full(6, np.inf), w, 0.0)
    with pytest.raises(ValueError, match="X is empty"):
        least_squares(np.zeros((0, 2)), np.zeros(0))
    with pytest.raises(ValueError, match="lr must be a finite number > 0"):
        gradient_descent_step(X, y, w, 0.0, lr=0.0)
    with pytest.raises(ValueError, match="l2 must be a finite number > 0"):
        ridge(X, y, -1.0)
    with pytest.raises(ValueError, match="l2 must be a finite number > 0"):
        ridge(X, y, 0.0)
