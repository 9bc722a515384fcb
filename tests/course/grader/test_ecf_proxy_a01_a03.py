"""Error carried forward by proxy in 01-perceptron, 02-gradient-descent and 03-maximum-likelihood: attacks.

While an item is graded, the earlier functions it calls by name answer with the reference's values
(:mod:`dlfcourse.grader.proxy`), so nothing a student's earlier function returns can make a later item
easier. Each notebook here is the model solution (``solutions/``) with some functions redefined by an
"attack" cell, all in one namespace as in a notebook; it is graded through
:func:`~dlfcourse.grader.items.grade_items` (all the items, in order, as autograde does) and through
:func:`~dlfcourse.grader.api.grade_function` (one item, no earlier verdict).

1. A right later function on an earlier one that returns zeros: the earlier item fails, the later
   passes, and its message says it was graded as if the earlier function were right.
2. The "empty notebook": every function returns zeros or trivial values. No item passes. (Under the
   old error carried forward, which rebuilt the reference on the student's own earlier function, the
   trainers and the gradients built on zero helpers passed.)
3. The stateful attack: earlier functions right until a later function has been called, then zeros. A
   later stub that does no work fails; honest later work passes, with no note (under the old mechanism it
   passed "graded with your own ..." or failed).

Trainers (01's train_perceptron, 02's fit_linear_regression, 03's trainer and its breast-cancer run) fail
when they do no work, whether the earlier functions are right or return zeros.
"""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from dlfcourse.grader import checks
from dlfcourse.grader.api import grade_function
from dlfcourse.grader.items import grade_items
from dlfcourse.grader.student import LocalStudent
from dlfcourse.grader.verdict import Verdict
from model_solutions import solution_functions

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # zeros divide, stubs overflow

A01, A02, A03 = "01-perceptron", "02-gradient-descent", "03-maximum-likelihood"
SEEDS = (0, 1)


def notebook(assignment: str, attack: str = "") -> dict[str, Any]:
    """The model solution's functions with the cell ``attack`` run after them, in the same namespace.

    The solutions' own functions stay available under ``_solution_<name>`` (leaf functions only are
    called that way below: an alias is not the notebook's name, so it is never a proxy).
    """
    functions = solution_functions(assignment)
    namespace = next(iter(functions.values())).__globals__
    namespace.update({f"_solution_{name}": fn for name, fn in functions.items()})
    exec(textwrap.dedent(attack), namespace)  # noqa: S102 - the test's own code
    return {name: namespace[name] for name in functions}


def grade_all(assignment: str, functions: dict[str, Any], seed: int) -> dict[str, Verdict]:
    """Every item of ``assignment`` graded in order, one point each, as autograde grades a submission."""
    graded = checks.find(assignment)
    return grade_items(graded, LocalStudent(dict(functions)), seed, {item.grade_id: 1.0 for item in graded.items})


def grade_one(assignment: str, grade_id: str, functions: dict[str, Any], seed: int) -> Verdict:
    """One item through the API, the notebook's other functions given as helpers."""
    function = checks.find(assignment).item(grade_id).functions[0]
    others = {name: fn for name, fn in functions.items() if name != function}
    return grade_function(assignment, function, functions[function], others, seed=seed, item=grade_id)


def outcomes(verdicts: dict[str, Verdict]) -> dict[str, tuple[float, str | None]]:
    """Each item's points and the earlier function it was graded as if right (None: none)."""
    return {grade_id: (verdict.points, verdict.helper) for grade_id, verdict in verdicts.items()}


def assert_no_grader_error(verdicts: dict[str, Verdict]) -> None:
    for grade_id, verdict in verdicts.items():
        assert verdict.code != "grader-error", f"{grade_id}: the grader failed:\n{verdict.detail}"


def assert_plain_pass(verdict: Verdict) -> None:
    """Passed, on its own merit, with no note about an earlier function (the API knows no earlier verdict)."""
    assert verdict.code == "passed" and verdict.points == verdict.max_points, f"[{verdict.code}] {verdict.message}"
    assert verdict.helper is None, verdict.helper
    assert "graded as if" not in verdict.message.lower() and "your own" not in verdict.message.lower(), \
        verdict.message


def assert_fails(verdict: Verdict) -> None:
    assert verdict.code not in ("passed", "grader-error"), f"[{verdict.code}] {verdict.message}\n{verdict.detail}"
    assert verdict.points == 0.0


