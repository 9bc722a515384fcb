"""Error carried forward by proxy in 05-backprop and 06-optimisation: a wrong earlier function never helps.

While an item is graded, the earlier functions its code calls by name answer
with the grader's references (``Item.calls``, ``Assignment.references``), and
every check compares with the plain reference. These tests grade small
notebooks (functions defined from source in one namespace, as a notebook's cells
define them) through :func:`dlfcourse.grader.items.grade_items` over a whole
assignment and through :func:`dlfcourse.grader.api.grade_function`:

* a correct later function on a wrong earlier one passes, the earlier item
  fails, and the later verdict says it was graded as if the earlier one were
  right (``verdict.helper``); through ``grade_function`` (no earlier verdicts)
  the pass is plain;
* an "empty notebook" (every function returns zeros or does nothing) scores
  0 on every item: an earlier function that returns zeros makes no later item
  agree with it;
* an earlier function that is right while its own item is graded and wrong
  once a later function has run gains nothing: the later item is graded on the
  reference all the same;
* the two-moons trainer is measured end to end: one that does no work fails,
  whatever its helpers do.

Under the mechanism these replace (a reference rebuilt on the student's own
earlier function), each of these tests fails: the empty notebook's forward
pass, a trainer that never trains on a zero-gradient cross-entropy and a
run_optimiser that drops ``**hyper`` on do-nothing steps all passed.
"""

from __future__ import annotations

import inspect
import textwrap
import types
from typing import Any

import numpy as np
import pytest

from dlfcourse.grader import checks
from dlfcourse.grader.api import grade_function
from dlfcourse.grader.items import grade_items
from dlfcourse.grader.student import LocalStudent
from dlfcourse.grader.verdict import Verdict
from model_solutions import solution_functions

SEED = 20240605

# ----------------------------------------------------------------------------- the references served


@pytest.mark.parametrize("assignment", ["05-backprop", "06-optimisation"])
def test_every_served_reference_has_the_notebooks_signature(assignment):
    """A student's code may call an earlier function with keywords and rely on its defaults: each reference takes
    the arguments of the solution notebook's function, by the same names, with the same defaults."""
    solution = solution_functions(assignment)
    served = checks.find(assignment).references
    assert set(served) == {name for item in checks.find(assignment).items for name in item.calls}
    for name, reference in served.items():
        expected = [(p.name, p.kind, p.default) for p in inspect.signature(solution[name]).parameters.values()]
        got = [(p.name, p.kind, p.default) for p in inspect.signature(reference).parameters.values()]
        assert got == expected, name


# ----------------------------------------------------------------------------- notebooks


def notebook(*cells: str) -> dict[str, Any]:
    """The functions the ``cells`` define, run in order in one namespace (a later definition replaces an
    earlier one, as re-running a cell does)."""
    namespace: dict[str, Any] = {"np": np, "__name__": "__main__"}
    for cell in cells:
        exec(compile(textwrap.dedent(cell), "<cell>", "exec"), namespace)  # noqa: S102 - the tests' own code
    return {name: value for name, value in namespace.items() if isinstance(value, types.FunctionType)}


def grade_all(assignment: str, functions: dict[str, Any]) -> dict[str, Verdict]:
    """Every item of ``assignment``, in order, each out of 1 point."""
    items = checks.find(assignment).items
    return grade_items(checks.find(assignment), LocalStudent(functions), SEED, {i.grade_id: 1.0 for i in items})


def carried(verdict: Verdict, earlier: str) -> bool:
    note = verdict.message.partition("Graded as if your ")[2].partition(" right (")[0]
    return verdict.ok and verdict.points == 1.0 and verdict.helper == earlier and f"`{earlier}`" in note


def plain_pass(verdict: Verdict) -> bool:
    """Full marks with no word of a wrong earlier function (the old carried passes said "graded with your own")."""
    return verdict.ok and verdict.points == 1.0 and verdict.helper is None and "Graded as if" not in \
        verdict.message and "graded with your own" not in verdict.message


def failed(verdict: Verdict) -> bool:
    return not verdict.ok and verdict.points == 0.0 and verdict.code != "grader-error"


