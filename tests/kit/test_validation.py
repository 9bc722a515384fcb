"""Tests for dlfoundations.kit.validation, the input validation shared by the kit and the reference.

Each refusal is a ValueError whose message names the argument and says what is wrong;
these tests pin every one of those messages, and what each function lets through.
"""

from __future__ import annotations

import numpy as np
import pytest

from dlfoundations.kit.validation import (
    as_float_array,
    assume_finite,
    require_binary_labels,
    require_class_labels,
    require_count,
    require_ndim,
    require_arrays,
    require_like,
    require_positive,
    require_same_length,
)

# ----------------------------------------------------------------------------- as_float_array


@pytest.mark.parametrize(
    "value, ndim, message",
    [
        ("abc", None, "X must be numeric, got str"),
        ([[1.0], [2.0, 3.0]], None, "X must be numeric, got list"),
        (np.zeros(3), 2, r"X must be 2-D, got shape \(3,\) \(1-D\)"),
        (np.zeros((2, 2, 2)), (1, 2), r"X must be 1-D or 2-D, got shape \(2, 2, 2\) \(3-D\)"),
        (np.zeros((0, 3)), 2, r"X is empty \(shape \(0, 3\)\); it needs at least one element"),
        ([1.0, np.nan], None, "X contains NaN; every entry must be a finite number"),
        ([1.0, -np.inf], None, "X contains an infinite value; every entry must be a finite number"),
        ([np.inf, np.nan], None, "X contains NaN"),
    ],
)
def test_as_float_array_refusals(value, ndim, message):
    with pytest.raises(ValueError, match=message):
        as_float_array(value, "X", ndim=ndim)


def test_as_float_array_keeps_float32_and_makes_everything_else_float64():
    x32 = np.ones(3, dtype=np.float32)
    assert as_float_array(x32, "x") is x32
    x64 = np.ones(3)
    assert as_float_array(x64, "x") is x64
    for value in (np.arange(3), [1, 2, 3], np.ones(3, dtype=np.float16), 2):
        out = as_float_array(value, "x")
        assert out.dtype == np.float64
    np.testing.assert_array_equal(as_float_array([1, 2], "x"), [1.0, 2.0])
    assert as_float_array(2.5, "x", ndim=0).shape == ()


def test_assume_finite_skips_only_the_nan_scan_and_ends_with_its_block():
    bad = np.array([1.0, np.nan])
    with assume_finite():
        assert as_float_array(bad, "x") is bad
        with pytest.raises(ValueError, match="x must be 2-D"):
            as_float_array(bad, "x", ndim=2)  # shapes are still checked
        with pytest.raises(ValueError, match="x is empty"):
            as_float_array(np.zeros(0), "x")
        with assume_finite():
            pass
        assert as_float_array(bad, "x") is bad  # a nested block does not end the outer one
    with pytest.raises(ValueError, match="x contains NaN"):
        as_float_array(bad, "x")


def test_assume_finite_ends_even_when_its_block_raises():
    with pytest.raises(RuntimeError):
        with assume_finite():
            raise RuntimeError("inside")
    with pytest.raises(ValueError, match="x contains NaN"):
        as_float_array([np.nan], "x")


# ----------------------------------------------------------------------------- shapes


def test_require_ndim_messages():
    require_ndim(np.zeros((2, 3)), "W", 2)
    require_ndim(np.zeros(3), "W", (1, 2))
    with pytest.raises(ValueError, match=r"W must be 2-D, got shape \(\) \(0-D\)"):
        require_ndim(np.zeros(()), "W", 2)
    with pytest.raises(ValueError, match=r"W must be 0-D or 1-D, got shape \(1, 1\) \(2-D\)"):
        require_ndim(np.zeros((1, 1)), "W", (0, 1))


def test_require_same_length_message():
    require_same_length(np.zeros((3, 2)), "X", np.zeros(3), "y")
    with pytest.raises(ValueError, match="X has 3 rows but y has 4; they must describe the same examples"):
        require_same_length(np.zeros((3, 2)), "X", np.zeros(4), "y")


# ----------------------------------------------------------------------------- labels


def test_require_binary_labels_accepts_each_convention_and_returns_float64():
    out = require_binary_labels([1, -1, 1], "y", (-1, 1))
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [1.0, -1.0, 1.0])
    np.testing.assert_array_equal(require_binary_labels(np.array([0, 1]), "y", (0, 1), n=2), [0.0, 1.0])


@pytest.mark.parametrize(
    "y, values, n, message",
    [
        ([1, 0, 1], (-1, 1), None, "y must contain only -1 and 1; found 0 at index 1"),
        ([0, 1, -1], (0, 1), None, "y must contain only 0 and 1; found -1 at index 2"),
        ([0.5], (0, 1), None, "y must contain only 0 and 1; found 0.5 at index 0"),
        ([1, 1, 1], (-1, 1), 2, "y has 3 labels but the scores have 2 rows"),
        ([[1, -1]], (-1, 1), None, r"y must be 1-D, got shape \(1, 2\)"),
        ([], (-1, 1), None, "y is empty"),
        ([1, np.nan], (-1, 1), None, "y contains NaN"),
    ],
)
def test_require_binary_labels_refusals(y, values, n, message):
    with pytest.raises(ValueError, match=message):
        require_binary_labels(y, "y", values, n=n)


def test_require_class_labels_accepts_integers_and_whole_floats():
    out = require_class_labels(np.array([2, 0, 1]), "y", 3)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out, [2, 0, 1])
    np.testing.assert_array_equal(require_class_labels([2.0, 0.0], "y", 3, n=2), [2, 0])