# ----------------------------------------------------------------------------- zero stubs of every function

ZEROS = {
    A01: {
        "perceptron_loss": "def perceptron_loss(z, y):\n    return 0.0, np.zeros(len(z))\n",
        "perceptron_step": "def perceptron_step(w, b, x, y, lr=1.0):\n    return np.zeros_like(w), 0.0, False\n",
        # what the reference built on a zero step gives: nothing ever moves, no mistake, stop after one epoch
        "train_perceptron": "def train_perceptron(X, y, epochs, lr=1.0):\n    return np.zeros(X.shape[1]), 0.0, [0]\n",
        "mistake_bound": "def mistake_bound(X, y, w_star):\n    return 0.0, 0.0, 0.0\n",
        "full_batch_gradient": "def full_batch_gradient(X, y, w, b):\n    return np.zeros(X.shape[1]), 0.0\n",
        "multiclass_perceptron_update": "def multiclass_perceptron_update(W, b, x, y):\n"
                                        "    return np.zeros_like(W), np.zeros_like(b), False\n",
    },
    A02: {
        "linear_mse": "def linear_mse(X, y, w, b):\n    return 0.0, np.zeros(X.shape[1]), 0.0\n",
        # no step at all: what the reference step built on a zero linear_mse gives
        "gradient_descent_step": "def gradient_descent_step(X, y, w, b, lr):\n"
                                 "    return np.array(w, dtype=float), float(b)\n",
        "numerical_gradient": "def numerical_gradient(f, x, h=1e-5):\n    return np.zeros_like(x, dtype=float)\n",
        "minibatches": "def minibatches(X, y, batch_size, seed):\n    return []\n",
        "fit_linear_regression": "def fit_linear_regression(X, y, lr, epochs, batch_size, seed=0):\n"
                                 "    return np.zeros(X.shape[1]), 0.0, [0.0] * epochs\n",
        "ridge": "def ridge(X, y, l2):\n    return np.zeros(X.shape[1]), 0.0\n",
    },
    A03: {
        "sigmoid": "def sigmoid(z):\n    return np.zeros(np.shape(z))\n",
        "binary_cross_entropy": "def binary_cross_entropy(logits, y):\n    return 0.0, np.zeros(len(logits))\n",
        "logistic_loss": "def logistic_loss(scores, y):\n    return 0.0, np.zeros(len(scores))\n",
        "logistic_regression_loss": "def logistic_regression_loss(w, b, X, y):\n"
                                    "    return 0.0, np.zeros(len(w)), 0.0\n",
        "train_logistic_regression": "def train_logistic_regression(X, y, lr, steps):\n"
                                     "    return np.zeros(X.shape[1]), 0.0, [0.0] * steps\n",
    },
}

# 03: a logistic_loss and a logistic_regression_loss that call the earlier losses by name (the solutions
# call sigmoid only)
_LOGISTIC_VIA_BCE = '''
def logistic_loss(scores, y):
    return binary_cross_entropy(scores, (np.asarray(y, dtype=float) + 1) / 2)
'''
_REGRESSION_VIA_BCE = '''
def logistic_regression_loss(w, b, X, y):
    loss, dz = binary_cross_entropy(X @ w + b, y)
    return loss, X.T @ dz, float(np.sum(dz))
'''
_REGRESSION_VIA_LOGISTIC = '''
def logistic_regression_loss(w, b, X, y):
    loss, dz = logistic_loss(X @ w + b, 2 * np.asarray(y, dtype=float) - 1)
    return loss, X.T @ dz, float(np.sum(dz))
'''


# ----------------------------------------------------------------------------- 1. right later, zero earlier

