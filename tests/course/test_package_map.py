"""The package map in ``dlfcourse/__init__.py`` lists exactly the modules that exist: none missing, none gone."""

from __future__ import annotations

import re
from pathlib import Path

import dlfcourse

PACKAGE = Path(dlfcourse.__file__).resolve().parent
#: An entry of the map: 4 spaces (top level) or 6 (inside a folder), the names, two or more spaces, what they are.
ENTRY = re.compile(r"^(?P<indent> {4}| {6})(?P<names>\S[^ ]*(?:, \S[^ ]*)*)(?: {2,}(?P<text>.*))?$")


def _map() -> dict[str, str]:
    """Every module or folder the map names (``cli``, ``intake/inbox``, ``grader/checks/``) -> its text."""
    entries: dict[str, str] = {}
    folder, current = "", []
    for line in (dlfcourse.__doc__ or "").splitlines():
        match = ENTRY.match(line)
        if match is None:
            if line.startswith(" " * 8):  # the description of the entry above going on
                entries.update({name: entries[name] + " " + line.strip() for name in current})
            continue
        top = len(match["indent"]) == 4
        current = [name if top else folder + name for name in match["names"].split(", ")]
        entries.update(dict.fromkeys(current, match["text"] or ""))
        if top:
            folder = current[-1] if current[-1].endswith("/") else ""
    return entries


def _modules(under: Path) -> set[str]:
    return {p.relative_to(PACKAGE).with_suffix("").as_posix() for p in under.glob("*.py") if p.name != "__init__.py"}


def test_the_map_reads_its_own_entries():
    entries = _map()
    assert {"cli", "commands", "intake/", "intake/inbox", "intake/archive", "grader/checks/"} <= set(entries)
    assert entries["intake/archive"] == entries["intake/budget"]  # "archive, budget" share a line


def test_the_map_lists_every_module_and_folder_and_nothing_else():
    listed = set(_map())
    folders = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    modules = _modules(PACKAGE) | {m for folder in folders for m in _modules(PACKAGE / folder)}
    expected = modules | {f"{folder}/" for folder in folders} | {"grader/checks/"}
    assert sorted(expected - listed) == [], "modules missing from the map in dlfcourse/__init__.py"
    assert sorted(listed - expected) == [], "the map in dlfcourse/__init__.py names modules that do not exist"


def test_the_map_names_every_module_of_the_checks():
    text = _map()["grader/checks/"]
    named = set(re.findall(r"\w+", text))
    missing = [m for m in sorted(_modules(PACKAGE / "grader" / "checks")) if m.rsplit("/", 1)[1] not in named]
    assert not missing, f"grader/checks/ in the map does not name {missing}"
