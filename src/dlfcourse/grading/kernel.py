"""The grading kernel: prepare the sandbox's scratch space, import the grading code, start ipykernel.

Run inside the sandbox as ``python -m dlfcourse.grading.kernel -f CONNECTION_FILE``.
Before any student code runs it

* copies the submission's files (read-only at ``$DLF_SUBMISSION_DIR``) into the
  scratch working directory, so the notebook finds its data files and may write
  next to them, without changing anything on the host;
* seeds matplotlib's font cache (no "building the font cache" warning on stderr,
  which nbgrader would count as a failed test);
* once the kernel's shell is ready, but before any cell runs, imports
  :mod:`dlfoundations.grading` and its modules, which snapshot numpy's and the
  builtins' functions: a notebook that replaces ``np.allclose`` later is
  detected by the hidden tests.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import shutil
import sys
from pathlib import Path

__all__ = ["prepare_workdir", "seed_matplotlib_cache", "import_grading", "grading_startup", "main"]


def prepare_workdir(source: Path, workdir: Path) -> None:
    """Copy every file of ``source`` into ``workdir`` (both may be missing: then nothing happens)."""
    if not source.is_dir():
        return
    for entry in source.iterdir():
        target = workdir / entry.name
        if entry.is_dir():
            shutil.copytree(entry, target, copy_function=shutil.copyfile, dirs_exist_ok=True)
        else:
            shutil.copyfile(entry, target)


def seed_matplotlib_cache(cache: Path, configdir: Path) -> None:
    """Copy matplotlib's font list from ``cache`` into ``configdir``."""
    configdir.mkdir(parents=True, exist_ok=True)
    for fontlist in cache.glob("fontlist-*.json") if cache.is_dir() else []:
        shutil.copy(fontlist, configdir / fontlist.name)


def import_grading() -> list[str]:
    """Import dlfoundations.grading and all its modules; return their names (empty if it is missing)."""
    try:
        package = importlib.import_module("dlfoundations.grading")
    except ImportError:
        return []
    names = [package.__name__]
    for module in pkgutil.iter_modules(package.__path__, prefix=package.__name__ + "."):
        try:
            importlib.import_module(module.name)
        except Exception as error:  # a broken helper module must not stop every kernel
            print(f"dlfcourse.grading.kernel: cannot import {module.name}: {error}", file=sys.stderr)
            continue
        names.append(module.name)
    return names


def grading_startup() -> list[str]:
    """Run inside the kernel, once its shell is ready and before any request: import the grading code.

    By then the kernel has installed its own hooks (``sys.displayhook``,
    IPython's ``exit``), so the tamper snapshot sees the kernel as it will stay.
    """
    return import_grading()


#: Executed by the kernel itself (IPython exec_lines) once its shell is set up (sys hooks,
#: IPython's exit/quit in place), before it accepts any request.
STARTUP_LINE = "import dlfcourse.grading.kernel as _k; _k.grading_startup(); del _k"


def main() -> None:
    """Prepare the scratch space, then run ipykernel (with this process's argv) in grading mode."""
    submission = os.environ.get("DLF_SUBMISSION_DIR")
    if submission:
        prepare_workdir(Path(submission), Path.cwd())
    cache = os.environ.get("DLF_MPL_CACHE")
    if cache and os.environ.get("MPLCONFIGDIR"):
        seed_matplotlib_cache(Path(cache), Path(os.environ["MPLCONFIGDIR"]))
    from ipykernel.kernelapp import IPKernelApp

    sys.argv[0] = "ipykernel_launcher"
    IPKernelApp.launch_instance(exec_lines=[STARTUP_LINE])


if __name__ == "__main__":
    main()
