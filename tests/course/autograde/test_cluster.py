"""Grading on Dask: the same grades as the local pool, and the faults a cluster has.

A ``LocalCluster`` of two worker processes, started here, stands in for a
cluster: its scheduler's address is what an instructor passes to
``--scheduler``. The tasks are the same as the local pool's; only where they
run differs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import cloudpickle
import nbformat
import pytest

from dlfcourse.course import Course
from dlfcourse.demo.sample import SAMPLE_ASSIGNMENT as A
from dlfcourse.autograde import cluster
from dlfcourse.autograde.command import autograde
from dlfcourse.grader.verdict import verdicts_of
from dlfcourse.outputs.export import grade_table
from dlfcourse.settings import GradingSettings
from course_fixtures import copy_course, hand_in
from interrupting import interrupt_after_first, markers

distributed = pytest.importorskip("distributed")

KINDS = ("correct", "broken", "partial-stub", "partial-sign", "correct", "malicious-tamper", "malicious-exit")
UIDS = 63200  # sandbox uids of their own, apart from the other grading tests
SLOW = "import time\ntime.sleep(6)  # a slow cell: the grading is still running when a worker is killed"


@pytest.fixture(scope="module")
def dask_cluster():
    """A two-worker LocalCluster that reschedules a task at most twice, as a cluster's scheduler should."""
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": cluster.ALLOWED_FAILURES}):
        local = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                         silence_logs=50)
    client = distributed.Client(local)
    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the test's own task functions
    yield local, client
    client.close()
    local.close()


@pytest.fixture
def sample_course(tmp_path: Path, released_sample: Path):
    """students (student -> kind) -> a copy of the released sample course with their submissions collected."""
    def make(students: dict[str, str]) -> Course:
        course = copy_course(released_sample, tmp_path / "course")
        for student, kind in students.items():
            hand_in(course, student, kind)
        return course
    return make


def _slow_down(course: Course, student: str) -> None:
    path = course.submitted_dir / student / A / "sample.ipynb"
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.insert(1, nbformat.v4.new_code_cell(SLOW))
    nbformat.write(notebook, path)


def _seeds_and_points(course: Course) -> dict[str, dict[str, tuple[float, int | None, str]]]:
    """Per student and item: (points, seed, diagnosis code), from the autograded notebooks."""
    found = {}
    for folder in sorted(course.autograded_dir.iterdir()):
        verdicts = {}
        for path in sorted((folder / A).glob("*.ipynb")):
            verdicts |= {g: (v.points, v.seed, v.code) for g, v in verdicts_of(nbformat.read(path, as_version=4))}
        found[folder.name] = verdicts
    return found


def _options(**changes) -> GradingSettings:
    return GradingSettings(**{"jobs": 2, "cell_timeout": 20, "uid_base": UIDS, **changes})


def test_the_cluster_grades_exactly_as_the_local_pool(sample_course, dask_cluster):
    course = sample_course({f"s{i}-{k}": k for i, k in enumerate(KINDS)})
    local = autograde(course, A, _options(), progress=False)
    assert [o.status for o in local] == ["graded"] * len(KINDS)
    table, verdicts = grade_table(course, [A]), _seeds_and_points(course)
    on_dask = autograde(course, A, _options(force=True, cluster=dask_cluster[0].scheduler_address), progress=False)
    assert [(o.student, o.status, o.score) for o in on_dask] == [(o.student, o.status, o.score) for o in local]
    assert grade_table(course, [A]) == table
    assert _seeds_and_points(course) == verdicts
    assert {points for student in verdicts.values() for points, _, _ in student.values()} != {0.0}
    assert len({seed for student in verdicts.values() for _, seed, _ in student.values()}) > len(KINDS)


def test_a_worker_killed_during_grading_loses_no_submission(sample_course, dask_cluster):
    local, client = dask_cluster
    students = {f"k{i}": "correct" for i in range(4)}
    course = sample_course(students)
    for student in students:
        _slow_down(course, student)
    outcomes: list = []
    grading = threading.Thread(target=lambda: outcomes.extend(
        autograde(course, A, _options(cluster=local.scheduler_address), progress=False)))
    grading.start()
    deadline = time.monotonic() + 60
    while not any(client.processing().values()) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(2)  # the grading is under way inside the worker
    busy = next(address for address, tasks in client.processing().items() if tasks)
    os.kill(client.run(os.getpid, workers=[busy])[busy], signal.SIGKILL)
    grading.join(timeout=300)
    assert not grading.is_alive()
    assert [(o.student, o.status, o.score) for o in outcomes] == [(s, "graded", (3.0, 3.0)) for s in students]


def _grade_fast(shared, job, options, slot):
    return f"{shared}:{job}"


def _grade_forever(shared, job, options, slot):
    if job == "hangs":
        time.sleep(600)
    return f"{shared}:{job}"


def _kill_my_dask_worker(shared, job, options, slot):
    if job == "kills":
        os.kill(os.getppid(), signal.SIGKILL)  # this runs in a process forked by the Dask worker
        time.sleep(60)
    return job


def _results(client, function, keys, time_limit=60):
    return {r.key: r for r in cluster._submit_all(client, function, keys, "bundle", str, None, time_limit,
                                                  lambda: None)}


