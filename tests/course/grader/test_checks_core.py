"""The shared core of the hidden checks: the generic diagnosis it refines, the advice it probes before giving,
the tables it tries, and numpy matrices (old CS231n code) crossing the channel as plain arrays."""

from __future__ import annotations

import numpy as np
import pytest

from dlfoundations.kit.compare import Case
from dlfcourse.grader.checks import mistakes as m
from dlfcourse.grader.checks.common import Item, check_against_reference
from dlfcourse.grader.checks.core import Compared, Seen, known, recording
from dlfcourse.grader.student import LocalStudent

N = 5


def _loss(z: np.ndarray) -> tuple[float, np.ndarray]:
    """A mean over the batch and its gradient: the reference of the cases below."""
    return float(np.mean(z ** 2) / 2), z / len(z)


def _grade(fn, mistakes=(), batch=(0,)):
    z = np.arange(1.0, N + 1.0)
    compared = Compared("loss", _loss, lambda rng: [Case(f"on a batch of N = {N}", (z,), N)], ("loss", "dz"),
                        tuple(mistakes), batch=batch)
    return compared(LocalStudent({"loss": fn}), np.random.default_rng(0))


def test_a_zero_gradient_is_called_all_zeros_not_a_factor_0():
    finding = _grade(lambda z: (float(np.mean(z ** 2) / 2), np.zeros_like(z)))
    assert finding.code == "wrong-value"
    assert "`dz` is all zeros" in finding.message and "commented out" in finding.message
    assert "times 0" not in finding.message


def test_divide_by_n_is_advised_only_when_the_batch_stacked_twice_shows_a_sum():
    summed = _grade(lambda z: (float(np.sum(z ** 2) / 2), z))
    assert summed.code == "forgot-mean" and "did you forget to divide by N" in summed.message
    constant = _grade(lambda z: (float(np.mean(z ** 2) / 2) * N, z / len(z)))  # N hard-coded, a mean all the same
    assert constant.code == "wrong-value"
    assert "does reduce by a mean" in constant.message and "divide by N" not in constant.message
    twice = _grade(lambda z: (float(np.mean(z ** 2) / 2) / len(z), z / len(z)))
    assert twice.code == "extra-mean"
    assert _grade(lambda z: (float(np.sum(z ** 2) / 2), z), batch=()).code == "forgot-mean"  # no probe declared


def test_a_table_row_gives_its_message_with_its_facts_and_a_row_that_fails_on_odd_data_is_skipped():
    def broken(seen: Seen):
        raise TypeError("a row that cannot read this value")
    rows = (m.probe("broken", "wrong-value", "never", broken),
            m.probe("sign", "sign-flipped", lambda n, first: f"`dz` points uphill (N = {n}, dz[0] = {first:g}).",
                    lambda s: {"n": s.n, "first": s.array("dz")[0]} if s.array("dz")[0] < 0 else None))
    with recording() as fired:
        finding = _grade(lambda z: (float(np.mean(z ** 2) / 2), -z / len(z)), rows)
    assert (finding.code, fired) == ("sign-flipped", ["sign"])
    assert finding.message == f"On a batch of N = {N}, `dz` points uphill (N = {N}, dz[0] = -0.2)."
    assert known(Seen(Case("x"), None, None, ("loss",)), rows) is None


def test_two_rows_of_an_item_may_not_share_a_key():
    row = m.probe("same", "wrong-value", "m", lambda s: None)
    with pytest.raises(ValueError, match="share a key"):
        Item("x-test", ("x",), lambda student, rng: None, mistakes=(row, row))


def test_check_against_reference_still_serves_written_out_checks():
    student = LocalStudent({"loss": _loss})
    case = Case("on three numbers", (np.array([1.0, 2.0, 3.0]),), 3)
    assert check_against_reference(student, "loss", _loss, [case], ("loss", "dz")).message.endswith("passed.")


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_a_numpy_matrix_crosses_as_the_plain_array_of_its_values_and_shape():
    def old_code(Z):
        S = np.matrix(Z)
        return S.sum(axis=1), {"P": S / S.sum(), "rows": [S[0], 2.0]}
    returned = LocalStudent({"f": old_code}).call("f", np.ones((2, 3)), case=Case("on ones"))
    assert returned.finding is None
    sums, parts = returned.value
    assert type(sums) is np.ndarray and sums.shape == (2, 1) and np.allclose(sums, 3.0)
    assert type(parts["P"]) is np.ndarray and parts["P"].shape == (2, 3)
    assert type(parts["rows"][0]) is np.ndarray and parts["rows"][0].shape == (1, 3)
    masked = LocalStudent({"f": lambda: np.ma.masked_array([1.0, 2.0], mask=[0, 1])}).call("f", case=Case("now"))
    assert masked.finding is not None and masked.finding.code == "wrong-type"  # other subclasses stay refused
