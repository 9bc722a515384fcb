"""Inputs for the hidden checks, drawn from a seed the grader records per student and item.

The standard situations every loss is tested in: a random batch, a batch of
one example, very large scores (where a naive ``exp`` overflows, and where a
label's score lies far below its row's maximum, so that its probability
underflows to 0 and ``log`` of it is ``-inf``) and, for multiclass losses, the
two-class case ``K = 2``. Every situation is always present: a mistake that
shows only in one of them is caught on every run, whatever the seed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

__all__ = ["item_seed", "Situation", "standard_situations", "random_scores", "random_labels", "random_signs",
           "large_logits"]


def item_seed(base: int, item: str) -> int:
    """The seed of one item, derived from the student's base seed and the item's grade id."""
    digest = hashlib.sha256(f"{int(base)}:{item}".encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


@dataclass(frozen=True)
class Situation:
    """One input situation: a sentence fragment for messages, a batch size, a class count and a score scale."""

    description: str
    batch_size: int
    num_classes: int
    scale: float

    @property
    def large(self) -> bool:
        return self.scale > 100


def standard_situations(rng: np.random.Generator, multiclass: bool = True) -> list[Situation]:
    """Random batch, batch of one, large scores (~1e4) and, if ``multiclass``, two classes."""
    n = int(rng.integers(4, 10))
    k = int(rng.integers(3, 7)) if multiclass else 1
    situations = [
        Situation(f"on a random batch of N = {n} examples", n, k, 3.0),
        Situation("on a batch of a single example (N = 1)", 1, k, 3.0),
        Situation(f"on large scores (around ±10,000, N = {n})", n, k, 1e4),
    ]
    if multiclass:
        situations.append(Situation(f"with two classes (K = 2, N = {n})", n, 2, 3.0))
    return situations


def random_scores(rng: np.random.Generator, n: int, k: int | None, scale: float = 3.0) -> np.ndarray:
    """Scores ``(n, k)`` (or ``(n,)`` when ``k`` is None) drawn uniformly from ``[-scale, scale]``."""
    shape = (n,) if k is None else (n, k)
    return rng.uniform(-scale, scale, size=shape)


def random_labels(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    """Integer labels ``(n,)`` in ``0..k-1``."""
    return rng.integers(0, k, size=n)


def large_logits(rng: np.random.Generator, y: np.ndarray, k: int) -> np.ndarray:
    """Logits ``(N, K)`` around ±1e4 where every row's maximum is above +5,000; in row 0 the label's logit
    lies at least 2,000 below that maximum (its softmax probability underflows to exactly 0), and, when
    N > 1, row 1's maximum lies at least 3,500 below row 0's (a softmax that subtracts the maximum of the
    whole array instead of each row's underflows there to 0/0)."""
    n = len(y)
    z = rng.uniform(-1e4, 1e4, size=(n, k))
    top = rng.integers(0, k, size=n)
    top[0] = (int(y[0]) + 1 + int(rng.integers(0, k - 1))) % k  # never the label in row 0
    z[np.arange(n), top] = rng.uniform(5e3, 1e4, size=n)
    z[0, top[0]] = rng.uniform(9.5e3, 1e4)
    if n > 1:
        z[1] = np.minimum(z[1], 4e3)
        z[1, top[1]] = rng.uniform(5e3, 6e3)
    z[0, int(y[0])] = z[0, top[0]] - rng.uniform(2e3, 5e3)
    return z


def random_signs(rng: np.random.Generator, n: int) -> np.ndarray:
    """Labels ``(n,)`` in ``{-1.0, +1.0}``, never all equal when ``n > 1``."""
    signs = rng.choice([-1.0, 1.0], size=n)
    if n > 1:
        signs[0], signs[1] = -1.0, 1.0
        rng.shuffle(signs)
    return signs
