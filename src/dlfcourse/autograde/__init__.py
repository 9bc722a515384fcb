"""Grading a class: nbgrader's autograde per submission in a scratch course, a local pool or Dask, one writer."""
