"""Benchmark: one SGD epoch of the reference MLP 784-256-10 against scikit-learn and the BLAS ceiling.

A script, not a test: it prints timings and asserts nothing. Run it on an idle machine:

    .venv/bin/python bench/bench_mlp.py

Setup: 20,000 synthetic rows x 784 features in **float32** (the reference
computes in the dtype of its inputs, and float32 matmuls are about twice as
fast as float64), 10 classes, batch 128, learning rate 0.01, one epoch.

- reference: ``training.fit`` with ``mlp_loss`` and ``optim.SGD``, the path
  the chapters use (float32 params stay float32 throughout);
- scikit-learn: ``MLPClassifier`` with the same architecture and SGD settings,
  fitted on the same float32 data (it keeps float32);
- ceiling: the best float32 GFLOP/s of a 2048 x 2048 @ 2048 x 2048 matmul.

FLOPs counted per epoch: forward ``2 N (784*256 + 256*10)``, backward about
twice that, so ``3 * 2 N (784*256 + 256*10)`` in all. Best of 3 runs each.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from dlfoundations.mlp import init_mlp, mlp_loss
from dlfoundations.optim import SGD
from dlfoundations.training import fit

N, D, HIDDEN, K = 20_000, 784, 256, 10
BATCH, LR, REPEATS = 128, 0.01, 3
EPOCH_FLOPS = 3 * 2 * N * (D * HIDDEN + HIDDEN * K)


def make_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian inputs labelled by a random linear teacher (so there is something to learn)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, D)).astype(np.float32)
    y = np.argmax(X @ rng.normal(size=(D, K)).astype(np.float32), axis=1)
    return X, y


def best_time(run, repeats: int = REPEATS) -> float:
    """Shortest wall-clock time of ``repeats`` calls of ``run()``."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def best_times(runs: dict, repeats: int = REPEATS) -> dict[str, float]:
    """Best of ``repeats`` for each of ``runs``, taking turns so that a burst of load elsewhere hits all alike."""
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(repeats):
        for name, run in runs.items():
            best[name] = min(best[name], best_time(run, repeats=1))
    return best


def reference_epoch(X: np.ndarray, y: np.ndarray, seed: int = 0) -> float:
    """One epoch of minibatch SGD through ``training.fit``; returns the epoch's training loss."""
    params = init_mlp([D, HIDDEN, K], seed=seed, dtype=np.float32)
    _, history = fit(params, mlp_loss, SGD(LR), X, y, epochs=1, batch_size=BATCH, seed=seed)
    return history.train_loss[-1]


def sklearn_epoch(X: np.ndarray, y: np.ndarray, seed: int = 0) -> float:
    model = MLPClassifier(hidden_layer_sizes=(HIDDEN,), solver="sgd", batch_size=BATCH, max_iter=1,
                          learning_rate_init=LR, momentum=0, nesterovs_momentum=False, alpha=0,
                          shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    return model.loss_


def matmul_ceiling(size: int = 2048) -> float:
    """Best float32 GFLOP/s of a size x size matmul (2 size^3 flops)."""
    rng = np.random.default_rng(0)
    a = rng.random((size, size), dtype=np.float32)
    b = rng.random((size, size), dtype=np.float32)
    a @ b  # warm-up
    return 2 * size**3 / best_time(lambda: a @ b) / 1e9


def main() -> None:
    X, y = make_data()
    reference_epoch(X[:2000], y[:2000])  # warm-up (imports, BLAS threads)
    ceiling = matmul_ceiling()
    times = best_times({
        "reference": lambda: reference_epoch(X, y),
        "sklearn": lambda: sklearn_epoch(X, y),
    })
    reference, sklearn = times["reference"], times["sklearn"]
    ceiling = max(ceiling, matmul_ceiling())  # measured before and after: other load only lowers it
    achieved = EPOCH_FLOPS / reference / 1e9
    print(f"data: {N} x {D} float32, {K} classes; MLP {D}-{HIDDEN}-{K}, batch {BATCH}, "
          f"SGD lr {LR}, 1 epoch, best of {REPEATS}")
    print(f"float32 matmul ceiling (2048^3):           {ceiling:8.1f} GFLOP/s")
    print(f"reference epoch (training.fit, SGD):       {reference:8.3f} s")
    print(f"scikit-learn MLPClassifier epoch:          {sklearn:8.3f} s")
    print(f"ratio sklearn / reference:                 {sklearn / reference:8.2f}   (target >= 1)")
    print(f"reference achieved:                        {achieved:8.1f} GFLOP/s "
          f"({EPOCH_FLOPS / 1e9:.1f} GFLOP per epoch)")
    print(f"fraction of the ceiling:                   {achieved / ceiling:8.1%}   (target >= 50%)")


if __name__ == "__main__":
    main()