BACKPROP = """
def relu_forward(z):
    return np.maximum(z, 0.0), z


def relu_backward(dout, cache):
    return dout * (cache > 0)


def affine_forward(X, W, b):
    return X @ W + b, (X, W)


def affine_backward(dout, cache):
    X, W = cache
    return dout @ W.T, X.T @ dout, dout.sum(axis=0)


def two_layer_forward(params, X):
    A, c1 = affine_forward(X, params["W1"], params["b1"])
    H, c2 = relu_forward(A)
    Z, c3 = affine_forward(H, params["W2"], params["b2"])
    return Z, (c1, c2, c3)


def two_layer_backward(delta2, cache):
    c1, c2, c3 = cache
    dH, dW2, db2 = affine_backward(delta2, c3)
    _, dW1, db1 = affine_backward(relu_backward(dH, c2), c1)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def two_layer_mse(params, X, Y):
    Z, cache = two_layer_forward(params, X)
    N = X.shape[0]
    return np.sum((Z - Y) ** 2) / (2 * N), two_layer_backward((Z - Y) / N, cache)


def two_layer_cross_entropy(params, X, y):
    Z, cache = two_layer_forward(params, X)
    N = X.shape[0]
    shifted = Z - Z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    delta2 = np.exp(log_p)
    delta2[np.arange(N), y] -= 1.0
    return -np.mean(log_p[np.arange(N), y]), two_layer_backward(delta2 / N, cache)


def network_gradient_errors(loss_fn, params, h=1e-5):
    _, grads = loss_fn(params)
    errors = {}
    for name in params:
        x = np.array(params[name], dtype=np.float64)
        numeric = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            up, down = x.copy(), x.copy()
            up[i] += h
            down[i] -= h
            numeric[i] = (loss_fn({**params, name: up})[0] - loss_fn({**params, name: down})[0]) / (2 * h)
        a = np.asarray(grads[name], dtype=np.float64)
        errors[name] = float(np.max(np.abs(a - numeric)) / max(1e-8, np.max(np.abs(a) + np.abs(numeric))))
    return errors


def two_layer_predict(params, X):
    return np.argmax(two_layer_forward(params, X)[0], axis=1)


def he_init(X, y, hidden_size, seed):
    rng = np.random.default_rng(seed)
    d, K = X.shape[1], int(y.max()) + 1
    return {"W1": rng.normal(0.0, np.sqrt(2.0 / d), (d, hidden_size)), "b1": np.zeros(hidden_size),
            "W2": rng.normal(0.0, np.sqrt(2.0 / hidden_size), (hidden_size, K)), "b2": np.zeros(K)}


def train_two_layer(X, y, hidden_size=32, lr=0.5, steps=500, seed=0):
    params, losses = he_init(X, y, hidden_size, seed), []
    for _ in range(steps):
        loss, grads = two_layer_cross_entropy(params, X, y)
        losses.append(loss)
        params = {k: params[k] - lr * grads[k] for k in params}
    return params, losses
"""

ZERO_AFFINE_FORWARD = """
def affine_forward(X, W, b):
    return np.zeros((X.shape[0], W.shape[1])), (X, W)
"""

ZERO_BACKWARD = """
def two_layer_backward(delta2, cache):
    (X, W1), z, (H, W2) = cache
    return {"W1": np.zeros_like(W1), "b1": np.zeros(W1.shape[1]), "W2": np.zeros_like(W2),
            "b2": np.zeros(W2.shape[1])}
"""

ZERO_FORWARD = """
def two_layer_forward(params, X):
    return np.zeros((X.shape[0], params["W2"].shape[1])), dict(params)
"""

#: Every function of 05 returns zeros (or an untrained network) without computing anything.
EMPTY_BACKPROP = """
def relu_forward(z):
    return np.zeros_like(z), z


def relu_backward(dout, cache):
    return np.zeros_like(dout)


def affine_forward(X, W, b):
    return np.zeros((X.shape[0], W.shape[1])), (X, W)


def affine_backward(dout, cache):
    X, W = cache
    return np.zeros_like(X), np.zeros_like(W), np.zeros(W.shape[1])


def two_layer_forward(params, X):
    return np.zeros((X.shape[0], params["W2"].shape[1])), dict(params)


def two_layer_backward(delta2, cache):
    return {k: np.zeros_like(v) for k, v in cache.items()}


def two_layer_mse(params, X, Y):
    return 0.0, {k: np.zeros_like(v) for k, v in params.items()}


def two_layer_cross_entropy(params, X, y):
    return 0.0, {k: np.zeros_like(v) for k, v in params.items()}


def network_gradient_errors(loss_fn, params, h=1e-5):
    return {name: 0.0 for name in params}


def two_layer_predict(params, X):
    return np.zeros(X.shape[0], dtype=np.int64)


def train_two_layer(X, y, hidden_size=32, lr=0.5, steps=500, seed=0):
    return he_init(X, y, hidden_size, seed), [0.0] * steps
"""

