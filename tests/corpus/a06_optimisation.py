"""Corpus of assignment 06-optimisation: momentum, Adagrad, RMSProp, Adam, two schedules and the training loop.

Written for this course in the style of student code (no third-party code
copied). Every step function has the notebook's signature
``xxx_step(w, g, state, lr, *hyper) -> (new_w, new_state)``.
"""

from __future__ import annotations

import math

import numpy as np

from . import Submission, correct, wrong

A = "06-optimisation"


# ----------------------------------------------------------------------------- momentum


def momentum_step(w, g, state, lr, beta=0.9):
    v = beta * state["v"] + g
    return w - lr * v, {"v": v}


def momentum_negative_velocity(w, g, state, lr, beta=0.9):
    v = beta * state["v"] - lr * g  # the velocity holds the step itself (the other sign convention)
    return w + v, {"v": v}


def momentum_loops(w, g, state, lr, beta=0.9):
    v, new_w = np.empty_like(w), np.empty_like(w)
    for i in np.ndindex(w.shape):
        v[i] = beta * state["v"][i] + g[i]
        new_w[i] = w[i] - lr * v[i]
    return new_w, {"v": v}


def momentum_in_place_on_copies(w, g, state, lr, beta=0.9):
    v = state["v"].copy()
    v *= beta
    v += g
    new_w = w.copy()
    new_w -= lr * v
    return new_w, {"v": v}


def momentum_forgets(w, g, state, lr, beta=0.9):
    v = beta * np.zeros_like(w) + g
    return w - lr * v, {"v": v}


def momentum_returns_old_state(w, g, state, lr, beta=0.9):
    v = beta * state["v"] + g
    return w - lr * v, state


def momentum_ema(w, g, state, lr, beta=0.9):
    v = beta * state["v"] + (1 - beta) * g
    return w - lr * v, {"v": v}


def momentum_state_in_place(w, g, state, lr, beta=0.9):
    state["v"] = beta * state["v"] + g
    return w - lr * state["v"], state


def momentum_w_in_place(w, g, state, lr, beta=0.9):
    v = beta * state["v"] + g
    w -= lr * v
    return w, {"v": v}


def momentum_ascent(w, g, state, lr, beta=0.9):
    v = beta * state["v"] + g
    return w + lr * v, {"v": v}


def momentum_old_velocity(w, g, state, lr, beta=0.9):
    new_w = w - lr * state["v"]
    return new_w, {"v": beta * state["v"] + g}


# ----------------------------------------------------------------------------- Adagrad


def adagrad_step(w, g, state, lr, eps=1e-8):
    s = state["s"] + g ** 2
    return w - lr * g / (np.sqrt(s) + eps), {"s": s}


def adagrad_square_multiply(w, g, state, lr, eps=1e-8):
    s = state["s"] + g * g
    return w - lr * g / (s ** 0.5 + eps), dict(s=s)


def adagrad_eps_inside(w, g, state, lr, eps=1e-8):
    s = state["s"] + g ** 2
    return w - lr * g / np.sqrt(s + eps), {"s": s}


def adagrad_no_sum(w, g, state, lr, eps=1e-8):
    s = g ** 2
    return w - lr * g / (np.sqrt(s) + eps), {"s": s}


def adagrad_no_sqrt(w, g, state, lr, eps=1e-8):
    s = state["s"] + g ** 2
    return w - lr * g / (s + eps), {"s": s}


def adagrad_state_in_place(w, g, state, lr, eps=1e-8):
    state["s"] += g ** 2
    return w - lr * g / (np.sqrt(state["s"]) + eps), {"s": state["s"].copy()}


def adagrad_fixed_eps(w, g, state, lr, eps=1e-8):
    s = state["s"] + g ** 2
    return w - lr * g / (np.sqrt(s) + 1e-6), {"s": s}  # "1e-8 is too small"


# ----------------------------------------------------------------------------- RMSProp


def rmsprop_step(w, g, state, lr, rho=0.9, eps=1e-8):
    s = rho * state["s"] + (1 - rho) * g ** 2
    return w - lr * g / (np.sqrt(s) + eps), {"s": s}


