"""Tests for dlfoundations.losses.

Every expected value is independent of the code under test: worked by hand here,
given by another formula, by numerical gradients, or by scipy / scikit-learn.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import log_loss

from dlfoundations.kit.gradcheck import numerical_gradient, rel_error
from dlfoundations.losses import (
    binary_cross_entropy,
    cross_entropy,
    log_softmax,
    logistic_loss,
    logsumexp,
    mse_loss,
    multiclass_hinge,
    one_hot,
    perceptron_loss,
    softmax,
    softmax_jacobian,
)

RANDOM = settings(max_examples=25, deadline=None, derandomize=True, database=None)
seeds = st.integers(0, 2**32 - 1)
batch_sizes = st.integers(1, 6)
class_counts = st.integers(2, 5)
GAP = 1e-3  # distance kept from kinks, >> h = 1e-5, so centred differences are exact there


def signs(rng, n):
    return rng.choice([-1.0, 1.0], size=n)


def away_from_zero(rng, size):
    z = rng.normal(scale=3.0, size=size)
    return z + GAP * np.where(z >= 0, 1.0, -1.0)


def hinge_scores_away_from_kinks(rng, n, k, margin=1.0):
    """Resample until every hinge term z_j - z_y + margin (j != y) is at least GAP from 0."""
    y = rng.integers(0, k, size=n)
    rows = np.arange(n)
    while True:
        z = rng.normal(scale=2.0, size=(n, k))
        terms = z - z[rows, y][:, None] + margin
        terms[rows, y] = 1.0  # the correct class has no term
        if np.all(np.abs(terms) > GAP):
            return z, y


def binary_case(name, rng, n):
    """Scores and labels suited to each binary loss (perceptron: margins away from the kink)."""
    if name == "perceptron":
        return away_from_zero(rng, n), signs(rng, n)
    if name == "bce":
        return rng.normal(scale=3.0, size=n), rng.integers(0, 2, size=n).astype(float)
    return rng.normal(scale=3.0, size=n), signs(rng, n)


BINARY = {"perceptron": perceptron_loss, "logistic": logistic_loss, "bce": binary_cross_entropy}


def multiclass_case(name, rng, n, k):
    if name == "hinge":
        return hinge_scores_away_from_kinks(rng, n, k)
    return rng.normal(scale=3.0, size=(n, k)), rng.integers(0, k, size=n)


MULTICLASS = {"cross_entropy": cross_entropy, "hinge": multiclass_hinge}


def mse_case(rng, n, k):
    shape = (n,) if k == 2 else (n, k)  # cover both the (N,) and the (N, K) form
    return rng.normal(size=shape), rng.normal(size=shape)


def all_cases(rng, n, k):
    """(name, loss_fn, scores, y) for every loss."""
    cases = [(name, fn, *binary_case(name, rng, n)) for name, fn in BINARY.items()]
    cases += [(name, fn, *multiclass_case(name, rng, n, k)) for name, fn in MULTICLASS.items()]
    cases.append(("mse", mse_loss, *mse_case(rng, n, k)))
    return cases


# --- gradients against numerical gradients --------------------------------------------------


@RANDOM
@given(n=batch_sizes, k=class_counts, seed=seeds)
def test_every_loss_gradient_matches_numerical_gradient(n, k, seed):
    for name, loss_fn, scores, y in all_cases(np.random.default_rng(seed), n, k):
        _, dscores = loss_fn(scores, y)
        numeric = numerical_gradient(lambda z, loss_fn=loss_fn, y=y: loss_fn(z, y)[0], scores)
        assert dscores.shape == scores.shape, name
        assert rel_error(dscores, numeric) < 1e-7, name


@RANDOM
@given(n=batch_sizes, k=class_counts, seed=seeds)
def test_losses_reduce_by_the_mean(n, k, seed):
    """Duplicating the batch leaves the loss unchanged and halves every gradient row."""
    for name, loss_fn, scores, y in all_cases(np.random.default_rng(seed), n, k):
        loss, dscores = loss_fn(scores, y)
        loss2, dscores2 = loss_fn(np.concatenate([scores, scores]), np.concatenate([y, y]))
        assert loss2 == pytest.approx(loss, rel=1e-12, abs=1e-15), name
        np.testing.assert_allclose(dscores2, np.concatenate([dscores, dscores]) / 2, rtol=1e-12, atol=1e-17)


@RANDOM
@given(k=class_counts, seed=seeds)
def test_softmax_jacobian_matches_numerical_jacobian(k, seed):
    z = np.random.default_rng(seed).normal(scale=2.0, size=k)
    jacobian = softmax_jacobian(z)
    # Row i of the numerical Jacobian is the gradient of p_i = softmax(z)_i.
    numeric = np.array([numerical_gradient(lambda v, i=i: softmax(v)[i], z) for i in range(k)])
    assert jacobian.shape == (k, k)
    assert rel_error(jacobian, numeric) < 1e-7
    np.testing.assert_allclose(jacobian.sum(axis=1), 0.0, atol=1e-15)
    np.testing.assert_array_equal(jacobian, jacobian.T)


@RANDOM
@given(n=batch_sizes, k=class_counts, seed=seeds)
def test_gradient_of_logsumexp_is_softmax(n, k, seed):
    z = np.random.default_rng(seed).normal(scale=3.0, size=(n, k))
    numeric = numerical_gradient(lambda v: np.sum(logsumexp(v)), z)
    assert rel_error(softmax(z), numeric) < 1e-7


# --- independent implementations -------------------------------------------------------------


@RANDOM
@given(n=batch_sizes, k=class_counts, seed=seeds)
def test_logsumexp_softmax_log_softmax_match_scipy(n, k, seed):
    z = np.random.default_rng(seed).normal(scale=5.0, size=(n, k))
    for axis in (0, 1, -1):
        np.testing.assert_allclose(logsumexp(z, axis=axis), scipy.special.logsumexp(z, axis=axis), rtol=1e-13)
    np.testing.assert_allclose(softmax(z), scipy.special.softmax(z, axis=-1), rtol=1e-12)
    np.testing.assert_allclose(softmax(z[0]), scipy.special.softmax(z[0]), rtol=1e-12)
    np.testing.assert_allclose(log_softmax(z), scipy.special.log_softmax(z, axis=-1), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(log_softmax(z[0]), scipy.special.log_softmax(z[0]), rtol=1e-12, atol=1e-13)


@RANDOM
@given(n=batch_sizes, k=class_counts, seed=seeds)
def test_cross_entropy_matches_sklearn_log_loss(n, k, seed):
    rng = np.random.default_rng(seed)
    z, y = rng.normal(scale=2.0, size=(n, k)), rng.integers(0, k, size=n)
    expected = log_loss(y, scipy.special.softmax(z, axis=1), labels=np.arange(k))
    assert cross_entropy(z, y)[0] == pytest.approx(expected, rel=1e-10)


@RANDOM
@given(n=batch_sizes, seed=seeds)
def test_binary_cross_entropy_equals_logistic_loss_with_signed_labels(n, seed):
    rng = np.random.default_rng(seed)
    z, y01 = rng.normal(scale=3.0, size=n), rng.integers(0, 2, size=n)
    bce, d_bce = binary_cross_entropy(z, y01)
    logistic, d_logistic = logistic_loss(z, 2 * y01 - 1)
    assert bce == pytest.approx(logistic, rel=1e-12)
    np.testing.assert_allclose(d_bce, d_logistic, rtol=1e-12, atol=1e-17)
    # and both match the textbook Bernoulli negative log-likelihood
    p = scipy.special.expit(z)
    assert bce == pytest.approx(-np.mean(y01 * np.log(p) + (1 - y01) * np.log(1 - p)), rel=1e-9)


@RANDOM
@given(n=batch_sizes, seed=seeds)
def test_two_class_cross_entropy_is_logistic_loss_on_score_difference(n, seed):
    rng = np.random.default_rng(seed)
    z, y = rng.normal(scale=3.0, size=(n, 2)), rng.integers(0, 2, size=n)
    ce, d_ce = cross_entropy(z, y)
    logistic, d_logistic = logistic_loss(z[:, 1] - z[:, 0], np.where(y == 1, 1, -1))
    assert ce == pytest.approx(logistic, rel=1e-12)
    # chain rule through t = z1 - z0: dL/dz1 = dL/dt, dL/dz0 = -dL/dt
    np.testing.assert_allclose(d_ce, np.stack([-d_logistic, d_logistic], axis=1), rtol=1e-10, atol=1e-16)


@RANDOM
@given(n=batch_sizes, k=class_counts, seed=seeds)
def test_logsumexp_bounds(n, k, seed):
    z = np.random.default_rng(seed).normal(scale=10.0, size=(n, k))
    lse, m = logsumexp(z), z.max(axis=1)
    assert np.all(m <= lse) and np.all(lse <= m + np.log(k) + 1e-12)
    assert logsumexp(np.full(k, 7.0)) == pytest.approx(7.0 + np.log(k), rel=1e-15)  # upper bound attained


# --- worked by hand -------------------------------------------------------------------------


@pytest.mark.parametrize("k", [2, 3, 10])
def test_cross_entropy_at_equal_scores_is_log_k(k):
    loss, dscores = cross_entropy(np.full((4, k), 0.3), [0, 1, 1, k - 1])
    assert loss == pytest.approx(np.log(k), rel=1e-15)
    expected = np.full((4, k), 1.0 / k)
    expected[[0, 1, 2, 3], [0, 1, 1, k - 1]] -= 1.0
    np.testing.assert_allclose(dscores, expected / 4, atol=1e-16)


@pytest.mark.parametrize("k", [2, 3, 10])
def test_multiclass_hinge_at_zero_scores_is_k_minus_1(k):
    assert multiclass_hinge(np.zeros((5, k)), [0, 1, 0, 1, 1])[0] == pytest.approx(k - 1)


def test_perceptron_loss_by_hand():
    scores, y = np.array([2.0, -0.5, 0.0]), np.array([1, 1, -1])
    # y z = [2, -0.5, 0]: row 0 is right; row 1 is a mistake; row 2 sits on the boundary,
    # which counts as a mistake (y z <= 0) with loss max(0, 0) = 0.
    loss, dscores = perceptron_loss(scores, y)
    assert loss == pytest.approx((0.0 + 0.5 + 0.0) / 3)
    np.testing.assert_allclose(dscores, [0.0, -1.0 / 3, 1.0 / 3])


def test_logistic_loss_by_hand():
    loss, dscores = logistic_loss([0.0, np.log(3.0)], [1, -1])
    # log(1 + e^0) = log 2; log(1 + e^{log 3}) = log 4; d_i = -y_i / (1 + e^{y_i z_i}) / N
    assert loss == pytest.approx((np.log(2.0) + np.log(4.0)) / 2)
    np.testing.assert_allclose(dscores, [-0.5 / 2, 0.75 / 2])


def test_multiclass_hinge_cs231n_example():
    scores = np.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]])
    y = np.array([0, 1, 2])
    per_example = [multiclass_hinge(scores[i : i + 1], y[i : i + 1])[0] for i in range(3)]
    np.testing.assert_allclose(per_example, [2.9, 0.0, 12.9], atol=1e-12)
    loss, dscores = multiclass_hinge(scores, y)
    assert loss == pytest.approx(15.8 / 3)  # ≈ 5.27
    # row 0: only class 1 violates (5.1 - 3.2 + 1 = 2.9); row 1: none; row 2: classes 0 and 1.
    np.testing.assert_allclose(dscores, np.array([[-1, 1, 0], [0, 0, 0], [1, 1, -2]]) / 3)


def test_multiclass_hinge_margin_argument():
    scores, y = np.array([[1.0, 0.5, -3.0]]), [0]
    assert multiclass_hinge(scores, y, margin=0.0)[0] == 0.0
    assert multiclass_hinge(scores, y, margin=2.0)[0] == pytest.approx(1.5)  # 0.5 - 1 + 2; -3 - 1 + 2 < 0


def test_mse_by_hand():
    loss, d = mse_loss([[1.0, 2.0], [3.0, 4.0]], [[0.0, 2.0], [5.0, 1.0]])
    # differences [[1, 0], [-2, 3]]: squared norms 1 and 13, (1 + 13) / (2 * 2)
    assert loss == pytest.approx(3.5)
    np.testing.assert_allclose(d, [[0.5, 0.0], [-1.0, 1.5]])
    loss, d = mse_loss([1.0, 2.0, 3.0], [1.0, 0.0, 5.0])
    assert loss == pytest.approx(8.0 / 6)
    np.testing.assert_allclose(d, [0.0, 2.0 / 3, -2.0 / 3])


def test_softmax_by_hand():
    p = softmax([np.log(1.0), np.log(2.0), np.log(5.0)])
    np.testing.assert_allclose(p, [0.125, 0.25, 0.625])
    np.testing.assert_allclose(softmax([[0.0, 0.0], [1.0, 1.0]]), 0.5)
    np.testing.assert_allclose(softmax([1.0, 2.0]), softmax([101.0, 102.0]))  # shift invariance


def test_softmax_jacobian_by_hand():
    # p = (1/2, 1/2): diag(p) - p pᵀ = [[1/4, -1/4], [-1/4, 1/4]]
    np.testing.assert_allclose(softmax_jacobian([0.0, 0.0]), [[0.25, -0.25], [-0.25, 0.25]])


def test_one_hot_by_hand():
    np.testing.assert_array_equal(one_hot([0, 2, 1, 2], 3), [[1, 0, 0], [0, 0, 1], [0, 1, 0], [0, 0, 1]])
    assert one_hot(np.array([1]), 2).dtype == np.float64


# --- stability at logits of ±1e4 ------------------------------------------------------------

BIG = 1e4


def assert_all_finite(*values):
    for value in values:
        assert np.all(np.isfinite(value))


def test_logistic_loss_large_scores_naive_overflows():
    z, y = np.array([BIG, -BIG, BIG, -BIG]), np.array([1.0, 1.0, -1.0, -1.0])
    with np.errstate(all="ignore"):
        naive_loss = np.mean(np.log(1 + np.exp(-y * z)))
        naive_grad = -y * np.exp(-y * z) / (1 + np.exp(-y * z)) / 4
    assert np.isinf(naive_loss) and np.isnan(naive_grad).any()
    loss, dscores = logistic_loss(z, y)
    # y z = [1e4, -1e4, -1e4, 1e4]: losses [0, 1e4, 1e4, 0]; d = -y s(-y z) / N = [0, -1, 1, 0] / 4
    assert loss == pytest.approx(BIG / 2)
    np.testing.assert_allclose(dscores, [0.0, -0.25, 0.25, 0.0])


def test_binary_cross_entropy_large_logits_naive_overflows():
    z, y = np.array([BIG, -BIG, BIG, -BIG]), np.array([1.0, 1.0, 0.0, 0.0])
    with np.errstate(all="ignore"):
        p = 1 / (1 + np.exp(-z))
        naive_loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert not np.isfinite(naive_loss)
    loss, dscores = binary_cross_entropy(z, y)
    assert loss == pytest.approx(BIG / 2)
    np.testing.assert_allclose(dscores, [0.0, -0.25, 0.25, 0.0])


def test_softmax_family_large_logits_naive_overflows():
    z = np.array([[BIG, 0.0, -BIG], [-BIG, BIG, 0.0]])
    with np.errstate(all="ignore"):
        naive_softmax = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        naive_lse = np.log(np.exp(z).sum(axis=1))
        naive_log_softmax = np.log(naive_softmax)
    assert np.isnan(naive_softmax).any() and np.isinf(naive_lse).all() and np.isnan(naive_log_softmax).any()

    np.testing.assert_array_equal(softmax(z), [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    np.testing.assert_array_equal(logsumexp(z), [BIG, BIG])
    np.testing.assert_array_equal(log_softmax(z), [[0.0, -BIG, -2 * BIG], [-2 * BIG, 0.0, -BIG]])
    assert_all_finite(softmax_jacobian(z[0]))

    loss, dscores = cross_entropy(z, [2, 1])
    with np.errstate(all="ignore"):
        naive_ce = -np.mean(np.log(naive_softmax[[0, 1], [2, 1]]))
    assert not np.isfinite(naive_ce)
    # losses [lse - z_y] = [1e4 + 1e4, 0]; d = (p - onehot) / 2
    assert loss == pytest.approx(BIG)
    np.testing.assert_allclose(dscores, [[0.5, 0.0, -0.5], [0.0, 0.0, 0.0]])


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_every_loss_is_finite_at_huge_scores(sign):
    rng = np.random.default_rng(1)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        for _name, loss_fn, scores, y in all_cases(rng, 4, 3):
            scores = sign * BIG * np.sign(scores)
            assert_all_finite(*loss_fn(scores, y))


# --- inputs are not mutated --------------------------------------------------------------


def test_no_input_is_mutated():
    rng = np.random.default_rng(2)
    calls = [(fn, (scores, y)) for _, fn, scores, y in all_cases(rng, 5, 4)]
    z = rng.normal(size=(5, 4))
    calls += [(logsumexp, (z,)), (softmax, (z,)), (log_softmax, (z,)), (softmax_jacobian, (z[0],))]
    calls += [(one_hot, (np.array([0, 3, 1]), 4))]
    for fn, args in calls:
        before = [np.copy(a) for a in args]
        fn(*args)
        for a, b in zip(args, before, strict=True):
            np.testing.assert_array_equal(a, b)


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        # wrong shapes
        (lambda: cross_entropy(np.zeros(3), [0]), "scores must be 2-D"),
        (lambda: cross_entropy(np.zeros((2, 3)), [[0], [1]]), "y must be a 1-D vector"),
        (lambda: cross_entropy(np.zeros((2, 3)), [0, 1, 2]), "y has 3 labels but the scores have 2 rows"),
        (lambda: multiclass_hinge(np.zeros((2, 3)), [0]), "y has 1 labels but the scores have 2 rows"),
        (lambda: logistic_loss(np.zeros((2, 1)), [1, 1]), "scores must be 1-D"),
        (lambda: perceptron_loss(np.zeros(3), [1, -1]), "y has 2 labels but the scores have 3 rows"),
        (lambda: binary_cross_entropy(np.zeros(2), [[0, 1]]), "y must be 1-D"),
        (lambda: mse_loss(np.zeros((2, 3)), np.zeros((3, 2))), r"y has shape \(3, 2\) but scores"),
        (lambda: mse_loss(np.zeros(3), np.zeros((3, 1))), r"y has shape \(3, 1\) but scores"),
        (lambda: softmax(np.zeros((2, 2, 2))), "scores must be 1-D or 2-D"),
        (lambda: softmax_jacobian(np.zeros((2, 2))), "scores must be 1-D"),
        # labels out of range
        (lambda: cross_entropy(np.zeros((2, 3)), [0, 3]), r"y must be in 0\.\.2 .*found 3 at index 1"),
        (lambda: cross_entropy(np.zeros((2, 3)), [-1, 0]), r"y must be in 0\.\.2 .*found -1 at index 0"),
        (lambda: multiclass_hinge(np.zeros((2, 3)), [0, 3]), r"y must be in 0\.\.2"),
        (lambda: multiclass_hinge(np.zeros((2, 3)), [-1, 0]), r"y must be in 0\.\.2"),
        (lambda: cross_entropy(np.zeros((1, 3)), [0.5]), "y must hold integer class indices"),
        (lambda: one_hot([0, 3], 3), r"y must be in 0\.\.2"),
        (lambda: one_hot([0], 0), "K .* must be an integer >= 1"),
        (lambda: perceptron_loss(np.zeros(2), [1, 0]), "y must contain only -1 and 1; found 0"),
        (lambda: logistic_loss(np.zeros(2), [0, 1]), "y must contain only -1 and 1; found 0"),
        (lambda: binary_cross_entropy(np.zeros(2), [1, 2]), "y must contain only 0 and 1; found 2"),
        (lambda: binary_cross_entropy(np.zeros(2), [1, -1]), "y must contain only 0 and 1; found -1"),
        # NaN / inf in scores
        (lambda: cross_entropy([[0.0, np.nan]], [0]), "scores contains NaN"),
        (lambda: multiclass_hinge([[0.0, np.inf]], [0]), "scores contains an infinite value"),
        (lambda: perceptron_loss([np.nan], [1]), "scores contains NaN"),
        (lambda: logistic_loss([np.nan], [1]), "scores contains NaN"),
        (lambda: binary_cross_entropy([np.nan], [1]), "scores contains NaN"),
        (lambda: mse_loss([np.nan], [1.0]), "scores contains NaN"),
        (lambda: mse_loss([1.0], [np.nan]), "y contains NaN"),
        (lambda: softmax([np.nan, 1.0]), "scores contains NaN"),
        (lambda: logsumexp([np.nan, 1.0]), "scores contains NaN"),
        (lambda: log_softmax([np.nan, 1.0]), "scores contains NaN"),
        # empty batch
        (lambda: cross_entropy(np.zeros((0, 3)), []), "scores is empty"),
        (lambda: multiclass_hinge(np.zeros((0, 3)), []), "scores is empty"),
        (lambda: perceptron_loss(np.zeros(0), []), "scores is empty"),
        (lambda: logistic_loss(np.zeros(0), []), "scores is empty"),
        (lambda: binary_cross_entropy(np.zeros(0), []), "scores is empty"),
        (lambda: mse_loss(np.zeros(0), np.zeros(0)), "scores is empty"),
        (lambda: softmax(np.zeros(0)), "scores is empty"),
        (lambda: logsumexp(np.zeros((2, 0))), "scores is empty"),
        # other arguments
        (lambda: multiclass_hinge(np.zeros((1, 3)), [0], margin=-1.0), "margin must be a finite number >= 0"),
    ],
)
def test_bad_input_raises_value_error_naming_the_problem(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_logsumexp_of_a_vector_is_a_number_and_of_a_matrix_drops_the_axis():
    value = logsumexp([0.0, np.log(3.0)])  # log(1 + 3) = log 4
    assert isinstance(value, float) and value == pytest.approx(np.log(4.0))
    rows = logsumexp(np.log([[1.0, 1.0], [2.0, 6.0]]))  # log 2, log 8
    np.testing.assert_allclose(rows, np.log([2.0, 8.0]))
    columns = logsumexp(np.log([[1.0, 1.0], [2.0, 6.0]]), axis=0)  # log 3, log 7
    np.testing.assert_allclose(columns, np.log([3.0, 7.0]))
