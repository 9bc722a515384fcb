"""The hidden checks, one module per assignment; :func:`find` gives an assignment's checks by name.

Each module ``aNN_<name>`` defines ``ASSIGNMENT``, an
:class:`~dlfcourse.grader.checks.common.Assignment` whose items are keyed by
the grade id of their test cell in the source notebook. Items are declared as
data (the function, the reference, the cases, the returned names, the table of
known mistakes); the shared pieces, one job each: ``core`` (the engine: call,
compare, try the table), ``mistakes`` (the library of parameterised mistakes),
``stability`` (probes that tell the causes of NaN and inf apart), ``generic``
(the generic diagnosis, refined), ``values`` (returned values as numbers) and
``common`` (items and assignments).

Checks of other assignments (the demo's sample, an instructor's own) are
plugins: a distribution declares them as entry points in the group
``dlfcourse.checks``, named after the assignment, pointing at its
``Assignment`` (``00-sample = "dlfcourse.demo.sample:ASSIGNMENT"``). The
grader finds them there and never imports a plugin's package by name.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

from dlfcourse.grader.checks.common import Assignment

__all__ = ["MODULES", "ENTRY_POINT_GROUP", "find", "known"]

#: assignment -> module with its ASSIGNMENT (the course's six)
MODULES = {
    "01-perceptron": "dlfcourse.grader.checks.a01_perceptron",
    "02-gradient-descent": "dlfcourse.grader.checks.a02_gradient_descent",
    "03-maximum-likelihood": "dlfcourse.grader.checks.a03_maximum_likelihood",
    "04-softmax": "dlfcourse.grader.checks.a04_softmax",
    "05-backprop": "dlfcourse.grader.checks.a05_backprop",
    "06-optimisation": "dlfcourse.grader.checks.a06_optimisation",
}

#: The entry-point group of checks that live outside this package.
ENTRY_POINT_GROUP = "dlfcourse.checks"


def known() -> list[str]:
    """The assignments that have hidden checks (the course's and the plugins')."""
    return sorted(set(MODULES) | {point.name for point in entry_points(group=ENTRY_POINT_GROUP)})


def find(assignment: str) -> Assignment | None:
    """The checks of ``assignment``, or None if the course has none for it."""
    module = MODULES.get(assignment)
    if module is not None:
        return importlib.import_module(module).ASSIGNMENT
    plugin = next((p for p in entry_points(group=ENTRY_POINT_GROUP) if p.name == assignment), None)
    return plugin.load() if plugin is not None else None
