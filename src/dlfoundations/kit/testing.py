"""Helpers for the visible tests of the exercises: they run in your notebook and fail loudly.

Each helper raises :class:`CheckFailure` with a message that says what is
wrong ("off by a factor N: did you forget the mean?") and does nothing when
all is well. None of them returns a value, so a test cell never ends on a bare
number (nbgrader's Validate would read it as partial credit).

Each helper also fails, as the grader will, when the function under test leans
on the reference implementation (``dlfoundations.losses`` and the other modules
outside the kit): when your notebook is graded, only numpy, matplotlib and the
kit are there (see :mod:`dlfoundations.kit.absent`).

When a helper fails and the function under test calls an earlier function of
your notebook that fails its own visible test, the failure names that function
instead ("`softmax_regression_loss` uses your `cross_entropy`, which fails its own
visible test (...): fix that first"; see :mod:`dlfoundations.kit.earlier`).

The hidden tests are not here: they run in the course's grader, outside your
notebook, on inputs you never see.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from dlfoundations.kit.absent import function_use, notebook_use
from dlfoundations.kit.compare import Case, Finding, compare_result
from dlfoundations.kit.earlier import earlier_failure, record_own_test

__all__ = ["Case", "CheckFailure", "call_student", "check_result", "check_own_gradient", "check_at_least",
           "check_that"]

#: The code of a failure caused by an earlier function (visible tests only: the grader gives each item its own
#: verdict, with the reference in place of the earlier functions).
EARLIER = "earlier-function"


class CheckFailure(AssertionError):
    """A failed visible test, with a diagnosis code and a message written for the student.

    IPython calls ``_render_traceback_`` to display an exception: one line, no traceback.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"[{code}] {message}")
        self.code = code
        self.message = message

    @classmethod
    def of(cls, finding: Finding) -> CheckFailure:
        """The failure for a :class:`~dlfoundations.kit.compare.Finding`."""
        return cls(finding.code, finding.message)

    def _render_traceback_(self) -> list[str]:
        return [f"CheckFailure: [{self.code}] {self.message}"]


def _as_graded(function: Any = None, name: str | None = None) -> None:
    """Fail as the grader will if ``function``, or a function the running test cell uses, leans on the reference."""
    use = None
    if function is not None:
        label = name if name and name.isidentifier() else getattr(function, "__name__", None) or "your function"
        use = function_use(label, function)
    use = use or notebook_use(depth=2)
    if use is not None:
        raise CheckFailure(use.code, use.message)


def _fail(code: str, message: str, uses: Any = ()) -> CheckFailure:
    """The failure to raise: about an earlier function that the functions this cell tests (or ``uses``) call,
    when one fails its own visible test; else ``[code] message``."""
    culprit = earlier_failure(uses)
    return CheckFailure(EARLIER, culprit.message) if culprit is not None else CheckFailure(code, message)


def _where(error: BaseException) -> str:
    """ " (in `f`, line 3)": the innermost line of the notebook's own code the error passed through, or ""."""
    frames = [frame for frame, _ in traceback.walk_tb(error.__traceback__)
              if frame.f_globals.get("__name__") == "__main__"]
    if not frames:
        return ""
    code = frames[-1].f_code
    return f" (in `{code.co_name}`, line {frames[-1].f_lineno})" if code.co_name.isidentifier() else ""