#: A trainer that computes the losses and gradients but never changes the params.
LAZY_TRAINER = """
def train_two_layer(X, y, hidden_size=32, lr=0.5, steps=500, seed=0):
    CALLED["train"] = True
    params = he_init(X, y, hidden_size, seed)
    losses = [two_layer_cross_entropy(params, X, y)[0] for _ in range(steps)]
    return params, losses
"""

#: The cross-entropy returns zero gradients (its loss is right).
ZERO_GRADIENT_CE = """
def two_layer_cross_entropy(params, X, y):
    loss = _right_cross_entropy(params, X, y)[0]
    return loss, {k: np.zeros_like(v) for k, v in params.items()}
"""

#: The cross-entropy is right until the trainer has run, then returns zero gradients.
STATEFUL_CE = """
def two_layer_cross_entropy(params, X, y):
    loss, grads = _right_cross_entropy(params, X, y)
    if CALLED["train"]:
        grads = {k: np.zeros_like(v) for k, v in grads.items()}
    return loss, grads
"""

RIGHT_CE_UNDER_ITS_OWN_NAME = """
CALLED = {"train": False}
_right_cross_entropy = two_layer_cross_entropy
"""


# ----------------------------------------------------------------------------- 05: a wrong earlier function


def test_05_a_zero_affine_forward_costs_its_own_item_only():
    verdicts = grade_all("05-backprop", notebook(BACKPROP, ZERO_AFFINE_FORWARD))
    assert failed(verdicts["affine-test"]), verdicts["affine-test"]
    # the forward and the MSE head (whose own forward calls affine_forward) are graded as if it were right
    assert carried(verdicts["forward-test"], "affine_forward"), verdicts["forward-test"]
    assert carried(verdicts["mse-test"], "affine_forward"), verdicts["mse-test"]
    # two_layer_forward is served whole to the cross-entropy and the trainer: affine_forward is never reached
    for grade_id in ("relu-test", "cross-entropy-test", "gradient-check-test", "train-test"):
        assert plain_pass(verdicts[grade_id]), verdicts[grade_id]


def test_05_a_zero_backward_costs_its_own_item_only():
    verdicts = grade_all("05-backprop", notebook(BACKPROP, ZERO_BACKWARD))
    assert failed(verdicts["mse-test"]), verdicts["mse-test"]  # two_layer_backward is graded there
    assert carried(verdicts["cross-entropy-test"], "two_layer_backward"), verdicts["cross-entropy-test"]
    for grade_id in ("relu-test", "affine-test", "forward-test", "gradient-check-test", "train-test"):
        assert plain_pass(verdicts[grade_id]), verdicts[grade_id]


@pytest.mark.parametrize(("function", "wrong_cells"), [
    ("two_layer_forward", (ZERO_AFFINE_FORWARD,)),
    ("two_layer_mse", (ZERO_AFFINE_FORWARD,)),
    ("two_layer_cross_entropy", (ZERO_FORWARD, ZERO_BACKWARD)),
    ("two_layer_predict", (ZERO_FORWARD,)),
])
def test_05_grade_function_serves_the_reference_in_place_of_wrong_helpers(function, wrong_cells):
    """The right ``function`` in a notebook whose earlier functions return zeros: a plain pass (no earlier
    verdicts, so no note), for the wrong helpers are never called."""
    functions = notebook(BACKPROP, *wrong_cells)
    verdict = grade_function("05-backprop", function, functions[function], functions, seed=SEED)
    assert plain_pass(verdict), verdict


def test_05_an_empty_notebook_scores_nothing():
    verdicts = grade_all("05-backprop", notebook(BACKPROP, EMPTY_BACKPROP))
    assert list(verdicts) == [item.grade_id for item in checks.find("05-backprop").items]
    for grade_id, verdict in verdicts.items():
        assert failed(verdict), (grade_id, verdict)
    assert sum(v.points for v in verdicts.values()) == 0.0


