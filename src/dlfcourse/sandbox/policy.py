"""The sandbox a submission runs in: a new root file system with Python, numpy, matplotlib and the kit only.

:func:`worker_command` builds the ``bwrap`` command line of one sandboxed worker:

* **files**: an empty root that holds the operating system's ``/usr`` and
  ``/etc`` (read-only), the interpreter's standard library (read-only, its
  ``site-packages`` hidden), and a site folder ``/opt/dlf/site`` made of
  read-only binds of exactly the distributions a notebook may import (numpy,
  matplotlib and what they need) plus the student kit
  (``dlfoundations/__init__.py`` and ``dlfoundations/kit/``). The reference
  implementation, the instructor package, the course directory (sources,
  gradebook, other submissions) and the virtual environment are not in it: they
  cannot be read, so they cannot be imported. scikit-learn's bundled data files
  appear at ``/opt/dlf/data`` for the kit's data loaders. Scratch space
  (``/tmp``, ``$HOME``, the working directory) is a size-limited ``tmpfs``; the
  submission's own files are visible read-only at ``SUBMISSION_MOUNT``.
* **namespaces**: new pid, network (no interface but a down loopback), ipc, uts;
  the process dies with the grader;
* **identity**: as root, ``setpriv`` drops to an unprivileged uid per grading
  slot, with no capabilities and no new privileges;
* **limits**: :func:`apply_limits` (run in the child before ``bwrap``) sets the
  address space, process count, CPU time, file size and open-file limits.

Everything here is read from the run's :class:`~dlfcourse.settings.GradingSettings`
(its ``limits`` and ``mpl_cache``), with the two facts of one worker beside it: the uid
it runs as (claimed per grading slot) and the kit modules its assignment withholds.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import re
import resource
import shutil
import sys
from functools import lru_cache
from pathlib import Path

from dlfcourse.errors import CourseError
from dlfcourse.settings import GradingSettings

__all__ = [
    "SandboxUnavailable",
    "SUBMISSION_MOUNT",
    "SITE_MOUNT",
    "SANDBOX_DISTRIBUTIONS",
    "check_available",
    "worker_command",
    "apply_limits",
    "user_process_count",
    "visible_host_paths",
]

#: Where the submission's own files appear, read-only, inside the sandbox.
SUBMISSION_MOUNT = "/srv/submission"
#: The only folder of importable packages inside the sandbox.
SITE_MOUNT = "/opt/dlf/site"
DATA_MOUNT = "/opt/dlf/data"
MPL_CACHE_MOUNT = "/srv/mplcache"
SANDBOX_HOME = "/home/student"
WORKDIR = "/home/student/work"
#: The distributions a notebook may import (with what they require); everything else is absent.
SANDBOX_DISTRIBUTIONS = ("numpy", "matplotlib")
_SYSTEM_DIRS = ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


class SandboxUnavailable(CourseError):
    """The machine cannot run the sandbox (bwrap, setpriv or the student kit missing); the message says what
    to install."""


def check_available(need_setpriv: bool) -> None:
    """Raise SandboxUnavailable, naming the package to install, if bwrap (or setpriv) is missing.

    Also reads, once, which files the sandbox shows (:func:`_site_entries`): called in the grader's
    parent process, the forked workers inherit the answer instead of each scanning the packages again.
    """
    if shutil.which("bwrap") is None:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed; install it with `sudo apt-get install "
                                 "bubblewrap` (Debian, Ubuntu) or your system's package manager, or grade with "
                                 "--no-sandbox for trusted submissions only")
    if need_setpriv and shutil.which("setpriv") is None:
        raise SandboxUnavailable("setpriv is not installed; install it with `sudo apt-get install util-linux`")
    _site_entries()


def _requirement_names(distribution: str) -> list[str]:
    requirements = importlib.metadata.requires(distribution) or []
    return [re.split(r"[ ;<>=!\[~(]", r, maxsplit=1)[0] for r in requirements if "extra ==" not in r]


@lru_cache(maxsize=1)
def _site_entries() -> tuple[tuple[str, str], ...]:
    """(host path, name in the sandbox's site folder) for every top-level entry of the allowed distributions."""
    names, todo = set(), list(SANDBOX_DISTRIBUTIONS)
    while todo:
        name = todo.pop().lower()
        if name not in names:
            names.add(name)
            todo += _requirement_names(name)
    entries: dict[str, str] = {}
    for name in sorted(names):
        distribution = importlib.metadata.distribution(name)
        for file in distribution.files or []:
            top = file.parts[0]
            if top in ("..", "__pycache__") or top.endswith((".dist-info", ".pth", ".egg-info")):
                continue
            entries[top] = str(Path(str(distribution.locate_file(top))).resolve())
    return tuple((path, top) for top, path in sorted(entries.items()) if os.path.exists(path))


def _kit_files(withheld: tuple[str, ...]) -> list[tuple[str, str]]:
    """(host path, sandbox path) of ``dlfoundations/__init__.py`` and the kit's modules, less the withheld."""
    spec = importlib.util.find_spec("dlfoundations")  # found, not imported: this side imports no course code
    if spec is None or not spec.submodule_search_locations:
        raise SandboxUnavailable("the student kit (dlfoundations) is not installed on this machine")
    kit = Path(next(iter(spec.submodule_search_locations))).resolve() / "kit"
    files = [(str(kit.parent / "__init__.py"), f"{SITE_MOUNT}/dlfoundations/__init__.py")]
    for module in sorted(kit.glob("*.py")):
        if module.stem not in withheld:
            files.append((str(module), f"{SITE_MOUNT}/dlfoundations/kit/{module.name}"))
    return files


def _data_dir() -> str | None:
    """scikit-learn's data folder on the host (found without importing it), if it is installed."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data"
    return str(path) if path.is_dir() else None


def _interpreter_binds() -> list[str]:
    """The interpreter and its standard library, read-only, with the base installation's site-packages hidden."""
    args: list[str] = []
    base = os.path.realpath(sys.base_prefix)
    if not base.startswith("/usr"):
        args += ["--ro-bind", base, base]
    stdlib = os.path.realpath(os.path.join(base, "lib", f"python{sys.version_info.major}.{sys.version_info.minor}"))
    args += ["--tmpfs", os.path.join(stdlib, "site-packages")]
    return args


def _system_binds() -> list[str]:
    """The operating system, read-only; merged-/usr symlinks (``/lib -> usr/lib``) are recreated."""
    args: list[str] = []
    for path in _SYSTEM_DIRS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    return args


def _site_binds(withheld_kit: tuple[str, ...]) -> list[str]:
    args = ["--tmpfs", "/opt"]
    for host, top in _site_entries():
        args += ["--ro-bind", host, f"{SITE_MOUNT}/{top}"]
    for host, inside in _kit_files(withheld_kit):
        args += ["--ro-bind", host, inside]
    data = _data_dir()
    if data:
        args += ["--ro-bind", data, DATA_MOUNT]
    return args


def _scratch(settings: GradingSettings, path: str) -> list[str]:
    return ["--perms", "1777", "--size", str(settings.limits.scratch_bytes), "--tmpfs", path]


def _environment(settings: GradingSettings) -> list[str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": SANDBOX_HOME,
        "USER": "student",
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": f"{SANDBOX_HOME}/.matplotlib",
        "DLF_SUBMISSION_DIR": SUBMISSION_MOUNT,
        "DLF_DATA_DIR": DATA_MOUNT,
        "DLF_SANDBOXED": "1",
        **{name: "1" for name in _THREAD_VARS},
    }
    for name in ("PYTHONHASHSEED", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if name in os.environ:
            env[name] = os.environ[name]
    if settings.mpl_cache:
        env["DLF_MPL_CACHE"] = MPL_CACHE_MOUNT
    args = ["--clearenv"]
    for name, value in env.items():
        args += ["--setenv", name, value]
    return args


def _drop_privileges(uid: int | None) -> list[str]:
    """The ``setpriv`` prefix that becomes the sandbox uid (and the group of that number) with no capabilities;
    empty when the worker keeps the caller's uid."""
    if uid is None:
        return []
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--no-new-privs",
            "--bounding-set=-all", "--inh-caps=-all", "--"]


def _open_ancestors(args: list[str]) -> list[str]:
    """``--chmod 0755`` for the folders bwrap creates (mode 0700) on the way to each mount point."""
    mounts = {args[i + 2] for i, arg in enumerate(args[:-2]) if arg == "--ro-bind"}
    mounts |= {args[i + 1] for i, arg in enumerate(args[:-1]) if arg == "--tmpfs"}
    binds = {args[i + 2] for i, arg in enumerate(args[:-2]) if arg == "--ro-bind"}
    ancestors = {str(parent) for mount in mounts for parent in Path(mount).parents if str(parent) != "/"}
    ancestors = {a for a in ancestors if not any(Path(a).is_relative_to(bind) for bind in binds)}
    return [arg for path in sorted(ancestors - mounts) for arg in ("--chmod", "0755", path)]


#: Run by ``python -I -S -c``: set the import path, then read the program from stdin and run it.
BOOTSTRAP = ("import sys; sys.path[:0] = [sys.argv[1]]; "
             "n = int(sys.stdin.buffer.readline()); "
             "exec(compile(sys.stdin.buffer.read(n), '<dlf-worker>', 'exec'), {'__name__': '__main__'})")


def worker_command(settings: GradingSettings, submission_dir: str, uid: int | None = None,
                   withheld_kit: tuple[str, ...] = ()) -> list[str]:
    """The ``bwrap`` command that starts one worker (it then reads its program from stdin).

    ``uid``: run as this uid (the caller must be root); None keeps the caller's, in a user namespace.
    ``withheld_kit``: kit modules absent for this assignment (e.g. ``"gradcheck"``).
    """
    args = ["bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session", "--hostname", "sandbox"]
    args += ["--unshare-user"] if uid is None else ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    args += _system_binds() + _interpreter_binds()
    args += ["--proc", "/proc", "--dev", "/dev"]
    args += _scratch(settings, "/tmp") + _scratch(settings, SANDBOX_HOME)
    args += ["--dir", WORKDIR, "--chmod", "1777", WORKDIR]
    args += _site_binds(withheld_kit)
    if os.path.isdir(submission_dir):
        args += ["--ro-bind", submission_dir, SUBMISSION_MOUNT]
    if settings.mpl_cache and os.path.isdir(settings.mpl_cache):
        args += ["--ro-bind", settings.mpl_cache, MPL_CACHE_MOUNT]
    args += _open_ancestors(args)
    args += _environment(settings) + ["--chdir", WORKDIR, "--"]
    python = os.path.realpath(sys.executable)
    return args + _drop_privileges(uid) + [python, "-I", "-S", "-c", BOOTSTRAP, SITE_MOUNT]


def visible_host_paths(settings: GradingSettings, withheld_kit: tuple[str, ...] = ()) -> list[str]:
    """The host paths the sandbox shows (for the instructors' documentation and the tests)."""
    command = worker_command(settings, "/nonexistent", withheld_kit=withheld_kit)
    return [command[i + 1] for i, arg in enumerate(command) if arg == "--ro-bind"]


def user_process_count(uid: int) -> int:
    """Processes (and threads) that ``uid`` runs now: RLIMIT_NPROC counts them all, not just the sandbox's."""
    count = 0
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and entry.stat().st_uid == uid:
                count += len(list((entry / "task").iterdir()))
        except (FileNotFoundError, PermissionError, ProcessLookupError):
            continue
    return count


def apply_limits(settings: GradingSettings, other_processes: int = 0) -> None:
    """Set the resource limits of this process (inherited by everything it executes).

    ``other_processes``: processes of the same user outside the sandbox, added to
    the process limit when the worker keeps the caller's uid (not root).
    """
    limits = settings.limits
    for name, value in (
        (resource.RLIMIT_AS, limits.memory_bytes),
        (resource.RLIMIT_NPROC, limits.processes + other_processes),
        (resource.RLIMIT_CPU, settings.cpu_seconds),
        (resource.RLIMIT_FSIZE, limits.file_bytes),
        (resource.RLIMIT_NOFILE, limits.open_files),
        (resource.RLIMIT_CORE, 0),
    ):
        resource.setrlimit(name, (value, value))
