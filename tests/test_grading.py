"""The grading helpers: diagnoses, guards against delegation, mutation and tampering, the static scan."""

from __future__ import annotations

import numpy as np
import pytest

from dlfoundations import losses
from dlfoundations.grading import GradingFailure
from dlfoundations.grading.check import Case, check_against_reference, check_at_least, check_own_gradient
from dlfoundations.grading.compare import diagnose
from dlfoundations.grading.guard import call_student, find_reference_use
from dlfcourse.grading.scan import scan_source


def notebook_function(code: str, name: str, **namespace):
    """Define ``name`` from ``code`` the way a notebook cell does (module ``__main__``)."""
    scope = {"__name__": "__main__", "np": np, **namespace}
    exec(code, scope)
    return scope[name]


CORRECT_CE = """
def cross_entropy(scores, y):
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = scores.shape[0]
    p = np.exp(log_p)
    p[np.arange(n), y] -= 1
    return -log_p[np.arange(n), y].mean(), p / n
"""


def ce_cases(n: int = 5, k: int = 4, scale: float = 3.0) -> list[Case]:
    rng = np.random.default_rng(1)
    return [Case(f"on a batch of N = {n}", (rng.uniform(-scale, scale, (n, k)), rng.integers(0, k, n)), n)]


def failure_code(student, cases=None) -> str:
    with pytest.raises(GradingFailure) as info:
        check_against_reference(student, losses.cross_entropy, cases or ce_cases(), ("loss", "dscores"), "cross_entropy")
    return info.value.code


def test_correct_answer_passes():
    check_against_reference(notebook_function(CORRECT_CE, "cross_entropy"), losses.cross_entropy,
                            ce_cases(), ("loss", "dscores"), "cross_entropy")


@pytest.mark.parametrize("change, code", [
    ("return -log_p[np.arange(n), y].mean(), p / n", "correct"),
    ("return -log_p[np.arange(n), y].sum(), p", "forgot-mean"),
    ("return -log_p[np.arange(n), y].mean(), -p / n", "sign-flipped"),
    ("return -log_p[np.arange(n), y].mean(), (p / n).T", "transposed"),
    ("return -log_p[np.arange(n), y].mean(), p[:, :-1] / n", "wrong-shape"),
    ("return -log_p[np.arange(n), y].mean(), p / n**2", "extra-mean"),
    ("return -log_p[np.arange(n), y].mean(), p / n + 0.1", "wrong-value"),
    ("return -log_p[np.arange(n), y].mean()", "wrong-type"),
])
def test_each_typical_mistake_gets_its_diagnosis(change, code):
    source = CORRECT_CE.replace("return -log_p[np.arange(n), y].mean(), p / n", change)
    student = notebook_function(source, "cross_entropy")
    if code == "correct":
        check_against_reference(student, losses.cross_entropy, ce_cases(), ("loss", "dscores"), "ce")
    else:
        assert failure_code(student) == code


def test_naive_softmax_overflows_on_large_scores_and_is_told_so():
    naive = notebook_function(CORRECT_CE.replace("scores - scores.max(axis=1, keepdims=True)", "scores"), "cross_entropy")
    with np.errstate(all="ignore"):  # the naive formula's overflow is the point here
        assert failure_code(naive, ce_cases(scale=1e4)) == "not-finite"


def test_mutating_the_input_is_caught():
    mutating = notebook_function(CORRECT_CE.replace("shifted = scores - scores.max(axis=1, keepdims=True)",
                                                    "scores -= scores.max(axis=1, keepdims=True); shifted = scores"),
                                 "cross_entropy")
    assert failure_code(mutating) == "mutates-input"


def test_crash_and_not_implemented_are_reported_with_their_cause():
    crashing = notebook_function("def cross_entropy(scores, y):\n    return undefined_name\n", "cross_entropy")
    with pytest.raises(GradingFailure, match="NameError: name 'undefined_name'"):
        call_student(crashing, np.zeros((2, 2)), np.zeros(2, int))
    stub = notebook_function("def cross_entropy(scores, y):\n    raise NotImplementedError('x')\n", "cross_entropy")
    assert failure_code(stub) == "not-implemented"