@pytest.mark.parametrize(
    "y, k, n, message",
    [
        ([[0, 1]], 3, None, r"y must be a 1-D vector of class indices, got shape \(1, 2\)"),
        ([], 3, None, "y is empty; it needs at least one label"),
        ([0.5, 1.0], 3, None, "y must hold integer class indices, got dtype float64"),
        (["a", "b"], 3, None, "y must hold integer class indices, got dtype <U1"),
        ([0, 3], 3, None, r"y must be in 0\.\.2 \(there are 3 classes\); found 3 at index 1"),
        ([-1, 0], 3, None, r"y must be in 0\.\.2 \(there are 3 classes\); found -1 at index 0"),
        ([0, 1, 2], 3, 2, "y has 3 labels but the scores have 2 rows"),
    ],
)
def test_require_class_labels_refusals(y, k, n, message):
    with pytest.raises(ValueError, match=message):
        require_class_labels(y, "y", k, n=n)


# ----------------------------------------------------------------------------- numbers


def test_require_positive_returns_a_float_and_allows_zero_only_when_asked():
    assert require_positive(3, "lr") == 3.0 and isinstance(require_positive(3, "lr"), float)
    assert require_positive(np.float32(0.5), "lr") == 0.5
    assert require_positive(0, "l2", allow_zero=True) == 0.0


@pytest.mark.parametrize(
    "value, allow_zero, message",
    [
        (0, False, "lr must be a finite number > 0, got 0"),
        (-0.1, False, r"lr must be a finite number > 0, got -0\.1"),
        (-1e-300, True, "lr must be a finite number >= 0, got -1e-300"),
        (float("nan"), True, "lr must be a finite number >= 0, got nan"),
        (float("inf"), False, "lr must be a finite number > 0, got inf"),
    ],
)
def test_require_positive_refusals(value, allow_zero, message):
    with pytest.raises(ValueError, match=message):
        require_positive(value, "lr", allow_zero=allow_zero)


def test_require_count_accepts_python_and_numpy_integers_and_returns_an_int():
    assert require_count(3, "epochs") == 3
    out = require_count(np.int64(4), "epochs")
    assert out == 4 and type(out) is int
    assert require_count(0, "step", minimum=0) == 0
    assert require_count(np.uint8(2), "levels", minimum=2) == 2


@pytest.mark.parametrize(
    "value, minimum, message",
    [
        (True, 1, "epochs must be an integer >= 1, got True"),
        (np.bool_(True), 1, "epochs must be an integer >= 1, got np.True_"),
        (2.0, 1, r"epochs must be an integer >= 1, got 2\.0"),
        ("3", 1, "epochs must be an integer >= 1, got '3'"),
        (None, 1, "epochs must be an integer >= 1, got None"),
        (0, 1, "epochs must be an integer >= 1, got 0"),
        (-2, 0, "epochs must be an integer >= 0, got -2"),
        (1, 2, "epochs must be an integer >= 2, got 1"),
    ],
)
def test_require_count_refusals(value, minimum, message):
    with pytest.raises(ValueError, match=message):
        require_count(value, "epochs", minimum=minimum)


def test_one_hot_no_longer_takes_true_for_a_class_count():
    """The bug require_count fixed: losses.one_hot accepted K=True as one class."""
    from dlfoundations.losses import one_hot

    with pytest.raises(ValueError, match=r"K \(the number of classes\) must be an integer >= 1, got True"):
        one_hot([0], True)


# ----------------------------------------------------------------------------- dicts of arrays


def test_require_arrays_returns_float_arrays_keyed_as_given():
    arrays = require_arrays({"W": [[1, 2]], "b": np.zeros(2, dtype=np.float32)}, "params")
    assert list(arrays) == ["W", "b"]
    assert arrays["W"].dtype == np.float64 and arrays["b"].dtype == np.float32


@pytest.mark.parametrize(
    "value, message",
    [
        (np.zeros(2), "params must be a dict of arrays, got ndarray"),
        ({}, "params is empty; it needs at least one array"),
        ({"W": [1.0, np.nan]}, r"params\['W'\] contains NaN"),
    ],
)
def test_require_arrays_refusals(value, message):
    with pytest.raises(ValueError, match=message):
        require_arrays(value, "params")


def test_require_like_accepts_the_same_keys_and_shapes_in_any_order():
    like = {"W": np.zeros((2, 3)), "b": np.zeros(3)}
    grads = require_like({"b": [1.0, 2.0, 3.0], "W": np.ones((2, 3))}, "grads", like)
    np.testing.assert_array_equal(grads["b"], [1.0, 2.0, 3.0])


@pytest.mark.parametrize(
    "value, message",
    [
        ({"W": np.zeros((2, 3))}, r"grads must have the same keys as params: missing \['b'\], unexpected \[\]"),
        ({"W": np.zeros((2, 3)), "b": np.zeros(3), "c": np.zeros(1)}, r"missing \[\], unexpected \['c'\]"),
        ({"W": np.zeros((3, 2)), "b": np.zeros(3)},
         r"grads\['W'\] has shape \(3, 2\) but params\['W'\] has shape \(2, 3\)"),
    ],
)
def test_require_like_refusals(value, message):
    with pytest.raises(ValueError, match=message):
        require_like(value, "grads", {"W": np.zeros((2, 3)), "b": np.zeros(3)})
