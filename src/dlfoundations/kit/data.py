"""Small data sets for the course: generated on the fly or read from the files scikit-learn ships.

Nothing is downloaded. Every generator takes ``seed`` (an int or a
``np.random.Generator``), so the same seed always gives the same data.
Rows are examples: ``X`` is ``(n, d)`` and ``y`` is ``(n,)``.

Also here: a seeded train/test split, standardisation with statistics taken
from the training set only, and the minibatch iterator used by every
training loop.
"""

from __future__ import annotations

import gzip
import importlib.util
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from dlfoundations.kit.validation import (as_float_array, require_binary_labels, require_count, require_ndim,
                                          require_positive, require_same_length)

__all__ = [
    "make_moons",
    "make_xor",
    "make_blobs",
    "make_separable",
    "to_signed",
    "load_digits",
    "load_breast_cancer",
    "train_test_split",
    "fit_standardiser",
    "standardise",
    "minibatches",
]

Seed = int | np.random.Generator | None

MAX_SEPARABLE_MARGIN = 4.0  # beyond this, rejection sampling from N(0, I) becomes too slow


def _rng(seed: Seed) -> np.random.Generator:
    """A generator from an int seed (reproducible), a Generator (used as is) or None (fresh)."""
    if seed is None or isinstance(seed, np.random.Generator):
        return np.random.default_rng(seed)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be an int, a numpy Generator or None, got {seed!r}")
    return np.random.default_rng(int(seed))