@pytest.mark.parametrize("code, extra", [
    ("cross_entropy = losses.cross_entropy", {"losses": losses}),
    ("from dlfoundations.losses import cross_entropy", {}),
    ("import dlfoundations.losses as L\ndef cross_entropy(s, y):\n    return L.cross_entropy(s, y)", {}),
    ("ref = losses.cross_entropy\ndef cross_entropy(s, y):\n    return ref(s, y)", {"losses": losses}),
    ("import importlib\ndef cross_entropy(s, y):\n    return importlib.import_module('dlfoundations.losses').cross_entropy(s, y)", {}),
    ("import sys\ndef cross_entropy(s, y):\n    return sys.modules['dlfoundations.losses'].cross_entropy(s, y)", {}),
    ("def helper(s, y):\n    return losses.cross_entropy(s, y)\ndef cross_entropy(s, y):\n    return helper(s, y)",
     {"losses": losses}),
    ("def cross_entropy(s, y, _f=losses.cross_entropy):\n    return _f(s, y)", {"losses": losses}),
])
def test_every_way_of_delegating_to_the_reference_scores_zero(code, extra):
    student = notebook_function(code, "cross_entropy", **extra)
    assert failure_code(student) == "uses-reference"


def test_delegation_hidden_from_the_static_check_is_caught_at_run_time():
    toolbox = {"ce": losses.cross_entropy}
    student = notebook_function("def cross_entropy(s, y):\n    return TOOLBOX['ce'](s, y)\n", "cross_entropy",
                                TOOLBOX=toolbox)
    assert find_reference_use(student) is None
    with pytest.raises(GradingFailure, match=r"called the reference implementation \(dlfoundations.losses"):
        call_student(student, *ce_cases()[0].args)


def test_answers_may_use_the_allowed_modules():
    from dlfoundations.kit import data

    student = notebook_function(
        "def batches(X, y):\n    return [len(b[0]) for b in data.minibatches(X, y, 2, seed=0)]\n", "batches", data=data)
    assert call_student(student, np.zeros((5, 2)), np.zeros(5)) == [2, 2, 1]


def test_replacing_a_numpy_function_is_detected():
    original = np.allclose
    try:
        np.allclose = lambda *args, **kwargs: True
        assert failure_code(notebook_function(CORRECT_CE, "cross_entropy")) == "numpy-tampered"
    finally:
        np.allclose = original


def test_failure_renders_as_one_line_without_source():
    failure = GradingFailure("forgot-mean", "the loss is N times too large")
    assert failure._render_traceback_() == ["GradingFailure: [forgot-mean] the loss is N times too large"]
    with pytest.raises(ValueError):
        GradingFailure("no-such-code", "x")


def test_diagnose_prefers_the_batch_factor_over_a_generic_factor():
    expected = np.array([1.0, -2.0, 3.0])
    assert diagnose(expected * 7, expected, "x", batch_size=7)[0] == "forgot-mean"
    assert diagnose(expected * 7, expected, "x", batch_size=3)[0] == "factor"
    assert diagnose(np.full(3, np.nan), expected, "x")[0] == "not-finite"


def test_missing_bias_gradient_is_named():
    def reference(X, W, b):
        return {"W": X.T @ np.ones((X.shape[0], W.shape[1])), "b": np.full(W.shape[1], float(X.shape[0]))}

    student = notebook_function(
        "def grads(X, W, b):\n    return {'W': X.T @ np.ones((X.shape[0], W.shape[1])), 'b': np.zeros(W.shape[1])}\n",
        "grads")
    case = Case("on a batch of N = 3", (np.ones((3, 2)), np.ones((2, 4)), np.zeros(4)), 3)
    with pytest.raises(GradingFailure) as info:
        check_against_reference(student, reference, [case], ("grads",), "grads")
    assert info.value.code == "missing-bias-grad"


def test_own_gradient_check_accepts_a_right_and_rejects_a_wrong_gradient():
    x = np.array([0.3, -1.2, 2.0])
    assert check_own_gradient(lambda v: (float(np.sum(v ** 3)), 3 * v ** 2), x) < 1e-7
    with pytest.raises(GradingFailure, match="does not match the numerical gradient"):
        check_own_gradient(lambda v: (float(np.sum(v ** 3)), 2 * v ** 2), x)


def test_check_at_least():
    check_at_least(0.97, 0.95, "test accuracy")
    with pytest.raises(GradingFailure, match="below the required"):
        check_at_least(0.90, 0.95, "test accuracy")
    with pytest.raises(GradingFailure):
        check_at_least(float("nan"), 0.95, "test accuracy")


