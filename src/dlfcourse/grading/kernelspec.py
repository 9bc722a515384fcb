"""The grading kernel spec: a Jupyter kernel that starts through the sandbox wrapper.

A grading worker writes the spec into a private directory, puts that directory
first on ``JUPYTER_PATH`` and points nbgrader's Execute preprocessor at
``KERNEL_NAME``. Kernels talk to the grader over ipc (Unix domain) sockets in a
private runtime directory: the sandbox has no network, not even the host's
loopback, so the usual TCP ports on 127.0.0.1 cannot be reached.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.paths import jupyter_runtime_dir
from traitlets import default

from dlfcourse.grading.sandbox import Policy

__all__ = ["KERNEL_NAME", "SandboxKernelManager", "kernel_argv", "write_kernelspec", "use_private_jupyter_dirs"]

KERNEL_NAME = "dlf-sandbox"


def kernel_argv(policy_file: Path | None) -> list[str]:
    """The kernel command: through the sandbox wrapper, or directly if ``policy_file`` is None."""
    kernel = [sys.executable, "-m", "dlfcourse.grading.kernel", "-f", "{connection_file}"]
    if policy_file is None:
        return kernel
    return [sys.executable, "-m", "dlfcourse.grading.sandbox", "--policy", str(policy_file), "--", *kernel]


def write_kernelspec(jupyter_dir: Path, policy: Policy | None) -> Path:
    """Write ``jupyter_dir/kernels/dlf-sandbox/kernel.json`` (and the policy next to it); return the spec dir."""
    spec_dir = jupyter_dir / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    policy_file = None
    if policy is not None:
        policy_file = spec_dir / "policy.json"
        policy.dump(policy_file)
    spec = {
        "argv": kernel_argv(policy_file),
        "display_name": "Python 3 (dlfoundations grading sandbox)",
        "language": "python",
        "interrupt_mode": "message",
        "metadata": {"debugger": False},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1))
    return spec_dir


def use_private_jupyter_dirs(jupyter_dir: Path, runtime_dir: Path) -> None:
    """Make this process find the grading kernel spec first and keep connection files in ``runtime_dir``."""
    runtime_dir.mkdir(parents=True, exist_ok=True)
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(jupyter_dir), os.environ.get("JUPYTER_PATH")]))
    os.environ["JUPYTER_RUNTIME_DIR"] = str(runtime_dir)


class SandboxKernelManager(AsyncKernelManager):
    """An async kernel manager that talks over ipc sockets in the Jupyter runtime directory."""

    @default("transport")
    def _transport_default(self) -> str:
        return "ipc"

    @default("connection_file")
    def _connection_file_default(self) -> str:
        return os.path.join(jupyter_runtime_dir(), f"kernel-{uuid.uuid4()}.json")
