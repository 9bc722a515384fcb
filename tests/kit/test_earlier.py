"""Visible tests say when an earlier function is at fault (issue 17, point 5).

With only `cross_entropy` wrong, the visible tests of a correct `softmax_regression_loss` and of the trainer
used to say "[forgot-mean] ... did you forget to divide by N". Now a failing helper of the kit runs the own
visible test of each earlier function the tested one calls by name (the test cell that passed it to
`call_student`, as written in the notebook) and, if one fails, names it: "`softmax_regression_loss` uses your
`cross_entropy`, which fails its own visible test (...): fix that first". When the earlier functions pass
their own tests, the failure is the one it was.

The instructor notebooks run here as a notebook does: every code cell in order in one `__main__` namespace,
compiled under its own name with its source in linecache (as IPython keeps it), some answers replaced.
"""

from __future__ import annotations

import inspect
import linecache

import matplotlib
import nbformat
import numpy as np
import pytest

from conftest import REPO
from dlfoundations.kit import earlier, testing
from dlfoundations.kit.testing import CheckFailure

matplotlib.use("Agg")
pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")  # the wrong sigmoid


def _cells(assignment: str) -> list[tuple[str | None, str]]:
    """(grade id or None, source) of every code cell of the instructor notebook, solution markers taken out."""
    cells = []
    for cell in nbformat.read(REPO / "solutions" / assignment / f"{assignment}.ipynb", as_version=4).cells:
        if cell.cell_type == "code":
            lines = [line for line in cell.source.splitlines() if "### " not in line or "SOLUTION" not in line]
            cells.append((cell.metadata.get("nbgrader", {}).get("grade_id"), "\n".join(lines)))
    return cells


def run_cell(source: str, name: str, namespace: dict) -> None:
    """Run one cell as IPython does: compiled under its own file name, its source kept in linecache."""
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    exec(compile(source, name, "exec"), namespace)  # noqa: S102


def run_notebook(assignment: str, answers: dict[str, str], until: str, skip: tuple[str, ...] = ()) -> dict:
    """Run the notebook's code cells in order, with ``answers[grade_id]`` added after those answer cells (a
    redefinition), up to and including the cell ``until``; test cells in ``skip`` are not run. An error in a
    cell before ``until`` is ignored (a student runs on); the error of ``until`` propagates."""
    import matplotlib.pyplot as plt

    namespace = {"__name__": "__main__"}
    try:
        for number, (grade_id, source) in enumerate(_cells(assignment)):
            if grade_id in skip:
                continue
            try:
                run_cell(source, f"<{assignment} cell {number}>", namespace)
                if grade_id in answers:
                    run_cell(answers[grade_id], f"<{assignment} cell {number}, yours>", namespace)
            except Exception:
                if grade_id == until:
                    raise
            if grade_id == until:
                return namespace
    finally:
        plt.close("all")
    raise AssertionError(f"no cell {until!r} in {assignment}")


def failure_of(assignment: str, answers: dict[str, str], until: str, **options) -> CheckFailure | None:
    """The CheckFailure of the test cell ``until`` (None when it passes)."""
    try:
        run_notebook(assignment, answers, until, **options)
    except CheckFailure as failure:
        return failure
    return None


# --- one wrong earlier function per assignment, and a wrong later one with right earlier ones -------------

