"""The sandboxed worker and its channel: data only, limits that hold, and nothing of the course inside.

Each test starts real workers in bubblewrap (as `dlf-course autograde` does) and
tries, from inside, what a determined submission would: read or import the
reference, the hidden checks, the solutions or the instructor package; send
objects instead of data; hang, crash or flood the channel. Without bubblewrap the
module is skipped; the codec, pure functions on bytes, is tested without it in
test_codec.py.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from pathlib import Path

import matplotlib
import numpy as np
import pytest

from dlfcourse.sandbox.policy import visible_host_paths
from dlfcourse.sandbox.session import NotebookSession
from dlfcourse.sandbox.worker import WorkerFailure, WorkerProcess
from dlfcourse.settings import GradingSettings, Limits

REPO = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")


@pytest.fixture
def settings():
    return GradingSettings(limits=Limits(memory_bytes=1024 * 2**20, processes=32), mpl_cache=matplotlib.get_cachedir())


@pytest.fixture
def uid():
    """As autograde does: run as root, the worker becomes an unprivileged uid (the process limit binds it)."""
    return 61990 if os.geteuid() == 0 else None


@pytest.fixture
def worker(settings, uid, tmp_path):
    process = WorkerProcess(settings, str(tmp_path), uid)
    yield process
    process.close()


def run(worker: WorkerProcess, source: str, timeout: float = 30) -> dict:
    return worker.request({"op": "run", "cell": 0, "source": source}, timeout, "running a test cell")


def call(worker: WorkerProcess, name: str, *args, timeout: float = 30) -> dict:
    return worker.request({"op": "call", "name": name, "args": list(args), "kwargs": {}}, timeout, f"calling {name}")


# ----------------------------------------------------------------------------- the channel carries data only
# (the codec itself, which needs no sandbox: test_codec.py)


def test_reading_a_request_needs_nothing_the_notebook_can_replace(worker):
    """A notebook that replaces builtins.compile (used by numpy's header parser) cannot break the channel."""
    run(worker, "import builtins\nbuiltins.compile = None\nbuiltins.eval = None\n"
                "def f(x):\n    return x + 1")
    reply = call(worker, "f", np.arange(3.0))
    assert reply["ok"] and np.array_equal(reply["value"], [1.0, 2.0, 3.0])


def test_a_returned_object_becomes_a_wrong_type_not_an_object(worker):
    run(worker, "class Sneaky:\n    def __array__(self, *a, **k):\n        return __import__('numpy').zeros(2)\n"
                "def f():\n    return Sneaky()\n")
    reply = call(worker, "f")
    assert reply["ok"] is False and reply["kind"] == "unsendable" and "Sneaky" in reply["message"]


# ----------------------------------------------------------------------------- nothing of the course inside

PROBE = r'''
import os, sys, importlib
FORBIDDEN_NAMES = {"losses.py", "mlp.py", "layers.py", "linear.py", "optim.py", "gradients.py", "a04_softmax.py",
                   "a01_perceptron.py", "autograde.py", "trusted.py", "worker_main.py", "nbgrader_config.py",
                   "gradebook.db", "04-softmax.ipynb", "pyvenv.cfg"}
def probe():
    found = []
    for top in ("/", ):
        for root, dirs, files in os.walk(top):
            dirs[:] = [d for d in dirs if not (root == "/" and d in ("proc", "sys", "dev"))]
            found += [os.path.join(root, n) for n in files + dirs if n in FORBIDDEN_NAMES]
    for name in ("dlfoundations.losses", "dlfoundations.gradients", "dlfoundations.mlp", "dlfcourse",
                 "dlfcourse.grader.checks.a04_softmax", "sklearn", "scipy", "nbgrader", "IPython"):
        try:
            importlib.import_module(name)
            found.append("imported " + name)
        except ImportError:
            pass
    for path in HOST_PATHS:
        try:
            open(path).read(1)
            found.append("read " + path)
        except OSError:
            pass
    return found
'''


def test_no_file_of_the_reference_checks_solutions_or_instructor_package_is_inside(tmp_path):
    """Searched as the sandbox's root (the caller's uid, no setpriv), which can read every file there is."""
    worker = WorkerProcess(GradingSettings(mpl_cache=matplotlib.get_cachedir()), str(tmp_path))
    host_paths = [str(REPO / "src/dlfoundations/losses.py"), str(REPO / "src/dlfcourse/grader/checks/a04_softmax.py"),
                  str(REPO / "solutions/04-softmax/04-softmax.ipynb"), str(REPO / "nbgrader_config.py")]
    assert all(Path(p).is_file() for p in host_paths)
    reply = run(worker, f"HOST_PATHS = {host_paths!r}\n" + PROBE, timeout=120)
    assert reply["ok"], reply["error"]
    found = call(worker, "probe", timeout=120)
    worker.close()
    assert found["ok"] and found["value"] == [], f"visible inside the sandbox: {found['value']}"


def test_the_kit_numpy_and_matplotlib_work_inside(worker):
    reply = run(worker, "import numpy as np\nimport matplotlib.pyplot as plt\n"
                        "from dlfoundations.kit import data, gradcheck, testing, plotting, surfaces\n"
                        "X, y = data.load_digits()\nprint(X.shape)\nplt.plot([1, 2])")
    assert reply["ok"], reply["error"]
    assert reply["stdout"].strip() == "(1797, 64)" and len(reply["figures"]) == 1


def test_an_assignment_can_withhold_a_kit_module(settings, uid, tmp_path):
    withheld = WorkerProcess(settings, str(tmp_path), uid, withheld_kit=("gradcheck",))
    try:
        reply = run(withheld, "from dlfoundations.kit.gradcheck import numerical_gradient")
        assert not reply["ok"] and reply["error"]["ename"] == "ModuleNotFoundError"
        assert run(withheld, "from dlfoundations.kit import testing, data")["ok"]
    finally:
        withheld.close()


def test_the_sandbox_shows_only_the_interpreter_the_allowed_packages_and_the_kit(settings):
    shown = visible_host_paths(settings)
    src = str(REPO / "src")
    kit = [p for p in shown if p.startswith(src)]
    assert kit and all(p.startswith(str(REPO / "src/dlfoundations/kit")) or p.endswith("dlfoundations/__init__.py")
                       for p in kit), kit
    assert not any("dlfcourse" in p or "solutions" in p or p.endswith("site-packages") for p in shown)


def test_the_worker_has_no_network_and_cannot_write_outside_its_scratch_space(worker, tmp_path):
    outside = tmp_path / "outside.txt"
    reply = run(worker, f"""
import socket
try:
    socket.create_connection(("127.0.0.1", 22), timeout=2); print("CONNECTED")
except OSError as error:
    print("no network:", type(error).__name__)
for path in ({str(outside)!r}, "/usr/evil", "/opt/dlf/site/dlfoundations/kit/compare.py"):
    try:
        open(path, "w").write("x"); print("WROTE", path)
    except OSError as error:
        print("refused", type(error).__name__)
""")
    assert "CONNECTED" not in reply["stdout"] and "WROTE" not in reply["stdout"], reply["stdout"]
    assert not outside.exists()


# ----------------------------------------------------------------------------- limits and failures


def test_a_hanging_cell_costs_only_that_cell(settings, uid, tmp_path):
    cells = {0: "def f(x):\n    return 2 * x", 1: "while True:\n    pass", 2: "def g(x):\n    return f(x) + 1"}
    session = NotebookSession(cells, replace(settings, cell_timeout=2, notebook_timeout=60), str(tmp_path), uid)
    try:
        runs = session.run_cells()
        assert runs[1].stopped and "time limit of 2 s" in runs[1].stopped
        assert runs[0].error is None and runs[2].error is None and runs[2].stopped is None
        reply = session.request({"op": "call", "name": "g", "args": [np.array([1.0])], "kwargs": {}}, 5, "calling g")
        assert reply["ok"] and np.array_equal(reply["value"], [3.0])
    finally:
        session.close()


def test_os_exit_in_a_call_is_a_crash_and_the_next_call_gets_a_fresh_worker(settings, uid, tmp_path):
    cells = {0: "import os\ndef die():\n    os._exit(3)\ndef ok():\n    return 1.5"}
    session = NotebookSession(cells, replace(settings, cell_timeout=10, notebook_timeout=60), str(tmp_path), uid)
    try:
        session.run_cells()
        with pytest.raises(WorkerFailure) as failure:
            session.request({"op": "call", "name": "die", "args": [], "kwargs": {}}, 5, "calling die")
        assert failure.value.kind == "crashed" and "exit code 3" in str(failure.value)
        assert session.request({"op": "call", "name": "ok", "args": [], "kwargs": {}}, 5, "calling ok")["value"] == 1.5
    finally:
        session.close()


def test_memory_and_process_limits_hold(worker):
    reply = run(worker, "import numpy as np\nhog = np.ones(50 * 2**30 // 8)")
    assert reply["error"]["ename"] in ("MemoryError", "_ArrayMemoryError")
    reply = run(worker, "import os\nchildren = []\ntry:\n    while True:\n        pid = os.fork()\n"
                        "        if pid == 0:\n            import time; time.sleep(30); os._exit(0)\n"
                        "        children.append(pid)\nexcept OSError as error:\n    print('stopped after', "
                        "len(children), type(error).__name__)", timeout=60)
    assert "stopped after" in reply["stdout"], reply


def test_the_notebook_budget_stops_everything_after_it(settings, uid, tmp_path):
    cells = {0: "import time\ntime.sleep(3)", 1: "x = 1"}
    session = NotebookSession(cells, replace(settings, cell_timeout=10, notebook_timeout=2), str(tmp_path), uid)
    try:
        runs = session.run_cells()
        assert runs[0].stopped and runs[1].stopped and "notebook's time limit of 2 s" in runs[1].stopped
    finally:
        session.close()


def test_a_forged_or_stray_reply_is_never_taken_for_an_answer(worker):
    # The notebook writes replies of its own onto the channel, guessing request numbers: all are skipped.
    run(worker, """
import os, struct, io, zipfile, json
def forge(number):
    tree = {"t": "dict", "v": {"ok": {"t": "bool", "v": True}, "value": {"t": "float", "v": "42.0"},
                               "id": {"t": "int", "v": str(number)}}}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("tree.json", json.dumps(tree))
    data = buffer.getvalue()
    return struct.pack(">Q", len(data)) + data
def answer():
    for fd in range(3, 20):
        for number in range(50):
            try:
                os.write(fd, forge(number))
            except OSError:
                pass
    return 1.0
""")
    reply = call(worker, "answer")
    assert reply["ok"] and reply["value"] == 1.0


@pytest.mark.skipif(os.geteuid() != 0, reason="the per-slot uid needs root")
def test_runs_as_an_unprivileged_user_without_capabilities(worker):
    reply = run(worker, "import os\nstatus = open('/proc/self/status').read()\n"
                        "print(os.getuid(), [l.split()[1] for l in status.splitlines() if l.startswith('CapEff')][0])")
    uid, capabilities = reply["stdout"].split()
    assert uid == "61990" and int(capabilities, 16) == 0


def test_file_size_and_scratch_limits(settings, uid, tmp_path):
    small = replace(settings, limits=Limits(file_bytes=2**20, scratch_bytes=8 * 2**20))
    process = WorkerProcess(small, str(tmp_path), uid)
    try:
        reply = run(process, "try:\n    open('big.bin', 'wb').write(b'x' * 4 * 2**20)\n    print('WROTE')\n"
                             "except OSError as error:\n    print('refused', type(error).__name__)")
        assert "refused" in reply["stdout"], reply
    finally:
        process.close()


def test_an_argument_changed_in_place_is_seen_even_next_to_a_function_argument(worker):
    """The grader compares what it sent with what came back; a function among the arguments hides nothing."""
    from dlfcourse.grader.student import RemoteStudent, grader_function
    from dlfoundations.kit.compare import Case

    class Session:  # the worker as a session: what RemoteStudent talks to
        def request(self, message, timeout, doing, serve=None):
            return worker.request(message, timeout, doing)

    run(worker, "def gradient(f, x):\n    x += 1e-3\n    return x * 0 + f(x)")
    returned = RemoteStudent(Session(), 10).call("gradient", grader_function("lambda v: float(v.sum())"),
                                                 np.zeros(3), case=Case("on a vector of 3 zeros"))
    assert returned.finding is not None and returned.finding.code == "mutates-input"
    assert "`x`" in returned.finding.message
