"""Layers as forward/backward pairs (CS231n style).

``forward(inputs) -> (out, cache)`` computes the layer and keeps in ``cache``
just what the backward pass needs. ``backward(dout, cache)`` takes the upstream
gradient ``dout = dL/dout`` (shaped like ``out``) and returns the gradients of
the loss with respect to the inputs, by the chain rule.

The activation layers keep their *output* as the cache: the derivative comes
from it (``dlfoundations.activations.ACTIVATIONS``; for relu, ``[out > 0]`` is
the same mask as ``[z > 0]``). Each public function checks its inputs; the
kernels ``affine`` and ``affine_grads`` (not in ``__all__``) do the arithmetic
alone, for callers that have checked already (``dlfoundations.mlp``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from dlfoundations.activations import get_activation
from dlfoundations.kit.validation import as_float_array

__all__ = [
    "affine_forward",
    "affine_backward",
    "activation_forward",
    "activation_backward",
    "relu_forward",
    "relu_backward",
    "sigmoid_forward",
    "sigmoid_backward",
    "tanh_forward",
    "tanh_backward",
]


AffineCache = tuple[np.ndarray, np.ndarray]
"""What ``affine_forward`` keeps for the backward pass: ``(X, W)``."""


def affine(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``X W + b`` without checks, in one new array (the bias is added in place to the fresh product)."""
    out = X @ W
    out += b
    return out


def affine_grads(
    dout: np.ndarray, X: np.ndarray, W: np.ndarray, input_grad: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """``(dX, dW, db) = (dout Wᵀ, Xᵀ dout, Σ_i dout_i)`` without checks; ``dX`` is None unless ``input_grad``."""
    return (dout @ W.T if input_grad else None), X.T @ dout, dout.sum(axis=0)


def _check_dout(dout: ArrayLike, shape: tuple[int, ...]) -> np.ndarray:
    """Return ``dout`` as a float array after checking it has the shape of the forward output."""
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
    return affine(X, W, b), (X, W)


def affine_backward(dout: ArrayLike, cache: AffineCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of an affine layer from dout ``(N, K)``.

    ``dX = dout Wᵀ`` ``(N, d)``, ``dW = Xᵀ dout`` ``(d, K)``, ``db = Σ_i dout_i`` ``(K,)``.
    """
    X, W = cache
    dX, dW, db = affine_grads(_check_dout(dout, (X.shape[0], W.shape[1])), X, W)
    return dX, dW, db


def activation_forward(z: ArrayLike, activation: str) -> tuple[np.ndarray, np.ndarray]:
    """``out = g(z)`` for the named activation ("relu", "sigmoid", "tanh"), any shape. The cache is out."""
    out = get_activation(activation).function(as_float_array(z, "z"))
    return out, out


def activation_backward(dout: ArrayLike, cache: np.ndarray, activation: str) -> np.ndarray:
    """``dz = dout ⊙ g'(z)``, with ``g'`` computed from the cached output ``h = g(z)``."""
    h = np.asarray(cache)
    return _check_dout(dout, h.shape) * get_activation(activation).derivative(h)


def relu_forward(z: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """``out = max(0, z)``, any shape. The cache is out."""
    return activation_forward(z, "relu")


def relu_backward(dout: ArrayLike, cache: np.ndarray) -> np.ndarray:
    """``dz = dout ⊙ [z > 0]``: the gradient passes where the unit was active, else it is 0.

    ``[out > 0]`` and ``[z > 0]`` are the same mask, so the cache may be either.
    """
    return activation_backward(dout, cache, "relu")


def sigmoid_forward(z: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """``out = s(z) = 1 / (1 + e^{-z})``, any shape. The cache is out."""
    return activation_forward(z, "sigmoid")


def sigmoid_backward(dout: ArrayLike, cache: np.ndarray) -> np.ndarray:
    """``dz = dout ⊙ s (1 - s)``, with s the forward output."""
    return activation_backward(dout, cache, "sigmoid")


def tanh_forward(z: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """``out = tanh(z)``, any shape. The cache is out."""
    return activation_forward(z, "tanh")


def tanh_backward(dout: ArrayLike, cache: np.ndarray) -> np.ndarray:
    """``dz = dout ⊙ (1 - t²)``, with t = tanh(z) the forward output."""
    return activation_backward(dout, cache, "tanh")