def rmsprop_loops(w, g, state, lr, rho=0.9, eps=1e-8):
    s, new_w = np.zeros_like(w), np.zeros_like(w)
    for i in np.ndindex(w.shape):
        s[i] = rho * state["s"][i] + (1 - rho) * g[i] ** 2
        new_w[i] = w[i] - lr * g[i] / (math.sqrt(s[i]) + eps)
    return new_w, {"s": s}


def rmsprop_eps_inside(w, g, state, lr, rho=0.9, eps=1e-8):
    s = rho * state["s"] + (1 - rho) * g ** 2
    return w - lr * g / np.sqrt(s + eps), {"s": s}


def rmsprop_swapped(w, g, state, lr, rho=0.9, eps=1e-8):
    s = (1 - rho) * state["s"] + rho * g ** 2
    return w - lr * g / (np.sqrt(s) + eps), {"s": s}


def rmsprop_forgets(w, g, state, lr, rho=0.9, eps=1e-8):
    s = (1 - rho) * g ** 2
    return w - lr * g / (np.sqrt(s) + eps), {"s": state["s"]}


def rmsprop_state_in_place(w, g, state, lr, rho=0.9, eps=1e-8):
    state["s"] *= rho
    state["s"] += (1 - rho) * g ** 2
    return w - lr * g / (np.sqrt(state["s"]) + eps), state


# ----------------------------------------------------------------------------- Adam


def adam_step(w, g, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state["t"] + 1
    m = beta1 * state["m"] + (1 - beta1) * g
    v = beta2 * state["v"] + (1 - beta2) * g ** 2
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), {"m": m, "v": v, "t": t}