def call_student(fn: Callable[..., Any], *args: Any, what: str | None = None, **kwargs: Any) -> Any:
    """Call ``fn(*args, **kwargs)``, check that it left its array arguments unchanged, and return its result.

    A crash or an in-place change raises :class:`CheckFailure` with an explanation (or names an earlier
    function that ``fn``, or a function passed to it, calls and that fails its own visible test). The test
    cell that calls this is ``fn``'s own visible test: a later test whose function calls ``fn`` runs it
    again when it fails (see :mod:`dlfoundations.kit.earlier`). ``what`` names ``fn`` (its name by default).
    """
    what = what or getattr(fn, "__name__", None) or "your function"
    uses = (fn, *args, *kwargs.values())
    if not callable(fn):
        raise CheckFailure("wrong-type", f"{what} should be a function, but it is a {type(fn).__name__}.")
    _as_graded(fn, what)
    record_own_test(fn, what)
    before = [a.copy() if isinstance(a, np.ndarray) else None for a in (*args, *kwargs.values())]
    try:
        result = fn(*args, **kwargs)
    except NotImplementedError:
        raise _fail("not-implemented", f"{what} is not implemented yet (it raises NotImplementedError).", uses) \
            from None
    except Exception as error:
        raise _fail("raised-error", f"{what} raised {type(error).__name__}: {error}{_where(error)}", uses) from error
    for position, (saved, value) in enumerate(zip(before, (*args, *kwargs.values()), strict=True)):
        if saved is not None and not np.array_equal(saved, value):
            raise _fail("mutates-input", f"{what} changed its argument number {position + 1} in place: "
                        "work on a copy (write `a = a - ...` rather than `a -= ...`).", uses)
    return result


def check_result(got: Any, expected: Any, names: Sequence[str], case: Case, uses: Any = ()) -> None:
    """Raise :class:`CheckFailure` naming the mistake unless ``got`` matches ``expected`` (see ``compare``).

    ``uses``: a function, or a tuple, list or dict of them, that ``got`` depends on besides the functions this
    cell tests (when they fail their own test, the failure names them).
    """
    _as_graded()
    if not isinstance(expected, tuple):
        expected = np.asarray(expected, dtype=np.float64) if not isinstance(expected, dict) else expected
    finding = compare_result(got, expected, names, case)
    if finding is not None:
        raise _fail(finding.code, finding.message, uses)


def check_own_gradient(
    loss_and_grad: Callable[..., tuple[float, np.ndarray]],
    x: np.ndarray,
    *rest: Any,
    what: str = "your gradient",
    tolerance: float = 1e-7,
) -> None:
    """Compare ``loss_and_grad(x, *rest)[1]`` with the centred-difference gradient of ``loss_and_grad(x, *rest)[0]``.

    It uses only your own function: it checks that your gradient is the
    derivative of your loss. Prints the relative error; raises above ``tolerance``.
    """
    from dlfoundations.kit.gradcheck import numerical_gradient, rel_error

    _as_graded(loss_and_grad)
    x = np.array(x, dtype=np.float64)
    analytic = np.asarray(loss_and_grad(x.copy(), *rest)[1], dtype=np.float64)
    numeric = numerical_gradient(lambda v: float(loss_and_grad(v.copy(), *rest)[0]), x)
    if analytic.shape != numeric.shape:
        raise _fail("wrong-shape", f"{what} has shape {analytic.shape}, but the input has shape "
                    f"{numeric.shape}.", loss_and_grad)
    error = rel_error(analytic, numeric)
    print(f"gradient check of {what}: relative error {error:.2e} (must be < {tolerance:.0e})")
    if not error < tolerance:
        raise _fail("wrong-value", f"{what} does not match the numerical gradient of your own loss "
                    f"(relative error {error:.2e}, must be < {tolerance:.0e}).", loss_and_grad)


def check_at_least(value: float, minimum: float, what: str, uses: Any = ()) -> None:
    """Raise ``did-not-learn`` unless ``value >= minimum`` (e.g. a test accuracy).

    ``uses``: a function, or a tuple, list or dict of them, that ``value`` depends on besides the functions
    this cell tests (when they fail their own test, the failure names them).
    """
    _as_graded()
    if not np.isfinite(value) or value < minimum:
        raise _fail("did-not-learn", f"{what} is {value:.4g}, below the required {minimum:.4g}.", uses)
    print(f"{what}: {value:.4g} (required: at least {minimum:.4g})")


def check_that(condition: Any, message: str, code: str = "wrong-value", uses: Any = ()) -> None:
    """Raise :class:`CheckFailure` ``[code] message`` unless ``condition`` is true.

    An ``assert`` that names an earlier function at fault: one that the functions this cell tests (or
    ``uses``, as in :func:`check_result`) call and that fails its own visible test.
    """
    _as_graded()
    if not condition:
        raise _fail(code, message, uses)
