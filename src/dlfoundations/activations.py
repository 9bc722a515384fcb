"""Elementwise activation functions g(z) and their derivatives g'(z).

Each function takes an array of any shape and returns a float64 array of the
same shape. The derivatives are what backpropagation multiplies by:
``dz = dout * g'(z)``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from dlfoundations.kit._checks import as_float_array

__all__ = ["relu", "relu_derivative", "sigmoid", "sigmoid_derivative", "tanh", "tanh_derivative"]


def relu(z: ArrayLike) -> np.ndarray:
    """Rectified linear unit, ``relu(z) = max(0, z)``. Any shape in, same shape out."""
    return np.maximum(as_float_array(z, "z"), 0.0)


def relu_derivative(z: ArrayLike) -> np.ndarray:
    """``relu'(z) = 1 where z > 0 else 0`` (we pick 0 at the kink z = 0)."""
    return (as_float_array(z, "z") > 0).astype(np.float64)


def sigmoid(z: ArrayLike) -> np.ndarray:
    """Logistic sigmoid ``s(z) = 1 / (1 + e^{-z})``, computed without overflow.

    ``e^{-z}`` overflows for z < -709, so we only ever exponentiate ``-|z| <= 0``:
    with ``e = e^{-|z|}``, ``s(z) = 1 / (1 + e)`` for z >= 0 and ``e / (1 + e)`` for z < 0.
    """
    z = as_float_array(z, "z")
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_derivative(z: ArrayLike) -> np.ndarray:
    """``s'(z) = s(z) (1 - s(z))``; at most 1/4 (at z = 0), near 0 when |z| is large (saturation)."""
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh(z: ArrayLike) -> np.ndarray:
    """Hyperbolic tangent ``tanh(z) = (e^z - e^{-z}) / (e^z + e^{-z}) = 2 s(2z) - 1``."""
    return np.tanh(as_float_array(z, "z"))


def tanh_derivative(z: ArrayLike) -> np.ndarray:
    """``tanh'(z) = 1 - tanh(z)^2``; equals 1 at z = 0, near 0 when |z| is large (saturation)."""
    t = tanh(z)
    return 1.0 - t**2
