"""Tests for dlfoundations.training.fit and History."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from dlfoundations.kit import data
from dlfoundations.mlp import init_mlp, mlp_loss, mlp_predict
from dlfoundations.optim import SGD, Momentum
from dlfoundations.training import History, LoopSettings, fit


def least_squares(params, X, y):
    """``L = (1/2N) ||X w + b - y||²`` with its gradient, written out here (independent of the library)."""
    residual = X @ params["w"] + params["b"] - y
    n = len(y)
    return 0.5 * float(residual @ residual) / n, {"w": X.T @ residual / n, "b": np.array(residual.sum() / n)}


def regression_problem(n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.3 + 0.01 * rng.normal(size=n)
    return {"w": np.zeros(3), "b": np.array(0.0)}, X, y


def test_full_batch_epoch_is_one_gradient_step_worked_by_hand():
    params, X, y = regression_problem()
    new, history = fit(params, least_squares, SGD(0.1), (X, y), LoopSettings(epochs=1))
    residual = -y  # w = 0, b = 0
    np.testing.assert_allclose(new["w"], -0.1 * X.T @ residual / len(y))
    np.testing.assert_allclose(new["b"], -0.1 * residual.mean())
    assert history.train_loss == [pytest.approx(0.5 * np.mean(y**2))]


def test_loss_decreases_and_history_has_one_entry_per_epoch():
    params, X, y = regression_problem()
    _, history = fit(params, least_squares, SGD(0.05), (X, y), LoopSettings(epochs=30, batch_size=8, seed=1))
    assert len(history.train_loss) == 30
    assert history.train_loss[-1] < 0.01 * history.train_loss[0]
    assert all(later <= earlier * 1.05 for earlier, later in pairwise(history.train_loss))
    assert history.train_accuracy == [] and history.val_loss == [] and history.val_accuracy == []


def test_train_loss_is_the_size_weighted_mean_of_the_epoch_batch_losses():
    params, X, y = regression_problem(n=10)
    seen = []

    def spy(p, Xb, yb):
        loss, grads = least_squares(p, Xb, yb)
        seen.append((loss, len(yb), Xb.copy()))
        return loss, grads

    _, history = fit(params, spy, SGD(0.01), (X, y), LoopSettings(epochs=1, batch_size=4, seed=3))
    assert [size for _, size, _ in seen] == [4, 4, 2]
    expected = sum(loss * size for loss, size, _ in seen) / 10
    assert history.train_loss[0] == pytest.approx(expected)
    rows = np.concatenate([Xb for _, _, Xb in seen])
    np.testing.assert_array_equal(np.sort(rows[:, 0]), np.sort(X[:, 0]))  # every row once


def test_fit_is_pure_and_seeded():
    params, X, y = regression_problem()
    saved = {key: value.copy() for key, value in params.items()}
    X_saved, y_saved = X.copy(), y.copy()
    first, _ = fit(params, least_squares, Momentum(0.05), (X, y), LoopSettings(epochs=3, batch_size=7, seed=4))
    again, _ = fit(params, least_squares, Momentum(0.05), (X, y), LoopSettings(epochs=3, batch_size=7, seed=4))
    other, _ = fit(params, least_squares, Momentum(0.05), (X, y), LoopSettings(epochs=3, batch_size=7, seed=5))
    for key in params:
        np.testing.assert_array_equal(params[key], saved[key])
        np.testing.assert_array_equal(first[key], again[key])
        assert not np.shares_memory(first[key], params[key])
    assert not np.allclose(first["w"], other["w"])
    np.testing.assert_array_equal(X, X_saved)
    np.testing.assert_array_equal(y, y_saved)


def test_accuracy_and_validation_are_recorded_after_every_epoch():
    X, y = data.make_blobs(300, centers=3, std=1.0, seed=0)
    X_train, X_val, y_train, y_val = data.train_test_split(X, y, seed=0)
    params = init_mlp([2, 8, 3], seed=0)
    X_val_saved = X_val.copy()

    def accuracy_fn(p, Xs, ys):
        return float(np.mean(mlp_predict(p, Xs) == ys))

    final, history = fit(params, mlp_loss, SGD(0.1), (X_train, y_train), LoopSettings(epochs=5, batch_size=32),
                         accuracy_fn=accuracy_fn, validation=(X_val, y_val))
    assert isinstance(history, History)
    for values in (history.train_loss, history.train_accuracy, history.val_loss, history.val_accuracy):
        assert len(values) == 5
    assert history.val_loss[-1] == pytest.approx(mlp_loss(final, X_val, y_val)[0])
    assert history.val_accuracy[-1] == pytest.approx(np.mean(mlp_predict(final, X_val) == y_val))
    assert history.train_accuracy[-1] == pytest.approx(np.mean(mlp_predict(final, X_train) == y_train))
    assert history.val_accuracy[-1] >= 0.9
    assert history.val_loss[-1] < history.val_loss[0]
    np.testing.assert_array_equal(X_val, X_val_saved)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"epochs": 0}, "epochs must be an integer >= 1"),
        ({"epochs": 2.5}, "epochs must be an integer >= 1"),
        ({"epochs": 1, "batch_size": 0}, "batch_size must be an integer >= 1"),
        ({"epochs": 1, "batch_size": True}, "batch_size must be an integer >= 1"),
    ],
)
def test_loop_settings_refuse_bad_values(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LoopSettings(**kwargs)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"loop": 5}, r"loop must be LoopSettings\(epochs, batch_size, seed\), got int"),
        ({"train": np.zeros((4, 3))}, r"train must be a pair \(X, y\)"),
        ({"validation": (np.zeros((2, 3)),)}, r"validation must be a pair \(X_val, y_val\)"),
    ],
)
def test_fit_refuses_bad_arguments(change, message):
    params, X, y = regression_problem()
    arguments = {"train": (X, y), "loop": LoopSettings(epochs=1), **change}
    with pytest.raises(ValueError, match=message):
        fit(params, least_squares, SGD(0.1), **arguments)


def test_fit_refuses_mismatched_rows():
    params, X, y = regression_problem()
    with pytest.raises(ValueError, match="X has 40 rows but y has 39"):
        fit(params, least_squares, SGD(0.1), (X, y[:-1]), LoopSettings(epochs=1))


def test_fit_checks_the_data_once_then_its_steps_skip_the_nan_scans():
    """Inside fit the library's array checks keep their shape checks but no longer scan for NaN."""
    from dlfoundations.kit.validation import as_float_array

    params, X, y = regression_problem(n=12)
    scanned = []

    def probe(p, Xb, yb):
        try:
            as_float_array(np.array([np.nan]), "probe")
            scanned.append(False)
        except ValueError:
            scanned.append(True)
        with pytest.raises(ValueError, match="probe must be 2-D"):
            as_float_array(np.zeros(3), "probe", ndim=2)
        return least_squares(p, Xb, yb)

    fit(params, probe, SGD(0.1), (X, y), LoopSettings(epochs=2, batch_size=5))
    assert scanned == [False] * 6  # 3 batches x 2 epochs, none rescanned
    with pytest.raises(ValueError, match="probe contains NaN"):
        as_float_array(np.array([np.nan]), "probe")  # and the scans are back after fit


