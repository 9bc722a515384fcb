"""The engine of the hidden checks: call the student, compare with the reference, name the mistake.

An item declared as data (:class:`Compared`: the function, the reference, the cases, the names of the
returned values and a table of known :class:`Mistake`) is checked case by case:

1. the student's function is called on the case (through the item's proxy); a call that fails is the
   finding, in the item's own words when it has some (``on_call``), and a known failure (a ``math domain
   error``) gets its hint from the table (mistakes ``on="raised"``);
2. the returned value (already validated at the boundary) is compared with the reference's;
3. on a mismatch the known mistakes are tried on the same case, in order: the first that recognises the
   value gives the finding;
4. otherwise the generic diagnosis (:mod:`dlfcourse.grader.checks.generic`).

Checks whose diagnosis is a sequence (an optimiser's trajectory, a training curve) build a :class:`Seen`
themselves and try a table with :func:`known`.
"""

from __future__ import annotations

import contextlib
import contextvars
import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dlfoundations.kit.compare import Case, Finding, compare_result
from dlfcourse.grader.checks import generic
from dlfcourse.grader.checks.values import as_float, pick
from dlfcourse.grader.student import Student

__all__ = ["Pass", "Mistake", "Seen", "Compared", "known", "diagnose", "recording", "Facts"]

#: What a mistake's test found: None (not this mistake), True, or the facts its message quotes.
Facts = Mapping[str, Any] | bool | None
_RECORD: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("fired_mistakes", default=None)
_NOT_OURS = (TypeError, ValueError, IndexError, KeyError, AttributeError, ArithmeticError, FloatingPointError)


@dataclass(frozen=True)
class Pass:
    """The item is right."""

    message: str


@dataclass(frozen=True)
class Seen:
    """One case as a mistake sees it: the case, the student's value, the reference's, and how to ask again."""

    case: Case
    got: Any
    expected: Any
    returns: tuple[str, ...]
    student: Student | None = None
    function: str = ""
    reference: Callable[..., Any] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)  # what the case was built from (a cache's inputs)
    raised: str | None = None  # the message of a call that raised
    memo: dict[str, Any] = field(default_factory=dict, compare=False)  # probes' results, shared by a table

    @property
    def args(self) -> tuple:
        return self.case.args

    @property
    def n(self) -> int:
        return self.case.batch_size or 1

    def mine(self, outputs: str | Sequence[str] | None = None) -> Any:
        """The student's value of ``outputs`` (a name, several names, or None for all), or None."""
        return pick(self.got, self.returns, outputs)

    def right(self, outputs: str | Sequence[str] | None = None) -> Any:
        """The reference's value of ``outputs``."""
        return pick(self.expected, self.returns, outputs)

    def array(self, output: str) -> np.ndarray | None:
        """The student's value ``output`` as a float64 array, or None."""
        return as_float(self.mine(output))

    def again(self, *args: Any, description: str | None = None, **kwargs: Any) -> Any:
        """The student's value on other arguments (a probe), or None if the call fails."""
        if self.student is None:
            return None
        case = Case(description or self.case.description, args, self.case.batch_size, kwargs)
        returned = self.student.call(self.function, *args, case=case, **kwargs)
        return returned.value if returned.finding is None else None


@dataclass(frozen=True)
class Mistake:
    """A known mistake: its key (unique in its item), a diagnosis code, the message, and the test that
    recognises it on a :class:`Seen` (``on="value"``: a returned value; ``on="raised"``: a call that raised).

    ``message`` is a string, or a function of the facts the test returned (and of the entries of
    ``seen.extra``), taken by parameter name. A value mistake's message follows the case's opening ("On a batch
    of ..., "); a raised one's is the whole message.
    """

    key: str
    code: str
    message: str | Callable[..., str]
    test: Callable[[Seen], Facts]
    on: str = "value"

    def finding(self, seen: Seen) -> Finding | None:
        """The finding when ``seen`` shows this mistake (a test that fails on odd data means: not this one; a
        message that cannot be written is the grader's own failure)."""
        try:
            with np.errstate(all="ignore"):
                facts = self.test(seen)
        except _NOT_OURS:
            return None
        if not facts:
            return None
        text = _say(self.message, {**seen.extra, **(facts if isinstance(facts, Mapping) else {})})
        record = _RECORD.get()
        if record is not None:
            record.append(self.key)
        return Finding(self.code, text if self.on == "raised" else f"{seen.case.opening}, {text}")