# (assignment, the earlier function that returns zeros, other cells, {later item: the note it must carry})
ECF_CASES = [
    (A01, "perceptron_step", "", {"train_perceptron-test": "perceptron_step"}),
    (A01, "perceptron_loss", "", {"full_batch_gradient-test": "perceptron_loss"}),
    (A02, "linear_mse", "", {"gradient_descent_step-test": "linear_mse", "fit_linear_regression-test": "linear_mse"}),
    (A02, "gradient_descent_step", "", {"fit_linear_regression-test": "gradient_descent_step"}),
    (A02, "minibatches", "", {"fit_linear_regression-test": "minibatches"}),
    (A03, "sigmoid", "", {"bce-test": "sigmoid", "logistic-test": "sigmoid", "gradient-test": "sigmoid"}),
    (A03, "binary_cross_entropy", _LOGISTIC_VIA_BCE + _REGRESSION_VIA_BCE,
     {"logistic-test": "binary_cross_entropy", "gradient-test": "binary_cross_entropy"}),
    (A03, "logistic_loss", _REGRESSION_VIA_LOGISTIC, {"gradient-test": "logistic_loss"}),
    (A03, "logistic_regression_loss", "",
     {"trainer-test": "logistic_regression_loss", "cancer-test": "logistic_regression_loss"}),
]


def _item_of(assignment: str, function: str) -> str:
    return checks.find(assignment).by_function(function).grade_id


@pytest.mark.parametrize("assignment, earlier, cells, notes", ECF_CASES,
                         ids=[f"{a}:{e}" for a, e, _, _ in ECF_CASES])
@pytest.mark.parametrize("seed", SEEDS)
def test_a_right_later_function_passes_on_a_zero_earlier_one(assignment: str, earlier: str, cells: str,
                                                             notes: dict[str, str], seed: int) -> None:
    functions = notebook(assignment, cells + ZEROS[assignment][earlier])
    verdicts = grade_all(assignment, functions, seed)
    assert_no_grader_error(verdicts)
    expected = {grade_id: (1.0, None) for grade_id in verdicts}
    expected[_item_of(assignment, earlier)] = (0.0, None)
    expected.update({grade_id: (1.0, helper) for grade_id, helper in notes.items()})
    assert outcomes(verdicts) == expected
    for grade_id, helper in notes.items():
        message = verdicts[grade_id].message
        assert f"Graded as if your `{helper}` were right (it is not: see its item)" in message, message
        assert "your own" not in message, message
    for grade_id, verdict in verdicts.items():
        if grade_id not in notes:
            assert "graded as if" not in verdict.message.lower(), f"{grade_id}: {verdict.message}"
    # one item through the API: the zero helper is never used, and nothing is said about it
    for grade_id in notes:
        assert_plain_pass(grade_one(assignment, grade_id, functions, seed))


# ----------------------------------------------------------------------------- 2. the empty notebook


@pytest.mark.parametrize("assignment", [A01, A02, A03])
def test_an_empty_notebook_scores_nothing(assignment: str) -> None:
    functions = notebook(assignment, "".join(ZEROS[assignment].values()))
    for seed in SEEDS:
        verdicts = grade_all(assignment, functions, seed)
        assert_no_grader_error(verdicts)
        assert sum(verdict.points for verdict in verdicts.values()) == 0.0, \
            {grade_id: verdict.code for grade_id, verdict in verdicts.items()}
        for verdict in verdicts.values():
            assert_fails(verdict)


# the items the old error carried forward gave full marks to in the empty notebook (a stub that returns what
# the reference built on the zero helpers returns), each graded alone through the API
EMPTY_OLD_PASSES = [
    (A01, "train_perceptron-test"), (A01, "full_batch_gradient-test"),
    (A02, "gradient_descent_step-test"), (A02, "fit_linear_regression-test"),
    (A03, "gradient-test"), (A03, "trainer-test"),
]


@pytest.mark.parametrize("assignment, grade_id", EMPTY_OLD_PASSES, ids=[f"{a}:{g}" for a, g in EMPTY_OLD_PASSES])
def test_an_empty_function_on_empty_helpers_fails_alone(assignment: str, grade_id: str) -> None:
    functions = notebook(assignment, "".join(ZEROS[assignment].values()))
    for seed in SEEDS:
        assert_fails(grade_one(assignment, grade_id, functions, seed))


# ----------------------------------------------------------------------------- 3. stateful earlier functions

_STATE = '''
_STATE = {"later": False}  # a dict: it survives every call, as a notebook's globals do
'''

