"""Run a notebook kernel as untrusted code: resource limits, an unprivileged user, bubblewrap namespaces.

The grading kernel spec (see :mod:`dlfcourse.grading.kernelspec`) starts the
kernel through this module::

    python -m dlfcourse.grading.sandbox --policy policy.json -- \
        python -m dlfcourse.grading.kernel -f {connection_file}

The wrapper runs on the host with the grader's rights. It

1. sets resource limits that the kernel and every process it starts inherit:
   address space (memory), number of processes, CPU seconds, file size, open
   files, no core dumps;
2. hands the kernel's connection file and its ipc socket directory to the
   sandbox user;
3. replaces itself with ``bwrap``, which builds an empty root file system that
   holds only the operating system (read-only), the Python environment and the
   course library (read-only), fresh size-limited ``tmpfs`` scratch space for
   ``/tmp``, ``$HOME`` and the working directory, and the socket directory.
   The kernel gets new pid, network (no interface but a down loopback), ipc and
   uts namespaces, and is killed with its parent;
4. inside, drops to an unprivileged uid (one per parallel grading slot) with
   ``setpriv``: no capabilities, no new privileges, so the process limit and
   file permissions apply.

Nothing of the course directory is visible inside: not the gradebook, the
other submissions, the sources with the hidden tests, nor the exports. The
submission's own files are visible read-only at ``SUBMISSION_MOUNT`` and copied
into the scratch working directory by :mod:`dlfcourse.grading.kernel`.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

__all__ = [
    "Limits",
    "Policy",
    "SandboxUnavailable",
    "SUBMISSION_MOUNT",
    "bwrap_argv",
    "apply_limits",
    "check_available",
    "python_paths",
    "user_process_count",
    "main",
]

MiB = 2**20
GiB = 2**30
#: Where the submission's own files appear, read-only, inside the sandbox.
SUBMISSION_MOUNT = "/srv/submission"
#: Where the host's matplotlib font cache appears, read-only (copied to $HOME by the kernel).
MPL_CACHE_MOUNT = "/srv/mplcache"
SANDBOX_HOME = "/home/student"
_SYSTEM_DIRS = ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


class SandboxUnavailable(RuntimeError):
    """The machine cannot run the sandbox (bwrap or setpriv missing)."""


@dataclass(frozen=True)
class Limits:
    """Resource limits for one kernel and every process it starts."""

    memory_bytes: int = 2 * GiB  # RLIMIT_AS, per process
    processes: int = 64  # RLIMIT_NPROC: processes and threads of the sandbox uid
    cpu_seconds: int = 900  # RLIMIT_CPU, a backstop behind the wall-clock limits
    file_bytes: int = 64 * MiB  # RLIMIT_FSIZE: largest file the kernel may write
    open_files: int = 256  # RLIMIT_NOFILE
    scratch_bytes: int = 256 * MiB  # size of each tmpfs (working dir, /tmp, $HOME)


@dataclass(frozen=True)
class Policy:
    """Everything the wrapper needs to start one sandboxed kernel."""

    limits: Limits = field(default_factory=Limits)
    uid: int | None = None  # run the kernel as this uid (requires root); None = keep the caller's
    gid: int | None = None
    read_only: tuple[str, ...] = ()  # host paths visible read-only at the same place
    mpl_cache: str | None = None
    kernel_log: str | None = None  # the kernel's stdout/stderr go here (not into the grader's terminal)
    runtime_dir: str | None = None  # the private directory of connection files and ipc sockets

    def dump(self, path: Path) -> None:
        """Write the policy as JSON to ``path``."""
        path.write_text(json.dumps(asdict(self), indent=1))

    @classmethod
    def load(cls, path: Path) -> Policy:
        """Read a policy written by :meth:`dump`."""
        data = json.loads(Path(path).read_text())
        data["limits"] = Limits(**data["limits"])
        data["read_only"] = tuple(data["read_only"])
        return cls(**data)


def check_available(need_setpriv: bool) -> None:
    """Raise SandboxUnavailable, naming what to install, if bwrap (or setpriv) is missing."""
    if shutil.which("bwrap") is None:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed: run `bash scripts/install-system-deps.sh` "
            "(Debian package bubblewrap), or grade with --no-sandbox for trusted submissions only."
        )
    if need_setpriv and shutil.which("setpriv") is None:
        raise SandboxUnavailable("setpriv (Debian package util-linux) is not installed.")


def python_paths(course_root: Path | None = None) -> tuple[str, ...]:
    """Host paths the kernel needs read-only: this interpreter, its environment and the course library.

    Raises ValueError if one of them contains ``course_root``: binding it would
    expose the gradebook and the sources to the submissions.
    """
    import dlfoundations

    library_root = Path(dlfoundations.__file__).resolve().parents[1]
    candidates = {sys.prefix, sys.base_prefix, sys.exec_prefix, str(library_root)}
    paths = []
    for candidate in sorted({os.path.realpath(c) for c in candidates}):
        if candidate.startswith(("/usr/", "/etc/")) or candidate in ("/usr", "/etc"):
            continue
        if course_root is not None and Path(course_root).resolve().is_relative_to(candidate):
            raise ValueError(f"the course directory {course_root} lies inside {candidate}, which the sandbox "
                             "must show to the kernel (Python or the course library): move the course elsewhere")
        paths.append(candidate)
    return tuple(paths)


def _system_binds() -> list[str]:
    """The operating system, read-only; merged-/usr symlinks (``/lib -> usr/lib``) are recreated."""
    args: list[str] = []
    for path in _SYSTEM_DIRS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    return args


def _scratch(limits: Limits, path: str) -> list[str]:
    return ["--perms", "1777", "--size", str(limits.scratch_bytes), "--tmpfs", path]


def _environment(policy: Policy) -> list[str]:
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": SANDBOX_HOME,
        "USER": "student",
        "LOGNAME": "student",
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "MPLCONFIGDIR": f"{SANDBOX_HOME}/.matplotlib",
        "IPYTHONDIR": f"{SANDBOX_HOME}/.ipython",
        "PYTHONDONTWRITEBYTECODE": "1",
        "DLF_SUBMISSION_DIR": SUBMISSION_MOUNT,
        **{name: "1" for name in _THREAD_VARS},
    }
    for name in ("NBGRADER_EXECUTION", "PYTHONHASHSEED"):
        if name in os.environ:
            env[name] = os.environ[name]
    if policy.mpl_cache:
        env["DLF_MPL_CACHE"] = MPL_CACHE_MOUNT
    args = ["--clearenv"]
    for name, value in env.items():
        args += ["--setenv", name, value]
    return args


def _drop_privileges(policy: Policy) -> list[str]:
    """The ``setpriv`` prefix that becomes the sandbox uid with no capabilities; empty if not root."""
    if policy.uid is None:
        return []
    gid = policy.gid if policy.gid is not None else policy.uid
    return ["setpriv", f"--reuid={policy.uid}", f"--regid={gid}", "--clear-groups", "--no-new-privs",
            "--bounding-set=-all", "--inh-caps=-all", "--"]


def _open_ancestors(mounts: list[str]) -> list[str]:
    """``--chmod 0755`` for the directories bwrap creates (mode 0700) on the way to each mount point."""
    ancestors: set[str] = set()
    for mount in mounts:
        ancestors.update(str(p) for p in Path(mount).parents if str(p) != "/")
    return [arg for path in sorted(ancestors - set(mounts)) for arg in ("--chmod", "0755", path)]


def bwrap_argv(policy: Policy, cwd: str, runtime_dir: str, command: list[str]) -> list[str]:
    """The full ``bwrap`` command line that runs ``command`` in the sandbox, in a scratch copy of ``cwd``."""
    limits = policy.limits
    args = ["bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session", "--hostname", "sandbox"]
    if policy.uid is None:
        args += ["--unshare-user"]
    else:
        args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    args += _system_binds()
    args += ["--proc", "/proc", "--dev", "/dev"]
    # The scratch /tmp comes before the read-only binds: Python or the course may live under /tmp.
    args += _scratch(limits, "/tmp") + _scratch(limits, SANDBOX_HOME)
    for path in policy.read_only:
        args += ["--ro-bind", path, path]
    args += _scratch(limits, cwd)
    args += ["--ro-bind", cwd, SUBMISSION_MOUNT, "--bind", runtime_dir, runtime_dir]
    mounts = [*policy.read_only, "/tmp", SANDBOX_HOME, cwd, SUBMISSION_MOUNT, runtime_dir]
    if policy.mpl_cache and os.path.isdir(policy.mpl_cache):
        args += ["--ro-bind", policy.mpl_cache, MPL_CACHE_MOUNT]
        mounts.append(MPL_CACHE_MOUNT)
    args += _open_ancestors(mounts)
    args += _environment(policy) + ["--chdir", cwd, "--"]
    return args + _drop_privileges(policy) + command


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


def apply_limits(limits: Limits, other_processes: int = 0) -> None:
    """Set the resource limits of this process (inherited by everything it executes).

    ``other_processes``: processes of the same user outside the sandbox, added to
    the process limit when the kernel keeps the caller's uid (not root).
    """
    for name, value in (
        (resource.RLIMIT_AS, limits.memory_bytes),
        (resource.RLIMIT_NPROC, limits.processes + other_processes),
        (resource.RLIMIT_CPU, limits.cpu_seconds),
        (resource.RLIMIT_FSIZE, limits.file_bytes),
        (resource.RLIMIT_NOFILE, limits.open_files),
        (resource.RLIMIT_CORE, 0),
    ):
        resource.setrlimit(name, (value, value))


def _connection_file(command: list[str]) -> str:
    """The ``-f FILE`` argument of the kernel command."""
    for index, arg in enumerate(command[:-1]):
        if arg == "-f":
            return command[index + 1]
        if arg.startswith("--f="):
            return arg[4:]
    raise SystemExit("sandbox: the kernel command has no connection file (-f FILE)")


def _hand_over(policy: Policy, connection_file: str) -> None:
    """Let the sandbox uid read the connection file and create its sockets next to it.

    Only the policy's own runtime directory is ever handed over: a connection file
    anywhere else (``/tmp`` itself, say) is refused rather than chowned.
    """
    runtime_dir = os.path.dirname(connection_file)
    if policy.runtime_dir is None or os.path.realpath(runtime_dir) != os.path.realpath(policy.runtime_dir):
        raise SystemExit(f"sandbox: the connection file {connection_file} is not in the private runtime "
                         f"directory {policy.runtime_dir}; refusing to start the kernel")
    if policy.uid is None:
        return
    gid = policy.gid if policy.gid is not None else policy.uid
    os.chown(runtime_dir, policy.uid, gid)
    os.chown(connection_file, policy.uid, gid)


def _redirect_output(log: str | None) -> None:
    target = os.open(log or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(target, 1)
    os.dup2(target, 2)
    os.close(target)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the wrapper: ``--policy FILE -- KERNEL COMMAND...``; never returns."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) < 4 or argv[0] != "--policy" or argv[2] != "--":
        raise SystemExit("usage: python -m dlfcourse.grading.sandbox --policy FILE -- COMMAND...")
    policy = Policy.load(Path(argv[1]))
    command = argv[3:]
    connection_file = os.path.abspath(_connection_file(command))
    _hand_over(policy, connection_file)
    full = bwrap_argv(policy, os.getcwd(), os.path.dirname(connection_file), command)
    _redirect_output(policy.kernel_log)
    apply_limits(policy.limits, user_process_count(os.getuid()) if policy.uid is None else 0)
    os.execvp(full[0], full)


if __name__ == "__main__":
    main()