def test_tasks_carry_their_data_both_ways(dask_cluster):
    results = _results(dask_cluster[1], _grade_fast, ["a", "b", "c"])
    assert {k: (r.value, r.error) for k, r in results.items()} == {k: (f"bundle:{k}", None) for k in "abc"}


def test_a_task_over_its_time_limit_fails_alone(dask_cluster):
    started = time.monotonic()
    results = _results(dask_cluster[1], _grade_forever, ["a", "hangs", "b", "c"], time_limit=3)
    assert results["hangs"].error == "stopped after 3 s, the hard time limit"
    assert {k: r.value for k, r in results.items() if k != "hangs"} == {k: f"bundle:{k}" for k in "abc"}
    assert time.monotonic() - started < 60


def test_a_task_that_keeps_killing_its_worker_is_retried_twice_then_reported(dask_cluster):
    # The killer runs alone: Dask counts a worker's death against every task the worker held (a result
    # not yet gathered included), so an innocent task that happens to share the killer's worker three
    # times would be blamed too (seen once under load). What must hold is that the killer is reported
    # after its retries, and that the cluster grades the next task as usual.
    results = _results(dask_cluster[1], _kill_my_dask_worker, ["kills"])
    assert results["kills"].value is None
    assert results["kills"].error == "the Dask workers grading it died 3 times (killed, or out of memory)"
    after = _results(dask_cluster[1], _kill_my_dask_worker, ["fine"])
    assert after["fine"].value == "fine" and after["fine"].error is None


class _Workers:
    """A stand-in client whose workers report given versions."""

    def __init__(self, versions):
        self.versions = versions

    def run(self, function):
        return self.versions


def test_workers_with_other_versions_are_named():
    here = cluster._versions()
    same, other = dict(here), {**here, "numpy": "1.0.0"}
    assert cluster.compare_versions(_Workers({"tcp://a:1": same})) == []
    problems = cluster.compare_versions(_Workers({"tcp://a:1": same, "tcp://b:2": other}))
    assert problems == [f"tcp://b:2: numpy 1.0.0 (here {here['numpy']})"]


def _autograde_cli(course: Course, *options: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "dlfcourse.cli", "autograde", A, "--course", str(course.root), *options]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_an_unreachable_scheduler_is_a_one_line_error(sample_course):
    course = sample_course({"alice": "correct"})
    done = _autograde_cli(course, "--scheduler", "tcp://127.0.0.1:9", "--no-progress")
    assert done.returncode == 2
    assert done.stderr.startswith("dlf-course autograde: error: cannot reach the Dask scheduler at tcp://127.0.0.1:9")
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (course.autograded_dir / "alice").exists()


def test_a_bad_local_cluster_spec_is_refused(sample_course):
    course = sample_course({"alice": "correct"})
    done = _autograde_cli(course, "--cluster", "local:zero", "--no-progress")
    assert done.returncode == 2
    assert "expected local:N with N >= 1 workers" in done.stderr


def test_an_interrupted_cluster_run_resumes_without_regrading(sample_course):
    students = {f"r{i}": "correct" for i in range(3)}
    course = sample_course(students)
    for student in students:
        _slow_down(course, student)
    command = [sys.executable, "-m", "dlfcourse.cli", "autograde", A, "--course", str(course.root),
               "--cluster", "local:2", "--no-progress", "--sandbox-uid-base", str(UIDS + 10)]
    returncode, output = interrupt_after_first(command, course, A)
    assert returncode == 130, output
    assert "interrupted; run the command again to resume" in output
    done = markers(course, A)
    assert 1 <= len(done) < len(students) and set(done.values()) == {"graded"}
    outcomes = autograde(course, A, _options(cluster="local:2"), progress=False)
    status = {o.student: o.status for o in outcomes}
    assert {s for s, v in status.items() if v == "skipped"} == set(done)
    assert {s for s, v in status.items() if v == "graded"} == set(students) - set(done)


def test_check_worker_passes_on_every_worker_of_the_cluster(dask_cluster):
    from dlfcourse.autograde.selfcheck import check_cluster

    lines: list[str] = []
    assert check_cluster(dask_cluster[0].scheduler_address, uid=UIDS + 50, say=lines.append)
    assert lines[-1] == "2 worker(s) checked"
    probes = [line for line in lines[:-1]]
    assert len(probes) == 2 * 7 and all(": ok   " in line for line in probes)
    assert sum("the reference is absent" in line for line in probes) == 2


def test_check_worker_reports_a_node_without_the_sandbox(monkeypatch):
    from dlfcourse.autograde import selfcheck
    from dlfcourse.sandbox.policy import SandboxUnavailable

    def missing(need_setpriv: bool) -> None:
        raise SandboxUnavailable("bwrap (bubblewrap) is not installed")

    monkeypatch.setattr(selfcheck, "check_available", missing)
    [probe] = selfcheck._check_quietly(None)
    assert not probe.ok and "bubblewrap" in probe.seen


def test_check_worker_on_this_machine_passes_every_probe():
    from dlfcourse.autograde.selfcheck import check_worker

    lines: list[str] = []
    probes = check_worker(uid=UIDS + 60, say=lines.append)
    assert [p.what for p in probes][:3] == ["a sandboxed worker starts", "numpy, matplotlib and the kit import",
                                          "the reference is absent"]
    assert all(p.ok for p in probes), lines
