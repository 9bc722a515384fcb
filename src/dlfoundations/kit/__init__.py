"""The student kit: what answers to the exercises may use.

    data       generated and bundled data sets, splits, standardisation, minibatches
    plotting   decision boundaries, learning curves, optimiser trajectories
    gradcheck  centred-difference numerical gradients and the relative error
    surfaces   2-D test functions for optimisers (quadratics, Rosenbrock)
    checks     the visible tests' helpers: compare a result, check your own gradient
    compare    how a result is compared with an expected one, and what a mismatch looks like
    earlier    when a visible test fails because of an earlier function: run that one's own test, say so
    absent     what is absent when graded (the reference), and where an answer leans on it
    check      ``python -m dlfoundations.kit.check NOTEBOOK``: run a notebook as it will be graded

The kit imports nothing from the rest of ``dlfoundations`` (the reference
implementation): when your work is graded, only numpy, matplotlib and this kit
are present, so an answer cannot lean on the reference.
"""
