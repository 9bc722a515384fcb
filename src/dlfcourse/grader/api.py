"""Grade plain Python functions for one item, in this process: the course's checks as a library.

For instructors trying a mistake, and for the tests::

    from dlfcourse.grader.api import grade_function
    verdict = grade_function("04-softmax", "cross_entropy", my_cross_entropy)
    verdict.points, verdict.code, verdict.message

The same checks grade submissions in ``dlf-course autograde``; there the
functions run in the sandbox and only their returned data reaches the check.
Here they run in this process, unsandboxed: use it for code you trust.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from dlfcourse.grader import checks
from dlfcourse.grader.items import run_item
from dlfcourse.grader.student import LocalStudent
from dlfcourse.grader.verdict import Verdict

__all__ = ["grade_function", "DEFAULT_POINTS"]

DEFAULT_POINTS = 1.0


def grade_function(assignment: str, function: str, fn: Callable[..., Any],
                   helpers: Mapping[str, Callable[..., Any]] | None = None, seed: int | None = None,
                   points: float = DEFAULT_POINTS, item: str | None = None) -> Verdict:
    """The verdict of the item of ``assignment`` that grades ``function``, with ``fn`` as the student's answer.

    ``helpers`` are the student's other functions the item uses that are not earlier items' (a pair
    graded together, as a forward/backward pair); earlier functions the item calls by name
    (``cross_entropy`` in softmax regression) answer with the reference's values, as in autograde.
    ``item`` (a grade id) picks the item when several grade the same function (03's trainer and its
    breast-cancer run). ``seed`` is the item's seed: pass a verdict's ``seed`` to replay that grading
    exactly (default: a fresh one, recorded in the verdict).
    """
    checks_of = checks.find(assignment)
    if checks_of is None:
        raise ValueError(f"no hidden checks for assignment {assignment!r}; known: {', '.join(checks.known())}")
    chosen = checks_of.item(item) if item is not None else checks_of.by_function(function)
    if chosen is None or function not in chosen.functions:
        names = sorted({name for it in checks_of.items for name in it.functions})
        raise ValueError(f"{assignment} has no item {item or ''} grading {function!r}; its functions: "
                         f"{', '.join(names)}")
    item_seed = seed if seed is not None else int.from_bytes(os.urandom(8), "little") >> 1
    student = LocalStudent({**(helpers or {}), function: fn})
    return run_item(chosen, student, item_seed, points, checks_of.references)
