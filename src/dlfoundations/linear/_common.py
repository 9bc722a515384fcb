"""What the linear models share: checking a data set, and predicting from ``(W, b)``."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from dlfoundations.kit.validation import (as_float_array, require_binary_labels, require_class_labels, require_count,
                                       require_same_length)

__all__ = ["predict_sign", "predict_class"]


def check_num_classes(num_classes: Any) -> int:
    """Return ``num_classes`` as an int after checking it is an integer >= 2."""
    return require_count(num_classes, "num_classes", minimum=2)


def check_scalar(value: Any, name: str) -> float:
    """Return a 0-d finite number as a float."""
    return float(as_float_array(value, name, ndim=0))


def signed_data(X: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Check a binary data set: ``X`` ``(N, d)`` and labels ``y`` ``(N,)`` in {-1, +1}."""
    X = as_float_array(X, "X", ndim=2)
    y = require_binary_labels(y, "y", (-1, 1))
    require_same_length(X, "X", y, "y")
    return X, y


def class_data(X: ArrayLike, y: ArrayLike, num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Check a multiclass data set: ``X`` ``(N, d)`` and labels ``y`` ``(N,)`` in 0..K-1."""
    X = as_float_array(X, "X", ndim=2)
    y = require_class_labels(y, "y", num_classes)
    require_same_length(X, "X", y, "y")
    return X, y


def predict_sign(X: ArrayLike, w: ArrayLike, b: float) -> np.ndarray:
    """Binary labels ``sign(X w + b)`` ``(N,)`` in {-1, +1} for ``X`` ``(N, d)``, ``w`` ``(d,)``.

    A score of exactly 0 is labelled +1.
    """
    X = as_float_array(X, "X", ndim=2)
    w = as_float_array(w, "w", ndim=1)
    if w.shape[0] != X.shape[1]:
        raise ValueError(f"w has {w.shape[0]} entries but X has {X.shape[1]} columns")
    scores = X @ w + check_scalar(b, "b")
    return np.where(scores >= 0, 1, -1)


def predict_class(X: ArrayLike, W: ArrayLike, b: ArrayLike) -> np.ndarray:
    """Class labels ``argmax_k (X W + b)_k`` ``(N,)`` for ``X`` ``(N, d)``, ``W`` ``(d, K)``, ``b`` ``(K,)``.

    Ties go to the lowest class index.
    """
    X = as_float_array(X, "X", ndim=2)
    W = as_float_array(W, "W", ndim=2)
    b = as_float_array(b, "b", ndim=1)
    if W.shape[0] != X.shape[1]:
        raise ValueError(f"W has {W.shape[0]} rows but X has {X.shape[1]} columns")
    if b.shape[0] != W.shape[1]:
        raise ValueError(f"b has {b.shape[0]} entries but W has {W.shape[1]} columns")
    labels: np.ndarray = np.argmax(X @ W + b, axis=1)
    return labels
