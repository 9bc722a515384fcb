"""Grading helpers for the course's nbgrader assignments.

A hidden test in an assignment is one line, for example::

    from dlfoundations.grading import a04_softmax as grade
    grade.check_cross_entropy(cross_entropy)

The helper draws fresh random inputs on every run, computes the reference
answer with ``dlfoundations``, calls the student's function in a guarded way
(no delegation to the reference, no mutated inputs, numpy untouched) and, when
something is wrong, raises :class:`GradingFailure` with a diagnosis a student
can act on. IPython renders a ``GradingFailure`` as one line, so feedback never
shows the hidden test's source.

Modules:
    failure   the exception and the diagnosis codes
    compare   comparison of a result with the reference, and the diagnosis
    guard     calling untrusted student code: delegation, mutation, tampering
    check     the high-level checks used by every assignment
    inputs    random inputs: batches, labels, large logits, K = 2
    scan      a static scan of a notebook's source for delegation and tampering
    aNN_*     one module per assignment: its graded items
"""

from dlfoundations.grading.failure import GradingFailure

__all__ = ["GradingFailure"]