# earlier functions right until a later function has been called, then zeros
_STATEFUL = {
    A01: {
        "perceptron_loss": '''
def perceptron_loss(z, y):
    if _STATE["later"]:
        return 0.0, np.zeros(len(z))
    return _solution_perceptron_loss(z, y)
''',
        "perceptron_step": '''
def perceptron_step(w, b, x, y, lr=1.0):
    if _STATE["later"]:
        return np.zeros_like(w), 0.0, False
    return _solution_perceptron_step(w, b, x, y, lr)
''',
    },
    A02: {
        "linear_mse": '''
def linear_mse(X, y, w, b):
    if _STATE["later"]:
        return 0.0, np.zeros(X.shape[1]), 0.0
    return _solution_linear_mse(X, y, w, b)
''',
        "gradient_descent_step": '''
def gradient_descent_step(X, y, w, b, lr):
    if _STATE["later"]:
        return np.array(w, dtype=float), float(b)
    return _solution_gradient_descent_step(X, y, w, b, lr)
''',
        "minibatches": '''
def minibatches(X, y, batch_size, seed):
    if _STATE["later"]:
        return []
    return _solution_minibatches(X, y, batch_size, seed)
''',
    },
    A03: {
        "sigmoid": '''
def sigmoid(z):
    if _STATE["later"]:
        return np.zeros(np.shape(z))
    return _solution_sigmoid(z)
''',
        "binary_cross_entropy": '''
def binary_cross_entropy(logits, y):
    if _STATE["later"]:
        return 0.0, np.zeros(len(logits))
    return _solution_binary_cross_entropy(logits, y)
''',
        "logistic_loss": '''
def logistic_loss(scores, y):
    if _STATE["later"]:
        return 0.0, np.zeros(len(scores))
    return _solution_logistic_loss(scores, y)
''',
        "logistic_regression_loss": '''
def logistic_regression_loss(w, b, X, y):
    if _STATE["later"]:
        return 0.0, np.zeros(len(w)), 0.0
    return _solution_logistic_regression_loss(w, b, X, y)
''',
    },
}

# later functions that switch the earlier ones to zeros, then do no work
_LATER_STUBS = {
    "train_perceptron": '''
def train_perceptron(X, y, epochs, lr=1.0):
    _STATE["later"] = True
    return np.zeros(X.shape[1]), 0.0, [0]
''',
    "full_batch_gradient": '''
def full_batch_gradient(X, y, w, b):
    _STATE["later"] = True
    return np.zeros(X.shape[1]), 0.0
''',
    "gradient_descent_step": '''
def gradient_descent_step(X, y, w, b, lr):
    _STATE["later"] = True
    return np.array(w, dtype=float), float(b)
''',
    "fit_linear_regression": '''
def fit_linear_regression(X, y, lr, epochs, batch_size, seed=0):
    _STATE["later"] = True
    return np.zeros(X.shape[1]), 0.0, [0.0] * epochs
''',
    "logistic_regression_loss": '''
def logistic_regression_loss(w, b, X, y):
    _STATE["later"] = True
    return 0.0, np.zeros(len(w)), 0.0
''',
    "train_logistic_regression": '''
def train_logistic_regression(X, y, lr, steps):
    _STATE["later"] = True
    return np.zeros(X.shape[1]), 0.0, [0.0] * steps
''',
}

# later functions that switch the earlier ones to zeros, then do the honest work with them, by name
_LATER_HONEST = {
    "train_perceptron": '''
def train_perceptron(X, y, epochs, lr=1.0):
    _STATE["later"] = True
    w, b = np.zeros(X.shape[1]), 0.0
    mistakes_per_epoch = []
    for _ in range(epochs):
        mistakes = 0
        for i in range(len(y)):
            w, b, mistake = perceptron_step(w, b, X[i], y[i], lr)
            mistakes += int(mistake)
        mistakes_per_epoch.append(mistakes)
        if mistakes == 0:
            break
    return w, b, mistakes_per_epoch
''',
    "full_batch_gradient": '''
def full_batch_gradient(X, y, w, b):
    _STATE["later"] = True
    _, dz = perceptron_loss(X @ w + b, y)
    return X.T @ dz, np.sum(dz)
''',
    "gradient_descent_step": '''
def gradient_descent_step(X, y, w, b, lr):
    _STATE["later"] = True
    _, dw, db = linear_mse(X, y, w, b)
    return w - lr * dw, b - lr * db
''',
    "fit_linear_regression": '''
def fit_linear_regression(X, y, lr, epochs, batch_size, seed=0):
    _STATE["later"] = True
    w, b = np.zeros(X.shape[1]), 0.0
    losses = []
    for epoch in range(epochs):
        for X_batch, y_batch in minibatches(X, y, batch_size, seed + epoch):
            w, b = gradient_descent_step(X_batch, y_batch, w, b, lr)
        losses.append(linear_mse(X, y, w, b)[0])
    return w, b, losses
''',
    "logistic_regression_loss": '''
def logistic_regression_loss(w, b, X, y):
    _STATE["later"] = True
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    z = X @ w + b
    loss = np.mean(np.logaddexp(0.0, z) - y * z)
    error = (sigmoid(z) - y) / X.shape[0]
    return float(loss), X.T @ error, float(np.sum(error))
''',
    "train_logistic_regression": '''
def train_logistic_regression(X, y, lr, steps):
    _STATE["later"] = True
    w, b = np.zeros(np.shape(X)[1]), 0.0
    losses = []
    for _ in range(steps):
        loss, dw, db = logistic_regression_loss(w, b, X, y)
        losses.append(loss)
        w, b = w - lr * dw, b - lr * db
    return w, b, losses
''',
}