WRONG = {
    "perceptron_loss": ("01-perceptron", "perceptron_loss-answer", "perceptron_loss-test", """
def perceptron_loss(z, y):
    margins = y * z
    return float(np.sum(np.maximum(0.0, -margins))), np.where(margins <= 0, -y, 0.0)
"""),
    "perceptron_step": ("01-perceptron", "perceptron_step-answer", "perceptron_step-test", """
def perceptron_step(w, b, x, y, lr=1.0):
    if y * (w @ x + b) < 0:
        return w + lr * y * x, b + lr * y, True
    return w, b, False
"""),
    "linear_mse": ("02-gradient-descent", "linear_mse-answer", "linear_mse-test", """
def linear_mse(X, y, w, b):
    r = X @ w + b - y
    return float(r @ r / 2), X.T @ r, float(np.sum(r))
"""),
    "sigmoid": ("03-maximum-likelihood", "sigmoid-answer", "sigmoid-test", """
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(z))
"""),
    "cross_entropy": ("04-softmax", "ce-answer", "ce-test", """
def cross_entropy(scores, y):
    Z = np.asarray(scores, dtype=np.float64)
    rows = np.arange(Z.shape[0])
    log_p = Z - Z.max(axis=1, keepdims=True)
    log_p = log_p - np.log(np.exp(log_p).sum(axis=1, keepdims=True))
    dscores = np.exp(log_p)
    dscores[rows, y] -= 1.0
    return float(-np.sum(log_p[rows, y])), dscores  # the sum: the mean is forgotten
"""),
    "softmax": ("04-softmax", "softmax-answer", "softmax-test", """
def softmax(Z):
    Z = np.asarray(Z, dtype=np.float64)
    return np.exp(Z - np.max(Z)) / np.sum(np.exp(Z), axis=-1, keepdims=True)
"""),
    "affine_forward": ("05-backprop", "affine-answer", "affine-test", """
def affine_forward(X, W, b):
    return X @ W, (X, W)
"""),
    "relu_backward": ("05-backprop", "relu-answer", "relu-test", """
def relu_backward(dout, cache):
    return dout * (cache < 0)
"""),
    "two_layer_forward": ("05-backprop", "forward-answer", "forward-test", """
def two_layer_forward(params, X):
    A, affine1_cache = affine_forward(X, params["W1"], params["b1"])
    Z, affine2_cache = affine_forward(A, params["W2"], params["b2"])  # the relu is left out
    return Z, (affine1_cache, None, affine2_cache)
"""),
    "two_layer_cross_entropy": ("05-backprop", "cross-entropy-answer", "cross-entropy-test", """
def two_layer_cross_entropy(params, X, y):
    Z, cache = two_layer_forward(params, X)
    shifted = Z - Z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(X.shape[0])
    delta2 = np.exp(log_p)
    delta2[rows, y] -= 1.0
    return -np.sum(log_p[rows, y]), two_layer_backward(delta2, cache)
"""),
    "momentum_step": ("06-optimisation", "momentum-answer", "momentum-test", """
def momentum_step(w, g, state, lr, beta=0.9):
    v = beta * state["v"] + g
    return w + lr * v, {"v": v}
"""),
}

# (the wrong earlier function, the later test cell, the words of its message before "which fails")
LATER = [
    ("perceptron_loss", "full_batch_gradient-test", "`full_batch_gradient` uses your `perceptron_loss`,"),
    ("perceptron_step", "train_perceptron-test", "`train_perceptron` uses your `perceptron_step`,"),
    ("linear_mse", "gradient_descent_step-test", "`gradient_descent_step` uses your `linear_mse`,"),
    ("linear_mse", "fit_linear_regression-test", "`fit_linear_regression` uses your `linear_mse`,"),
    ("sigmoid", "bce-test", "`binary_cross_entropy` uses your `sigmoid`,"),
    ("sigmoid", "trainer-test", "`train_logistic_regression` uses your `sigmoid` (through "
                                "`logistic_regression_loss`),"),
    ("cross_entropy", "regression-test", "`softmax_regression_loss` uses your `cross_entropy`,"),
    ("cross_entropy", "digits-test", "`train_softmax_regression` uses your `cross_entropy` (through "
                                     "`softmax_regression_loss`),"),
    ("softmax", "jacobian-test", "`softmax_jacobian` uses your `softmax`,"),
    ("affine_forward", "forward-test", "`two_layer_forward` uses your `affine_forward`,"),
    ("affine_forward", "mse-test", "`two_layer_mse` uses your `affine_forward` (through `two_layer_forward`),"),
    ("relu_backward", "cross-entropy-test", "`two_layer_cross_entropy` uses your `relu_forward` and `relu_backward`,"),
    ("relu_backward", "gradient-check-test", "This test uses your `relu_forward` and `relu_backward`,"),
    ("two_layer_forward", "gradient-check-test", "This test uses your `two_layer_forward` (through "
                                                 "`two_layer_cross_entropy`),"),
    ("two_layer_cross_entropy", "train-test", "`train_two_layer` uses your `two_layer_cross_entropy`,"),
    ("momentum_step", "run-test", "This test uses your `momentum_step`,"),
]


