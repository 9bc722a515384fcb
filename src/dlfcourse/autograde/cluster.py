"""Grading on a Dask cluster: one task per submission, the results sent back to the instructor's process.

``cluster`` is a scheduler's address (``tcp://scheduler:8786``: a cluster
started by ``dask-jobqueue`` on Slurm or PBS, by the Dask Kubernetes operator,
or by hand) or ``local:N`` (a ``LocalCluster`` of N worker processes on this
machine). Each task runs on a worker exactly what the local pool runs: the
grading function in a forked process with the same hard time limit
(:func:`dlfcourse.autograde.pool.run_tasks`), so a crash or a hang of the grader
takes nothing else with it. The submission and the assignment travel as data
(the assignment once per worker), so the workers need no
shared file system, and the results come back as data: this process alone
writes the gradebook.

Faults: a worker that dies mid-task (killed, out of memory, node lost) has its
task rescheduled on another worker by the scheduler, at most twice
(``distributed.scheduler.allowed-failures``, set to 2 for a local cluster; set
it on a cluster's scheduler), then the submission is reported as failed with
the reason. A task that overruns is killed on its worker; a task that never
reports back (a frozen node) is cancelled after twice the limit. Neither stops
the batch. At most ``2 x threads`` tasks are in flight at once, so neither this
process nor the scheduler holds the whole class's submissions in memory.
"""

from __future__ import annotations

import os
import time
from collections import deque
from concurrent.futures import CancelledError
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from dlfcourse.course import CourseError
from dlfcourse.autograde.pool import TaskResult, run_tasks

__all__ = ["ALLOWED_FAILURES", "dask_client", "run_on_cluster", "compare_versions", "isolated"]

#: How often a task may be rescheduled after the worker running it died.
ALLOWED_FAILURES = 2
#: Distributions whose versions must match between this machine and every worker (the grade depends on them).
PINNED = ("dlfcourse", "dlfoundations", "nbgrader", "numpy", "matplotlib", "distributed")
_CONNECT_SECONDS = 10


def _local_cluster(spec: str) -> Any:
    import dask
    from distributed import LocalCluster

    try:
        workers = int(spec.removeprefix("local:"))
    except ValueError:
        workers = 0
    if workers < 1:
        raise CourseError(f"--cluster {spec!r}: expected local:N with N >= 1 workers, e.g. local:4")
    with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES}):
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                            silence_logs=50)


