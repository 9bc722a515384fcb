"""The grading sandbox itself: the bwrap command line, the wrapper's checks, and probes run inside it.

The probes run a small Python program in exactly the sandbox a grading kernel
gets (same bwrap arguments, limits and uid), and check from the inside what it
can and cannot do. The end-to-end cases (a whole notebook that loops, forks,
...) are in test_course_cli.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dlfcourse.grading.kernelspec import kernel_argv, write_kernelspec
from dlfcourse.grading.sandbox import (
    MiB,
    SUBMISSION_MOUNT,
    Limits,
    Policy,
    apply_limits,
    bwrap_argv,
    check_available,
    python_paths,
)
from dlfcourse.grading.sandbox import main as wrapper_main

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox drops to a per-slot uid: needs root")
UID = 61990  # a slot uid no other test uses


@pytest.fixture()
def course(tmp_path: Path) -> Path:
    """A fake course: a gradebook, another student's submission, and a submission folder to grade in."""
    root = tmp_path / "course"
    (root / "submitted" / "bob" / "a1").mkdir(parents=True)
    (root / "submitted" / "bob" / "a1" / "a1.ipynb").write_text("bob's notebook")
    (root / "gradebook.db").write_bytes(b"SQLite format 3\0")
    work = root / "autograded" / "alice" / "a1"
    work.mkdir(parents=True)
    (work / "data.txt").write_text("alice's data")
    return root


def probe(course: Path, code: str, limits: Limits = Limits()) -> dict:
    """Run ``code`` in the sandbox of alice's grading; it must print one JSON object as its last line."""
    runtime = course.parent / "runtime"
    runtime.mkdir(exist_ok=True)
    policy = Policy(limits=limits, uid=UID, gid=UID, read_only=python_paths(course), runtime_dir=str(runtime))
    work = course / "autograded" / "alice" / "a1"
    argv = bwrap_argv(policy, str(work), str(runtime), [sys.executable, "-c", textwrap.dedent(code)])
    result = subprocess.run(argv, cwd=work, capture_output=True, text=True, timeout=120,
                            preexec_fn=lambda: apply_limits(limits))
    assert result.stdout.strip(), f"the probe printed nothing; stderr:\n{result.stderr}"
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_bwrap_and_setpriv_are_installed():
    check_available(need_setpriv=True)


