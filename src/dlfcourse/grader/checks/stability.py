"""Why a softmax (or its cross-entropy) gives NaN or inf: probes that tell the causes apart.

"An exp() overflows or a log() receives 0" leaves the student to guess, and many of them already subtract
a maximum. When the student's value is not finite where the reference's is, the student's own function is
called again on three small score matrices (N = 3, K = 3), each exposing one cause only:

* every row around +1,000 with a small spread: only a softmax without any maximum subtracted overflows;
* rows around +1,000, 0 and -1,000: only the maximum of the whole array (instead of each row's) fails,
  as the last row underflows to 0/0;
* moderate rows, one label 800 below its row's maximum: a stable softmax gives that label the probability
  0 exactly; the log of it is -inf (the loss only), and a backward pass that divides by it is NaN.

``inputs(Z, y)`` builds the item's arguments from scores and labels (a softmax regression gets ``X`` = the
identity and ``W`` = ``Z``), so the same probes serve every item of the family.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from dlfcourse.grader.checks.core import Facts, Mistake, Seen
from dlfcourse.grader.checks.values import finite, pick

__all__ = ["Family", "no_max_subtraction", "whole_array_maximum", "log_of_underflowed_probability",
           "division_by_underflowed_probability"]

_LABELS = np.array([1, 0, 2])
PROBES = {
    "overflow": (np.array([[1000.0, 1002.0, 999.0], [1001.0, 998.0, 1003.0], [1000.0, 1000.5, 1001.0]]), _LABELS),
    "offsets": (np.array([[1000.0, 1002.0, 999.0], [1.0, 3.0, 0.0], [-1000.0, -998.0, -1001.0]]), _LABELS),
    "underflow": (np.array([[0.0, 2.0, -800.0], [1.0, 0.0, 3.0], [-1.0, 1.0, 0.0]]), np.array([2, 0, 1])),
}


class Family:
    """An item of the softmax family: how to build its arguments, and which returned values are what."""

    def __init__(self, inputs: Callable[[np.ndarray, np.ndarray], tuple], loss: str | None,
                 grads: Sequence[str]) -> None:
        self.inputs, self.loss, self.grads = inputs, loss, tuple(grads)

    def broken(self, seen: Seen) -> bool:
        """The student's value has NaN or inf where the reference's is finite."""
        return seen.mine() is not None and finite(seen.expected) and not finite(seen.got)

    def outcome(self, seen: Seen, probe: str) -> tuple[bool, bool] | None:
        """(loss finite, gradients finite) of the student's function on a probe; None if the call failed."""
        if probe not in seen.memo:
            Z, y = PROBES[probe]
            value = seen.again(*self.inputs(Z, y), description=f"on the grader's probe scores ({probe})")
            seen.memo[probe] = None if value is None else (
                self.loss is None or finite(pick(value, seen.returns, self.loss)),
                finite(pick(value, seen.returns, self.grads)))
        return seen.memo[probe]

    def fine(self, seen: Seen, *probes: str) -> bool:
        return all(self.outcome(seen, p) == (True, True) for p in probes)

    def fails(self, seen: Seen, probe: str) -> bool:
        outcome = self.outcome(seen, probe)
        return outcome is not None and outcome != (True, True)

    def bad(self, seen: Seen) -> str:
        """The returned values that are not finite, in words ("your `loss` and `dscores`")."""
        names = [f"`{name}`" for name in ((self.loss,) if self.loss else ()) + self.grads
                 if not finite(pick(seen.got, seen.returns, name))]
        if not names:
            return "your result"
        return "your " + (names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1])


def _when(family: Family, test: Callable[[Seen], bool]) -> Callable[[Seen], Facts]:
    """The facts ``bad`` (the values that are not finite, in words) and ``loss`` (the loss, "inf" or "nan")."""
    def facts(seen: Seen) -> Facts:
        if not family.broken(seen) or not test(seen):
            return None
        loss = pick(seen.got, seen.returns, family.loss) if family.loss else None
        return {"bad": family.bad(seen), "loss": str(float(np.ravel(loss)[0])) if loss is not None else ""}
    return facts


def no_max_subtraction(family: Family, message: Callable[..., str], key: str = "no-max-subtraction") -> Mistake:
    """NaN or inf already on rows around +1,000: exp() overflows, no maximum is subtracted."""
    return Mistake(key, "not-finite", message, _when(family, lambda s: family.fails(s, "overflow")))


def whole_array_maximum(family: Family, message: Callable[..., str], key: str = "whole-array-maximum") -> Mistake:
    """Fine on rows around +1,000, NaN when rows lie far apart: the maximum of the whole array."""
    return Mistake(key, "not-finite", message, _when(
        family, lambda s: family.fine(s, "overflow") and family.fails(s, "offsets")))


def log_of_underflowed_probability(family: Family, message: Callable[..., str],
                                   key: str = "log-of-underflowed-probability") -> Mistake:
    """A stable softmax, but the loss is -log of a probability that underflowed to 0: inf, gradients finite."""
    return Mistake(key, "not-finite", message, _when(
        family, lambda s: family.fine(s, "overflow", "offsets") and family.outcome(s, "underflow") == (False, True)))


def division_by_underflowed_probability(family: Family, message: Callable[..., str],
                                        key: str = "division-by-underflowed-probability") -> Mistake:
    """A stable softmax, but the gradient divides by a probability that underflowed to 0 (NaN or inf)."""
    def test(seen: Seen) -> bool:
        outcome = family.outcome(seen, "underflow")
        return family.fine(seen, "overflow", "offsets") and outcome is not None and not outcome[1]
    return Mistake(key, "not-finite", message, _when(family, test))


def rows_and_labels(Z: np.ndarray, y: np.ndarray) -> tuple[Any, ...]:
    """The arguments of a loss of scores: ``(Z, y)``."""
    return Z, y


# ----------------------------------------------------------------------------- the sigmoid's tail


def naive_sigmoid(message: Callable[..., str], output: str, key: str = "naive-sigmoid") -> Mistake:
    """1 / (1 + e^{-z}) returns exactly 0 below z = -709.78, where e^{-z} overflowed; the true value is positive.
    The facts: ``z`` (the first such score)."""
    def test(seen: Seen) -> Facts:
        s, z = seen.array(output), seen.args[0]
        if s is None or s.shape != z.shape:
            return None
        deep = (z < -709.78) & (s == 0.0)
        return {"z": float(z[deep][0])} if deep.any() else None
    return Mistake(key, "not-finite", message, test)


def overflow_in_unused_branch(message: str, key: str = "overflow-in-unused-branch") -> Mistake:
    """The values are right, but an exp() overflows (np.where evaluates both branches): the student's function,
    called again with overflows as errors, raises FloatingPointError."""
    def test(seen: Seen) -> bool:
        if seen.student is None:
            return False
        again = seen.student.call(seen.function, *seen.args, case=seen.case, raise_on_overflow=True)
        return again.error == "FloatingPointError"
    return Mistake(key, "not-finite", message, test)