@pytest.mark.parametrize("function, later, words", LATER, ids=[f"{f}->{t}" for f, t, _ in LATER])
def test_a_later_test_names_the_earlier_function_that_fails_its_own_test(function, later, words):
    assignment, answer, own_test, code = WRONG[function]
    own = failure_of(assignment, {answer: code}, own_test)
    assert own is not None, f"the wrong {function} should fail its own visible test"
    failure = failure_of(assignment, {answer: code}, later)
    assert failure is not None and failure.code == "earlier-function", failure
    which = "which fail their own visible test" if " and `" in words else "which fails its own visible test"
    assert failure.message == f"{words} {which} ({str(own).rstrip('.')}): fix that first.", failure.message


@pytest.mark.parametrize("function, later, words", LATER, ids=[f"{f}->{t}" for f, t, _ in LATER])
def test_with_the_earlier_function_right_the_later_test_passes(function, later, words):
    assignment = WRONG[function][0]
    assert failure_of(assignment, {}, later) is None


# A wrong later function with right earlier ones: the message is its own, as it was.
OWN_MISTAKES = [
    ("01-perceptron", "full_batch_gradient-answer", "full_batch_gradient-test", "sign-flipped", """
def full_batch_gradient(X, y, w, b):
    _, dz = perceptron_loss(X @ w + b, y)
    return -(X.T @ dz), -np.sum(dz)
"""),
    ("02-gradient-descent", "gradient_descent_step-answer", "gradient_descent_step-test", "sign-flipped", """
def gradient_descent_step(X, y, w, b, lr):
    _, dw, db = linear_mse(X, y, w, b)
    return w + lr * dw, b + lr * db
"""),
    ("03-maximum-likelihood", "bce-answer", "bce-test", "forgot-mean", """
def binary_cross_entropy(logits, y):
    z = np.asarray(logits, dtype=np.float64)
    return float(np.sum(np.logaddexp(0.0, z) - y * z)), sigmoid(z) - y
"""),
    ("04-softmax", "regression-answer", "regression-test", "forgot-mean", """
def softmax_regression_loss(W, b, X, y):
    loss, dscores = cross_entropy(X @ W + b, y)
    return loss * len(y), X.T @ dscores * len(y), np.sum(dscores, axis=0) * len(y)
"""),
    ("05-backprop", "forward-answer", "forward-test", "wrong-value", """
def two_layer_forward(params, X):
    A, affine1_cache = affine_forward(X, params["W1"], params["b1"])
    Z, affine2_cache = affine_forward(A, params["W2"], params["b2"])  # the relu is left out
    return Z, (affine1_cache, None, affine2_cache)
"""),
]


@pytest.mark.parametrize("assignment, answer, test, code, source", OWN_MISTAKES,
                         ids=[row[2] for row in OWN_MISTAKES])
def test_with_the_earlier_functions_right_a_wrong_later_function_gets_its_own_diagnosis(assignment, answer, test,
                                                                                          code, source):
    failure = failure_of(assignment, {answer: source}, test)
    assert failure is not None and failure.code == code, failure
    assert "own visible test" not in failure.message