def test_read_only_paths_under_tmp_stay_visible(course: Path, tmp_path: Path):
    """The scratch /tmp must not hide Python or the course library when they live under /tmp (a CI clone)."""
    library = tmp_path / "clone" / "src"
    library.mkdir(parents=True)
    (library / "module.py").write_text("VALUE = 42\n")
    runtime = course.parent / "runtime"
    runtime.mkdir(exist_ok=True)
    policy = Policy(uid=UID, gid=UID, read_only=python_paths(course) + (str(library),), runtime_dir=str(runtime))
    work = course / "autograded" / "alice" / "a1"
    code = f"import sys; sys.path.insert(0, {str(library)!r}); import module; print(module.VALUE)"
    argv = bwrap_argv(policy, str(work), str(runtime), [sys.executable, "-c", code])
    result = subprocess.run(argv, cwd=work, capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "42", result.stderr


def test_the_course_directory_is_not_visible(course: Path):
    seen = probe(course, f"""
        import json, os
        paths = {[str(course / "gradebook.db"), str(course / "submitted" / "bob" / "a1" / "a1.ipynb")]!r}
        print(json.dumps({{"exists": [os.path.exists(p) for p in paths], "course": os.listdir({str(course)!r})}}))
    """)
    assert seen == {"exists": [False, False], "course": ["autograded"]}


def test_runs_as_an_unprivileged_user_without_capabilities(course: Path):
    seen = probe(course, """
        import json, os
        status = dict(line.split(":", 1) for line in open("/proc/self/status"))
        print(json.dumps({"uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups(),
                          "caps": status["CapEff"].strip(), "nnp": status["NoNewPrivs"].strip()}))
    """)
    assert seen == {"uid": UID, "gid": UID, "groups": [], "caps": "0000000000000000", "nnp": "1"}


def test_has_no_network(course: Path):
    seen = probe(course, """
        import json, socket
        errors = []
        for address in [("1.1.1.1", 80), ("127.0.0.1", 22)]:
            try:
                socket.create_connection(address, timeout=3)
                errors.append("connected")
            except OSError as error:
                errors.append(error.errno)
        interfaces = [name for _, name in socket.if_nameindex()]
        print(json.dumps({"errors": errors, "interfaces": interfaces}))
    """)
    assert seen["errors"][0] == 101  # ENETUNREACH: no route to anything
    assert seen["errors"][1] == 111  # ECONNREFUSED: its own, empty loopback, not the host's
    assert seen["interfaces"] == ["lo"]


def test_writes_go_to_a_scratch_copy(course: Path):
    work = course / "autograded" / "alice" / "a1"
    seen = probe(course, f"""
        import json, os
        data = open("data.txt").read() if os.path.exists("data.txt") else None
        open("data.txt", "w").write("changed")
        open("new.txt", "w").write("new")
        denied = []
        for path in ["{SUBMISSION_MOUNT}/data.txt", "/usr/lib/evil", "{sys.prefix}/evil"]:
            try:
                open(path, "w")
            except OSError as error:
                denied.append(error.errno)
        print(json.dumps({{"cwd": os.getcwd(), "data": data, "denied": denied}}))
    """)
    assert seen == {"cwd": str(work), "data": None, "denied": [30, 30, 30]}  # EROFS everywhere
    assert (work / "data.txt").read_text() == "alice's data" and not (work / "new.txt").exists()


def test_the_kernel_copies_the_submission_into_its_scratch_dir(course: Path):
    seen = probe(course, """
        import json, os
        from pathlib import Path
        from dlfcourse.grading.kernel import prepare_workdir
        prepare_workdir(Path(os.environ["DLF_SUBMISSION_DIR"]), Path.cwd())
        print(json.dumps({"data": open("data.txt").read()}))
    """)
    assert seen == {"data": "alice's data"}


def test_memory_limit_stops_a_50_gb_allocation(course: Path):
    seen = probe(course, """
        import json, numpy as np
        try:
            np.ones(50 * 2**30 // 8)
            outcome = "allocated"
        except MemoryError:
            outcome = "MemoryError"
        print(json.dumps({"outcome": outcome}))
    """, Limits(memory_bytes=1024 * MiB))
    assert seen == {"outcome": "MemoryError"}


def test_process_limit_stops_a_fork_bomb(course: Path):
    seen = probe(course, """
        import json, os, time
        children = []
        try:
            for _ in range(500):
                pid = os.fork()
                if pid == 0:
                    time.sleep(30)
                    os._exit(0)
                children.append(pid)
            error = None
        except BlockingIOError as failure:
            error = failure.errno
        for pid in children:
            os.kill(pid, 9)
        print(json.dumps({"started": len(children), "error": error}))
    """, Limits(processes=20))
    assert seen["error"] == 11 and seen["started"] < 20  # EAGAIN before the 20th process


def test_file_size_limit(course: Path):
    seen = probe(course, """
        import json
        try:
            with open("/tmp/big", "wb") as f:
                f.write(b"x" * (3 * 2**20))
            outcome = "written"
        except OSError as error:
            outcome = error.errno
        print(json.dumps({"outcome": outcome}))
    """, Limits(file_bytes=2 * 2**20))
    assert seen == {"outcome": 27}  # EFBIG


def test_wrapper_refuses_a_connection_file_outside_its_runtime_dir(tmp_path: Path):
    policy_file = tmp_path / "policy.json"
    Policy(uid=UID, runtime_dir=str(tmp_path / "runtime")).dump(policy_file)
    before = os.stat(tmp_path)
    with pytest.raises(SystemExit, match="not in the private runtime directory"):
        wrapper_main(["--policy", str(policy_file), "--", "python", "-f", str(tmp_path / "kernel.json")])
    after = os.stat(tmp_path)
    assert (after.st_uid, after.st_gid) == (before.st_uid, before.st_gid)  # nothing was handed over


def test_python_paths_refuse_to_expose_a_course_inside_them():
    with pytest.raises(ValueError, match="move the course elsewhere"):
        python_paths(Path(sys.prefix) / "some-course")


def test_kernelspec_runs_the_kernel_through_the_wrapper(tmp_path: Path):
    spec_dir = write_kernelspec(tmp_path, Policy(uid=UID))
    spec = json.loads((spec_dir / "kernel.json").read_text())
    assert spec["argv"][:3] == [sys.executable, "-m", "dlfcourse.grading.sandbox"]
    assert spec["argv"][-3:] == ["dlfcourse.grading.kernel", "-f", "{connection_file}"]
    assert Policy.load(spec_dir / "policy.json") == Policy(uid=UID)
    assert "dlfcourse.grading.sandbox" not in kernel_argv(None)
