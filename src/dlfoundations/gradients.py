"""Check every parameter's analytic gradient of a model against centred differences.

This is the reference answer to assignment 05's gradient-check item, so it is
part of the reference library, not of the student kit: the kit keeps only the
building blocks (:func:`~dlfoundations.kit.gradcheck.numerical_gradient` and
:func:`~dlfoundations.kit.gradcheck.rel_error`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from dlfoundations.kit.gradcheck import DEFAULT_STEP, numerical_gradient, rel_error

__all__ = ["check_gradients"]


def check_gradients(
    loss_and_grads: Callable[[Mapping[str, np.ndarray]], tuple[float, Mapping[str, np.ndarray]]],
    params: Mapping[str, np.ndarray],
    h: float = DEFAULT_STEP,
) -> dict[str, float]:
    """Compare analytic and numerical gradients for every array in ``params``.

    ``loss_and_grads(params) -> (loss, grads)`` where ``grads`` has the same
    keys and shapes as ``params``. Returns ``{name: rel_error}``, the worst
    relative error per parameter. ``params`` is copied, never modified.
    """
    work = {name: np.array(value, dtype=np.float64) for name, value in params.items()}
    _, analytic = loss_and_grads(work)
    missing = set(work) - set(analytic)
    if missing:
        raise ValueError(f"the gradient dict has no entry for {sorted(missing)}")
    errors = {}
    for name, value in work.items():
        numeric = numerical_gradient(lambda _: loss_and_grads(work)[0], value, h)
        if np.shape(analytic[name]) != value.shape:
            raise ValueError(f"grads[{name!r}] has shape {np.shape(analytic[name])}, expected {value.shape}")
        errors[name] = rel_error(analytic[name], numeric)
    return errors