def test_the_run_of_06_names_a_schedule_the_optimiser_uses_through_a_lambda():
    wrong_schedule = ("def cosine_schedule(t, lr0, total_steps, lr_min=0.0):\n"
                      "    return lr0 * 10.0  # far too large: the runs diverge\n")
    failure = failure_of("06-optimisation", {"schedules-answer": wrong_schedule}, "run-test")
    assert failure is not None and failure.code == "earlier-function", failure
    assert failure.message.startswith("This test uses your `cosine_schedule`, which fails its own visible test")


# --- the mechanism -----------------------------------------------------------------------------------------

def test_the_earlier_test_runs_on_the_functions_as_they_are_now():
    """The own test of `cross_entropy` passed when it ran; `cross_entropy` was then redefined wrong and its test
    not run again: the later test still finds it, because the own test runs again on the current definition."""
    assignment, _, _, wrong = WRONG["cross_entropy"]
    failure = failure_of(assignment, {"regression-answer": wrong}, "regression-test")
    assert failure is not None and failure.code == "earlier-function"
    assert failure.message.startswith("`softmax_regression_loss` uses your `cross_entropy`, which fails")


def test_an_earlier_test_that_never_ran_is_not_known():
    assignment, answer, own_test, wrong = WRONG["cross_entropy"]
    failure = failure_of(assignment, {answer: wrong}, "regression-test", skip=(own_test,))
    assert failure is not None and failure.code == "forgot-mean", failure


def test_running_an_earlier_test_again_prints_nothing_and_changes_nothing(capsys, monkeypatch):
    namespace = run_notebook("04-softmax", {}, "regression-answer")
    own_tests = dict(_cells("04-softmax"))
    ran_again, run_again = [], earlier._run_again

    def recorded(source: str, names: dict) -> str | None:
        ran_again.append(source)
        return run_again(source, names)

    monkeypatch.setattr(earlier, "_run_again", recorded)
    before = dict(namespace)
    capsys.readouterr()
    cell = ("result = call_student(softmax_regression_loss, np.eye(2), np.zeros(2), np.eye(2), np.array([0, 1]))\n"
            "check_result(result[0], 0.0, ['loss'], Case('on a made-up example', ()))\n")
    with pytest.raises(CheckFailure) as failure:
        run_cell(cell, "<a new test cell>", namespace)
    assert failure.value.code == "wrong-value"  # cross_entropy passes its own test: the failure is as it was
    assert [source.strip() for source in ran_again] == [own_tests["ce-test"].strip()]
    assert capsys.readouterr().out == ""  # its gradient check printed into the void
    assert namespace.keys() == before.keys()
    assert all(namespace[name] is before[name] for name in before if name != "result")


def test_outside_a_notebook_nothing_is_recorded_or_run_again():
    def cross_entropy(scores, y):
        return 0.0, np.zeros_like(scores)

    testing.call_student(cross_entropy, np.zeros((2, 3)), np.array([0, 1]))
    assert earlier.tested_here() == [] and earlier.earlier_failure(cross_entropy) is None
    with pytest.raises(CheckFailure) as failure:
        testing.check_result((1.0, np.zeros((2, 3))), (0.5, np.zeros((2, 3))), ("loss", "dscores"),
                            testing.Case("on a batch of N = 2", (), 2))
    assert failure.value.code == "forgot-mean"


def test_check_that_is_an_assert_that_returns_nothing():
    assert testing.check_that(True, "never shown") is None
    with pytest.raises(CheckFailure) as failure:
        testing.check_that(False, "the loss should fall", code="did-not-learn")
    assert str(failure.value) == "[did-not-learn] the loss should fall"


@pytest.mark.parametrize("function", [earlier.record_own_test, earlier.tested_here, earlier.earlier_failure,
                                      testing.check_that, testing.call_student, testing.check_result,
                                      testing.check_at_least])
def test_the_new_kit_functions_are_typed_and_documented(function):
    assert len(inspect.getdoc(function) or "") > 20
    signature = inspect.signature(function)
    assert signature.return_annotation is not inspect.Signature.empty
    assert all(p.annotation is not inspect.Parameter.empty for p in signature.parameters.values()
               if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD))
