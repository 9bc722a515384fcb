"""The student kit: what answers to the exercises may use.

    data       generated and bundled data sets, splits, standardisation, minibatches
    plotting   decision boundaries, learning curves, optimiser trajectories
    gradcheck  centred-difference numerical gradients and the relative error
    surfaces   2-D test functions for optimisers (quadratics, Rosenbrock)
    testing    the visible tests' helpers: compare a result, test your own gradient
    compare    how a result is compared with an expected one, and what a mismatch looks like
    earlier    when a visible test fails because of an earlier function: run that one's own test, say so
    absent     what is absent when graded (the reference), and where an answer leans on it
    as_graded  ``python -m dlfoundations.kit.as_graded NOTEBOOK``: run a notebook as it will be graded
    validation the input validation every public function of the library shares (shape, labels, ranges)

The kit imports nothing from the rest of ``dlfoundations`` (the reference
implementation): when your work is graded, only numpy, matplotlib and this kit
are present, so an answer cannot lean on the reference.
"""