def _balanced_labels(n: int, num_classes: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` labels in 0..num_classes-1, as equal in count as possible, in random order."""
    return rng.permutation(np.arange(n) % num_classes)


def make_moons(n: int, noise: float = 0.1, seed: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles ("two moons") with Gaussian noise.

    Class 0 lies on the upper arc ``(cos t, sin t)``, class 1 on the lower arc
    ``(1 - cos t, 0.5 - sin t)``, with ``t`` uniform in ``[0, pi]``; then
    ``N(0, noise^2)`` is added to each coordinate.

    Returns ``X`` ``(n, 2)`` float64 and ``y`` ``(n,)`` int in {0, 1}.
    """
    n = require_count(n, "n")
    noise = require_positive(noise, "noise", allow_zero=True)
    rng = _rng(seed)
    y = _balanced_labels(n, 2, rng)
    t = rng.uniform(0.0, np.pi, size=n)
    upper = np.column_stack([np.cos(t), np.sin(t)])
    lower = np.column_stack([1.0 - np.cos(t), 0.5 - np.sin(t)])
    X = np.where(y[:, None] == 0, upper, lower)
    X = X + rng.normal(0.0, noise, size=X.shape)
    return X, y


def make_xor(n: int, noise: float = 0.2, seed: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    """The XOR problem: four Gaussian clusters at ``(+-1, +-1)``.

    Clusters at ``(1, 1)`` and ``(-1, -1)`` are class 0, clusters at ``(1, -1)``
    and ``(-1, 1)`` are class 1 (the label is ``[sign(c1) != sign(c2)]`` of the
    cluster centre ``c``); each point is its centre plus ``N(0, noise^2 I)``.
    No line separates the classes.

    Returns ``X`` ``(n, 2)`` float64 and ``y`` ``(n,)`` int in {0, 1}.
    """
    n = require_count(n, "n")
    noise = require_positive(noise, "noise", allow_zero=True)
    rng = _rng(seed)
    corners = np.array([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]])
    cluster = _balanced_labels(n, 4, rng)
    X = corners[cluster] + rng.normal(0.0, noise, size=(n, 2))
    y = (cluster >= 2).astype(np.int64)
    return X, y


def make_blobs(
    n: int, centers: int | np.ndarray = 3, std: float = 1.0, seed: Seed = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs, one per class: ``x = c_y + N(0, std^2 I)``.

    ``centers`` is either a number of classes ``K`` (the centres are then
    evenly spaced on a circle of radius 4 in 2-D) or an array ``(K, d)`` of
    centres. Classes are balanced.

    Returns ``X`` ``(n, d)`` float64 and ``y`` ``(n,)`` int in {0, ..., K-1}.
    """
    n = require_count(n, "n")
    std = require_positive(std, "std", allow_zero=True)
    if isinstance(centers, (int, np.integer)) and not isinstance(centers, bool):
        num_classes = require_count(centers, "centers")
        angles = 2.0 * np.pi * np.arange(num_classes) / num_classes
        centre_array = 4.0 * np.column_stack([np.cos(angles), np.sin(angles)])
    else:
        centre_array = as_float_array(centers, "centers", ndim=2)
    rng = _rng(seed)
    y = _balanced_labels(n, centre_array.shape[0], rng)
    X = centre_array[y] + rng.normal(0.0, std, size=(n, centre_array.shape[1]))
    return X, y


def make_separable(
    n: int, d: int = 2, margin: float = 0.5, seed: Seed = 0, return_w_star: bool = False
) -> tuple[np.ndarray, np.ndarray] | tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Linearly separable data with a guaranteed margin, for the perceptron.

    Draws a random unit vector ``w*`` (``||w*|| = 1``), samples points from
    ``N(0, I_d)``, drops every point with ``|w* . x| < margin`` and labels the
    rest ``y = sign(w* . x)``. So every row satisfies ``y (w* . x) >= margin``:
    the hyperplane ``w* . x = 0`` separates the classes with at least that
    margin. ``margin`` must be in ``[0, 4]``.

    Returns ``X`` ``(n, d)`` float64 and ``y`` ``(n,)`` int in {-1, +1};
    with ``return_w_star=True`` also ``w*`` ``(d,)``.
    """
    n = require_count(n, "n")
    d = require_count(d, "d")
    margin = float(margin)
    if not 0.0 <= margin <= MAX_SEPARABLE_MARGIN:
        raise ValueError(f"margin must be in [0, {MAX_SEPARABLE_MARGIN:g}], got {margin!r}")
    rng = _rng(seed)
    w_star = rng.normal(size=d)
    w_star /= np.linalg.norm(w_star)
    keep_probability = math.erfc(margin / math.sqrt(2.0))  # P(|w*.x| >= margin), w*.x ~ N(0, 1)
    kept: list[np.ndarray] = []
    count = 0
    while count < n:
        draws = int(1.2 * (n - count) / keep_probability) + 16
        candidates = rng.normal(size=(draws, d))
        distance = np.abs(candidates @ w_star)
        accepted = candidates[(distance >= margin) & (distance > 0)]
        kept.append(accepted)
        count += accepted.shape[0]
    X = np.concatenate(kept)[:n]
    y = np.where(X @ w_star > 0, 1, -1).astype(np.int64)
    if return_w_star:
        return X, y, w_star
    return X, y


def to_signed(y: Any) -> np.ndarray:
    """Map labels {0, 1} to {-1, +1}: ``2 y - 1``. Returns int ``(n,)``."""
    labels = require_binary_labels(y, "y", (0, 1))
    return (2 * labels - 1).astype(np.int64)


def _bundled_data_dir() -> Path:
    """The folder of scikit-learn's bundled data files, found without importing scikit-learn.

    ``DLF_DATA_DIR`` overrides it: the grading sandbox shows only these data
    files, not scikit-learn itself.
    """
    override = os.environ.get("DLF_DATA_DIR")
    if override:
        return Path(override)
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("scikit-learn is not installed: its bundled data sets (digits, breast cancer) "
                                "are read from its data folder")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data"


def _read_bundled_csv(name: str) -> tuple[np.ndarray, np.ndarray]:
    """Features and integer labels (last column) of a bundled CSV file (gzipped if it ends in .gz)."""
    path = _bundled_data_dir() / name
    opener = gzip.open if name.endswith(".gz") else open
    with opener(path, "rt") as handle:
        table = np.loadtxt(handle, delimiter=",", skiprows=0 if name.startswith("digits") else 1)
    return np.ascontiguousarray(table[:, :-1], dtype=np.float64), table[:, -1].astype(np.int64)


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8x8 handwritten digits (no download).

    Returns ``X`` ``(1797, 64)`` float64 pixel intensities 0..16 and
    ``y`` ``(1797,)`` int in {0, ..., 9}.
    """
    return _read_bundled_csv("digits.csv.gz")


def load_breast_cancer() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled Wisconsin breast cancer data (no download).

    Returns ``X`` ``(569, 30)`` float64 features and ``y`` ``(569,)`` int in
    {0, 1} (0 = malignant, 1 = benign).
    """
    return _read_bundled_csv("breast_cancer.csv")


def train_test_split(
    X: Any, y: Any, test_fraction: float = 0.25, seed: Seed = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle the rows and split them into a training and a test part.

    ``round(test_fraction * n)`` rows (at least 1, at most ``n - 1``) go to
    the test part. Returns ``(X_train, X_test, y_train, y_test)``; together
    the two parts hold every row exactly once. ``X`` and ``y`` are not modified.
    """
    X = np.asarray(X)
    y = np.asarray(y)
    require_ndim(X, "X", (1, 2))
    require_ndim(y, "y", 1)
    require_same_length(X, "X", y, "y")
    fraction = float(test_fraction)
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"test_fraction must be strictly between 0 and 1, got {test_fraction!r}")
    n = X.shape[0]
    if n < 2:
        raise ValueError(f"X has {n} rows; splitting needs at least 2")
    n_test = min(n - 1, max(1, round(fraction * n)))
    order = _rng(seed).permutation(n)
    test, train = order[:n_test], order[n_test:]
    return X[train], X[test], y[train], y[test]


def fit_standardiser(X: Any) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature mean and standard deviation of the training data ``X`` ``(n, d)``.

    Returns ``(mean (d,), std (d,))``. A constant feature (std 0, e.g. a
    blank pixel) gets std 1, so that standardising leaves it at 0 instead of
    dividing by zero.
    """
    X = as_float_array(X, "X", ndim=2)
    mean = X.mean(axis=0)
    std = X.std(axis=0)
    return mean, np.where(std > 0, std, 1.0)


def standardise(X: Any, mean: Any, std: Any) -> np.ndarray:
    """``(X - mean) / std`` column by column; ``X`` is ``(n, d)``, ``mean`` and ``std`` ``(d,)``.

    Use the mean and std of the *training* set for every split.
    """
    X = as_float_array(X, "X", ndim=2)
    mean = as_float_array(mean, "mean", ndim=1)
    std = as_float_array(std, "std", ndim=1)
    for name, stat in (("mean", mean), ("std", std)):
        if stat.shape[0] != X.shape[1]:
            raise ValueError(f"{name} has {stat.shape[0]} entries but X has {X.shape[1]} columns")
    if np.any(std <= 0):
        raise ValueError("std must be > 0 in every column")
    standardised: np.ndarray = (X - mean) / std
    return standardised


def minibatches(
    X: Any, y: Any, batch_size: int, seed: Seed = None, shuffle: bool = True
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Iterate over ``(X_batch, y_batch)`` pairs that cover every row exactly once.

    With ``shuffle=True`` the rows are visited in a random order drawn from
    ``seed`` (the same int seed gives the same batches; pass one Generator to
    get a new order at each epoch). Every batch has ``batch_size`` rows except
    possibly the last, which holds the ``n mod batch_size`` rows left over.
    Shuffled batches are copies (rows picked in a random order); with
    ``shuffle=False`` they are read-only views of consecutive rows (no copy).
    ``X`` and ``y`` keep their dtypes and are never modified.
    """
    X = np.asarray(X)
    y = np.asarray(y)
    require_ndim(X, "X", (1, 2))
    require_ndim(y, "y", (1, 2))
    require_same_length(X, "X", y, "y")
    if X.shape[0] == 0:
        raise ValueError("X is empty; there are no rows to batch")
    batch_size = require_count(batch_size, "batch_size")
    order = _rng(seed).permutation(X.shape[0]) if shuffle else None
    return _batches(X, y, order, batch_size)


def _batches(
    X: np.ndarray, y: np.ndarray, order: np.ndarray | None, batch_size: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Consecutive rows as read-only views (``order`` None), or the rows of ``order`` in turn (copies)."""
    if order is None:
        X, y = X.view(), y.view()
        X.flags.writeable = y.flags.writeable = False
    for start in range(0, X.shape[0], batch_size):
        rows = slice(start, start + batch_size) if order is None else order[start:start + batch_size]
        yield X[rows], y[rows]
