"""The hidden checks, one module per assignment; :func:`find` gives an assignment's checks by name.

Each module ``aNN_<name>`` defines ``ASSIGNMENT``, an
:class:`~dlfcourse.grading.checks.common.Assignment` whose items are keyed by
the grade id of their test cell in the source notebook.
"""

from __future__ import annotations

import importlib

from dlfcourse.grading.checks.common import Assignment

__all__ = ["MODULES", "find", "known"]

#: assignment -> module with its ASSIGNMENT
MODULES = {
    "01-perceptron": "dlfcourse.grading.checks.a01_perceptron",
    "02-gradient-descent": "dlfcourse.grading.checks.a02_gradient_descent",
    "03-maximum-likelihood": "dlfcourse.grading.checks.a03_maximum_likelihood",
    "04-softmax": "dlfcourse.grading.checks.a04_softmax",
    "05-backprop": "dlfcourse.grading.checks.a05_backprop",
    "06-optimisation": "dlfcourse.grading.checks.a06_optimisation",
    "00-sample": "dlfcourse.demo.sample",
}


def known() -> list[str]:
    """The assignments that have hidden checks."""
    return sorted(MODULES)


def find(assignment: str) -> Assignment | None:
    """The checks of ``assignment``, or None if the course has none for it."""
    module = MODULES.get(assignment)
    return importlib.import_module(module).ASSIGNMENT if module else None
