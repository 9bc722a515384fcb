"""Elementwise activation functions g(z) and their derivatives g'(z), from one table.

``ACTIVATIONS`` maps a name to an :class:`Activation`: the function ``g`` and its
derivative written **in terms of the output** ``h = g(z)`` (as scikit-learn does),
which is what backpropagation has at hand and is cheaper than going back to z::

    relu     g(z) = max(0, z)            g' = [h > 0]
    sigmoid  g(z) = 1 / (1 + e^{-z})     g' = h (1 - h)
    tanh     g(z) = tanh(z)              g' = 1 - h²

The layers (``dlfoundations.layers``) and the MLP (``dlfoundations.mlp``) use
this table; the functions below are its checked, public face. Each takes an
array of any shape and returns an array of the same shape, float32 for float32
input and float64 otherwise. Backpropagation multiplies by the derivative:
``dz = dout * g'(z)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from dlfoundations.kit.validation import as_float_array

__all__ = [
    "Activation",
    "ACTIVATIONS",
    "get_activation",
    "relu",
    "relu_derivative",
    "sigmoid",
    "sigmoid_derivative",
    "tanh",
    "tanh_derivative",
]


class Activation(NamedTuple):
    """An activation ``g`` and its derivative as a function of the output: ``g'(z) = derivative(g(z))``.

    Both take and return arrays without checking them (callers check once), and
    keep the dtype of their input; ``derivative`` may return a boolean mask (relu).
    """

    function: Callable[[np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray], np.ndarray]


def _stable_sigmoid(z: np.ndarray) -> np.ndarray:
    """``1 / (1 + e^{-z})`` exponentiating only ``-|z| <= 0``, so it never overflows."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


ACTIVATIONS: dict[str, Activation] = {
    "relu": Activation(lambda z: np.maximum(z, 0), lambda h: h > 0),
    "sigmoid": Activation(_stable_sigmoid, lambda h: h * (1 - h)),
    "tanh": Activation(np.tanh, lambda h: 1 - h * h),
}
"""The one activation table: ``name -> Activation(function, derivative of the output)``."""


def get_activation(name: str) -> Activation:
    """The table entry for ``name`` ("relu", "sigmoid" or "tanh"), refusing any other name."""
    if name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {name!r}")
    return ACTIVATIONS[name]


def relu(z: ArrayLike) -> np.ndarray:
    """Rectified linear unit, ``relu(z) = max(0, z)``. Any shape in, same shape out."""
    return ACTIVATIONS["relu"].function(as_float_array(z, "z"))


def relu_derivative(z: ArrayLike) -> np.ndarray:
    """``relu'(z) = 1 where z > 0 else 0`` (we pick 0 at the kink z = 0), as floats."""
    z = as_float_array(z, "z")
    return ACTIVATIONS["relu"].derivative(relu(z)).astype(z.dtype)


def sigmoid(z: ArrayLike) -> np.ndarray:
    """Logistic sigmoid ``s(z) = 1 / (1 + e^{-z})``, computed without overflow.

    ``e^{-z}`` overflows for z < -709, so we only ever exponentiate ``-|z| <= 0``:
    with ``e = e^{-|z|}``, ``s(z) = 1 / (1 + e)`` for z >= 0 and ``e / (1 + e)`` for z < 0.
    """
    return ACTIVATIONS["sigmoid"].function(as_float_array(z, "z"))


def sigmoid_derivative(z: ArrayLike) -> np.ndarray:
    """``s'(z) = s(z) (1 - s(z))``; at most 1/4 (at z = 0), near 0 when |z| is large (saturation)."""
    return ACTIVATIONS["sigmoid"].derivative(sigmoid(z))


def tanh(z: ArrayLike) -> np.ndarray:
    """Hyperbolic tangent ``tanh(z) = (e^z - e^{-z}) / (e^z + e^{-z}) = 2 s(2z) - 1``."""
    return ACTIVATIONS["tanh"].function(as_float_array(z, "z"))


def tanh_derivative(z: ArrayLike) -> np.ndarray:
    """``tanh'(z) = 1 - tanh(z)^2``; equals 1 at z = 0, near 0 when |z| is large (saturation)."""
    return ACTIVATIONS["tanh"].derivative(tanh(z))
