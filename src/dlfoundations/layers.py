"""Layers as forward/backward pairs (CS231n style).

``forward(inputs) -> (out, cache)`` computes the layer and keeps in ``cache``
just what the backward pass needs. ``backward(dout, cache)`` takes the upstream
gradient ``dout = dL/dout`` (shaped like ``out``) and returns the gradients of
the loss with respect to the inputs, by the chain rule.

    layer     forward                 cache     backward
    affine    out = X W + b           (X, W)    dX = dout Wᵀ,  dW = Xᵀ dout,  db = Σ_i dout_i
    relu      out = max(0, z)         z         dz = dout ⊙ [z > 0]
    sigmoid   out = s = σ(z)          s         dz = dout ⊙ s (1 - s)
    tanh      out = t = tanh(z)       t         dz = dout ⊙ (1 - t²)

Every function checks its inputs and computes in the dtype of its inputs
(float32 stays float32, anything else becomes float64).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from dlfoundations.activations import sigmoid
from dlfoundations.kit.validation import as_float_array

__all__ = [
    "affine_forward",
    "affine_backward",
    "relu_forward",
    "relu_backward",
    "sigmoid_forward",
    "sigmoid_backward",
    "tanh_forward",
    "tanh_backward",
]


AffineCache = tuple[np.ndarray, np.ndarray]
"""What ``affine_forward`` keeps for the backward pass: ``(X, W)``."""


def affine_forward(X: ArrayLike, W: ArrayLike, b: ArrayLike) -> tuple[np.ndarray, AffineCache]:
    """Affine layer ``out = X W + b``: X ``(N, d)``, W ``(d, K)``, b ``(K,)`` -> out ``(N, K)``.

    b is added to every row (broadcasting). The cache is ``(X, W)``.
    """
    X = as_float_array(X, "X", ndim=2)
    W = as_float_array(W, "W", ndim=2)
    b = as_float_array(b, "b", ndim=1)
    if W.shape[0] != X.shape[1]:
        raise ValueError(f"W has {W.shape[0]} rows but X has {X.shape[1]} columns; W must be (d, K) for X (N, d)")
    if b.shape != (W.shape[1],):
        raise ValueError(f"b has shape {b.shape} but W has {W.shape[1]} columns; b must be ({W.shape[1]},)")
    out = X @ W + b
    return out, (X, W)


def affine_backward(dout: ArrayLike, cache: AffineCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of an affine layer from dout ``(N, K)``, returned as ``(dX, dW, db)``.

    ``dX = dout Wᵀ`` ``(N, d)``, ``dW = Xᵀ dout`` ``(d, K)``, ``db = Σ_i dout_i`` ``(K,)``
    (the bias was added to every row, so its gradient sums over the rows).
    """
    X, W = cache
    dout = _require_dout(dout, (X.shape[0], W.shape[1]))
    dX = dout @ W.T
    dW = X.T @ dout
    db = dout.sum(axis=0)
    return dX, dW, db


def relu_forward(z: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """ReLU layer ``out = max(0, z)``, elementwise, any shape. The cache is the input z."""
    z = as_float_array(z, "z")
    out = np.maximum(z, 0)
    return out, z


def relu_backward(dout: ArrayLike, cache: np.ndarray) -> np.ndarray:
    """``dz = dout ⊙ [z > 0]``, shaped like z: the gradient passes where the unit was active, else it is 0.

    ``cache`` is the z of ``relu_forward`` (its output would do too: ``[out > 0]`` is the same mask).
    """
    z = np.asarray(cache)
    dout = _require_dout(dout, z.shape)
    dz = dout * (z > 0)
    return dz


def sigmoid_forward(z: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Sigmoid layer ``out = s = σ(z) = 1 / (1 + e^{-z})``, elementwise, any shape. The cache is s."""
    s = sigmoid(z)
    return s, s


def sigmoid_backward(dout: ArrayLike, cache: np.ndarray) -> np.ndarray:
    """``dz = dout ⊙ s (1 - s)``, shaped like z, with ``s = σ(z)`` the cached output (σ' = σ (1 - σ))."""
    s = np.asarray(cache)
    dout = _require_dout(dout, s.shape)
    dz: np.ndarray = dout * s * (1 - s)
    return dz


def tanh_forward(z: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Tanh layer ``out = t = tanh(z)``, elementwise, any shape. The cache is t."""
    z = as_float_array(z, "z")
    t = np.tanh(z)
    return t, t


def tanh_backward(dout: ArrayLike, cache: np.ndarray) -> np.ndarray:
    """``dz = dout ⊙ (1 - t²)``, shaped like z, with ``t = tanh(z)`` the cached output (tanh' = 1 - tanh²)."""
    t = np.asarray(cache)
    dout = _require_dout(dout, t.shape)
    dz: np.ndarray = dout * (1 - t**2)
    return dz


def _require_dout(dout: ArrayLike, shape: tuple[int, ...]) -> np.ndarray:
    """Return ``dout`` as a float array after checking it has the shape of the forward output."""
    dout = as_float_array(dout, "dout")
    if dout.shape != shape:
        raise ValueError(f"dout has shape {dout.shape} but the forward output had shape {shape}; they must match")
    return dout
