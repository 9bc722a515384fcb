"""Tests for dlfoundations.kit.data: generated sets, bundled sets, splitting, standardising, minibatches."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlfoundations.kit import data

GENERATORS = {
    "moons": lambda n, seed: data.make_moons(n, noise=0.1, seed=seed),
    "xor": lambda n, seed: data.make_xor(n, noise=0.2, seed=seed),
    "blobs": lambda n, seed: data.make_blobs(n, centers=4, std=0.5, seed=seed),
    "separable": lambda n, seed: data.make_separable(n, d=3, margin=0.3, seed=seed),
}
LABEL_SETS = {"moons": {0, 1}, "xor": {0, 1}, "blobs": {0, 1, 2, 3}, "separable": {-1, 1}}
WIDTHS = {"moons": 2, "xor": 2, "blobs": 2, "separable": 3}


# ----------------------------------------------------------------------------- generators


@pytest.mark.parametrize("name", GENERATORS)
def test_generator_shapes_and_labels(name):
    X, y = GENERATORS[name](101, 0)
    assert X.shape == (101, WIDTHS[name]) and X.dtype == np.float64
    assert y.shape == (101,) and np.issubdtype(y.dtype, np.integer)
    assert set(np.unique(y).tolist()) == LABEL_SETS[name]


@pytest.mark.parametrize("name", GENERATORS)
def test_generator_same_seed_same_data_other_seed_other_data(name):
    X1, y1 = GENERATORS[name](50, 3)
    X2, y2 = GENERATORS[name](50, 3)
    X3, _ = GENERATORS[name](50, 4)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.allclose(X1, X3)


def test_generators_accept_a_numpy_generator():
    X1, _ = data.make_moons(20, seed=np.random.default_rng(7))
    X2, _ = data.make_moons(20, seed=np.random.default_rng(7))
    np.testing.assert_array_equal(X1, X2)


def test_moons_without_noise_lie_on_their_half_circles():
    X, y = data.make_moons(200, noise=0.0, seed=1)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)
    assert np.all(upper[:, 1] >= -1e-12)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0)
    assert np.all(lower[:, 1] <= 0.5 + 1e-12)
    assert len(upper) == len(lower) == 100


def test_xor_labels_follow_the_sign_of_the_product():
    X, y = data.make_xor(80, noise=0.0, seed=2)
    assert set(map(tuple, np.abs(X))) == {(1.0, 1.0)}  # every point is a corner (+-1, +-1)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(int))
    np.testing.assert_array_equal(np.bincount(y), [40, 40])


def test_blobs_sit_on_the_given_centres():
    centres = np.array([[0.0, 0.0, 0.0], [5.0, 5.0, 5.0]])
    X, y = data.make_blobs(30, centers=centres, std=0.0, seed=0)
    np.testing.assert_array_equal(X, centres[y])
    X, y = data.make_blobs(3000, centers=2, std=0.3, seed=0)
    np.testing.assert_allclose(X[y == 0].std(axis=0), 0.3, rtol=0.1)


@pytest.mark.parametrize("d, margin, seed", [(2, 0.5, 0), (2, 1.5, 1), (5, 0.1, 2), (10, 2.0, 3), (3, 0.0, 4)])
def test_separable_data_has_the_requested_margin_for_every_point(d, margin, seed):
    X, y, w_star = data.make_separable(300, d=d, margin=margin, seed=seed, return_w_star=True)
    assert X.shape == (300, d) and set(np.unique(y)) == {-1, 1}
    assert np.linalg.norm(w_star) == pytest.approx(1.0)
    distances = y * (X @ w_star)  # signed distance to the hyperplane w*.x = 0
    assert distances.min() >= margin
    assert np.all(distances > 0)
    X_again, y_again = data.make_separable(300, d=d, margin=margin, seed=seed)
    np.testing.assert_array_equal(X, X_again)
    np.testing.assert_array_equal(y, y_again)


def test_to_signed_maps_zero_one_to_minus_plus_one():
    np.testing.assert_array_equal(data.to_signed([0, 1, 1, 0]), [-1, 1, 1, -1])
    with pytest.raises(ValueError, match="y must contain only 0 and 1"):
        data.to_signed([0, 2])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: data.make_moons(0), "n must be an integer >= 1"),
        (lambda: data.make_xor(-3), "n must be an integer >= 1"),
        (lambda: data.make_blobs(2.5), "n must be an integer"),
        (lambda: data.make_separable(0), "n must be an integer >= 1"),
        (lambda: data.make_separable(10, d=0), "d must be an integer >= 1"),
        (lambda: data.make_separable(10, margin=-0.1), "margin must be in"),
        (lambda: data.make_separable(10, margin=9.0), "margin must be in"),
        (lambda: data.make_moons(10, noise=-1.0), "noise must be a finite number >= 0"),
        (lambda: data.make_blobs(10, std=float("nan")), "std must be a finite number >= 0"),
        (lambda: data.make_blobs(10, centers=0), "centers must be an integer >= 1"),
        (lambda: data.make_moons(10, seed="abc"), "seed must be an int"),
    ],
)
def test_generators_refuse_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ----------------------------------------------------------------------------- bundled sets


def test_load_digits_matches_the_known_data_set():
    X, y = data.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and set(np.unique(y)) == set(range(10))
    assert X.min() == 0.0 and X.max() == 16.0


def test_load_breast_cancer_matches_the_known_data_set():
    X, y = data.load_breast_cancer()
    assert X.shape == (569, 30) and X.dtype == np.float64
    np.testing.assert_array_equal(np.bincount(y), [212, 357])  # 212 malignant, 357 benign


# ----------------------------------------------------------------------------- splitting


def test_train_test_split_is_a_seeded_partition():
    X = np.arange(40.0).reshape(20, 2)  # row i is (2i, 2i + 1)
    y = np.arange(20)
    X_copy, y_copy = X.copy(), y.copy()
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, test_fraction=0.25, seed=5)
    assert len(X_test) == 5 and len(X_train) == 15
    np.testing.assert_array_equal(np.sort(np.concatenate([y_train, y_test])), np.arange(20))
    np.testing.assert_array_equal(X_train[:, 0], 2 * y_train)  # rows stay paired with labels
    np.testing.assert_array_equal(X_test[:, 0], 2 * y_test)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(y, y_copy)
    again = data.train_test_split(X, y, test_fraction=0.25, seed=5)
    np.testing.assert_array_equal(again[3], y_test)
    other = data.train_test_split(X, y, test_fraction=0.25, seed=6)
    assert not np.array_equal(other[3], y_test)


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.2, 1.5])
def test_train_test_split_refuses_a_fraction_outside_zero_one(fraction):
    with pytest.raises(ValueError, match="test_fraction must be strictly between 0 and 1"):
        data.train_test_split(np.zeros((10, 2)), np.zeros(10), test_fraction=fraction)


def test_train_test_split_refuses_mismatched_rows():
    with pytest.raises(ValueError, match="X has 10 rows but y has 9"):
        data.train_test_split(np.zeros((10, 2)), np.zeros(9))


# ----------------------------------------------------------------------------- standardising


def test_standardise_gives_zero_mean_unit_std_on_the_training_set():
    rng = np.random.default_rng(0)
    X_train = rng.normal(3.0, 2.0, size=(200, 4))
    X_train[:, 2] = 7.0  # a constant feature
    X_test = rng.normal(3.0, 2.0, size=(50, 4))
    X_train_copy = X_train.copy()
    mean, std = data.fit_standardiser(X_train)
    Z = data.standardise(X_train, mean, std)
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), [1.0, 1.0, 0.0, 1.0], atol=1e-12)
    assert std[2] == 1.0
    by_hand = (X_test - X_train.mean(axis=0)) / np.where(X_train.std(axis=0) > 0, X_train.std(axis=0), 1.0)
    np.testing.assert_allclose(data.standardise(X_test, mean, std), by_hand)
    np.testing.assert_array_equal(X_train, X_train_copy)


def test_standardise_refuses_mismatched_statistics():
    with pytest.raises(ValueError, match="mean has 3 entries but X has 4 columns"):
        data.standardise(np.zeros((5, 4)), np.zeros(3), np.ones(4))
    with pytest.raises(ValueError, match="std must be > 0"):
        data.standardise(np.zeros((5, 2)), np.zeros(2), np.array([1.0, 0.0]))


# ----------------------------------------------------------------------------- minibatches


def test_minibatches_cover_every_row_once_with_a_smaller_last_batch():
    X = np.arange(23.0)[:, None] * np.ones((1, 3))  # row i is (i, i, i)
    y = np.arange(23)
    batches = list(data.minibatches(X, y, batch_size=5, seed=0))
    assert [len(yb) for _, yb in batches] == [5, 5, 5, 5, 3]
    seen = np.concatenate([yb for _, yb in batches])
    np.testing.assert_array_equal(np.sort(seen), np.arange(23))
    assert not np.array_equal(seen, np.arange(23))  # shuffled
    for Xb, yb in batches:
        np.testing.assert_array_equal(Xb[:, 0], yb)


def test_minibatches_shuffle_is_reproducible_and_seed_dependent():
    X, y = np.zeros((50, 2)), np.arange(50)

    def order(seed: int) -> np.ndarray:
        return np.concatenate([yb for _, yb in data.minibatches(X, y, 8, seed=seed)])

    np.testing.assert_array_equal(order(1), order(1))
    assert not np.array_equal(order(1), order(2))
    rng = np.random.default_rng(0)
    assert not np.array_equal(order(rng), order(rng))  # one Generator: a new order each epoch


def test_minibatches_without_shuffle_keep_the_order_and_the_dtype():
    X, y = np.arange(10, dtype=np.float32).reshape(5, 2), np.arange(5)
    batches = list(data.minibatches(X, y, 2, shuffle=False))
    np.testing.assert_array_equal(np.concatenate([yb for _, yb in batches]), np.arange(5))
    assert batches[0][0].dtype == np.float32


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 60), batch_size=st.integers(1, 70), seed=st.integers(0, 2**31))
def test_minibatches_partition_any_size(n, batch_size, seed):
    y = np.arange(n)
    sizes = [len(yb) for _, yb in data.minibatches(np.zeros((n, 1)), y, batch_size, seed=seed)]
    assert sum(sizes) == n
    assert all(size == batch_size for size in sizes[:-1]) and 1 <= sizes[-1] <= batch_size
    assert len(sizes) == -(-n // batch_size)


@pytest.mark.parametrize("batch_size", [0, -4])
def test_minibatches_refuse_a_non_positive_batch_size(batch_size):
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        data.minibatches(np.zeros((4, 2)), np.zeros(4), batch_size)


def test_minibatches_refuse_mismatched_and_empty_inputs():
    with pytest.raises(ValueError, match="X has 4 rows but y has 3"):
        data.minibatches(np.zeros((4, 2)), np.zeros(3), 2)
    with pytest.raises(ValueError, match="X is empty"):
        data.minibatches(np.zeros((0, 2)), np.zeros(0), 2)


def test_minibatches_are_copies_that_leave_the_data_alone():
    X, y = np.arange(12.0).reshape(6, 2), np.arange(6)
    X_saved, y_saved = X.copy(), y.copy()
    for Xb, yb in data.minibatches(X, y, 4, seed=0):
        Xb[:] = -1.0
        yb[:] = -1
    np.testing.assert_array_equal(X, X_saved)
    np.testing.assert_array_equal(y, y_saved)


def test_unshuffled_minibatches_are_read_only_views_and_shuffled_ones_are_copies():
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    for X_batch, y_batch in data.minibatches(X, y, 4, shuffle=False):
        assert np.shares_memory(X_batch, X) and np.shares_memory(y_batch, y)
        assert not X_batch.flags.writeable and not y_batch.flags.writeable
    assert X.flags.writeable  # the caller's array is untouched
    for X_batch, y_batch in data.minibatches(X, y, 4, seed=0):
        assert not np.shares_memory(X_batch, X) and not np.shares_memory(y_batch, y)
        X_batch[:] = -1.0
    np.testing.assert_array_equal(X, np.arange(20.0).reshape(10, 2))