def _say(message: str | Callable[..., str], facts: Mapping[str, Any]) -> str:
    """The message, given the facts its function asks for (by parameter name)."""
    if not callable(message):
        return message
    wanted = inspect.signature(message).parameters
    return message(**{name: value for name, value in facts.items() if name in wanted})


def known(seen: Seen, mistakes: Iterable[Mistake], on: str = "value") -> Finding | None:
    """The finding of the first mistake of the table that recognises ``seen``, or None."""
    for mistake in mistakes:
        if mistake.on == on:
            finding = mistake.finding(seen)
            if finding is not None:
                return finding
    return None


def diagnose(seen: Seen, mistakes: Iterable[Mistake] = (), batch: tuple[int, ...] = ()) -> Finding | None:
    """None when the value matches the reference's; else the first known mistake, else the generic diagnosis."""
    finding = compare_result(seen.got, seen.expected, seen.returns, seen.case)
    if finding is None:
        return None
    return known(seen, mistakes) or generic.refined(seen, finding, batch)


@contextlib.contextmanager
def recording() -> Iterator[list[str]]:
    """Within the block, the keys of the mistakes that gave a finding (for the tests of the corpus)."""
    keys: list[str] = []
    token = _RECORD.set(keys)
    try:
        yield keys
    finally:
        _RECORD.reset(token)


_UNSET = object()


@dataclass(frozen=True)
class Compared:
    """An item's check declared as data: call ``function`` on every case, compare with ``reference``.

    ``cases(rng)`` draws the cases; ``returns`` names the returned values; ``mistakes`` is the table of
    known mistakes; ``on_call`` gives an item's own words for a failed call, by code: a string follows the
    case's opening, a function ``(case, finding) -> str`` writes the whole message; ``batch`` lists the
    arguments whose first axis is the batch (to probe a factor N before advising a mean).
    """

    function: str
    reference: Callable[..., Any]
    cases: Callable[[np.random.Generator], Iterable[Case]]
    returns: tuple[str, ...]
    mistakes: tuple[Mistake, ...] = ()
    on_call: Mapping[str, str | Callable[[Case, Finding], str]] = field(default_factory=dict)
    batch: tuple[int, ...] = ()

    def __call__(self, student: Student, rng: np.random.Generator) -> Finding | Pass:
        for case in self.cases(rng):
            finding = self.check_case(student, case)
            if finding is not None:
                return finding
        return Pass(f"`{self.function}`: all hidden checks passed.")

    def check_case(self, student: Student, case: Case, expected: Any = _UNSET,
                   extra: Mapping[str, Any] | None = None) -> Finding | None:
        """The finding of one case (None if right); ``expected`` when the reference's value is known already."""
        returned = student.call(self.function, *case.args, case=case, **case.kwargs)
        if returned.finding is not None:
            return self.call_failed(returned.finding, case, student)
        value = self.reference(*case.args, **case.kwargs) if expected is _UNSET else expected
        seen = Seen(case, returned.value, value, self.returns, student, self.function, self.reference, extra or {})
        return diagnose(seen, self.mistakes, self.batch)

    def call_failed(self, finding: Finding, case: Case, student: Student | None = None) -> Finding:
        """A failed call's finding, in the item's own words when it has some."""
        words = self.on_call.get(finding.code)
        if words is not None:
            return Finding(finding.code, words(case, finding) if callable(words) else f"{case.opening}, {words}")
        if finding.code == "raised-error":
            seen = Seen(case, None, None, self.returns, student, self.function, self.reference, raised=finding.message)
            return known(seen, self.mistakes, on="raised") or finding
        return finding
