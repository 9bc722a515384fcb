"""Layers as forward/backward pairs (CS231n style).

``forward(inputs) -> (out, cache)`` computes the layer and keeps in ``cache``
just what the backward pass needs. ``backward(dout, cache)`` takes the upstream
gradient ``dout = dL/dout`` (shaped like ``out``) and returns the gradients of
the loss with respect to the inputs, by the chain rule.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from dlfoundations.kit._checks import as_float_array
from dlfoundations.activations import relu, sigmoid, tanh

__all__ = [
    "affine_forward",
    "affine_backward",
    "relu_forward",
    "relu_backward",
    "sigmoid_forward",
    "sigmoid_backward",
    "tanh_forward",
    "tanh_backward",
    "ACTIVATION_LAYERS",
]


AffineCache = tuple[np.ndarray, np.ndarray]
"""What ``affine_forward`` keeps for the backward pass: ``(X, W)``."""


def _check_dout(dout: ArrayLike, shape: tuple[int, ...]) -> np.ndarray:
    """Return ``dout`` as float64 after checking it has the shape of the forward output."""
    dout = as_float_array(dout, "dout")
    if dout.shape != shape:
        raise ValueError(f"dout has shape {dout.shape} but the forward output had shape {shape}; they must match")
    return dout


def affine_forward(X: ArrayLike, W: ArrayLike, b: ArrayLike) -> tuple[np.ndarray, AffineCache]:
    """Affine layer ``out = X W + b``: X ``(N, d)``, W ``(d, K)``, b ``(K,)`` -> out ``(N, K)``.

    The cache is ``(X, W)``.
    """
    X = as_float_array(X, "X", ndim=2)
    W = as_float_array(W, "W", ndim=2)
    b = as_float_array(b, "b", ndim=1)
    if W.shape[0] != X.shape[1]:
        raise ValueError(f"W has {W.shape[0]} rows but X has {X.shape[1]} columns; W must be (d, K) for X (N, d)")
    if b.shape != (W.shape[1],):
        raise ValueError(f"b has shape {b.shape} but W has {W.shape[1]} columns; b must be ({W.shape[1]},)")
    return X @ W + b, (X, W)


def affine_backward(dout: ArrayLike, cache: AffineCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of an affine layer from dout ``(N, K)``.

    ``dX = dout Wᵀ`` ``(N, d)``, ``dW = Xᵀ dout`` ``(d, K)``, ``db = Σ_i dout_i`` ``(K,)``.
    """
    X, W = cache
    dout = _check_dout(dout, (X.shape[0], W.shape[1]))
    return dout @ W.T, X.T @ dout, dout.sum(axis=0)


def relu_forward(z: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """``out = max(0, z)``, any shape. The cache is z."""
    z = as_float_array(z, "z")
    return relu(z), z


def relu_backward(dout: ArrayLike, cache: np.ndarray) -> np.ndarray:
    """``dz = dout ⊙ [z > 0]``: the gradient passes where the unit was active, else it is 0."""
    z = cache
    return _check_dout(dout, z.shape) * (z > 0)


def sigmoid_forward(z: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """``out = s(z) = 1 / (1 + e^{-z})``, any shape. The cache is out."""
    out = sigmoid(z)
    return out, out


def sigmoid_backward(dout: ArrayLike, cache: np.ndarray) -> np.ndarray:
    """``dz = dout ⊙ s (1 - s)``, with s the forward output."""
    s = cache
    return _check_dout(dout, s.shape) * s * (1.0 - s)


def tanh_forward(z: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """``out = tanh(z)``, any shape. The cache is out."""
    out = tanh(z)
    return out, out


def tanh_backward(dout: ArrayLike, cache: np.ndarray) -> np.ndarray:
    """``dz = dout ⊙ (1 - t²)``, with t = tanh(z) the forward output."""
    t = cache
    return _check_dout(dout, t.shape) * (1.0 - t**2)


ActivationForward = Callable[[ArrayLike], tuple[np.ndarray, np.ndarray]]
ActivationBackward = Callable[[ArrayLike, np.ndarray], np.ndarray]

ACTIVATION_LAYERS: dict[str, tuple[ActivationForward, ActivationBackward]] = {
    "relu": (relu_forward, relu_backward),
    "sigmoid": (sigmoid_forward, sigmoid_backward),
    "tanh": (tanh_forward, tanh_backward),
}
"""Activation layers by name: ``name -> (forward, backward)``."""
