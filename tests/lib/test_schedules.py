"""Tests for dlfoundations.schedules: values worked out by hand, shapes of the curves, validation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlfoundations.schedules import (
    constant,
    cosine,
    exponential_decay,
    inverse_time,
    learning_rate_at,
    linear_warmup,
    step_decay,
)


def values(schedule, steps):
    return [schedule(t) for t in steps]


def test_constant():
    assert values(constant(0.1), [0, 1, 1000]) == [0.1, 0.1, 0.1]


def test_step_decay_halves_every_block():
    schedule = step_decay(0.8, drop=0.5, every=3)
    expected = [0.8, 0.8, 0.8, 0.4, 0.4, 0.4, 0.2, 0.2, 0.2, 0.1]
    np.testing.assert_allclose(values(schedule, range(10)), expected)


def test_step_decay_defaults_halve_every_ten_steps():
    schedule = step_decay(1.0)
    np.testing.assert_allclose(values(schedule, [0, 9, 10, 19, 20, 35]), [1, 1, 0.5, 0.5, 0.25, 0.125])


def test_exponential_decay():
    np.testing.assert_allclose(values(exponential_decay(2.0, rate=0.5), [0, 1, 2, 3]), [2.0, 1.0, 0.5, 0.25])
    np.testing.assert_allclose(exponential_decay(1.0, rate=0.99)(69), 0.4998, atol=1e-4)


def test_inverse_time():
    # lr / (1 + k t) with k = 0.5: 1, 1/1.5, 1/2, ..., 1/4 at t = 6
    np.testing.assert_allclose(values(inverse_time(1.0, k=0.5), [0, 1, 2, 6]), [1.0, 1 / 1.5, 0.5, 0.25])
    assert values(inverse_time(0.3, k=0.0), [0, 50]) == [0.3, 0.3]


def test_cosine_goes_from_lr_to_lr_min():
    # T = 6: cos(pi/3) = 0.5, cos(pi/2) = 0, cos(2pi/3) = -0.5, cos(pi) = -1.
    schedule = cosine(1.0, total_steps=6, lr_min=0.2)
    np.testing.assert_allclose(
        values(schedule, [0, 2, 3, 4, 6]),
        [1.0, 0.2 + 0.8 * 0.75, 0.2 + 0.8 * 0.5, 0.2 + 0.8 * 0.25, 0.2],
    )
    assert schedule(7) == pytest.approx(0.2) and schedule(1000) == pytest.approx(0.2)
    assert cosine(0.5, total_steps=10)(10) == pytest.approx(0.0, abs=1e-15)


def test_linear_warmup_of_a_constant():
    schedule = linear_warmup(0.5, warmup_steps=4)
    np.testing.assert_allclose(values(schedule, range(7)), [0.125, 0.25, 0.375, 0.5, 0.5, 0.5, 0.5])


def test_linear_warmup_then_follows_the_base_schedule_from_its_step_zero():
    schedule = linear_warmup(step_decay(0.8, drop=0.5, every=2), warmup_steps=4)
    # ramp 0.8 (t+1)/4, then base(t - 4): 0.8, 0.8, 0.4, 0.4, 0.2
    np.testing.assert_allclose(values(schedule, range(9)), [0.2, 0.4, 0.6, 0.8, 0.8, 0.8, 0.4, 0.4, 0.2])


def test_learning_rate_at_accepts_floats_and_schedules():
    assert learning_rate_at(0.3, 0) == 0.3
    assert learning_rate_at(0.3, 7) == 0.3
    assert learning_rate_at(step_decay(1.0, 0.5, 1), 3) == pytest.approx(0.125)
    assert learning_rate_at(lambda t: 0.1 * t, np.int64(4)) == pytest.approx(0.4)


@settings(max_examples=40, deadline=None)
@given(
    lr=st.floats(1e-4, 10.0),
    fraction=st.floats(0.0, 1.0),
    total=st.integers(1, 500),
)
def test_cosine_is_non_increasing_and_stays_between_lr_min_and_lr(lr, fraction, total):
    lr_min = fraction * lr
    schedule = cosine(lr, total, lr_min)
    curve = np.array(values(schedule, range(total + 3)))
    assert np.all(np.diff(curve) <= 1e-12 * lr)
    assert np.all(curve >= lr_min - 1e-12 * lr) and np.all(curve <= lr + 1e-12 * lr)
    # the midpoint of the half-cosine is the average of the two ends (T even only)
    if total % 2 == 0:
        assert curve[total // 2] == pytest.approx((lr + lr_min) / 2)


@settings(max_examples=40, deadline=None)
@given(lr=st.floats(1e-4, 10.0), drop=st.floats(0.01, 1.0), every=st.integers(1, 20), t=st.integers(0, 200))
def test_step_decay_matches_its_formula(lr, drop, every, t):
    assert step_decay(lr, drop, every)(t) == pytest.approx(lr * drop ** math.floor(t / every))


# ----------------------------------------------------------------------------- bad input

ALL = [
    constant(0.1),
    step_decay(0.1),
    exponential_decay(0.1, 0.9),
    inverse_time(0.1, 1.0),
    cosine(0.1, 10),
    linear_warmup(0.1, 5),
]


@pytest.mark.parametrize("schedule", ALL)
def test_negative_step_is_refused(schedule):
    with pytest.raises(ValueError, match=r"step must be an integer >= 0, got -1"):
        schedule(-1)
    with pytest.raises(ValueError, match="step must be an integer >= 0"):
        schedule(1.5)


def test_learning_rate_at_refuses_negative_step_and_bad_values():
    with pytest.raises(ValueError, match="step must be an integer >= 0"):
        learning_rate_at(0.1, -3)
    with pytest.raises(ValueError, match="learning rate at step 2 must be a finite number >= 0"):
        learning_rate_at(lambda t: -1.0, 2)
    with pytest.raises(ValueError, match="learning rate at step 0 must be a number"):
        learning_rate_at(lambda t: "fast", 0)


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda: constant(0.0), "lr must be a finite number > 0"),
        (lambda: step_decay(-0.1), "lr must be a finite number > 0"),
        (lambda: step_decay(0.1, drop=0.0), "drop must be a finite number > 0"),
        (lambda: step_decay(0.1, drop=1.5), r"drop must be in \(0, 1\]"),
        (lambda: step_decay(0.1, every=0), "every must be an integer >= 1"),
        (lambda: step_decay(0.1, every=2.5), "every must be an integer >= 1"),
        (lambda: exponential_decay(0.1, rate=0.0), "rate must be a finite number > 0"),
        (lambda: exponential_decay(0.1, rate=1.01), r"rate must be in \(0, 1\]"),
        (lambda: inverse_time(0.1, k=-1.0), "k must be a finite number >= 0"),
        (lambda: cosine(0.1, total_steps=0), "total_steps must be an integer >= 1"),
        (lambda: cosine(0.1, total_steps=10, lr_min=0.2), "lr_min must not exceed lr"),
        (lambda: cosine(0.1, total_steps=10, lr_min=-0.1), "lr_min must be a finite number >= 0"),
        (lambda: linear_warmup(0.1, warmup_steps=0), "warmup_steps must be an integer >= 1"),
        (lambda: linear_warmup(-0.1, warmup_steps=3), "base must be a finite number > 0"),
        (lambda: linear_warmup(lambda t: float("nan"), warmup_steps=3), "learning rate at step 0"),
    ],
)
def test_bad_arguments_are_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()