def adam_in_place_on_copies(w, g, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    new = {"m": state["m"].copy(), "v": state["v"].copy(), "t": state["t"] + 1}
    new["m"] *= beta1
    new["m"] += (1 - beta1) * g
    new["v"] *= beta2
    new["v"] += (1 - beta2) * np.square(g)
    step = lr * np.sqrt(1 - beta2 ** new["t"]) / (1 - beta1 ** new["t"])  # the correction folded into the rate
    new_w = w.copy()
    new_w -= step * new["m"] / (np.sqrt(new["v"]) + eps * np.sqrt(1 - beta2 ** new["t"]))
    return new_w, new


def adam_no_bias_correction(w, g, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * state["m"] + (1 - beta1) * g
    v = beta2 * state["v"] + (1 - beta2) * g ** 2
    return w - lr * m / (np.sqrt(v) + eps), {"m": m, "v": v, "t": state["t"] + 1}


def adam_t_not_increased_first(w, g, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state["t"]
    m = beta1 * state["m"] + (1 - beta1) * g
    v = beta2 * state["v"] + (1 - beta2) * g ** 2
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), {"m": m, "v": v, "t": t + 1}


def adam_t_never_stored(w, g, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state["t"] + 1
    m = beta1 * state["m"] + (1 - beta1) * g
    v = beta2 * state["v"] + (1 - beta2) * g ** 2
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), {"m": m, "v": v, "t": state["t"]}


def adam_eps_inside(w, g, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state["t"] + 1
    m = beta1 * state["m"] + (1 - beta1) * g
    v = beta2 * state["v"] + (1 - beta2) * g ** 2
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return w - lr * m_hat / np.sqrt(v_hat + eps), {"m": m, "v": v, "t": t}


def adam_stores_corrected(w, g, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state["t"] + 1
    m = (beta1 * state["m"] + (1 - beta1) * g) / (1 - beta1 ** t)
    v = (beta2 * state["v"] + (1 - beta2) * g ** 2) / (1 - beta2 ** t)
    return w - lr * m / (np.sqrt(v) + eps), {"m": m, "v": v, "t": t}


def adam_state_in_place(w, g, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    state["t"] += 1
    state["m"] = beta1 * state["m"] + (1 - beta1) * g
    state["v"] = beta2 * state["v"] + (1 - beta2) * g ** 2
    m_hat, v_hat = state["m"] / (1 - beta1 ** state["t"]), state["v"] / (1 - beta2 ** state["t"])
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), dict(state)


def adam_returns_w_only(w, g, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    return _good_adam_step(w, g, state, lr, beta1, beta2, eps)[0]


# The good step under a name of its own (a notebook has one function per name: a wrapper named adam_step that
# called adam_step would call itself).
_good_adam_step = adam_step


# ----------------------------------------------------------------------------- schedules


def step_decay(t, lr0, drop=0.5, every=10):
    return lr0 * drop ** (t // every)


def cosine_schedule(t, lr0, total_steps, lr_min=0.0):
    t = min(t, total_steps)
    return lr_min + (lr0 - lr_min) * 0.5 * (1.0 + np.cos(np.pi * t / total_steps))


def step_decay_math_floor(t, lr0, drop=0.5, every=10):
    return lr0 * math.pow(drop, math.floor(t / every))


def cosine_with_if(t, lr0, total_steps, lr_min=0.0):
    if t >= total_steps:
        return lr_min
    return lr_min + 0.5 * (lr0 - lr_min) * (1 + math.cos(math.pi * t / total_steps))


def step_decay_float_exponent(t, lr0, drop=0.5, every=10):
    return lr0 * drop ** (t / every)


def step_decay_one_early(t, lr0, drop=0.5, every=10):
    return lr0 * drop ** ((t + 1) // every)


def cosine_not_clamped(t, lr0, total_steps, lr_min=0.0):
    return lr_min + (lr0 - lr_min) * 0.5 * (1.0 + np.cos(np.pi * t / total_steps))


def cosine_ignores_lr_min(t, lr0, total_steps, lr_min=0.0):
    t = min(t, total_steps)
    return lr0 * 0.5 * (1.0 + np.cos(np.pi * t / total_steps))


def cosine_without_half(t, lr0, total_steps, lr_min=0.0):
    t = min(t, total_steps)
    return lr_min + (lr0 - lr_min) * np.cos(np.pi * t / total_steps)


# ----------------------------------------------------------------------------- the training loop


def run_optimiser(step_fn, state, grad_fn, w0, num_steps, lr, **hyper):
    w = np.array(w0, dtype=np.float64)
    path = [w]
    for t in range(num_steps):
        eta = lr(t) if callable(lr) else lr
        w, state = step_fn(w, grad_fn(w), state, eta, **hyper)
        path.append(w)
    return np.array(path)


def run_preallocated(step_fn, state, grad_fn, w0, num_steps, lr, **hyper):
    path = np.zeros((num_steps + 1, len(w0)))
    path[0] = w0
    for t in range(num_steps):
        rate = lr(t) if callable(lr) else lr
        new_w, state = step_fn(path[t].copy(), grad_fn(path[t]), state, rate, **hyper)
        path[t + 1] = new_w
    return path


def run_no_start(step_fn, state, grad_fn, w0, num_steps, lr, **hyper):
    w, path = w0, []
    for t in range(num_steps):
        w, state = step_fn(w, grad_fn(w), state, lr(t) if callable(lr) else lr, **hyper)
        path.append(w)
    return np.array(path)


def run_schedule_from_one(step_fn, state, grad_fn, w0, num_steps, lr, **hyper):
    w, path = w0, [w0]
    for t in range(1, num_steps + 1):
        w, state = step_fn(w, grad_fn(w), state, lr(t) if callable(lr) else lr, **hyper)
        path.append(w)
    return np.array(path)


def run_state_not_fed_back(step_fn, state, grad_fn, w0, num_steps, lr, **hyper):
    w, path = w0, [w0]
    for t in range(num_steps):
        w, _ = step_fn(w, grad_fn(w), state, lr(t) if callable(lr) else lr, **hyper)
        path.append(w)
    return np.array(path)


def run_gradient_at_start(step_fn, state, grad_fn, w0, num_steps, lr, **hyper):
    g = grad_fn(w0)
    w, path = w0, [w0]
    for t in range(num_steps):
        w, state = step_fn(w, g, state, lr(t) if callable(lr) else lr, **hyper)
        path.append(w)
    return np.array(path)


def run_same_array(step_fn, state, grad_fn, w0, num_steps, lr, **hyper):
    w = np.array(w0, dtype=float)
    path = [w]
    for t in range(num_steps):
        new_w, state = step_fn(w, grad_fn(w), state, lr(t) if callable(lr) else lr, **hyper)
        w[:] = new_w
        path.append(w)
    return np.array(path)


def run_ignores_schedule(step_fn, state, grad_fn, w0, num_steps, lr, **hyper):
    w, path = w0, [w0]
    for t in range(num_steps):
        w, state = step_fn(w, grad_fn(w), state, lr(0) if callable(lr) else lr, **hyper)
        path.append(w)
    return np.array(path)


def momentum_zeros(w, g, state, lr, beta=0.9):
    return np.zeros_like(w), state


def adam_zeros(w, g, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    return np.zeros_like(w), state


STEPS = {"momentum_step": momentum_step, "adam_step": adam_step}

ENTRIES = [
    # momentum
    correct(A, "momentum_step", "textbook", momentum_step),
    correct(A, "momentum_step", "velocity holding -lr g (the other sign convention)", momentum_negative_velocity),
    correct(A, "momentum_step", "a loop over the entries", momentum_loops),
    correct(A, "momentum_step", "in place on its own copies", momentum_in_place_on_copies),
    wrong(A, "momentum_step", "forgets the velocity", momentum_forgets, "wrong-value", "fresh velocity",
          "state['v']", mistake="state-not-carried"),
    wrong(A, "momentum_step", "returns the state it was given", momentum_returns_old_state, "wrong-value",
          "fresh velocity", "return the new v", mistake="state-not-carried"),
    wrong(A, "momentum_step", "exponential average", momentum_ema, "wrong-value", "exponential average",
          "v = beta v + g", mistake="exponential-average"),
    wrong(A, "momentum_step", "writes into the state", momentum_state_in_place, "mutates-input", "`state`",
          "in place"),
    wrong(A, "momentum_step", "w -= lr v", momentum_w_in_place, "mutates-input", "`w`"),
    wrong(A, "momentum_step", "steps uphill", momentum_ascent, "sign-flipped", "opposite sign", "uphill",
          "w - lr", mistake="uphill"),
    wrong(A, "momentum_step", "steps with the old velocity", momentum_old_velocity, "wrong-value",
          "old velocity", "then step", mistake="old-velocity"),
    # Adagrad
    correct(A, "adagrad_step", "textbook", adagrad_step),
    correct(A, "adagrad_step", "g * g and ** 0.5", adagrad_square_multiply),
    wrong(A, "adagrad_step", "eps inside the square root", adagrad_eps_inside, "wrong-value", "inside the square "
          "root", "sqrt(s) + eps", mistake="eps-inside-sqrt"),
    wrong(A, "adagrad_step", "no running sum", adagrad_no_sum, "wrong-value", "forgets the sum", "state['s']",
          mistake="state-not-carried"),
    wrong(A, "adagrad_step", "no square root", adagrad_no_sqrt, "wrong-value", "instead of sqrt(s) + eps",
          mistake="no-sqrt"),
    wrong(A, "adagrad_step", "s += g ** 2 into the state", adagrad_state_in_place, "mutates-input", "`state`"),
    wrong(A, "adagrad_step", "its own eps", adagrad_fixed_eps, "wrong-value", "small constants",
          "the one passed to your function"),
    # RMSProp
    correct(A, "rmsprop_step", "textbook", rmsprop_step),
    correct(A, "rmsprop_step", "a loop with math.sqrt", rmsprop_loops),
    wrong(A, "rmsprop_step", "eps inside the square root", rmsprop_eps_inside, "wrong-value",
          "inside the square root", "sqrt(s) + eps", mistake="eps-inside-sqrt"),
    wrong(A, "rmsprop_step", "rho and 1 - rho swapped", rmsprop_swapped, "wrong-value", "swapped",
          mistake="rho-swapped"),
    wrong(A, "rmsprop_step", "forgets the average", rmsprop_forgets, "wrong-value", "fresh state",
          "return it in the new state", mistake="state-not-carried"),
    wrong(A, "rmsprop_step", "updates the state in place", rmsprop_state_in_place, "mutates-input", "`state`"),
    # Adam
    correct(A, "adam_step", "textbook", adam_step),
    correct(A, "adam_step", "correction folded into the rate, in place on copies", adam_in_place_on_copies),
    wrong(A, "adam_step", "no bias correction", adam_no_bias_correction, "wrong-value", "without bias correction",
          "1 - beta1 ** t", mistake="no-bias-correction"),
    wrong(A, "adam_step", "t not increased before use", adam_t_not_increased_first, "not-finite", "t = 0",
          "increase t first", mistake="t-used-before-increase"),
    wrong(A, "adam_step", "t never stored", adam_t_never_stored, "wrong-value", "t = 1 at every step",
          "t = state['t'] + 1", mistake="t-never-increased"),
    wrong(A, "adam_step", "eps inside the square root", adam_eps_inside, "wrong-value", "inside the square root",
          mistake="eps-inside-sqrt"),
    wrong(A, "adam_step", "stores m_hat and v_hat", adam_stores_corrected, "wrong-value", "holds m_hat",
          "raw averages", mistake="state-holds-m-hat"),
    wrong(A, "adam_step", "updates the state in place", adam_state_in_place, "mutates-input", "`state`"),
    wrong(A, "adam_step", "returns new_w only", adam_returns_w_only, "wrong-type", "(new_w, new_state)"),
    # schedules
    correct(A, "step_decay", "textbook", step_decay, helpers={"cosine_schedule": cosine_schedule}),
    correct(A, "step_decay", "math.pow and floor, cosine with an if", step_decay_math_floor,
            helpers={"cosine_schedule": cosine_with_if}),
    wrong(A, "step_decay", "t / every", step_decay_float_exponent, "wrong-value", "integer division", "t // every",
          helpers={"cosine_schedule": cosine_schedule}, mistake="fractional-exponent"),
    wrong(A, "step_decay", "drops one step early", step_decay_one_early, "wrong-value", "one step too early",
          helpers={"cosine_schedule": cosine_schedule}, mistake="one-step-early"),
    wrong(A, "cosine_schedule", "not clamped after total_steps", cosine_not_clamped, "wrong-value",
          "min(t, total_steps)", helpers={"step_decay": step_decay}, mistake="not-clamped"),
    wrong(A, "cosine_schedule", "ignores lr_min", cosine_ignores_lr_min, "wrong-value", "lr_min is ignored",
          helpers={"step_decay": step_decay}, mistake="lr-min-ignored"),
    wrong(A, "cosine_schedule", "cos without (1 + cos) / 2", cosine_without_half, "wrong-value", "(1 + cos",
          helpers={"step_decay": step_decay}, mistake="without-half"),
    # the training loop
    correct(A, "run_optimiser", "textbook", run_optimiser, helpers=STEPS),
    correct(A, "run_optimiser", "a preallocated path", run_preallocated, helpers=STEPS),
    correct(A, "run_optimiser", "its own momentum forgets its state (the grader's stands in for it)", run_optimiser,
            helpers={**STEPS, "momentum_step": momentum_forgets}),
    correct(A, "run_optimiser", "its own momentum and Adam steps return zeros (the grader's stand in for them)",
            run_optimiser, helpers={"momentum_step": momentum_zeros, "adam_step": adam_zeros}),
    correct(A, "run_optimiser", "without its own step functions (not written yet)", run_optimiser),
    wrong(A, "run_optimiser", "no w0 row", run_no_start, "wrong-shape", "row 0 must be w0", helpers=STEPS,
          mistake="no-start-row"),
    wrong(A, "run_optimiser", "schedule from t = 1", run_schedule_from_one, "wrong-value", "lr(t + 1)",
          "lr(0)", helpers=STEPS, mistake="schedule-from-one"),
    wrong(A, "run_optimiser", "state not fed back", run_state_not_fed_back, "wrong-value", "initial state",
          "pass the state returned", helpers=STEPS, mistake="state-not-fed-back"),
    wrong(A, "run_optimiser", "gradient at w0 only", run_gradient_at_start, "wrong-value", "gradient at w0",
          "grad_fn(w)", helpers=STEPS, mistake="gradient-at-start"),
    wrong(A, "run_optimiser", "the same array appended", run_same_array, "wrong-value", "same array",
          helpers=STEPS, mistake="same-array-appended"),
    wrong(A, "run_optimiser", "lr(0) at every step", run_ignores_schedule, "wrong-value", "lr(0)", "lr(t)",
          helpers=STEPS, mistake="schedule-ignored"),
]


# ----------------------------------------------------------------------------- more mistakes, one per known mistake


def momentum_beta_on_gradient(w, g, state, lr, beta=0.9):
    v = state["v"] + beta * g
    return w - lr * v, {"v": v}


def adagrad_no_eps(w, g, state, lr, eps=1e-8):
    s = state["s"] + g ** 2
    return w - lr * g / np.sqrt(s), {"s": s}  # eps forgotten: 0 / 0 where g stays 0


def adagrad_ascent(w, g, state, lr, eps=1e-8):
    s = state["s"] + g ** 2
    return w + lr * g / (np.sqrt(s) + eps), {"s": s}


def rmsprop_no_one_minus(w, g, state, lr, rho=0.9, eps=1e-8):
    s = rho * state["s"] + g ** 2  # the (1 - rho) of the new term is missing
    return w - lr * g / (np.sqrt(s) + eps), {"s": s}


def rmsprop_fixed_rho(w, g, state, lr, rho=0.9, eps=1e-8):
    s = 0.9 * state["s"] + 0.1 * g ** 2  # the lecture's numbers, not the rho passed in
    return w - lr * g / (np.sqrt(s) + eps), {"s": s}


def rmsprop_no_sqrt(w, g, state, lr, rho=0.9, eps=1e-8):
    s = rho * state["s"] + (1 - rho) * g ** 2
    return w - lr * g / (s + eps), {"s": s}


def rmsprop_no_eps_loop(w, g, state, lr, rho=0.9, eps=1e-8):
    s, new_w = np.zeros_like(w), np.zeros_like(w)
    for i in np.ndindex(w.shape):
        s[i] = rho * state["s"][i] + (1 - rho) * g[i] ** 2
        new_w[i] = w[i] - lr * g[i] / math.sqrt(s[i]) if s[i] > 0 else w[i] - lr * g[i] / s[i]
    return new_w, {"s": s}


def rmsprop_ascent(w, g, state, lr, rho=0.9, eps=1e-8):
    s = rho * state["s"] + (1 - rho) * g ** 2
    return w + lr * g / (np.sqrt(s) + eps), {"s": s}


def adam_correction_without_t(w, g, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state["t"] + 1
    m = beta1 * state["m"] + (1 - beta1) * g
    v = beta2 * state["v"] + (1 - beta2) * g * g
    m_hat = m / (1 - beta1)  # the power t is missing here ...
    v_hat = v / (1 - beta2 ** t)  # ... but not here
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), {"m": m, "v": v, "t": t}


def adam_fresh_state(w, g, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    m = (1 - beta1) * g  # beta1 * 0 + ...: the state's m is never read
    v = (1 - beta2) * g ** 2
    m_hat, v_hat = m / (1 - beta1), v / (1 - beta2)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), {"m": m, "v": v, "t": 1}


def adam_t_plus_one(w, g, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state["t"] + 1
    m = beta1 * state["m"] + (1 - beta1) * g
    v = beta2 * state["v"] + (1 - beta2) * g ** 2
    m_hat, v_hat = m / (1 - beta1 ** (t + 1)), v / (1 - beta2 ** (t + 1))  # t increased twice
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), {"m": m, "v": v, "t": t}


def adam_ascent(w, g, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    new_w, new_state = _good_adam_step(w, g, state, lr, beta1, beta2, eps)
    return 2 * w - new_w, new_state


def step_decay_dropped_at_zero(t, lr0, drop=0.5, every=10):
    return lr0 * drop ** (t // every + 1)


def step_decay_every_step(t, lr0, drop=0.5, every=10):
    return lr0 * drop ** t


def step_decay_one_minus_drop(t, lr0, drop=0.5, every=10):
    return lr0 * (1 - drop) ** (t // every)


def cosine_no_pi(t, lr0, total_steps, lr_min=0.0):
    t = min(t, total_steps)
    return lr_min + (lr0 - lr_min) * 0.5 * (1 + math.cos(t / total_steps))


def cosine_quarter(t, lr0, total_steps, lr_min=0.0):
    t = min(t, total_steps)
    return lr_min + (lr0 - lr_min) * 0.5 * (1 + math.cos(math.pi * t / (2 * total_steps)))


def cosine_scaled_by_lr0(t, lr0, total_steps, lr_min=0.0):
    t = min(t, total_steps)
    return lr_min + lr0 * 0.5 * (1 + math.cos(math.pi * t / total_steps))


def run_without_hyper(step_fn, state, grad_fn, w0, num_steps, lr, **hyper):
    w = np.array(w0, dtype=np.float64)
    path = [w]
    for t in range(num_steps):
        eta = lr(t) if callable(lr) else lr
        w, state = step_fn(w, grad_fn(w), state, eta)  # **hyper not passed on: the defaults are used
        path.append(w)
    return np.array(path)


ENTRIES += [
    wrong(A, "momentum_step", "beta on the gradient", momentum_beta_on_gradient, "wrong-value", "beta * v + g",
          mistake="beta-on-gradient"),
    wrong(A, "adagrad_step", "eps forgotten", adagrad_no_eps, "wrong-value", "without eps", "add eps",
          mistake="eps-forgotten"),
    wrong(A, "adagrad_step", "steps uphill", adagrad_ascent, "sign-flipped", "uphill", mistake="uphill"),
    wrong(A, "rmsprop_step", "the average without (1 - rho)", rmsprop_no_one_minus, "wrong-value", "(1 - rho)",
          mistake="average-without-one-minus-rho"),
    wrong(A, "rmsprop_step", "rho = 0.9 whatever rho is given", rmsprop_fixed_rho, "wrong-value",
          "the rho passed to your function", mistake="fixed-rho"),
    wrong(A, "rmsprop_step", "no square root", rmsprop_no_sqrt, "wrong-value", "instead of sqrt(s) + eps",
          mistake="no-sqrt"),
    wrong(A, "rmsprop_step", "a loop with math.sqrt, eps forgotten", rmsprop_no_eps_loop, "wrong-value",
          "without eps", "add eps", mistake="eps-forgotten"),
    wrong(A, "rmsprop_step", "steps uphill", rmsprop_ascent, "sign-flipped", "uphill", mistake="uphill"),
    wrong(A, "adam_step", "bias correction with 1 - beta1, not 1 - beta1 ** t", adam_correction_without_t,
          "wrong-value", "1 - beta1", "without the power t", mistake="correction-without-t"),
    wrong(A, "adam_step", "never reads its state", adam_fresh_state, "wrong-value", "fresh state",
          mistake="state-not-carried"),
    wrong(A, "adam_step", "t increased twice", adam_t_plus_one, "wrong-value", "t + 1", mistake="t-plus-one"),
    wrong(A, "adam_step", "steps uphill", adam_ascent, "sign-flipped", "uphill", mistake="uphill"),
    wrong(A, "step_decay", "dropped already at t = 0", step_decay_dropped_at_zero, "wrong-value", "t = 0",
          helpers={"cosine_schedule": cosine_schedule}, mistake="dropped-at-zero"),
    wrong(A, "step_decay", "drops at every step", step_decay_every_step, "wrong-value", "drop ** t",
          helpers={"cosine_schedule": cosine_schedule}, mistake="drops-every-step"),
    wrong(A, "step_decay", "times 1 - drop", step_decay_one_minus_drop, "wrong-value", "1 - drop",
          helpers={"cosine_schedule": cosine_schedule}, mistake="one-minus-drop"),
    wrong(A, "cosine_schedule", "no pi in the angle", cosine_no_pi, "wrong-value", "its pi",
          helpers={"step_decay": step_decay}, mistake="no-pi"),
    wrong(A, "cosine_schedule", "a quarter cosine", cosine_quarter, "wrong-value", "quarter cosine",
          helpers={"step_decay": step_decay}, mistake="quarter-cosine"),
    wrong(A, "cosine_schedule", "scaled by lr0", cosine_scaled_by_lr0, "wrong-value", "lr0 - lr_min",
          helpers={"step_decay": step_decay}, mistake="scaled-by-lr0"),
    wrong(A, "run_optimiser", "**hyper not passed on", run_without_hyper, "wrong-value", "**hyper",
          helpers=STEPS, mistake="goes-wrong-later"),
]


# ----------------------------------------------------------------------------- whole notebooks, graded end to end
#
# Synthetic students for 06-optimisation: the correct solution, the typical optimiser mistakes, and misbehaviour.
#
# A wrong optimiser costs its own item only: run_optimiser is graded with the
# grader's momentum and Adam steps standing in for the student's (error carried
# forward).

_MUTATING_MOMENTUM = '''
def momentum_step(w, g, state, lr, beta=0.9):
    v = beta * state["v"] + g
    w -= lr * v  # changes the caller's array
    return w, {"v": v}
'''

_NO_STATE_ADAGRAD = '''
def adagrad_step(w, g, state, lr, eps=1e-8):
    s = state["s"] + g ** 2
    return w - lr * g / (np.sqrt(s) + eps), state  # returns the old state: nothing is remembered
'''

_SIGN_FLIPPED_RMSPROP = '''
def rmsprop_step(w, g, state, lr, rho=0.9, eps=1e-8):
    s = rho * state["s"] + (1.0 - rho) * g ** 2
    return w + lr * g / (np.sqrt(s) + eps), {"s": s}  # climbs instead of descending
'''

_UNCORRECTED_ADAM = '''
def adam_step(w, g, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * state["m"] + (1.0 - beta1) * g
    v = beta2 * state["v"] + (1.0 - beta2) * g ** 2
    return w - lr * m / (np.sqrt(v) + eps), {"m": m, "v": v, "t": state["t"] + 1}
'''

_LOOPING_SCHEDULE = '''
def step_decay(t, lr0, drop=0.5, every=10):
    rate = lr0
    while True:  # meant to count the drops, never stops
        rate = rate * 1.0
    return rate


def cosine_schedule(t, lr0, total_steps, lr_min=0.0):
    t = min(t, total_steps)
    return lr_min + (lr0 - lr_min) * 0.5 * (1.0 + np.cos(np.pi * t / total_steps))
'''

_REFERENCE_ADAM = '''
from dlfoundations.optim import Adam, AdamState


def adam_step(w, g, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    reference = Adam(lr, beta1, beta2, eps)
    library_state = AdamState(m={"w": state["m"]}, v={"w": state["v"]}, t=state["t"])
    params, new = reference.update({"w": g}, library_state, {"w": w})
    return params["w"], {"m": new.m["w"], "v": new.v["w"], "t": new.t}
'''

_SYS_MODULES_MOMENTUM = '''
import sys
__import__("dlfoundations.optim")


def momentum_step(w, g, state, lr, beta=0.9):
    optim = sys.modules["dlfoundations.optim"]
    params, new = optim.Momentum(lr, beta).update({"w": g}, optim.MomentumState(v={"w": state["v"]}, t=0), {"w": w})
    return params["w"], {"v": new.v["w"]}
'''

SUBMISSIONS = [
    Submission("correct"),
    Submission("mutates_input", answers={"momentum-answer": _MUTATING_MOMENTUM},
               expected={'momentum-test': 0.0}, diagnoses={'momentum-test': 'mutates-input'}),
    Submission("state_not_carried", answers={"adagrad-answer": _NO_STATE_ADAGRAD},
               expected={'adagrad-test': 0.0},
               diagnoses={'adagrad-test': 'wrong-value'}),
    Submission("sign_flipped", answers={"rmsprop-answer": _SIGN_FLIPPED_RMSPROP},
               expected={'rmsprop-test': 0.0},
               diagnoses={'rmsprop-test': 'sign-flipped'}),
    Submission("no_bias_correction", answers={"adam-answer": _UNCORRECTED_ADAM},
               expected={'adam-test': 0.0}, diagnoses={'adam-test': 'wrong-value'}),
    Submission("loop", answers={"schedules-answer": _LOOPING_SCHEDULE}, expected={'schedules-test': 0.0},
               diagnoses={'schedules-test': 'time-limit'}),
    Submission("deleted_test", delete_cells=("schedules-test",)),
    Submission("uses_reference", answers={"adam-answer": _REFERENCE_ADAM},
               expected={'adam-test': 0.0}, diagnoses={'adam-test': 'missing'}),
    Submission("uses_reference_sys_modules", answers={"momentum-answer": _SYS_MODULES_MOMENTUM},
               expected={'momentum-test': 0.0}, diagnoses={'momentum-test': 'missing'}),
]
