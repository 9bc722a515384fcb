"""What a malicious submission tries, as code placed in its answer cells (for synthetic students and tests).

=========  ==========================================  ===============================
attack     code                                        placed
=========  ==========================================  ===============================
loop       ``while True: pass``                        before the first answer
memory     allocate 50 GB with numpy                   before the first answer
forkbomb   ``while True: os.fork()``                   before the first answer
exit       ``os._exit(0)``: kill its own kernel        before the last answer
numpy      replace np.allclose, np.isclose, ...        after the last answer
tamper     write the gradebook (file and SQL), other   after the first answer
           students' files, the sources, the exports
network    connect to the internet and to localhost    after the first answer
=========  ==========================================  ===============================

A sandboxed grader must finish the batch, leave every protected file as it
was, and score only what the notebook really did: items whose answer cell the
attack stopped get 0, the others their normal score.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dlfcourse.errors import CourseError

__all__ = ["ATTACKS", "Targets", "attack_code", "place_attack"]

ATTACKS = ("loop", "memory", "forkbomb", "exit", "numpy", "tamper", "network")


@dataclass(frozen=True)
class Targets:
    """Host paths a malicious submission tries to change or read: the gradebook and other protected files."""

    gradebook: Path
    files: tuple[Path, ...] = ()


_LOOP = "while True:\n    pass"
_MEMORY = "import numpy as np\n_hog = np.ones(50 * 2**30 // 8)  # 50 GB"
_FORKBOMB = "import os\nwhile True:\n    os.fork()"
_EXIT = "import os\nos._exit(0)"
_NUMPY = """
import numpy as np
np.allclose = lambda *args, **kwargs: True
np.isclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None
"""
_NETWORK = """
import socket, urllib.request
for _address in [("1.1.1.1", 80), ("127.0.0.1", 22), ("127.0.0.1", 8888)]:
    try:
        socket.create_connection(_address, timeout=3).close()
        print("CONNECTED", _address)
    except OSError as _error:
        print("blocked", _address, _error)
try:
    urllib.request.urlopen("http://example.com", timeout=3)
    print("DOWNLOADED")
except Exception as _error:
    print("blocked http", _error)
"""


def _tamper(targets: Targets) -> str:
    paths = [str(targets.gradebook), "../../../gradebook.db", *map(str, targets.files)]
    return f"""
import os, sqlite3
for _path in {paths!r}:
    try:
        with open(_path, "ab") as _file:
            _file.write(b"HACKED")
        print("WROTE", _path)
    except OSError as _error:
        print("blocked", _path, type(_error).__name__)
    try:
        os.remove(_path)
        print("REMOVED", _path)
    except OSError as _error:
        print("blocked remove", _path, type(_error).__name__)
try:
    _db = sqlite3.connect({str(targets.gradebook)!r})
    _db.execute("UPDATE grade SET manual_score = 100")
    _db.commit()
    print("EDITED THE GRADEBOOK")
except Exception as _error:
    print("blocked sqlite", type(_error).__name__, _error)
"""


def attack_code(attack: str, targets: Targets) -> str:
    """The Python code of ``attack`` (one of ATTACKS)."""
    codes = {"loop": _LOOP, "memory": _MEMORY, "forkbomb": _FORKBOMB, "exit": _EXIT, "numpy": _NUMPY,
             "network": _NETWORK}
    if attack == "tamper":
        return _tamper(targets)
    if attack not in codes:
        raise ValueError(f"unknown attack {attack!r}; known: {ATTACKS}")
    return codes[attack]


def place_attack(attack: str, solutions: dict[str, str], targets: Targets) -> dict[str, str]:
    """Answer cells (grade_id -> code): the solutions, with ``attack`` put where the table above says."""
    if not solutions:
        raise CourseError("the assignment has no answer cells to put an attack in: the demo needs one with answers")
    answers = dict(solutions)
    ids = list(solutions)
    code = attack_code(attack, targets).strip()
    if attack in ("loop", "memory", "forkbomb"):
        answers[ids[0]] = code + "\n\n" + answers[ids[0]]
    elif attack == "exit":
        answers[ids[-1]] = code + "\n\n" + answers[ids[-1]]
    elif attack == "numpy":
        answers[ids[-1]] = answers[ids[-1]] + "\n\n" + code
    else:
        answers[ids[0]] = answers[ids[0]] + "\n\n" + code
    return answers
