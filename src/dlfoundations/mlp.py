"""A multilayer perceptron (fully connected network) of any depth.

A network with layer sizes ``[d, n_1, ..., n_L]`` (``n_L = K`` outputs) has
``L`` affine layers; every layer but the last is followed by the activation g::

    h_0 = X                              (N, d)
    z_l = h_{l-1} W_l + b_l              (N, n_l)           l = 1, ..., L
    h_l = g(z_l)                         for l < L; the scores are z_L (N, K)

Backpropagation in matrix form walks the layers in reverse, starting from
``dz_L = dL/dscores`` (what the loss returns)::

    dW_l = h_{l-1}ᵀ dz_l      db_l = Σ_i dz_l[i]      dz_{l-1} = (dz_l W_lᵀ) ⊙ g'(z_{l-1})

The forward pass caches ``h_{l-1}``, ``W_l`` and ``g'(z_{l-1})`` per layer;
the backward pass only *reads* them. It never overwrites a W: ``dz_{l-1}`` needs
the same ``W_l`` that produced the scores (updating W is the optimiser's
job, once every gradient exists).

Parameters and gradients are dicts with keys ``W1, b1, ..., WL, bL``.
Arithmetic happens in the dtype of the inputs: float64 by default (use it for
gradient checks), float32 if X and the params are float32 (about twice as fast).
Each layer is the affine formula of ``dlfoundations.layers`` followed by an
activation of the table ``dlfoundations.activations.ACTIVATIONS``, whose
derivative is written in terms of the output, so the slope ``g'(z_{l-1})`` is
computed from ``h_{l-1}``; the tests check that the network agrees with chaining
the public layers by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from dlfoundations.activations import get_activation
from dlfoundations.kit.validation import as_float_array, require_count, require_positive, require_same_length
from dlfoundations.losses import binary_cross_entropy, cross_entropy, logistic_loss, mse_loss
from dlfoundations.regularisation import l2_penalty
from dlfoundations.types import Params

__all__ = ["LOSS_HEADS", "init_mlp", "mlp_forward", "mlp_backward", "mlp_loss", "mlp_predict"]

LayerCache = tuple[np.ndarray, np.ndarray, np.ndarray | None]  # (h_{l-1}, W_l, g'(z_{l-1}) or None)

LossHead = Callable[[Any, Any], tuple[float, np.ndarray]]  # loss(scores, y) -> (loss, dscores)

LOSS_HEADS: dict[str, LossHead] = {
    "cross_entropy": cross_entropy,  # K outputs, integer labels 0..K-1
    "mse": mse_loss,  # K outputs, real targets (N, K) (or (N,) when K = 1)
    "logistic": logistic_loss,  # 1 output, labels -1/+1
    "binary_cross_entropy": binary_cross_entropy,  # 1 output, labels 0/1
}
"""Output losses by name: ``name -> loss(scores, y) -> (loss, dscores)``."""

SINGLE_OUTPUT_HEADS = ("logistic", "binary_cross_entropy")


def init_mlp(
    layer_sizes: Sequence[int],
    seed: int | np.random.Generator = 0,
    weight_scale: str | float = "he",
    dtype: type = np.float64,
) -> Params:
    """Random initial parameters for an MLP with sizes ``[d, n_1, ..., K]``.

    ``W_l`` ``(n_{l-1}, n_l)`` has entries drawn from ``N(0, s²)``; ``b_l`` ``(n_l,)`` is 0.
    ``weight_scale="he"`` uses ``s = sqrt(2 / n_{l-1})`` (the fan-in; keeps the
    variance of relu activations steady from layer to layer); a number uses
    that ``s`` for every layer. ``dtype`` is float64 (default) or float32.
    """
    sizes = _check_layer_sizes(layer_sizes)
    if not (weight_scale == "he" or (isinstance(weight_scale, (int, float)) and weight_scale > 0)):
        raise ValueError(f"weight_scale must be 'he' or a number > 0, got {weight_scale!r}")
    if np.dtype(dtype) not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dtype!r}")
    rng = np.random.default_rng(seed)
    params: Params = {}
    for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True), start=1):
        std = np.sqrt(2.0 / fan_in) if weight_scale == "he" else float(weight_scale)
        params[f"W{layer}"] = rng.normal(0.0, std, size=(fan_in, fan_out)).astype(dtype)
        params[f"b{layer}"] = np.zeros(fan_out, dtype=dtype)
    return params


def mlp_forward(params: Mapping[str, Any], X: Any, activation: str = "relu") -> tuple[np.ndarray, list[LayerCache]]:
    """Forward pass: X ``(N, d)`` -> scores ``(N, K)`` (no activation after the last layer).

    Returns ``(scores, caches)``: ``caches[l-1] = (h_{l-1}, W_l, g'(z_{l-1}))`` holds
    layer l's input, its weights and the slope of the activation that produced
    its input (``None`` for layer 1, whose input is X). Nothing is modified.
    """
    weights = _check_params(params)
    g = get_activation(activation)
    h = as_float_array(X, "X", ndim=2)
    if h.shape[1] != weights[0][0].shape[0]:
        raise ValueError(
            f"X has {h.shape[1]} columns but params['W1'] has {weights[0][0].shape[0]} rows; "
            "the first layer size must equal the number of features"
        )
    caches: list[LayerCache] = []
    slope = None  # layer 1's input X did not come out of an activation
    for W, b in weights[:-1]:  # hidden layers: affine, then activation
        caches.append((h, W, slope))
        h = g.function(h @ W + b)  # h_l = g(z_l),  z_l = h_{l-1} W_l + b_l
        slope = g.derivative_from_output(h)  # g'(z_l), from the output h_l = g(z_l)
    W, b = weights[-1]  # output layer: affine only
    caches.append((h, W, slope))
    scores = h @ W + b
    return scores, caches


def mlp_backward(dscores: Any, caches: Sequence[LayerCache]) -> Params:
    """Backward pass: from ``dL/dscores`` ``(N, K)`` to the gradient of every parameter.

    For l = L, ..., 1 (with ``dz_L = dscores``)::

        dW_l = h_{l-1}ᵀ dz_l,   db_l = Σ_i dz_l[i],   dz_{l-1} = (dz_l W_lᵀ) ⊙ g'(z_{l-1})

    Returns grads with the keys (W1, b1, ...) and shapes of the params.
    """
    h_last, W_last, _ = caches[-1]
    dz = as_float_array(dscores, "dscores", ndim=2).astype(h_last.dtype, copy=False)
    if dz.shape != (h_last.shape[0], W_last.shape[1]):
        raise ValueError(f"dscores has shape {dz.shape} but the scores had shape {(h_last.shape[0], W_last.shape[1])}")
    grads: Params = {}
    for layer in range(len(caches), 0, -1):
        h_in, W, slope = caches[layer - 1]
        grads[f"W{layer}"] = h_in.T @ dz  # dW_l = h_{l-1}ᵀ dz_l
        grads[f"b{layer}"] = dz.sum(axis=0)  # db_l = Σ_i dz_l[i]
        if slope is not None:  # (layer 1's input is X: nobody needs dL/dX, the largest product of the pass)
            dz = (dz @ W.T) * slope  # dz_{l-1} = (dz_l W_lᵀ) ⊙ g'(z_{l-1})
    return {key: grads[key] for layer in range(1, len(caches) + 1) for key in (f"W{layer}", f"b{layer}")}


def mlp_loss(
    params: Mapping[str, Any],
    X: Any,
    y: Any,
    loss: str = "cross_entropy",
    activation: str = "relu",
    l2: float = 0.0,
) -> tuple[float, Params]:
    """Loss of the network on a batch and the gradient of every parameter.

    ``loss = head(scores, y) + (l2 / 2) Σ_l ||W_l||²`` (weights only, not biases),
    so ``dW_l`` gains ``l2 W_l`` (``regularisation.l2_penalty``). ``head`` is one of ``LOSS_HEADS``:
    "cross_entropy" (K outputs, labels 0..K-1), "mse" (targets ``(N, K)``),
    "logistic" (1 output, labels ±1), "binary_cross_entropy" (1 output, labels 0/1).
    Returns ``(loss, grads)``; nothing passed in is modified.
    """
    head = _loss_head(loss)
    l2 = require_positive(l2, "l2", allow_zero=True)
    scores, caches = mlp_forward(params, X, activation)
    data_loss, dscores = _apply_head(loss, head, scores, y)
    grads = mlp_backward(dscores, caches)
    if l2 == 0:
        return data_loss, grads
    penalty, dpenalty = l2_penalty(params, l2)
    return data_loss + penalty, {key: grad + dpenalty[key] for key, grad in grads.items()}


def mlp_predict(params: Mapping[str, Any], X: Any, activation: str = "relu") -> np.ndarray:
    """Predicted labels ``(N,)`` int: ``argmax_k scores[i, k]``, or ``[score_i > 0]`` in {0, 1} when K = 1."""
    scores, _ = mlp_forward(params, X, activation)
    if scores.shape[1] == 1:
        return (scores[:, 0] > 0).astype(np.int64)
    labels: np.ndarray = np.argmax(scores, axis=1)
    return labels


# ----------------------------------------------------------------------------- helpers


def _check_layer_sizes(layer_sizes: Sequence[int]) -> list[int]:
    sizes = list(layer_sizes)
    if len(sizes) < 2:
        raise ValueError(f"layer_sizes needs at least 2 sizes (inputs and outputs), got {sizes}")
    return [require_count(size, f"layer_sizes[{index}]") for index, size in enumerate(sizes)]


def _check_params(params: Mapping[str, Any]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Check the keys are W1, b1, ..., WL, bL with chained shapes; return ``[(W_l, b_l), ...]``."""
    if not isinstance(params, Mapping) or not params:
        raise ValueError("params must be a non-empty dict with keys W1, b1, ..., WL, bL")
    num_layers = len(params) // 2
    expected = {f"{name}{layer}" for layer in range(1, num_layers + 1) for name in "Wb"}
    if set(params) != expected or len(params) % 2:
        raise ValueError(f"params must have keys W1, b1, ..., WL, bL; got {sorted(params)}")
    weights: list[tuple[np.ndarray, np.ndarray]] = []
    for layer in range(1, num_layers + 1):
        W = as_float_array(params[f"W{layer}"], f"params['W{layer}']", ndim=2)
        b = as_float_array(params[f"b{layer}"], f"params['b{layer}']", ndim=1)
        if b.shape != (W.shape[1],):
            raise ValueError(f"params['b{layer}'] has shape {b.shape} but params['W{layer}'] has "
                             f"{W.shape[1]} columns; b must be ({W.shape[1]},)")
        if weights and W.shape[0] != weights[-1][0].shape[1]:
            raise ValueError(f"params['W{layer}'] has {W.shape[0]} rows but params['W{layer - 1}'] has "
                             f"{weights[-1][0].shape[1]} columns; consecutive layers must chain")
        weights.append((W, b))
    return weights


def _loss_head(loss: str) -> LossHead:
    if loss not in LOSS_HEADS:
        raise ValueError(f"loss must be one of {sorted(LOSS_HEADS)}, got {loss!r}")
    return LOSS_HEADS[loss]


def _apply_head(name: str, head: LossHead, scores: np.ndarray, y: Any) -> tuple[float, np.ndarray]:
    """Loss and dscores ``(N, K)``; with 1 output and labels ``(N,)`` the head sees scores ``(N,)``."""
    if name in SINGLE_OUTPUT_HEADS and scores.shape[1] != 1:
        raise ValueError(f"loss {name!r} needs a network with 1 output, but the last layer has {scores.shape[1]}")
    y = np.asarray(y)
    if y.ndim >= 1:
        require_same_length(y, "y", scores, "X")
    if scores.shape[1] == 1 and y.ndim == 1 and name != "cross_entropy":
        value, dscores = head(scores[:, 0], y)
        return value, dscores[:, None]
    value, dscores = head(scores, y)
    return value, dscores
