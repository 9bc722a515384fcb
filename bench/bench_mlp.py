"""Benchmark: one SGD epoch of the reference MLP 784-256-10 against scikit-learn, PyTorch and the BLAS ceiling.

A script, not a test: it prints timings and asserts nothing. Run it on an idle machine:

    .venv/bin/python bench/bench_mlp.py

Setup: 20,000 synthetic rows x 784 features in **float32** (the reference
computes in the dtype of its inputs, and float32 matmuls are about twice as
fast as float64), 10 classes, batch 128, learning rate 0.01, one epoch.

- reference: ``training.fit`` with ``mlp_loss`` and ``optim.SGD``, the path
  the chapters use (float32 params stay float32 throughout);
- scikit-learn: ``MLPClassifier`` with the same architecture and SGD settings,
  fitted on the same float32 data (it keeps float32);
- PyTorch (CPU), only if ``torch`` is importable: the same network, loss,
  optimiser, batch size and shuffling, written as the usual training loop;
- ceiling: float32 GFLOP/s of a 2048 x 2048 @ 2048 x 2048 matmul.

FLOPs counted per epoch: forward ``2 N (784*256 + 256*10)``, backward about
twice that, so ``3 * 2 N (784*256 + 256*10)`` in all.

Every number printed is the **median of 5 rounds**; each round times the
ceiling, the reference, scikit-learn and PyTorch one after the other, so that
a burst of load elsewhere on the machine hits them all alike.

OpenBLAS: where the environment sets ``OPENBLAS_CORETYPE`` (some processors
here), a current numpy runs a slower kernel; benchmark with both it and
``OPENBLAS_L2_SIZE`` unset for that command only. The kernel in use is printed.
"""

from __future__ import annotations

import os
import statistics
import time
import warnings
from collections.abc import Callable

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from dlfoundations.mlp import init_mlp, mlp_loss
from dlfoundations.optim import SGD
from dlfoundations.training import LoopSettings, fit

N, D, HIDDEN, K = 20_000, 784, 256, 10
BATCH, LR, ROUNDS = 128, 0.01, 5
EPOCH_FLOPS = 3 * 2 * N * (D * HIDDEN + HIDDEN * K)


def make_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian inputs labelled by a random linear teacher (so there is something to learn)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, D)).astype(np.float32)
    y = np.argmax(X @ rng.normal(size=(D, K)).astype(np.float32), axis=1)
    return X, y


def timed(run: Callable[[], object]) -> float:
    """Wall-clock seconds of one call of ``run()``."""
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def reference_epoch(X: np.ndarray, y: np.ndarray, seed: int = 0) -> float:
    """One epoch of minibatch SGD through ``training.fit``; returns the epoch's training loss."""
    params = init_mlp([D, HIDDEN, K], seed=seed, dtype=np.float32)
    _, history = fit(params, mlp_loss, SGD(LR), (X, y), LoopSettings(epochs=1, batch_size=BATCH, seed=seed))
    return history.train_loss[-1]


def sklearn_epoch(X: np.ndarray, y: np.ndarray, seed: int = 0) -> float:
    model = MLPClassifier(hidden_layer_sizes=(HIDDEN,), solver="sgd", batch_size=BATCH, max_iter=1,
                          learning_rate_init=LR, momentum=0, nesterovs_momentum=False, alpha=0,
                          shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    return model.loss_


def torch_epoch_runner(X: np.ndarray, y: np.ndarray) -> Callable[[], float] | None:
    """A function running one PyTorch CPU epoch of the same network, or None when torch is missing."""
    try:
        import torch
    except ImportError:
        return None
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))

    def run(seed: int = 0) -> float:
        torch.manual_seed(seed)
        model = torch.nn.Sequential(torch.nn.Linear(D, HIDDEN), torch.nn.ReLU(), torch.nn.Linear(HIDDEN, K))
        optimizer = torch.optim.SGD(model.parameters(), lr=LR)
        loss_fn = torch.nn.CrossEntropyLoss()
        total = 0.0
        for rows in torch.randperm(N).split(BATCH):
            optimizer.zero_grad()
            loss = loss_fn(model(X_t[rows]), y_t[rows])
            loss.backward()
            optimizer.step()
            total += float(loss) * len(rows)
        return total / N

    return run