@contextmanager
def dask_client(target: str) -> Iterator[Any]:
    """A Dask client on ``target`` ("local:N" or a scheduler address); CourseError if it cannot be reached."""
    from distributed import Client

    cluster = _local_cluster(target) if target.startswith("local:") else None
    try:
        client = Client(cluster or target, timeout=f"{_CONNECT_SECONDS}s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as error:
        if cluster is not None:
            cluster.close()
        raise CourseError(f"cannot reach the Dask scheduler at {target}: {error}") from None
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _versions() -> dict[str, str]:
    """The versions of the PINNED distributions in this interpreter."""
    import importlib.metadata

    found = {}
    for name in PINNED:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "missing"
    return found


def compare_versions(client: Any) -> list[str]:
    """One line per worker whose PINNED versions differ from this machine's (empty: all alike)."""
    here = _versions()
    problems = []
    for worker, theirs in sorted(client.run(_versions).items()):
        wrong = [f"{n} {theirs.get(n)} (here {v})" for n, v in here.items() if theirs.get(n) != v]
        if wrong:
            problems.append(f"{worker}: " + ", ".join(wrong))
    return problems


def isolated(function: Callable[..., Any], key: str, time_limit: float, *arguments: Any) -> TaskResult:
    """Run on a Dask worker: ``function(*arguments, slot)`` in a forked process, as the local pool does."""
    from dlfcourse.sandbox.policy import check_available
    from dlfcourse.autograde.scratch import preload

    try:
        check_available(need_setpriv=os.geteuid() == 0)
    except RuntimeError as error:
        return TaskResult(key, None, f"the worker cannot run the sandbox: {error}", 0.0)
    preload()  # once per worker process: each task's forked grader then starts with nbgrader imported
    [result] = run_tasks(lambda _, slot: function(*arguments, slot), [key], 1, time_limit)
    return result


def _outcome(future: Any, key: str, started: float) -> TaskResult:
    from distributed import KilledWorker

    try:
        return future.result()
    except KilledWorker:
        return TaskResult(key, None, f"the Dask workers grading it died {ALLOWED_FAILURES + 1} times "
                          "(killed, or out of memory)", time.monotonic() - started)
    except CancelledError as error:
        return TaskResult(key, None, f"the cluster cancelled the task: {error}", time.monotonic() - started)
    except Exception as error:  # noqa: BLE001 - the task could not run there (a missing package, a broken worker)
        return TaskResult(key, None, f"the task failed on the cluster: {type(error).__name__}: {error}",
                          time.monotonic() - started)


def _identity(value: Any) -> Any:
    return value


def _wait_any(client: Any, futures: list[Any]) -> set[Any]:
    """The futures that are finished, failed or cancelled, after waiting up to half a second for one."""
    from distributed import wait
    from distributed.client import FuturesCancelledError

    try:
        with client.as_current():  # wait() uses the current client, which need not be this one
            return set(wait(futures, timeout=0.5, return_when="FIRST_COMPLETED").done)
    except TimeoutError:
        return set()
    except FuturesCancelledError:
        return {f for f in futures if f.done()}


def _window(client: Any) -> int:
    """How many tasks to keep in flight: two per worker thread of the cluster as it is now (at least two)."""
    return max(2, 2 * sum(client.nthreads().values()))


def run_on_cluster(target: str, function: Callable[..., Any], keys: Iterable[str], shared: Any,
                   make_job: Callable[[str], Any], settings: Any, time_limit: float,
                   checkpoint: Callable[[], None] = lambda: None) -> Iterator[TaskResult]:
    """Grade every key on the cluster: ``function(shared, make_job(key), settings, slot)``; yield as tasks finish."""
    with dask_client(target) as client:
        mismatched = compare_versions(client)
        if mismatched:
            raise CourseError("the Dask workers must have this machine's versions: " + "; ".join(mismatched))
        yield from _submit_all(client, function, keys, shared, make_job, settings, time_limit, checkpoint)


def _submit_all(client: Any, function: Callable[..., Any], keys: Iterable[str], shared: Any,
                make_job: Callable[[str], Any], settings: Any, time_limit: float,
                checkpoint: Callable[[], None]) -> Iterator[TaskResult]:
    queue: deque[str] = deque(keys)
    pending: dict[Any, tuple[str, float]] = {}
    # A task's result, not scattered data: if every worker holding it dies, the scheduler computes it again.
    shared_future = client.submit(_identity, shared, pure=False, key=f"bundle-{os.urandom(4).hex()}")
    try:
        while queue or pending:
            checkpoint()
            window = _window(client)  # workers come and go (batch jobs start late, nodes are lost)
            while queue and len(pending) < window:
                key = queue.popleft()
                future = client.submit(isolated, function, key, time_limit, shared_future, make_job(key), settings,
                                       pure=False, key=f"grade-{key}-{os.urandom(4).hex()}")
                pending[future] = (key, time.monotonic())
            done = _wait_any(client, list(pending))
            for future in done:
                key, started = pending.pop(future)
                yield _outcome(future, key, started)
            now = time.monotonic()
            for future, (key, started) in list(pending.items()):
                if now - started > 2 * time_limit:
                    future.cancel()
                    del pending[future]
                    yield TaskResult(key, None, f"cancelled: no result from the cluster after {2 * time_limit:.0f} s",
                                     now - started)
    finally:
        for future in pending:
            future.cancel()