def _stateful(assignment: str, earlier: tuple[str, ...], later: str, cells: dict[str, str]) -> dict[str, Any]:
    """The solution with ``earlier`` turned stateful and ``later`` redefined from ``cells``."""
    return notebook(assignment, _STATE + "".join(_STATEFUL[assignment][name] for name in earlier) + cells[later])


# (assignment, the stateful earlier functions, the later function that switches them to zeros,
#  {item: points} of the items the later stub (no work) loses, and {item: earlier function} for the items that
#  pass with the note "Graded as if your `...` were right" when the later function is that stub)
STATEFUL_CASES = [
    (A01, ("perceptron_loss", "perceptron_step"), "train_perceptron",
     {"train_perceptron-test": 0.0}, {}),
    (A01, ("perceptron_loss", "perceptron_step"), "full_batch_gradient",
     {"full_batch_gradient-test": 0.0}, {}),
    (A02, ("linear_mse",), "gradient_descent_step",
     {"gradient_descent_step-test": 0.0}, {"fit_linear_regression-test": "gradient_descent_step"}),
    (A02, ("linear_mse", "gradient_descent_step", "minibatches"), "fit_linear_regression",
     {"fit_linear_regression-test": 0.0}, {}),
    (A03, ("sigmoid", "binary_cross_entropy", "logistic_loss"), "logistic_regression_loss",
     {"gradient-test": 0.0},
     {"trainer-test": "logistic_regression_loss", "cancer-test": "logistic_regression_loss"}),
    (A03, ("sigmoid", "binary_cross_entropy", "logistic_loss", "logistic_regression_loss"),
     "train_logistic_regression", {"trainer-test": 0.0, "cancer-test": 0.0}, {}),
]
_STATEFUL_IDS = [f"{a}:{later}" for a, _, later, _, _ in STATEFUL_CASES]


@pytest.mark.parametrize("assignment, earlier, later, failing, notes", STATEFUL_CASES, ids=_STATEFUL_IDS)
def test_a_later_stub_gains_nothing_from_earlier_functions_that_turn_to_zeros(
        assignment: str, earlier: tuple[str, ...], later: str, failing: dict[str, float],
        notes: dict[str, str]) -> None:
    functions = _stateful(assignment, earlier, later, _LATER_STUBS)
    verdicts = grade_all(assignment, functions, seed=0)
    assert_no_grader_error(verdicts)
    expected = {grade_id: (1.0, None) for grade_id in verdicts}  # the earlier items: graded before the switch
    expected.update({grade_id: (points, None) for grade_id, points in failing.items()})
    expected.update({grade_id: (1.0, helper) for grade_id, helper in notes.items()})
    assert outcomes(verdicts) == expected, {g: f"[{v.code}] {v.message}" for g, v in verdicts.items()}
    for grade_id in failing:
        assert_fails(verdicts[grade_id])
        # alone, after the switch (a fresh notebook whose earlier functions are still right at first)
        assert_fails(grade_one(assignment, grade_id, _stateful(assignment, earlier, later, _LATER_STUBS), seed=1))


