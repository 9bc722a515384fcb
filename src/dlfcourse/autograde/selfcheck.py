"""``dlf-course check-worker``: prove, on this machine, that a sandboxed worker starts and holds.

Run it once on every machine that will grade (a laptop, a cluster node) before
the term, or with ``--scheduler`` on every worker of a Dask cluster at once:
it starts a worker as ``autograde`` would, and checks from inside that numpy,
matplotlib and the student kit work, that the reference, the instructor
package and the network are out of reach, and that a call's result comes back
as data.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from dlfcourse.sandbox.policy import SandboxUnavailable, check_available
from dlfcourse.sandbox.worker import WorkerFailure, WorkerProcess
from dlfcourse.settings import GradingSettings

__all__ = ["Probe", "check_worker", "check_cluster"]

_PROBE = """
import importlib, socket
import numpy as np
import matplotlib.pyplot as plt
from dlfoundations.kit import data, gradcheck, plotting, testing
def reachable(name):
    try:
        importlib.import_module(name)
        return True
    except ImportError:
        return False
def network():
    try:
        socket.create_connection(("127.0.0.1", 22), timeout=1).close()
        return True
    except OSError:
        return False
def report():
    return {"digits": list(data.load_digits()[0].shape), "reference": reachable("dlfoundations.losses"),
            "instructor": reachable("dlfcourse"), "network": network(), "uid": __import__("os").getuid()}
"""


@dataclass(frozen=True)
class Probe:
    """One thing checked: what, whether it holds, and what was seen."""

    what: str
    ok: bool
    seen: str


def check_worker(uid: int | None = None, say: Callable[[str], None] = print) -> list[Probe]:
    """Start one sandboxed worker, as autograde would with its default settings, and check it; print a line
    per probe; return the probes. As root, the worker runs as ``uid`` (default: the settings' first uid)."""
    check_available(need_setpriv=os.geteuid() == 0)
    settings = GradingSettings()
    if uid is None and os.geteuid() == 0:
        uid = settings.uid_base
    started = time.monotonic()
    try:
        worker = WorkerProcess(settings, tempfile.mkdtemp(prefix="dlf-check-worker-"), uid)
    except WorkerFailure as failure:
        probes = [Probe("a sandboxed worker starts", False, str(failure))]
    else:
        probes = [Probe("a sandboxed worker starts", True, f"in {time.monotonic() - started:.2f} s")]
        probes += _probe(worker)
        worker.close()
    for probe in probes:
        say(f"{'ok  ' if probe.ok else 'FAIL'} {probe.what}: {probe.seen}")
    return probes


def _check_quietly(uid: int | None) -> list[Probe]:
    """check_worker without printing, for a Dask worker (a failure to start is a probe, never an exception)."""
    try:
        return check_worker(uid, say=lambda line: None)
    except SandboxUnavailable as error:  # no bubblewrap or setpriv on that node
        return [Probe("the sandbox is available", False, str(error))]


def check_cluster(scheduler: str, uid: int | None = None, say: Callable[[str], None] = print) -> bool:
    """Run the check on every worker of a Dask cluster and compare versions; True if every worker passes."""
    from dlfcourse.autograde.cluster import compare_versions, dask_client

    with dask_client(scheduler) as client:
        mismatched = compare_versions(client)
        results = client.run(_check_quietly, uid)
    for line in mismatched:
        say(f"FAIL versions differ from this machine's: {line}")
    for worker, probes in sorted(results.items()):
        for probe in probes:
            say(f"{worker}: {'ok  ' if probe.ok else 'FAIL'} {probe.what}: {probe.seen}")
    say(f"{len(results)} worker(s) checked")
    return bool(results) and not mismatched and all(p.ok for probes in results.values() for p in probes)


def _probe(worker: WorkerProcess) -> list[Probe]:
    ran = worker.request({"op": "run", "cell": 0, "source": _PROBE}, 120, "running the probe")
    if not ran.get("ok"):
        error = ran.get("error") or {}
        return [Probe("numpy, matplotlib and the kit import", False, f"{error.get('ename')}: {error.get('evalue')}")]
    report = worker.request({"op": "call", "name": "report", "args": [], "kwargs": {}}, 60, "calling the probe")
    seen = report.get("value") or {}
    echo = worker.request({"op": "call", "name": "np.negative", "args": [], "kwargs": {}}, 10, "a missing name")
    worker.request({"op": "run", "cell": 1, "source": "def double(x):\n    return 2 * x"}, 10, "defining double")
    twice = worker.request({"op": "call", "name": "double", "args": [np.arange(3.0)], "kwargs": {}}, 10, "double")
    return [
        Probe("numpy, matplotlib and the kit import", True, f"digits {seen.get('digits')}"),
        Probe("the reference is absent", seen.get("reference") is False, "import dlfoundations.losses fails"
              if seen.get("reference") is False else "dlfoundations.losses CAN be imported"),
        Probe("the instructor package is absent", seen.get("instructor") is False, "import dlfcourse fails"
              if seen.get("instructor") is False else "dlfcourse CAN be imported"),
        Probe("there is no network", seen.get("network") is False, "no connection to 127.0.0.1:22"
              if seen.get("network") is False else "a connection was made"),
        Probe("it runs as the grading uid", True, f"uid {seen.get('uid')}"),
        Probe("calls come back as data", echo.get("kind") == "missing" and twice.get("ok") is True
              and np.array_equal(twice.get("value"), [0.0, 2.0, 4.0]), "double([0, 1, 2]) = [0, 2, 4]"),
    ]