@pytest.mark.parametrize(
    "where, message",
    [("X", "X contains NaN"), ("params", r"params\['w'\] contains NaN"), ("validation", "X_val contains an infinite")],
)
def test_fit_refuses_non_finite_data_before_the_first_step(where, message):
    params, X, y = regression_problem()
    calls = []

    def spy(p, Xb, yb):
        calls.append(1)
        return least_squares(p, Xb, yb)

    kwargs = {}
    if where == "X":
        X = X.copy()
        X[3, 1] = np.nan
    elif where == "params":
        params = {**params, "w": np.array([0.0, np.nan, 0.0])}
    else:
        kwargs["validation"] = (np.full((2, 3), np.inf), np.zeros(2))
    with pytest.raises(ValueError, match=message):
        fit(params, spy, SGD(0.1), (X, y), LoopSettings(epochs=1), **kwargs)
    assert calls == []


def test_fit_stops_when_the_loss_stops_being_finite():
    params, X, y = regression_problem()
    with np.errstate(over="ignore", invalid="ignore"):  # the divergence overflows on its way to inf
        with pytest.raises(ValueError, match="the training loss became (inf|nan) in epoch [0-9]+: training diverged"):
            fit(params, least_squares, SGD(1e3), (X, y), LoopSettings(epochs=200))


def test_a_loss_function_cannot_write_into_the_callers_data():
    params, X, y = regression_problem()

    def vandal(p, Xb, yb):
        Xb[0, 0] = 123.0
        return least_squares(p, Xb, yb)

    with pytest.raises(ValueError, match="read-only"):
        fit(params, vandal, SGD(0.1), (X, y), LoopSettings(epochs=1))
    assert X[0, 0] != 123.0
