"""Random inputs for hidden tests: fresh on every run, so no fixed array can be copied.

The standard situations every loss is tested in: a random batch, a batch of
one example, very large scores (where a naive ``exp`` overflows) and, for
multiclass losses, the two-class case ``K = 2``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

__all__ = ["fresh_rng", "Situation", "standard_situations", "random_scores", "random_labels", "random_signs"]


def fresh_rng() -> np.random.Generator:
    """A generator seeded from the operating system: different inputs on every grading run."""
    return np.random.default_rng(int.from_bytes(os.urandom(8), "little"))


@dataclass(frozen=True)
class Situation:
    """One input situation: a sentence fragment for messages, a batch size, a class count and a score scale."""

    description: str
    batch_size: int
    num_classes: int
    scale: float


def standard_situations(rng: np.random.Generator, multiclass: bool = True) -> list[Situation]:
    """Random batch, batch of one, large scores (~1e4) and, if ``multiclass``, two classes."""
    n = int(rng.integers(4, 10))
    k = int(rng.integers(3, 7)) if multiclass else 1
    situations = [
        Situation(f"on a random batch of N = {n} examples", n, k, 3.0),
        Situation("on a batch of a single example (N = 1)", 1, k, 3.0),
        Situation("on large scores (around ±10,000)", n, k, 1e4),
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


def random_signs(rng: np.random.Generator, n: int) -> np.ndarray:
    """Labels ``(n,)`` in ``{-1.0, +1.0}``, never all equal when ``n > 1``."""
    signs = rng.choice([-1.0, 1.0], size=n)
    if n > 1:
        signs[0], signs[1] = -1.0, 1.0
        rng.shuffle(signs)
    return signs
