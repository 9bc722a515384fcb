"""The student kit's comparison and visible-test helpers: they name the mistake, and fail when they should."""

from __future__ import annotations

import numpy as np
import pytest

from dlfoundations import losses
from dlfoundations.kit.testing import CheckFailure, call_student, check_at_least, check_own_gradient, check_result
from dlfoundations.kit.compare import Case, Finding, compare_result, diagnose

RNG = np.random.default_rng(0)
SCORES, LABELS = RNG.normal(size=(6, 4)), RNG.integers(0, 4, size=6)
CASE = Case("on a batch of N = 6", batch_size=6)


def reference():
    return losses.cross_entropy(SCORES, LABELS)


@pytest.mark.parametrize("change, code", [
    (lambda loss, d: (loss * 6, d * 6), "forgot-mean"),
    (lambda loss, d: (loss / 6, d / 6), "extra-mean"),
    (lambda loss, d: (loss, -d), "sign-flipped"),
    (lambda loss, d: (loss, d.T), "transposed"),
    (lambda loss, d: (loss, d[:, :3]), "wrong-shape"),
    (lambda loss, d: (loss, d * 2), "factor"),
    (lambda loss, d: (loss, np.where(d > 0, np.nan, d)), "not-finite"),
    (lambda loss, d: (loss + 0.37, d), "wrong-value"),
])
def test_each_typical_mistake_gets_its_diagnosis(change, code):
    loss, dscores = reference()
    finding = compare_result(change(loss, dscores.copy()), (loss, dscores), ("loss", "dscores"), CASE)
    assert isinstance(finding, Finding) and finding.code == code, finding
    assert finding.message.startswith("On a batch of N = 6")


def test_a_right_result_has_no_finding():
    loss, dscores = reference()
    assert compare_result((loss, dscores.copy()), (loss, dscores), ("loss", "dscores"), CASE) is None


def test_a_scalar_off_by_an_arbitrary_amount_is_not_called_a_factor():
    finding = diagnose(np.array(9.891 * 1.3), np.array(1.3), "`loss`", batch_size=5)
    assert finding.code == "wrong-value" and "factor" not in finding.message
    assert "yours: 12.858" in finding.message and "expected: 1.3" in finding.message


def test_a_wrong_entry_is_located():
    expected = np.arange(6.0).reshape(2, 3)
    got = expected.copy()
    got[1, 2] += 1.0
    finding = diagnose(got, expected, "`dW`")
    assert finding.code == "wrong-value" and "(1, 2)" in finding.message


def test_a_zero_bias_gradient_is_named():
    finding = compare_result((np.ones(3), np.zeros(2)), (np.ones(3), np.array([0.5, -0.5])), ("dW", "db"), CASE)
    assert finding.code == "missing-bias-grad" and "`db`" in finding.message


def test_an_unknown_code_is_refused():
    with pytest.raises(ValueError, match="unknown diagnosis code"):
        Finding("no-such-code", "x")


def test_visible_checks_raise_one_line_failures():
    loss, dscores = reference()
    with pytest.raises(CheckFailure) as failure:
        check_result((loss * 6, dscores * 6), (loss, dscores), ("loss", "dscores"), CASE)
    assert failure.value.code == "forgot-mean"
    assert failure.value._render_traceback_() == [f"CheckFailure: [forgot-mean] {failure.value.message}"]
    check_result((loss, dscores), (loss, dscores), ("loss", "dscores"), CASE)  # no exception


def test_call_student_names_a_crash_an_unfinished_answer_and_an_in_place_change():
    def crash(z):
        return z[10]

    def unfinished(z):
        raise NotImplementedError

    def in_place(z):
        z -= z.max()
        return z

    for fn, code in ((crash, "raised-error"), (unfinished, "not-implemented"), (in_place, "mutates-input")):
        with pytest.raises(CheckFailure) as failure:
            call_student(fn, np.arange(3.0), what="f")
        assert failure.value.code == code
    assert np.array_equal(call_student(lambda z: z + 1, np.arange(3.0)), [1.0, 2.0, 3.0])


def test_own_gradient_check_accepts_a_right_and_rejects_a_wrong_gradient(capsys):
    def right(z, y):
        return losses.cross_entropy(z, y)

    def wrong(z, y):
        loss, d = losses.cross_entropy(z, y)
        return loss, 2 * d

    assert check_own_gradient(right, SCORES, LABELS, what="dscores") is None  # a statement, never a value
    assert "relative error" in capsys.readouterr().out
    with pytest.raises(CheckFailure, match="numerical gradient of your own loss"):
        check_own_gradient(wrong, SCORES, LABELS, what="dscores")


def test_check_at_least():
    check_at_least(0.96, 0.95, "accuracy")
    for value in (0.5, float("nan")):
        with pytest.raises(CheckFailure) as failure:
            check_at_least(value, 0.95, "accuracy")
        assert failure.value.code == "did-not-learn"