def test_05_a_trainer_that_does_no_work_fails_whatever_its_cross_entropy():
    """A trainer that never changes the params: did-not-learn, with a right cross-entropy, one that returns zero
    gradients (so the "recipe" run on it does no work either) and one that does so only once the trainer ran."""
    for name, cells in (("right", ()), ("zero gradients", (ZERO_GRADIENT_CE,)),
                        ("right until the trainer ran", (STATEFUL_CE,))):
        verdicts = grade_all("05-backprop", notebook(BACKPROP, RIGHT_CE_UNDER_ITS_OWN_NAME, *cells, LAZY_TRAINER))
        train = verdicts["train-test"]
        assert train.code == "did-not-learn" and train.points == 0.0, (name, train)
        assert train.helper is None and "Graded as if" not in train.message, (name, train)
        assert verdicts["cross-entropy-test"].ok == (name != "zero gradients"), (name, verdicts["cross-entropy-test"])


def test_05_a_working_trainer_learns_on_the_reference_whatever_its_cross_entropy():
    """The same zero-gradient and stateful cross-entropies under a trainer that does its work: it learns."""
    for cells in ((ZERO_GRADIENT_CE,), (STATEFUL_CE,)):
        functions = notebook(BACKPROP, RIGHT_CE_UNDER_ITS_OWN_NAME, *cells, """
            def train_two_layer(X, y, hidden_size=32, lr=0.5, steps=500, seed=0):
                CALLED["train"] = True
                params, losses = he_init(X, y, hidden_size, seed), []
                for _ in range(steps):
                    loss, grads = two_layer_cross_entropy(params, X, y)
                    losses.append(loss)
                    params = {k: params[k] - lr * grads[k] for k in params}
                return params, losses
            """)
        verdicts = grade_all("05-backprop", functions)
        train = verdicts["train-test"]
        if cells == (ZERO_GRADIENT_CE,):
            assert failed(verdicts["cross-entropy-test"])
            assert carried(train, "two_layer_cross_entropy"), train
        else:
            assert verdicts["cross-entropy-test"].ok
            assert plain_pass(train), train
        assert "test accuracy of" in train.message


# ----------------------------------------------------------------------------- 06


OPTIMISATION = """
def momentum_step(w, g, state, lr, beta=0.9):
    v = beta * state["v"] + g
    return w - lr * v, {"v": v}


def adagrad_step(w, g, state, lr, eps=1e-8):
    s = state["s"] + g ** 2
    return w - lr * g / (np.sqrt(s) + eps), {"s": s}


def rmsprop_step(w, g, state, lr, rho=0.9, eps=1e-8):
    s = rho * state["s"] + (1.0 - rho) * g ** 2
    return w - lr * g / (np.sqrt(s) + eps), {"s": s}


def adam_step(w, g, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state["t"] + 1
    m = beta1 * state["m"] + (1.0 - beta1) * g
    v = beta2 * state["v"] + (1.0 - beta2) * g ** 2
    return w - lr * (m / (1.0 - beta1 ** t)) / (np.sqrt(v / (1.0 - beta2 ** t)) + eps), {"m": m, "v": v, "t": t}


def step_decay(t, lr0, drop=0.5, every=10):
    return lr0 * drop ** (t // every)


def cosine_schedule(t, lr0, total_steps, lr_min=0.0):
    t = min(t, total_steps)
    return lr_min + (lr0 - lr_min) * 0.5 * (1.0 + np.cos(np.pi * t / total_steps))


def run_optimiser(step_fn, state, grad_fn, w0, num_steps, lr, **hyper):
    w = np.array(w0, dtype=np.float64)
    path = [w]
    for t in range(num_steps):
        eta = lr(t) if callable(lr) else lr
        w, state = step_fn(w, grad_fn(w), state, eta, **hyper)
        path.append(w)
    return np.array(path)
"""

ZERO_STEPS = """
def momentum_step(w, g, state, lr, beta=0.9):
    return np.zeros_like(w), state


def adam_step(w, g, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    return np.zeros_like(w), state
"""

#: Every function of 06 does nothing: the steps do not move, the schedules are constant, and run_optimiser
#: (a loop) drops **hyper, which do-nothing steps cannot notice.
EMPTY_OPTIMISATION = """
def momentum_step(w, g, state, lr, beta=0.9):
    return w, state


def adagrad_step(w, g, state, lr, eps=1e-8):
    return w, state


def rmsprop_step(w, g, state, lr, rho=0.9, eps=1e-8):
    return w, state


def adam_step(w, g, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    return w, state


def step_decay(t, lr0, drop=0.5, every=10):
    return lr0


def cosine_schedule(t, lr0, total_steps, lr_min=0.0):
    return lr0


def run_optimiser(step_fn, state, grad_fn, w0, num_steps, lr, **hyper):
    w = np.array(w0, dtype=np.float64)
    path = [w]
    for t in range(num_steps):
        w, state = step_fn(w, grad_fn(w), state, lr(t) if callable(lr) else lr)
        path.append(w)
    return np.array(path)
"""

