"""Regularisers for neural networks: (inverted) dropout, the L2 penalty, early stopping.

Dropout as a forward/backward pair, in the layer convention of ``dlfoundations.layers``::

    out, cache = dropout_forward(h, p, rng)      # training: zero each unit with probability p
    dh = dropout_backward(dout, cache)           # the gradient flows only through kept units

The L2 penalty on the weights (never the biases) is ``(l2 / 2) Σ_l ||W_l||²``, the same
term ``dlfoundations.mlp.mlp_loss(..., l2=...)`` adds; its gradient is ``l2 W_l``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike

from dlfoundations.kit.validation import as_float_array, require_count, require_positive

__all__ = ["dropout_forward", "dropout_backward", "l2_penalty", "early_stopping"]


def _check_drop_probability(p: float) -> float:
    """Return ``p`` as a float after checking 0 <= p < 1."""
    number = require_positive(p, "p", allow_zero=True)
    if number >= 1:
        raise ValueError(f"p is the probability of dropping a unit and must be in [0, 1), got {p!r}")
    return number


def dropout_forward(
    x: ArrayLike, p: float, rng: np.random.Generator | int | None = None, train: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Inverted dropout: zero each entry of ``x`` with probability ``p``, scale the rest by 1/(1 - p).

    ``x`` is any shape (typically hidden activations ``(N, n)``); ``p`` in [0, 1) is the
    probability of *dropping* a unit; ``rng`` is a numpy Generator (pass the same one at
    every step to draw a new mask each time) or an int seed (the same mask at every call,
    handy for a gradient check).
    In training, with ``keep_ij ~ Bernoulli(1 - p)`` drawn independently::

        mask = keep / (1 - p),    out = x ⊙ mask,    so  E[out] = x.

    With ``train=False`` (or ``p = 0``) the layer is the identity and the mask is all ones:
    thanks to the 1/(1 - p) scaling, nothing has to be rescaled at test time.
    Returns ``(out, cache)``, out shaped like ``x``; the cache is the mask.
    """
    x = as_float_array(x, "x")
    p = _check_drop_probability(p)
    if not isinstance(train, (bool, np.bool_)):
        raise ValueError(f"train must be True or False, got {train!r}")
    if not train or p == 0.0:
        mask = np.ones_like(x)
    else:
        if not isinstance(rng, np.random.Generator):
            rng = np.random.default_rng(rng)
        mask = (rng.random(x.shape) >= p) / (1.0 - p)
    return x * mask, mask


def dropout_backward(dout: ArrayLike, cache: np.ndarray) -> np.ndarray:
    """Gradient of inverted dropout: ``dx = dout ⊙ mask`` (same shape as ``dout``).

    Dropped units had out = 0 whatever x was, so their gradient is 0; kept units
    pass ``dout`` on scaled by the same 1/(1 - p) as in the forward pass.
    """
    mask = np.asarray(cache)
    dout = as_float_array(dout, "dout")
    if dout.shape != mask.shape:
        raise ValueError(f"dout has shape {dout.shape} but the forward output had shape {mask.shape}; they must match")
    dx: np.ndarray = dout * mask
    return dx


def l2_penalty(params: Mapping[str, ArrayLike], l2: float) -> tuple[float, dict[str, np.ndarray]]:
    """The weight penalty ``(l2 / 2) Σ_l ||W_l||²`` and its gradient.

    ``params`` is a dict like ``{"W1": (d, n1), "b1": (n1,), ...}``; only keys that
    start with "W" are penalised. Returns ``(penalty, grads)`` where ``grads`` has
    every key of ``params``: ``l2 W`` for weights and zeros for biases. Add the
    penalty to the data loss and the grads to the data gradients.
    """
    l2 = require_positive(l2, "l2", allow_zero=True)
    if not isinstance(params, Mapping) or not params:
        raise ValueError("params must be a non-empty dict of arrays (W1, b1, ...)")
    arrays = {key: as_float_array(value, f"params[{key!r}]") for key, value in params.items()}
    penalty = 0.5 * l2 * sum(float(np.sum(value**2)) for key, value in arrays.items() if key.startswith("W"))
    grads = {key: l2 * value if key.startswith("W") else np.zeros_like(value) for key, value in arrays.items()}
    return penalty, grads


def early_stopping(val_losses: Sequence[float] | ArrayLike, patience: int) -> tuple[int, int]:
    """Where training with early stopping would stop, given the validation loss per epoch.

    (An "epoch" here is whatever the losses were recorded after: epochs or single steps.)
    Epochs are numbered from 1, ``val_losses[e - 1]`` being the loss after epoch e.
    The rule: keep the best (lowest) loss so far; stop after ``patience`` epochs in a
    row without a new best. Returns ``(best_epoch, stop_epoch)``: restore the
    parameters of ``best_epoch``; ``stop_epoch`` is the last epoch that was run
    (``len(val_losses)`` if the rule never fired).
    """
    losses = as_float_array(val_losses, "val_losses", ndim=1)
    patience = require_count(patience, "patience")
    best_epoch, best = 1, losses[0]
    for epoch, loss in enumerate(losses[1:], start=2):
        if loss < best:
            best_epoch, best = epoch, loss
        elif epoch - best_epoch >= patience:
            return best_epoch, epoch
    return best_epoch, len(losses)