@pytest.mark.parametrize("assignment, earlier, later, failing, notes", STATEFUL_CASES, ids=_STATEFUL_IDS)
def test_honest_later_work_passes_although_earlier_functions_turn_to_zeros(
        assignment: str, earlier: tuple[str, ...], later: str, failing: dict[str, float],
        notes: dict[str, str]) -> None:
    functions = _stateful(assignment, earlier, later, _LATER_HONEST)
    verdicts = grade_all(assignment, functions, seed=0)
    assert_no_grader_error(verdicts)
    assert outcomes(verdicts) == {grade_id: (1.0, None) for grade_id in verdicts}, \
        {g: f"[{v.code}] {v.message}" for g, v in verdicts.items()}
    for grade_id in failing:
        assert_plain_pass(verdicts[grade_id])
        assert_plain_pass(grade_one(assignment, grade_id, _stateful(assignment, earlier, later, _LATER_HONEST),
                                    seed=1))


# ----------------------------------------------------------------------------- trainers that do no work

# the trainers' items, and the earlier functions a trainer may call (all of them, returning zeros, in the
# "zeros" notebooks below)
TRAINER_ITEMS = {A01: ("train_perceptron-test",), A02: ("fit_linear_regression-test",),
                 A03: ("trainer-test", "cancer-test")}
TRAINER_HELPERS = {A01: ("perceptron_loss", "perceptron_step"),
                   A02: ("linear_mse", "gradient_descent_step", "minibatches"),
                   A03: ("sigmoid", "binary_cross_entropy", "logistic_loss", "logistic_regression_loss")}

# (assignment, a trainer that does no work)
IDLE_TRAINERS = [
    (A01, ZEROS[A01]["train_perceptron"]),
    (A01, '''
def train_perceptron(X, y, epochs, lr=1.0):
    w, b, mistake = perceptron_step(np.zeros(X.shape[1]), 0.0, X[0], y[0], lr)  # one step, then stop
    return w, b, [int(mistake)]
'''),
    (A02, ZEROS[A02]["fit_linear_regression"]),
    (A02, '''
def fit_linear_regression(X, y, lr, epochs, batch_size, seed=0):
    w, b = np.zeros(X.shape[1]), 0.0
    return w, b, [linear_mse(X, y, w, b)[0]] * epochs  # the loss at zero, never a step
'''),
    (A03, ZEROS[A03]["train_logistic_regression"]),
    (A03, '''
def train_logistic_regression(X, y, lr, steps):
    w, b = np.zeros(np.shape(X)[1]), 0.0
    return w, b, [logistic_regression_loss(w, b, X, y)[0]] * steps  # ln 2, never a step
'''),
]


@pytest.mark.parametrize("assignment, trainer", IDLE_TRAINERS,
                         ids=[f"{a}:{i}" for i, (a, _) in enumerate(IDLE_TRAINERS)])
def test_a_trainer_that_does_no_work_fails_whatever_its_helpers(assignment: str, trainer: str) -> None:
    """Right earlier functions, then all of them returning zeros: the idle trainer fails every trainer item."""
    zeros = "".join(ZEROS[assignment][name] for name in TRAINER_HELPERS[assignment])
    for helpers in ("", zeros):
        functions = notebook(assignment, helpers + trainer)
        for seed in SEEDS:
            verdicts = grade_all(assignment, functions, seed)
            assert_no_grader_error(verdicts)
            for grade_id in TRAINER_ITEMS[assignment]:
                assert_fails(grade_one(assignment, grade_id, functions, seed))
                assert_fails(verdicts[grade_id])
            if helpers:  # every earlier function the trainer may call is wrong, and costs its own item
                assert all(verdicts[_item_of(assignment, name)].points == 0.0
                           for name in TRAINER_HELPERS[assignment])
    for grade_id in TRAINER_ITEMS[assignment]:  # the zeros above are all the trainer may call
        assert set(checks.find(assignment).item(grade_id).calls) == set(TRAINER_HELPERS[assignment])


def test_every_item_that_calls_earlier_functions_is_attacked() -> None:
    """The cases above cover every item of 01-03 that declares earlier functions (a new one needs a case)."""
    attacked = {(a, g) for a, _, _, notes in ECF_CASES for g in notes}
    for assignment in (A01, A02, A03):
        for item in checks.find(assignment).items:
            if item.calls and item.grade_id != "ridge-test":  # ridge may call linear_mse; the solution does not
                assert (assignment, item.grade_id) in attacked, f"{assignment} {item.grade_id}: no ECF case"
