"""The checks every assignment uses: compare with the reference, check a student's own gradient.

Hidden tests call :func:`check_against_reference` through a one-line helper
of their assignment module; visible tests call :func:`check_own_gradient`,
which needs no reference at all (it checks the student's gradient against a
numerical gradient of the student's own loss).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dlfoundations.gradcheck import numerical_gradient, rel_error
from dlfoundations.grading import guard
from dlfoundations.grading.compare import ATOL, RTOL, assert_matches
from dlfoundations.grading.failure import GradingFailure

__all__ = ["Case", "check_against_reference", "check_own_gradient", "check_at_least", "compare_result"]


@dataclass(frozen=True)
class Case:
    """One call to test: the arguments, a sentence fragment describing them, and the batch size N."""

    description: str
    args: tuple
    batch_size: int | None = None
    kwargs: dict = field(default_factory=dict)

    @property
    def opening(self) -> str:
        """The description with a capital first letter, to open a message ("On a batch of ...")."""
        return self.description[:1].upper() + self.description[1:]


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)} values"
    return f"a {type(value).__name__}"


def _compare_dict(got: Any, expected: dict, name: str, case: Case) -> None:
    if not isinstance(got, dict):
        raise GradingFailure("wrong-type", f"{case.description}: `{name}` should be a dict with keys "
                             f"{sorted(expected)}, but it is {_describe(got)}.")
    missing = sorted(set(expected) - set(got))
    if missing:
        raise GradingFailure("wrong-type", f"{case.description}: `{name}` has no entry for {missing}.")
    for key, value in expected.items():
        _compare_one(got[key], value, f"{name}['{key}']" if name else key, case)


def _is_bias(name: str) -> bool:
    last = name.rstrip("']").split("'")[-1]
    return last.startswith("b") or last.startswith("db")


def _compare_one(got: Any, expected: Any, name: str, case: Case) -> None:
    if isinstance(expected, dict):
        _compare_dict(got, expected, name, case)
        return
    expected = np.asarray(expected, dtype=np.float64)
    if _is_bias(name) and np.any(expected != 0) and isinstance(got, (np.ndarray, np.generic, int, float)) \
            and np.shape(got) == expected.shape and not np.any(got):
        raise GradingFailure("missing-bias-grad", f"{case.opening}, "
                             f"`{name}` is all zeros: the gradient of the bias is missing "
                             "(it is the sum over the batch of the upstream gradient).")
    assert_matches(got, expected, f"`{name}`", case.description, case.batch_size)


def compare_result(got: Any, expected: Any, names: Sequence[str], case: Case) -> None:
    """Compare a function's return value with the reference's, element by element, with diagnoses."""
    if isinstance(expected, tuple):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            raise GradingFailure("wrong-type", f"{case.opening}, the function "
                                 f"should return {len(expected)} values ({', '.join(names)}) but returned {_describe(got)}.")
        for value, reference, name in zip(got, expected, names):
            _compare_one(value, reference, name, case)
    else:
        _compare_one(got, expected, names[0], case)


def _copy_args(args: Iterable[Any]) -> tuple:
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)


def check_against_reference(
    student_fn: Callable,
    reference_fn: Callable,
    cases: Iterable[Case],
    names: Sequence[str],
    what: str,
    forbid: Iterable[str] = (),
    explain: Callable[[Any, Any, Case], None] | None = None,
) -> None:
    """Check ``student_fn`` against ``reference_fn`` on every case; raise GradingFailure on the first mismatch.

    ``names`` label the returned values (``("loss", "dscores")``); ``what``
    names the function in messages (``"cross_entropy"``). ``forbid`` takes
    allowed modules away for this item (see :func:`guard.call_student`).
    ``explain(got, expected, case)``, if given, is called when a result does
    not match: it may raise a GradingFailure that names an item-specific
    mistake ("it updated on a correctly classified point"); otherwise the
    generic diagnosis is raised.
    """
    for case in cases:
        expected = reference_fn(*_copy_args(case.args), **case.kwargs)
        got = guard.call_student(student_fn, *case.args, what=f"`{what}`", forbid=forbid, **case.kwargs)
        try:
            compare_result(got, expected, names, case)
        except GradingFailure:
            if explain is not None:
                _explain(explain, got, expected, case)
            raise
    print(f"{what}: all hidden checks passed.")


def _explain(explain: Callable[[Any, Any, Case], None], got: Any, expected: Any, case: Case) -> None:
    """Run an item's ``explain`` hook; a crash inside it (odd student output) leaves the generic diagnosis."""
    try:
        explain(got, expected, case)
    except GradingFailure:
        raise
    except Exception:  # noqa: BLE001 - the student's result may be anything
        return


def check_own_gradient(
    loss_and_grad: Callable[..., tuple[float, np.ndarray]],
    x: np.ndarray,
    *rest: Any,
    what: str = "your gradient",
    tolerance: float = 1e-7,
) -> float:
    """Compare ``loss_and_grad(x, *rest)[1]`` with the centred-difference gradient of ``loss_and_grad(x, *rest)[0]``.

    A visible test: it uses only the student's own function. Returns the
    relative error and prints it; raises GradingFailure above ``tolerance``.
    """
    x = np.array(x, dtype=np.float64)
    analytic = np.asarray(loss_and_grad(x.copy(), *rest)[1], dtype=np.float64)
    numeric = numerical_gradient(lambda v: float(loss_and_grad(v.copy(), *rest)[0]), x)
    if analytic.shape != numeric.shape:
        raise GradingFailure("wrong-shape", f"{what} has shape {analytic.shape}, but the input has shape {numeric.shape}.")
    error = rel_error(analytic, numeric)
    print(f"gradient check of {what}: relative error {error:.2e} (must be < {tolerance:.0e})")
    if not error < tolerance:
        raise GradingFailure("wrong-value", f"{what} does not match the numerical gradient of your own loss "
                             f"(relative error {error:.2e}, must be < {tolerance:.0e}).")
    return error


def check_at_least(value: float, minimum: float, what: str) -> None:
    """Raise ``did-not-learn`` unless ``value >= minimum`` (e.g. a test accuracy)."""
    if not np.isfinite(value) or value < minimum:
        raise GradingFailure("did-not-learn", f"{what} is {value:.4g}, below the required {minimum:.4g}.")
    print(f"{what}: {value:.4g} (required: at least {minimum:.4g})")


# The grading code itself is protected like numpy: replacing one of these fails every check.
for _module in (sys.modules[__name__], guard, sys.modules["dlfoundations.grading.compare"]):
    guard.protect(_module)
__all__ += ["RTOL", "ATOL"]