def matmul_gflops(a: np.ndarray, b: np.ndarray, tries: int = 3) -> float:
    """Best float32 GFLOP/s of ``a @ b`` (square, 2 size^3 flops) over a few tries."""
    size = a.shape[0]
    return 2 * size**3 / min(timed(lambda: a @ b) for _ in range(tries)) / 1e9


def blas_kernel() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (threadpoolctl missing)"
    blas = [f"{i.get('internal_api')} {i.get('architecture')} x{i.get('num_threads')}"
            for i in threadpool_info() if i.get("user_api") == "blas"]
    return ", ".join(blas) or "unknown"


def main() -> None:
    X, y = make_data()
    rng = np.random.default_rng(0)
    a = rng.random((2048, 2048), dtype=np.float32)
    b = rng.random((2048, 2048), dtype=np.float32)
    a @ b  # warm-up
    reference_epoch(X[:2000], y[:2000])  # warm-up (imports, BLAS threads)
    runs: dict[str, Callable[[], object]] = {
        "reference": lambda: reference_epoch(X, y),
        "sklearn": lambda: sklearn_epoch(X, y),
    }
    torch_run = torch_epoch_runner(X, y)
    if torch_run is not None:
        torch_run()  # warm-up
        runs["torch"] = torch_run
    times: dict[str, list[float]] = {name: [] for name in runs}
    ceilings = []
    for _ in range(ROUNDS):
        ceilings.append(matmul_gflops(a, b))
        for name, run in runs.items():
            times[name].append(timed(run))
    median = {name: statistics.median(values) for name, values in times.items()}
    ceiling = statistics.median(ceilings)
    reference, sklearn = median["reference"], median["sklearn"]
    achieved = EPOCH_FLOPS / reference / 1e9
    coretype = os.environ.get("OPENBLAS_CORETYPE")
    print(f"data: {N} x {D} float32, {K} classes; MLP {D}-{HIDDEN}-{K}, batch {BATCH}, "
          f"SGD lr {LR}, 1 epoch; medians of {ROUNDS} rounds")
    print(f"BLAS: {blas_kernel()}; OPENBLAS_CORETYPE={coretype or 'unset'}")
    print(f"float32 matmul ceiling (2048^3):           {ceiling:8.1f} GFLOP/s")
    print(f"reference epoch (training.fit, SGD):       {reference:8.3f} s   "
          f"(all rounds: {', '.join(f'{t:.3f}' for t in times['reference'])})")
    print(f"scikit-learn MLPClassifier epoch:          {sklearn:8.3f} s   "
          f"(all rounds: {', '.join(f'{t:.3f}' for t in times['sklearn'])})")
    if "torch" in median:
        print(f"PyTorch CPU epoch:                         {median['torch']:8.3f} s")
    else:
        print("PyTorch CPU epoch:                         skipped (torch is not installed)")
    print(f"ratio sklearn / reference:                 {sklearn / reference:8.2f}   (target >= 1.3)")
    per_round = statistics.median(s / r for s, r in zip(times["sklearn"], times["reference"], strict=True))
    print(f"  median of the per-round ratios:          {per_round:8.2f}   (steadier when the machine is shared)")
    print(f"reference achieved:                        {achieved:8.1f} GFLOP/s "
          f"({EPOCH_FLOPS / 1e9:.1f} GFLOP per epoch)")
    print(f"fraction of the ceiling:                   {achieved / ceiling:8.1%}   (target >= 70%)")
    per_round = statistics.median(EPOCH_FLOPS / r / 1e9 / c for r, c in zip(times["reference"], ceilings, strict=True))
    print(f"  median of the per-round fractions:       {per_round:8.1%}")


if __name__ == "__main__":
    main()
