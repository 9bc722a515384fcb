"""The grader's side of the channel keeps every limit: forged replies, proxies, returned values, kept output.

Each test is an attempt a student could make from inside the notebook's process (a forged frame, a
proxy asked without end, a value that is not data, a flood of output) and what the trusted side
must make of it: a verdict for that call, never a failed grading or a grader error. (Decoding bytes
that are not a message is the codec's, tests/course/sandbox/test_codec.py.)
"""

from __future__ import annotations

import base64
import io
import json
import zipfile

import numpy as np
import pytest

from dlfoundations.kit.compare import Case
from dlfcourse.grader.boundary import NotData, as_data
from dlfcourse.grader.outputs import OutputBudget, OutputKeeper
from dlfcourse.grader.proxy import Proxy, ProxyBudget
from dlfcourse.grader.student import LocalStudent
from dlfcourse.sandbox.session import CellRun
from dlfcourse.sandbox.worker import MAX_REPLY_BYTES, WorkerFailure, WorkerProcess
from dlfcourse.settings import GradingSettings

CASE = Case("on a test batch")


def _frame(tree: str, compression: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        archive.writestr("tree.json", tree)
    return buffer.getvalue()


@pytest.mark.parametrize("value, expected", [
    (np.arange(3, dtype=np.float32), np.float64),
    (np.arange(3, dtype=">f8"), np.float64),
    (np.arange(3, dtype=np.int16), np.float64),
    (np.array([True, False]), np.bool_),
])
def test_returned_arrays_become_native_float64_or_bool(value, expected):
    converted = as_data(value)
    assert converted.dtype == expected and converted.dtype.isnative
    assert np.array_equal(converted, value.astype(expected))


@pytest.mark.parametrize("value, words", [
    (10**400, "401 digits"), ([[1.0], (-(10**30),)], "31 digits"), ({"x": 2**70}, "22 digits"),
    (np.array([1 + 2j]), "complex"),
])
def test_values_that_are_not_data_name_themselves(value, words):
    with pytest.raises(NotData, match=words):
        as_data(value)


def test_a_huge_integer_is_a_wrong_type_verdict_not_a_grader_error():
    student = LocalStudent({"cross_entropy": lambda scores, y: (10**400, np.zeros_like(scores))})
    returned = student.call("cross_entropy", np.zeros((2, 3)), np.array([0, 1]), case=CASE)
    assert returned.finding.code == "wrong-type" and "401 digits" in returned.finding.message


def _reference_ce(scores, y):
    return 1.5, np.ones_like(np.asarray(scores, dtype=np.float64))


def cross_entropy(scores, y):  # the student's own, wrong (at module level, as in a notebook)
    return 0.0, np.zeros_like(scores)


def regression(W, b, X, y):
    loss, d = cross_entropy(X @ W + b, y)
    return loss, X.T @ d, d.sum(axis=0)


def test_a_proxy_serves_the_reference_only_during_the_call_and_puts_the_students_back():
    student = LocalStudent({"cross_entropy": cross_entropy, "softmax_regression_loss": regression})
    proxy = Proxy({"cross_entropy": _reference_ce})
    X, W, b, y = np.ones((4, 2)), np.zeros((2, 3)), np.zeros(3), np.zeros(4, dtype=int)
    with_proxy = student.call("softmax_regression_loss", W, b, X, y, case=CASE, proxy=proxy)
    assert with_proxy.value[0] == 1.5 and np.array_equal(with_proxy.value[2], np.full(3, 4.0))
    assert proxy.used == {"cross_entropy"} and proxy.calls == 1
    without = student.call("softmax_regression_loss", W, b, X, y, case=CASE)
    assert without.value[0] == 0.0, "outside the item's calls the student's own function runs"


def test_a_proxy_refuses_names_it_does_not_serve_and_stops_a_worker_that_keeps_asking():
    proxy = Proxy({"cross_entropy": _reference_ce}, ProxyBudget(calls=3))
    assert proxy.answer({"name": "softmax", "args": [], "kwargs": {}})["ok"] is False
    for _ in range(3):
        assert proxy.answer({"name": "cross_entropy", "args": [[[1.0, 2.0]], [0]], "kwargs": {}})["ok"] is True
    refused = proxy.answer({"name": "cross_entropy", "args": [[[1.0]], [0]], "kwargs": {}})
    assert refused["ok"] is False and "at most 3 times" in refused["message"]
    answers = [proxy.answer({"name": "cross_entropy", "args": [], "kwargs": {}}) for _ in range(200)]
    assert answers[-1] is None, "a worker that keeps asking after its budget is spent is stopped"


def regression_on_strings(W, b, X, y):
    return cross_entropy("not scores", y)


def test_a_proxy_turns_the_references_error_into_the_students_exception():
    def strict(scores, y):
        raise ValueError("scores must be a 2-D array")

    student = LocalStudent({"softmax_regression_loss": regression_on_strings})
    returned = student.call("softmax_regression_loss", 1, 2, 3, 4, case=CASE, proxy=Proxy({"cross_entropy": strict}))
    assert returned.finding.code == "raised-error"
    assert "scores must be a 2-D array" in returned.finding.message and "ProxyError" in returned.finding.message


def test_a_reply_larger_than_the_grader_reads_costs_that_request_only(tmp_path):
    worker = WorkerProcess(GradingSettings(sandbox=False), str(tmp_path))
    try:
        with pytest.raises(WorkerFailure) as failure:
            worker.request({"op": "run", "cell": 0, "source": (
                "import sys, struct\nf = sys._getframe()\n"
                "while 'writer' not in f.f_locals: f = f.f_back\n"
                f"f.f_locals['writer'].write(struct.pack('>Q', {MAX_REPLY_BYTES + 1})); "
                "f.f_locals['writer'].flush()")}, 20, "running cell 0")
        assert failure.value.kind == "protocol" and "more than the limit" in failure.value.detail
    finally:
        worker.kill()


def test_a_forged_reply_nested_deep_is_a_protocol_failure_not_a_crash_of_the_grader(tmp_path):
    worker = WorkerProcess(GradingSettings(sandbox=False), str(tmp_path))
    tree = json.dumps({"t": "dict", "v": {}})[:-2] + '"id": ' + '{"t": "list", "v": [' * 100_000 + "]}" * 100_000 + "}}"
    frame = _frame(tree)
    source = ("import sys, struct\nf = sys._getframe()\nwhile 'writer' not in f.f_locals: f = f.f_back\n"
              f"f.f_locals['writer'].write(struct.pack('>Q', {len(frame)}) + {frame!r}); f.f_locals['writer'].flush()")
    try:
        with pytest.raises(WorkerFailure) as failure:
            worker.request({"op": "run", "cell": 0, "source": source}, 20, "running cell 0")
        assert failure.value.kind == "protocol" and "nested" in failure.value.detail
    finally:
        worker.kill()


def _png() -> str:
    return base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 64).decode()


