"""Elementwise activation functions g(z) and their derivatives g'(z).

    relu     g(z) = max(0, z)            g'(z) = [z > 0]
    sigmoid  g(z) = 1 / (1 + e^{-z})     g'(z) = g(z) (1 - g(z))
    tanh     g(z) = tanh(z)              g'(z) = 1 - g(z)²

Each function takes an array of any shape and returns an array of the same
shape, float32 for float32 input and float64 otherwise. Backpropagation
multiplies by the derivative: ``dz = dout * g'(z)``.

``ACTIVATIONS`` is the one table of activations by name (as scikit-learn keeps
one), for the MLP (``dlfoundations.mlp``): each entry holds the function and its
derivative written **in terms of the output** ``h = g(z)``, which is what
backpropagation has at hand (``[h > 0]``, ``h (1 - h)``, ``1 - h²``).
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


def relu(z: ArrayLike) -> np.ndarray:
    """Rectified linear unit, ``relu(z) = max(0, z)``. Any shape in, same shape out."""
    z = as_float_array(z, "z")
    out: np.ndarray = np.maximum(z, 0)
    return out


def relu_derivative(z: ArrayLike) -> np.ndarray:
    """``relu'(z) = 1 where z > 0 else 0`` (we pick 0 at the kink z = 0), as floats."""
    z = as_float_array(z, "z")
    return (z > 0).astype(z.dtype)


def sigmoid(z: ArrayLike) -> np.ndarray:
    """Logistic sigmoid ``s(z) = 1 / (1 + e^{-z})``, computed without overflow.

    ``e^{-z}`` overflows for z < -709, so we only ever exponentiate ``-|z| <= 0``:
    with ``e = e^{-|z|}``, ``s(z) = 1 / (1 + e)`` for z >= 0 and ``e / (1 + e)`` for z < 0.
    """
    z = as_float_array(z, "z")
    e = np.exp(-np.abs(z))
    s: np.ndarray = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
    return s


def sigmoid_derivative(z: ArrayLike) -> np.ndarray:
    """``s'(z) = s(z) (1 - s(z))``; at most 1/4 (at z = 0), near 0 when |z| is large (saturation)."""
    s = sigmoid(z)
    ds: np.ndarray = s * (1 - s)
    return ds


def tanh(z: ArrayLike) -> np.ndarray:
    """Hyperbolic tangent ``tanh(z) = (e^z - e^{-z}) / (e^z + e^{-z}) = 2 s(2z) - 1``."""
    z = as_float_array(z, "z")
    t: np.ndarray = np.tanh(z)
    return t


def tanh_derivative(z: ArrayLike) -> np.ndarray:
    """``tanh'(z) = 1 - tanh(z)^2``; equals 1 at z = 0, near 0 when |z| is large (saturation)."""
    t = tanh(z)
    dt: np.ndarray = 1 - t**2
    return dt


# ----------------------------------------------------------------------------- the table


class Activation(NamedTuple):
    """An activation ``g`` and its derivative as a function of the output: ``g'(z) = derivative_from_output(g(z))``.

    ``function`` is the public, checked function above; ``derivative_from_output``
    takes the output ``h = g(z)`` unchecked and may return a boolean mask (relu).
    Both keep the dtype of their input.
    """

    function: Callable[[np.ndarray], np.ndarray]
    derivative_from_output: Callable[[np.ndarray], np.ndarray]


def _relu_slope(h: np.ndarray) -> np.ndarray:
    """``relu'(z) = [z > 0] = [h > 0]``: the unit is active exactly where its output is positive."""
    return h > 0


def _sigmoid_slope(s: np.ndarray) -> np.ndarray:
    """``s'(z) = s (1 - s)`` with ``s = sigmoid(z)``."""
    slope: np.ndarray = s * (1 - s)
    return slope


def _tanh_slope(t: np.ndarray) -> np.ndarray:
    """``tanh'(z) = 1 - t^2`` with ``t = tanh(z)``."""
    return 1 - t**2


ACTIVATIONS: dict[str, Activation] = {
    "relu": Activation(relu, _relu_slope),
    "sigmoid": Activation(sigmoid, _sigmoid_slope),
    "tanh": Activation(tanh, _tanh_slope),
}
"""The one activation table: ``name -> Activation(function, derivative_from_output)``."""


def get_activation(name: str) -> Activation:
    """The table entry for ``name`` ("relu", "sigmoid" or "tanh"), refusing any other name."""
    if name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {name!r}")
    return ACTIVATIONS[name]