def test_static_scan_flags_delegation_and_tampering_but_not_honest_code():
    cells = [
        "import numpy as np\nfrom dlfoundations.kit.gradcheck import numerical_gradient",
        "def softmax(z):\n    return np.exp(z) / np.exp(z).sum()  # np.allclose = cheat (a comment)",
        "from dlfoundations.losses import softmax",
        "import importlib",
        "np.allclose = lambda *a, **k: True",
        "import dlfoundations.grading.check as c",
        "x = np.zeros(3)\nassert np.all(x == 0)",
    ]
    found = {(f.cell_index, f.code) for f in scan_source(cells)}
    assert found == {(2, "uses-reference"), (3, "uses-reference"), (4, "numpy-tampered"), (5, "numpy-tampered")}


def test_forbid_takes_an_allowed_module_away_for_one_item():
    from dlfoundations.kit import gradcheck

    def reference(f, x):
        return gradcheck.numerical_gradient(f, x)

    def square_sum(v):
        return float(np.sum(v ** 2))

    delegating = [
        notebook_function("from dlfoundations.kit.gradcheck import numerical_gradient\n", "numerical_gradient"),
        notebook_function("def numerical_gradient(f, x):\n    return ng(f, x)\n", "numerical_gradient",
                          ng=gradcheck.numerical_gradient),
        notebook_function("def numerical_gradient(f, x):\n    return TOOLS['ng'](f, x)\n", "numerical_gradient",
                          TOOLS={"ng": gradcheck.numerical_gradient}),  # only the profiler sees this one
    ]
    case = Case("on a vector of 3 entries", (square_sum, np.array([0.5, -1.0, 2.0])))
    for student in delegating:
        check_against_reference(student, reference, [case], ("grad",), "numerical_gradient")  # allowed by default
        with pytest.raises(GradingFailure) as info:
            check_against_reference(student, reference, [case], ("grad",), "numerical_gradient", forbid=("gradcheck",))
        assert info.value.code == "uses-reference"
        assert "gradcheck" in info.value.message
    honest = notebook_function(
        "def numerical_gradient(f, x):\n    g = np.zeros_like(x)\n    for i in range(x.size):\n"
        "        e = np.zeros_like(x); e[i] = 1e-5\n        g[i] = (f(x + e) - f(x - e)) / 2e-5\n    return g\n",
        "numerical_gradient")
    check_against_reference(honest, reference, [case], ("grad",), "numerical_gradient", forbid=("gradcheck",))


def test_a_scalar_bias_gradient_of_zero_is_named():
    def reference(X, w):
        return X.T @ np.ones(len(X)), float(len(X))

    student = notebook_function("def grads(X, w):\n    return X.T @ np.ones(len(X)), 0.0\n", "grads")
    with pytest.raises(GradingFailure) as info:
        check_against_reference(student, reference, [Case("on a batch of N = 3", (np.ones((3, 2)), np.zeros(2)), 3)],
                                ("dw", "db"), "grads")
    assert info.value.code == "missing-bias-grad"


def test_an_item_specific_explanation_replaces_the_generic_diagnosis():
    def explain(got, expected, case):
        if np.allclose(got, 2 * expected):
            raise GradingFailure("factor", "you doubled it")

    doubling = notebook_function("def f(x):\n    return 2 * x\n", "f")
    case = Case("on a vector", (np.array([1.0, 2.0]),))
    with pytest.raises(GradingFailure, match="you doubled it"):
        check_against_reference(doubling, lambda x: x, [case], ("y",), "f", explain=explain)
    adding = notebook_function("def f(x):\n    return x + 1\n", "f")
    with pytest.raises(GradingFailure, match="differs from the correct value"):
        check_against_reference(adding, lambda x: x, [case], ("y",), "f", explain=explain)
    check_against_reference(notebook_function("def f(x):\n    return x\n", "f"), lambda x: x, [case], ("y",), "f",
                            explain=lambda *a: 1 / 0)  # not called when the result matches


def test_snapshot_and_unchanged_see_nested_and_scalar_changes():
    from dlfoundations.grading.guard import snapshot, unchanged

    state = {"v": np.ones(3), "t": 1, "inner": {"W": np.zeros((2, 2))}}
    before = snapshot(state)
    assert unchanged(before, state)
    state["inner"]["W"][0, 0] = 1.0
    assert not unchanged(before, state)
    state = {"v": np.ones(3), "t": 1}
    before = snapshot(state)
    state["t"] = 2
    assert not unchanged(before, state)
    assert not unchanged(snapshot({"v": np.ones(3)}), {"v": np.ones(3), "extra": 0})