#: momentum_step and adam_step are right until run_optimiser has run, then forget the state they are given
#: (every step as from a fresh state); run_optimiser never passes the new state on, which such steps hide.
STATEFUL_STEPS = """
CALLED = {"run": False}


def momentum_step(w, g, state, lr, beta=0.9):
    v = beta * (0.0 if CALLED["run"] else state["v"]) + g
    return w - lr * v, {"v": v}


def adam_step(w, g, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    if CALLED["run"]:
        state = {"m": np.zeros_like(w), "v": np.zeros_like(w), "t": 0}
    t = state["t"] + 1
    m = beta1 * state["m"] + (1.0 - beta1) * g
    v = beta2 * state["v"] + (1.0 - beta2) * g ** 2
    return w - lr * (m / (1.0 - beta1 ** t)) / (np.sqrt(v / (1.0 - beta2 ** t)) + eps), {"m": m, "v": v, "t": t}


def run_optimiser(step_fn, state, grad_fn, w0, num_steps, lr, **hyper):
    CALLED["run"] = True
    w = np.array(w0, dtype=np.float64)
    path = [w]
    for t in range(num_steps):
        w, _ = step_fn(w, grad_fn(w), state, lr(t) if callable(lr) else lr, **hyper)
        path.append(w)
    return np.array(path)
"""


def test_06_zero_steps_cost_their_own_items_only():
    verdicts = grade_all("06-optimisation", notebook(OPTIMISATION, ZERO_STEPS))
    assert failed(verdicts["momentum-test"]) and failed(verdicts["adam-test"])
    assert carried(verdicts["run-test"], "momentum_step"), verdicts["run-test"]
    for grade_id in ("adagrad-test", "rmsprop-test", "schedules-test"):
        assert plain_pass(verdicts[grade_id]), verdicts[grade_id]


def test_06_grade_function_runs_the_loop_on_the_reference_steps():
    verdict = grade_function("06-optimisation", "run_optimiser", notebook(OPTIMISATION)["run_optimiser"],
                             notebook(OPTIMISATION, ZERO_STEPS), seed=SEED)
    assert plain_pass(verdict), verdict


def test_06_an_empty_notebook_scores_nothing():
    verdicts = grade_all("06-optimisation", notebook(EMPTY_OPTIMISATION))
    for grade_id, verdict in verdicts.items():
        assert failed(verdict), (grade_id, verdict)
    run = verdicts["run-test"]
    assert run.code == "wrong-value" and "**hyper" in run.message, run


def test_06_steps_that_change_once_run_optimiser_ran_do_not_hide_its_mistake():
    verdicts = grade_all("06-optimisation", notebook(OPTIMISATION, STATEFUL_STEPS))
    assert plain_pass(verdicts["momentum-test"]) and plain_pass(verdicts["adam-test"])
    run = verdicts["run-test"]
    assert run.code == "wrong-value" and run.points == 0.0 and "initial state" in run.message, run
    assert run.helper is None


def test_06_stateful_zero_steps_under_a_right_loop():
    """Steps right in their own items, zeros once run_optimiser ran: the loop is graded on the reference steps."""
    functions = notebook(OPTIMISATION, """
        CALLED = {"run": False}
        _right_momentum, _right_adam, _right_run = momentum_step, adam_step, run_optimiser


        def momentum_step(w, g, state, lr, beta=0.9):
            return (np.zeros_like(w), state) if CALLED["run"] else _right_momentum(w, g, state, lr, beta)


        def adam_step(w, g, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
            return (np.zeros_like(w), state) if CALLED["run"] else _right_adam(w, g, state, lr, beta1, beta2, eps)


        def run_optimiser(step_fn, state, grad_fn, w0, num_steps, lr, **hyper):
            CALLED["run"] = True
            return _right_run(step_fn, state, grad_fn, w0, num_steps, lr, **hyper)
        """)
    verdicts = grade_all("06-optimisation", functions)
    assert all(plain_pass(verdict) for verdict in verdicts.values()), verdicts
