"""Tests for dlfoundations.optim: hand-worked steps, relations between optimisers,
convergence on the test surfaces, purity (no mutation) and input validation."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from dlfoundations.optim import (
    SGD,
    Adagrad,
    AdagradState,
    Adam,
    AdamState,
    Momentum,
    MomentumState,
    RMSProp,
    RMSPropState,
    SGDState,
    run_trajectory,
)
from dlfoundations.schedules import exponential_decay, step_decay
from dlfoundations.kit.surfaces import ill_conditioned_quadratic, quadratic, rosenbrock

_, rosenbrock_grad = rosenbrock()

# A fixed 2-parameter problem: start point and three gradients, chosen so the square
# roots in Adagrad come out whole (3-4-5 and 5-12-13 triangles).
W0 = [1.0, -2.0]
GRADS = [[3.0, -4.0], [4.0, 3.0], [12.0, -12.0]]


def three_steps(optimiser):
    """Run the optimiser on GRADS; return the three new points and the final state."""
    params = {"w": np.array(W0)}
    state = optimiser.init(params)
    points = []
    for g in GRADS:
        params, state = optimiser.update({"w": np.array(g)}, state, params)
        points.append(params["w"])
    return points, state


# ----------------------------------------------------------------------------- worked by hand


def test_sgd_three_steps_by_hand():
    points, state = three_steps(SGD(lr=0.1))
    # w <- w - 0.1 g
    np.testing.assert_allclose(points[0], [1.0 - 0.3, -2.0 + 0.4])  # [0.7, -1.6]
    np.testing.assert_allclose(points[1], [0.7 - 0.4, -1.6 - 0.3])  # [0.3, -1.9]
    np.testing.assert_allclose(points[2], [0.3 - 1.2, -1.9 + 1.2])  # [-0.9, -0.7]
    assert state == SGDState(t=3)


def test_momentum_three_steps_by_hand():
    points, state = three_steps(Momentum(lr=0.1, beta=0.5))
    # v1 = g1 = [3, -4]
    np.testing.assert_allclose(points[0], [1.0 - 0.3, -2.0 + 0.4])  # [0.7, -1.6]
    # v2 = 0.5 [3, -4] + [4, 3] = [5.5, 1.0]
    np.testing.assert_allclose(points[1], [0.7 - 0.55, -1.6 - 0.1])  # [0.15, -1.7]
    # v3 = 0.5 [5.5, 1.0] + [12, -12] = [14.75, -11.5]
    np.testing.assert_allclose(points[2], [0.15 - 1.475, -1.7 + 1.15])  # [-1.325, -0.55]
    np.testing.assert_allclose(state.v["w"], [14.75, -11.5])
    assert state.t == 3


def test_adagrad_three_steps_by_hand():
    points, state = three_steps(Adagrad(lr=0.1))
    # s1 = [9, 16]: step 0.1 [3/3, -4/4]
    np.testing.assert_allclose(points[0], [0.9, -1.9], atol=1e-8)
    # s2 = [25, 25]: step 0.1 [4/5, 3/5] = [0.08, 0.06]
    np.testing.assert_allclose(points[1], [0.82, -1.96], atol=1e-8)
    # s3 = [169, 169]: step 0.1 [12/13, -12/13]
    np.testing.assert_allclose(points[2], [0.82 - 1.2 / 13, -1.96 + 1.2 / 13], atol=1e-8)
    np.testing.assert_allclose(state.s["w"], [169.0, 169.0])


def test_rmsprop_three_steps_by_hand():
    points, state = three_steps(RMSProp(lr=0.1, rho=0.5))
    # s1 = 0.5 [9, 16] = [4.5, 8]: 3/sqrt(4.5) = 4/sqrt(8) = sqrt(2)
    w1 = np.array([1.0 - 0.1 * np.sqrt(2), -2.0 + 0.1 * np.sqrt(2)])
    np.testing.assert_allclose(points[0], w1, atol=1e-8)
    # s2 = 0.5 [4.5, 8] + 0.5 [16, 9] = [10.25, 8.5]
    w2 = w1 - 0.1 * np.array([4 / np.sqrt(10.25), 3 / np.sqrt(8.5)])
    np.testing.assert_allclose(points[1], w2, atol=1e-8)
    # s3 = 0.5 [10.25, 8.5] + 0.5 [144, 144] = [77.125, 76.25]
    w3 = w2 - 0.1 * np.array([12 / np.sqrt(77.125), -12 / np.sqrt(76.25)])
    np.testing.assert_allclose(points[2], w3, atol=1e-8)
    np.testing.assert_allclose(state.s["w"], [77.125, 76.25])


def test_adam_three_steps_by_hand():
    points, state = three_steps(Adam(lr=0.1, beta1=0.9, beta2=0.999))
    # Step 1: m = 0.1 g, v = 0.001 g^2; bias correction gives m_hat = g, v_hat = g^2,
    # so the step is 0.1 g/|g| = 0.1 sign(g).
    np.testing.assert_allclose(points[0], [0.9, -1.9], atol=1e-8)
    # Step 2: m = 0.9 (0.1 g1) + 0.1 g2, v = 0.999 (0.001 g1^2) + 0.001 g2^2,
    # m_hat = m / (1 - 0.9^2) = m / 0.19,  v_hat = v / (1 - 0.999^2) = v / 0.001999.
    m2 = np.array([0.27 + 0.4, -0.36 + 0.3])  # [0.67, -0.06]
    v2 = np.array([0.008991 + 0.016, 0.015984 + 0.009])  # [0.024991, 0.024984]
    w2 = np.array([0.9, -1.9]) - 0.1 * (m2 / 0.19) / np.sqrt(v2 / 0.001999)
    np.testing.assert_allclose(points[1], w2, atol=1e-8)
    # Step 3: m = 0.9 m2 + 0.1 g3, v = 0.999 v2 + 0.001 g3^2,
    # m_hat = m / (1 - 0.729) = m / 0.271,  v_hat = v / (1 - 0.997002999) = v / 0.002997001.
    m3 = np.array([0.603 + 1.2, -0.054 - 1.2])  # [1.803, -1.254]
    v3 = np.array([0.024966009 + 0.144, 0.024959016 + 0.144])
    w3 = w2 - 0.1 * (m3 / 0.271) / np.sqrt(v3 / 0.002997001)
    np.testing.assert_allclose(points[2], w3, atol=1e-8)
    np.testing.assert_allclose(state.m["w"], m3)
    np.testing.assert_allclose(state.v["w"], v3)
    assert state.t == 3


def test_adam_bias_correction_makes_constant_gradient_steps_equal_lr():
    # With a constant gradient, m_hat = g and v_hat = g^2 at every step: step = lr sign(g).
    # Without bias correction the first step would be 0.1 g / sqrt(0.001 g^2) ~ 0.32 lr.
    opt = Adam(lr=0.01)
    params = {"w": np.array([0.5, 0.5, 0.5])}
    g = {"w": np.array([2.0, -0.001, 300.0])}
    state = opt.init(params)
    for _ in range(3):
        new, state = opt.update(g, state, params)
        np.testing.assert_allclose(new["w"] - params["w"], [-0.01, 0.01, -0.01], rtol=1e-5)
        params = new


def test_multiple_keys_and_shapes_update_each_array_elementwise():
    rng = np.random.default_rng(0)
    params = {"W1": rng.normal(size=(3, 2)), "b1": rng.normal(size=2), "w2": np.array(0.5)}
    grads = {"W1": rng.normal(size=(3, 2)), "b1": rng.normal(size=2), "w2": np.array(-2.0)}
    new, state = SGD(lr=0.5).update(grads, SGD(lr=0.5).init(params), params)
    assert list(new) == ["W1", "b1", "w2"]
    for key in params:
        assert new[key].shape == params[key].shape
        np.testing.assert_allclose(new[key], params[key] - 0.5 * grads[key])
    new, state = Momentum(lr=0.1).update(grads, Momentum(lr=0.1).init(params), params)
    assert set(state.v) == {"W1", "b1", "w2"}
    np.testing.assert_allclose(new["w2"], 0.5 + 0.2)


# ----------------------------------------------------------------------------- relations


def random_grads(steps, seed=0):
    rng = np.random.default_rng(seed)
    return [{"W": rng.normal(size=(2, 3)), "b": rng.normal(size=3)} for _ in range(steps)]


def run(optimiser, grads_sequence, params):
    state = optimiser.init(params)
    for grads in grads_sequence:
        params, state = optimiser.update(grads, state, params)
    return params


def test_momentum_with_beta_zero_is_exactly_sgd():
    params = {"W": np.ones((2, 3)), "b": np.zeros(3)}
    grads = random_grads(60)
    sgd = run(SGD(lr=0.07), grads, params)
    momentum = run(Momentum(lr=0.07, beta=0.0), grads, params)
    for key in params:
        np.testing.assert_array_equal(momentum[key], sgd[key])


def test_momentum_differs_from_sgd_when_beta_positive():
    params = {"W": np.ones((2, 3)), "b": np.zeros(3)}
    grads = random_grads(5)
    sgd = run(SGD(lr=0.07), grads, params)
    momentum = run(Momentum(lr=0.07, beta=0.9), grads, params)
    assert not np.allclose(sgd["W"], momentum["W"])


def test_adagrad_steps_shrink_like_one_over_sqrt_t_but_rmsprop_steps_do_not():
    # Constant gradient g: Adagrad's s = (t+1) g^2, so its step is lr / sqrt(t+1);
    # RMSProp's s = (1 - rho^(t+1)) g^2, so its step is lr / sqrt(1 - rho^(t+1)) -> lr.
    g = {"p": np.array([0.3, -5.0])}
    last_step = {}
    for optimiser, expected_step in [
        (Adagrad(lr=0.1), lambda t: 0.1 / np.sqrt(t + 1)),
        (RMSProp(lr=0.1, rho=0.9), lambda t: 0.1 / np.sqrt(1 - 0.9 ** (t + 1))),
    ]:
        params = {"p": np.zeros(2)}
        state = optimiser.init(params)
        for t in range(50):
            new, state = optimiser.update(g, state, params)
            np.testing.assert_allclose(params["p"] - new["p"], expected_step(t) * np.sign(g["p"]), rtol=1e-6)
            last_step[type(optimiser).__name__] = abs(new["p"][0] - params["p"][0])
            params = new
    assert last_step["Adagrad"] < 0.015 and last_step["RMSProp"] > 0.099


def test_adam_without_averaging_is_sign_descent():
    # beta1 = beta2 = 0: m_hat = g, v_hat = g^2, so w <- w - lr g / (|g| + eps) = w - lr sign(g).
    grads = random_grads(10, seed=3)
    params = {"W": np.zeros((2, 3)), "b": np.zeros(3)}
    result = run(Adam(lr=0.01, beta1=0.0, beta2=0.0), grads, params)
    for key in params:
        expected = -0.01 * sum(np.sign(g[key]) for g in grads)
        np.testing.assert_allclose(result[key], expected, atol=1e-8)


def test_adam_with_beta1_zero_is_rmsprop_with_a_bias_correction_schedule():
    # beta1 = 0: m_hat = g and v_hat = s / (1 - rho^(t+1)), so Adam's step equals an RMSProp step
    # with learning rate lr sqrt(1 - rho^(t+1)) (up to where eps sits).
    rho, lr = 0.95, 0.02
    grads = random_grads(30, seed=5)
    params = {"W": np.zeros((2, 3)), "b": np.zeros(3)}
    adam = run(Adam(lr=lr, beta1=0.0, beta2=rho, eps=1e-12), grads, params)
    rmsprop = run(RMSProp(lr=lambda t: lr * np.sqrt(1 - rho ** (t + 1)), rho=rho, eps=1e-12), grads, params)
    for key in params:
        np.testing.assert_allclose(adam[key], rmsprop[key], rtol=1e-7, atol=1e-12)


# ----------------------------------------------------------------------------- schedules as lr


def test_schedule_is_evaluated_at_the_zero_based_step():
    calls = []

    def doubling(step):
        calls.append(step)
        return 0.1 * 2**step  # 0.1, 0.2, 0.4

    opt = SGD(lr=doubling)
    params = {"w": np.array([1.0, 1.0])}
    g = {"w": np.array([1.0, -2.0])}
    state = opt.init(params)
    steps = []
    for _ in range(3):
        new, state = opt.update(g, state, params)
        steps.append(new["w"] - params["w"])
        params = new
    assert calls == [0, 1, 2]
    np.testing.assert_allclose(steps, [[-0.1, 0.2], [-0.2, 0.4], [-0.4, 0.8]])


def test_library_schedule_drives_adam_step_sizes():
    # Constant gradient: Adam's step is lr(t) sign(g); step_decay(0.1, 0.5, every=1) gives 0.1, 0.05, 0.025.
    opt = Adam(lr=step_decay(0.1, drop=0.5, every=1))
    params = {"w": np.array([0.0, 0.0])}
    g = {"w": np.array([4.0, -0.5])}
    state = opt.init(params)
    for expected in [0.1, 0.05, 0.025]:
        new, state = opt.update(g, state, params)
        np.testing.assert_allclose(new["w"] - params["w"], [-expected, expected], rtol=1e-6)
        params = new


def test_momentum_schedule_scales_the_velocity_step():
    # v1 = g, v2 = 0.5 g + g = 1.5 g; steps lr(0) v1 = 0.2 g and lr(1) v2 = 0.1 * 1.5 g.
    opt = Momentum(lr=step_decay(0.2, drop=0.5, every=1), beta=0.5)
    params = {"w": np.array([0.0])}
    g = {"w": np.array([1.0])}
    state = opt.init(params)
    params, state = opt.update(g, state, params)
    np.testing.assert_allclose(params["w"], [-0.2])
    params, state = opt.update(g, state, params)
    np.testing.assert_allclose(params["w"], [-0.2 - 0.15])


# ----------------------------------------------------------------------------- purity


ALL_OPTIMIZERS = [SGD(lr=0.1), Momentum(lr=0.1), Adagrad(lr=0.1), RMSProp(lr=0.1), Adam(lr=0.1)]


def assert_same_tree(a, b):
    assert type(a) is type(b)
    if isinstance(a, tuple):  # a state: a NamedTuple of dicts and the count t
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            assert_same_tree(x, y)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            assert_same_tree(a[key], b[key])
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == b.dtype
    else:
        assert a == b


def arrays_in(tree):
    if isinstance(tree, (dict, tuple)):
        values = tree.values() if isinstance(tree, dict) else tree
        return [array for value in values for array in arrays_in(value)]
    return [tree] if isinstance(tree, np.ndarray) else []


@pytest.mark.parametrize("optimiser", ALL_OPTIMIZERS, ids=lambda o: type(o).__name__)
def test_update_mutates_nothing_and_returns_new_objects(optimiser):
    rng = np.random.default_rng(1)
    params = {"W": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}
    state = optimiser.init(params)
    for _ in range(2):  # the second round starts from a state with non-zero averages
        grads = {"W": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}
        before = copy.deepcopy((params, grads, state))
        new_params, new_state = optimiser.update(grads, state, params)
        assert_same_tree(params, before[0])
        assert_same_tree(grads, before[1])
        assert_same_tree(state, before[2])
        assert new_state is not state and new_params is not params
        for new_array in arrays_in(new_params) + arrays_in(new_state):
            for old_array in arrays_in(params) + arrays_in(grads) + arrays_in(state):
                assert not np.shares_memory(new_array, old_array)
        assert new_state.t == state.t + 1
        params, state = new_params, new_state


@pytest.mark.parametrize("optimiser", ALL_OPTIMIZERS, ids=lambda o: type(o).__name__)
def test_update_is_repeatable_from_the_same_state(optimiser):
    params = {"w": np.array([1.0, -1.0])}
    grads = {"w": np.array([0.5, 2.0])}
    state = optimiser.init(params)
    first, _ = optimiser.update(grads, state, params)
    second, _ = optimiser.update(grads, state, params)
    np.testing.assert_array_equal(first["w"], second["w"])


def test_optimisers_are_frozen():
    with pytest.raises(AttributeError):
        SGD(lr=0.1).lr = 0.2


# ----------------------------------------------------------------------------- convergence

# Ill-conditioned bowl: curvatures 1 and 50, rotated 30 degrees so no axis lines up with
# the valley (a diagonal rescaling like Adagrad's cannot undo the conditioning exactly).
CONVERGENCE = [
    (SGD(lr=0.035), 300),  # lr < 2/50; the slow direction contracts by 0.965 per step
    (Momentum(lr=0.02, beta=0.7), 150),
    (Adagrad(lr=0.5), 400),
    (RMSProp(lr=exponential_decay(0.05, 0.98)), 300),  # a constant lr leaves RMSProp oscillating
    (Adam(lr=0.1), 300),
]


@pytest.mark.parametrize("angle", [0.0, np.pi / 6])
@pytest.mark.parametrize("optimiser,steps", CONVERGENCE, ids=lambda o: type(o).__name__)
def test_converges_on_ill_conditioned_quadratic(optimiser, steps, angle):
    f, grad = ill_conditioned_quadratic(condition=50.0, angle=angle)
    path = run_trajectory(grad, np.array([1.0, 1.0]), optimiser, steps)
    assert np.linalg.norm(path[-1]) < 1e-3
    assert f(path[-1]) < 1e-6 * f(path[0])


@pytest.mark.parametrize(
    "optimiser,steps", [(Adam(lr=0.05), 1500), (Momentum(lr=1e-3, beta=0.9), 1000)], ids=["Adam", "Momentum"]
)
def test_reaches_rosenbrock_minimum(optimiser, steps):
    path = run_trajectory(rosenbrock_grad, np.array([-1.2, 1.0]), optimiser, steps)
    assert np.linalg.norm(path[-1] - np.array([1.0, 1.0])) < 0.1


def test_plain_sgd_is_still_far_from_rosenbrock_minimum():
    # The same budget shows why momentum matters in the flat, curved valley.
    path = run_trajectory(rosenbrock_grad, np.array([-1.2, 1.0]), SGD(lr=1e-3), 1000)
    assert np.linalg.norm(path[-1] - np.array([1.0, 1.0])) > 0.1


def test_run_trajectory_matches_closed_form_gradient_descent():
    # SGD on f = 1/2 p^T A p: p_{t+1} = (I - lr A) p_t, so p_t = (I - lr A)^t p_0.
    A = np.array([[2.0, 0.5], [0.5, 1.0]])
    _, grad = quadratic(A)
    x0 = np.array([1.0, -3.0])
    path = run_trajectory(grad, x0, SGD(lr=0.2), 10)
    assert path.shape == (11, 2)
    M = np.eye(2) - 0.2 * A
    for t in range(11):
        np.testing.assert_allclose(path[t], np.linalg.matrix_power(M, t) @ x0, atol=1e-12)


def test_run_trajectory_with_zero_steps_and_unmodified_start():
    x0 = np.array([0.5, 0.5])
    path = run_trajectory(rosenbrock_grad, x0, Adam(lr=0.1), 0)
    assert path.shape == (1, 2)
    path = run_trajectory(rosenbrock_grad, x0, Adam(lr=0.1), 3)
    np.testing.assert_array_equal(path[0], [0.5, 0.5])
    np.testing.assert_array_equal(x0, [0.5, 0.5])
    assert not np.shares_memory(path, x0)


# ----------------------------------------------------------------------------- bad input


def one_update(optimiser, grads, params=None, state=None):
    params = {"w": np.array([1.0, 2.0])} if params is None else params
    state = optimiser.init(params) if state is None else state
    return optimiser.update(grads, state, params)


@pytest.mark.parametrize("optimiser", ALL_OPTIMIZERS, ids=lambda o: type(o).__name__)
def test_rejects_mismatched_keys(optimiser):
    with pytest.raises(ValueError, match=r"grads must have the same keys as params: missing \['w'\]"):
        one_update(optimiser, {"v": np.array([1.0, 2.0])})
    with pytest.raises(ValueError, match=r"unexpected \['b'\]"):
        one_update(optimiser, {"w": np.array([1.0, 2.0]), "b": np.array(1.0)})


@pytest.mark.parametrize("optimiser", ALL_OPTIMIZERS, ids=lambda o: type(o).__name__)
def test_rejects_shape_mismatch(optimiser):
    with pytest.raises(ValueError, match=r"grads\['w'\] has shape \(3,\) but params\['w'\] has shape \(2,\)"):
        one_update(optimiser, {"w": np.array([1.0, 2.0, 3.0])})


@pytest.mark.parametrize("optimiser", ALL_OPTIMIZERS, ids=lambda o: type(o).__name__)
def test_rejects_nan_and_inf(optimiser):
    with pytest.raises(ValueError, match=r"grads\['w'\] contains NaN"):
        one_update(optimiser, {"w": np.array([np.nan, 1.0])})
    with pytest.raises(ValueError, match=r"grads\['w'\] contains an infinite value"):
        one_update(optimiser, {"w": np.array([np.inf, 1.0])})
    state = optimiser.init({"w": np.array([1.0, 2.0])})
    with pytest.raises(ValueError, match=r"params\['w'\] contains NaN"):
        one_update(optimiser, {"w": np.array([1.0, 1.0])}, params={"w": np.array([np.nan, 1.0])}, state=state)


@pytest.mark.parametrize("cls", [SGD, Momentum, Adagrad, RMSProp, Adam])
def test_rejects_non_positive_lr(cls):
    for lr in [0.0, -0.1, float("nan")]:
        with pytest.raises(ValueError, match="lr must be a finite number > 0"):
            cls(lr=lr)


@pytest.mark.parametrize(
    "make,name",
    [
        (lambda v: Momentum(lr=0.1, beta=v), "beta"),
        (lambda v: RMSProp(lr=0.1, rho=v), "rho"),
        (lambda v: Adam(lr=0.1, beta1=v), "beta1"),
        (lambda v: Adam(lr=0.1, beta2=v), "beta2"),
    ],
)
def test_rejects_decay_rates_outside_zero_one(make, name):
    with pytest.raises(ValueError, match=rf"{name} must be in \[0, 1\)"):
        make(1.0)
    with pytest.raises(ValueError, match=rf"{name} must be a finite number >= 0"):
        make(-0.1)
    make(0.0)  # allowed


@pytest.mark.parametrize("cls", [Adagrad, RMSProp, Adam])
def test_rejects_non_positive_eps(cls):
    for eps in [0.0, -1e-8]:
        with pytest.raises(ValueError, match="eps must be a finite number > 0"):
            cls(lr=0.1, eps=eps)


def test_rejects_schedule_returning_a_negative_or_nan_rate():
    with pytest.raises(ValueError, match="learning rate at step 0 must be a finite number >= 0"):
        one_update(SGD(lr=lambda t: -0.1), {"w": np.array([1.0, 1.0])})
    with pytest.raises(ValueError, match="learning rate at step 0 must be a finite number >= 0"):
        one_update(Adam(lr=lambda t: float("nan")), {"w": np.array([1.0, 1.0])})


def test_rejects_bad_state():
    params = {"w": np.array([1.0, 2.0])}
    grads = {"w": np.array([1.0, 1.0])}
    made_by = r"state must be the AdamState made by this optimiser's init\(\) or update\(\), got MomentumState"
    with pytest.raises(ValueError, match=made_by):
        Adam(lr=0.1).update(grads, Momentum(lr=0.1).init(params), params)
    with pytest.raises(ValueError, match=r"state.t must be an integer >= 0"):
        SGD(lr=0.1).update(grads, SGDState(t=-1), params)
    with pytest.raises(ValueError, match="state must be the SGDState"):
        SGD(lr=0.1).update(grads, {"t": 0}, params)
    with pytest.raises(ValueError, match=r"state.v\['w'\] has shape \(3,\)"):
        Momentum(lr=0.1).update(grads, MomentumState(v={"w": np.zeros(3)}, t=0), params)
    with pytest.raises(ValueError, match=r"state.m must have the same keys as params: missing \['w'\]"):
        Adam(lr=0.1).update(grads, AdamState(m={"b": np.zeros(2)}, v={"w": np.zeros(2)}, t=0), params)


def test_rejects_empty_or_non_dict_params():
    with pytest.raises(ValueError, match="params is empty"):
        Adam(lr=0.1).init({})
    with pytest.raises(ValueError, match="params must be a dict of arrays"):
        SGD(lr=0.1).init(np.zeros(2))


def test_run_trajectory_rejects_bad_start_and_steps():
    with pytest.raises(ValueError, match="x0 must be 1-D"):
        run_trajectory(rosenbrock_grad, np.zeros((2, 2)), SGD(lr=0.1), 5)
    with pytest.raises(ValueError, match="steps must be an integer >= 0"):
        run_trajectory(rosenbrock_grad, np.zeros(2), SGD(lr=0.1), -1)
    with pytest.raises(ValueError, match="steps must be an integer >= 0"):
        run_trajectory(rosenbrock_grad, np.zeros(2), SGD(lr=0.1), 2.5)


# ----------------------------------------------------------------------------- the states


@pytest.mark.parametrize(
    "optimiser, expected",
    [
        (SGD(lr=0.1), lambda zeros: SGDState(t=0)),
        (Momentum(lr=0.1), lambda zeros: MomentumState(v=zeros, t=0)),
        (Adagrad(lr=0.1), lambda zeros: AdagradState(s=zeros, t=0)),
        (RMSProp(lr=0.1), lambda zeros: RMSPropState(s=zeros, t=0)),
        (Adam(lr=0.1), lambda zeros: AdamState(m=zeros, v=zeros, t=0)),
    ],
    ids=lambda o: type(o).__name__,
)
def test_init_gives_each_optimiser_its_own_state_of_zeros(optimiser, expected):
    params = {"W": np.ones((3, 2)), "b": np.ones(2)}
    state = optimiser.init(params)
    assert_same_tree(state, expected({"W": np.zeros((3, 2)), "b": np.zeros(2)}))
    averages = arrays_in(state)
    for i, a in enumerate(averages):  # each average its own array: updating one cannot change another
        assert all(not np.shares_memory(a, b) for b in averages[i + 1:] + arrays_in(params))


@pytest.mark.parametrize("optimiser", ALL_OPTIMIZERS, ids=lambda o: type(o).__name__)
def test_float32_parameters_and_averages_stay_float32(optimiser):
    """float32 training (twice as fast) must not be turned into float64 by an update."""
    rng = np.random.default_rng(2)
    params = {"W": rng.normal(size=(4, 3)).astype(np.float32)}
    state = optimiser.init(params)
    for _ in range(2):
        params, state = optimiser.update({"W": rng.normal(size=(4, 3)).astype(np.float32)}, state, params)
    assert [a.dtype for a in arrays_in(params) + arrays_in(state)] == [np.float32] * (1 + len(arrays_in(state)))