def test_the_output_budget_keeps_a_few_mb_and_says_what_it_dropped():
    keeper = OutputKeeper(OutputBudget(text_per_cell=1000, text_per_notebook=2500, figures_per_cell=2,
                                       image_bytes_per_notebook=10_000))
    cells = [keeper.outputs(CellRun(i, stdout="q" * 5000, figures=[_png()] * 5 + ["<svg onload=alert(1)>"]))
             for i in range(4)]
    kept_text = sum(o["text"].count("q") for outputs in cells for o in outputs if o.get("name") == "stdout")
    assert kept_text == 2500
    assert all(sum(o.output_type == "display_data" for o in outputs) <= 2 for outputs in cells)
    assert not any("onload" in json.dumps(outputs) for outputs in cells)
    assert "dropped" in keeper.note() and "17,500 characters" in keeper.note()


def test_an_error_from_a_forged_reply_is_clipped():
    keeper = OutputKeeper()
    error = {"ename": "E" * 10_000, "evalue": "v" * 1_000_000, "traceback": ["t" * 10_000] * 10_000}
    [output] = keeper.outputs(CellRun(0, error=error))
    assert len(output["ename"]) <= 80 and len(output["evalue"]) <= 2000 and len(output["traceback"]) <= 13


ODD_VALUES = [None, "text", {}, [], [1, [2, 3]], {"a": 1}, np.zeros((0,)), np.array(True), float("inf"), float("nan"),
              (1, 2, 3, 4, 5), 10**18, -0.0, np.zeros((3, 3, 3)), [[1.0, 2.0], [3.0]], {"W1": "x"}, (None, None),
              np.array([np.nan]), ([], []), (np.zeros(2), "s", None), [True, False], 10**400]


def _returning(value):
    def function(*args, **kwargs):
        return value
    return function


@pytest.mark.parametrize("assignment", ["01-perceptron", "02-gradient-descent", "03-maximum-likelihood", "04-softmax",
                                        "05-backprop", "06-optimisation", "00-sample"])
def test_no_plain_value_a_student_returns_makes_a_grader_error(assignment):
    """``grader-error`` means the grader's own failure: whatever plain data every function returns, each item
    gets a verdict about the student's answer (wrong-type, wrong-shape, ...)."""
    from dlfcourse.grader import checks
    from dlfcourse.grader.items import grade_items

    graded = checks.find(assignment)
    functions = sorted({name for item in graded.items for name in item.functions})
    for number, value in enumerate(ODD_VALUES):
        student = LocalStudent({name: _returning(value) for name in functions})
        verdicts = grade_items(graded, student, 1000 + number, {item.grade_id: 1.0 for item in graded.items})
        errors = {g: v.detail for g, v in verdicts.items() if v.code == "grader-error"}
        assert not errors, f"returning {value!r:.40}: {errors}"
        assert not any(v.ok for v in verdicts.values()), f"returning {value!r:.40} passed an item"
