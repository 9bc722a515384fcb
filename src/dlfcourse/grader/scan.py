"""A static scan of a submitted notebook's code for delegation and tampering.

It decides nothing: the trusted grader's scores come from the values the
student's functions return, and the reference is absent from the sandbox, so
an import of it simply fails. The scan only lists, in the class report, the
submissions that *tried* (to import the reference, reach modules dynamically,
patch numpy or the grading code), for the instructor to look at by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Finding", "scan_source", "FORBIDDEN_PATTERNS"]

_REFERENCE = (r"(?:activations|losses|layers|mlp|optim|schedules|linear|training|regression|regularisation"
              r"|gradients|types)")

#: (code, regular expression, explanation); the first match per line is reported.
FORBIDDEN_PATTERNS: tuple[tuple[str, str, str], ...] = (
    ("uses-reference", rf"dlfoundations\s*\.\s*{_REFERENCE}\b|from\s+dlfoundations\s+import\s+.*\b{_REFERENCE}\b"
     rf"|from\s+dlfoundations\.{_REFERENCE}\s+import", "imports the reference implementation"),
    ("uses-reference", r"\bimportlib\b|__import__|sys\s*\.\s*modules", "reaches modules dynamically"),
    ("numpy-tampered", r"\b(?:np|numpy)(?:\s*\.\s*\w+)+\s*=(?!=)", "assigns to an attribute of numpy"),
    ("numpy-tampered", r"\bbuiltins\b|__builtins__", "touches the builtins"),
    ("numpy-tampered", r"dlfcourse|setprofile|settrace|_getframe",
     "touches the grading code, the profiler or the caller's frames"),
)


@dataclass(frozen=True)
class Finding:
    """One suspicious line: the diagnosis code, the cell index, the line and why it is flagged."""

    code: str
    cell_index: int
    line: str
    reason: str


def scan_source(cells: list[str]) -> list[Finding]:
    """Return a finding for every line of ``cells`` (student code cells) that matches a forbidden pattern."""
    findings = []
    for index, source in enumerate(cells):
        for line in source.splitlines():
            stripped = line.split("#", 1)[0]
            for code, pattern, reason in FORBIDDEN_PATTERNS:
                if re.search(pattern, stripped):
                    findings.append(Finding(code, index, line.strip(), reason))
                    break
    return findings
