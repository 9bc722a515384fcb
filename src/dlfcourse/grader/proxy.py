"""Error carried forward by proxy: an item's calls get the reference's values for earlier functions.

While an item's function runs in the worker, every earlier function of the
assignment that it calls by name is a stand-in that asks this side for the
value (see :mod:`dlfcourse.sandbox.worker_main`). A :class:`Proxy` answers
those requests for one item: only for the functions the item declares it may
call, with the reference computed here on the arguments the student's code
passed, within a :class:`ProxyBudget` of calls, bytes and seconds. A wrong,
missing or stateful earlier function of the student's therefore never enters a
later item: that item is graded as if the earlier function were right.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["ProxyBudget", "Proxy"]


@dataclass(frozen=True)
class ProxyBudget:
    """What one item's calls may ask of the proxies: calls, bytes of arguments and answers, grader seconds.

    The digits trainer of 04-softmax asks 150 times with a (1347, 64) batch (about 110 MB both ways);
    the optimiser runs of 06 ask a few thousand times with small arrays.
    """

    calls: int = 20_000
    bytes: int = 512 * 2**20
    seconds: float = 60.0


@dataclass
class Proxy:
    """Answers the proxy requests of one item: ``references`` maps a function name to the reference."""

    references: Mapping[str, Callable[..., Any]]
    budget: ProxyBudget = field(default_factory=ProxyBudget)
    calls: int = 0
    bytes: int = 0
    seconds: float = 0.0
    used: set[str] = field(default_factory=set)
    refused: int = 0
    exhausted: str | None = None

    @property
    def names(self) -> list[str]:
        """The functions served, in a fixed order (sent with each call)."""
        return sorted(self.references)

    def answer(self, request: Mapping[str, Any], request_bytes: int = 0) -> dict[str, Any] | None:
        """The answer to one proxy request: ``{"ok": True, "value": ...}`` or ``{"ok": False, "message": ...}``.

        None when the worker keeps asking after its budget was spent (the caller stops it).
        """
        name = str(request.get("name"))
        if name not in self.references:
            return self._refuse(f"`{name}` is not an earlier function of this item, so the grader does not serve it")
        if self.exhausted:
            return None if self.refused > 100 else self._refuse(self.exhausted)
        self.calls += 1
        self.bytes += request_bytes
        args, kwargs = request.get("args"), request.get("kwargs")
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            return self._refuse(f"the call of `{name}` was malformed")
        started = time.monotonic()
        try:
            with np.errstate(all="ignore"):
                value = self.references[name](*args, **kwargs)
            answer = {"ok": True, "value": value}
            self.bytes += _size(value)
        except Exception as error:  # noqa: BLE001 - the student's arguments do not fit the reference
            answer = {"ok": False, "message": f"`{name}` (the grader's, standing in for yours) raised "
                                              f"{type(error).__name__}: {str(error)[:300]}"}
        finally:
            self.seconds += time.monotonic() - started
        self.used.add(name)
        self._check_budget()
        return answer

    def _refuse(self, message: str) -> dict[str, Any]:
        self.refused += 1
        return {"ok": False, "message": message}

    def _check_budget(self) -> None:
        budget = self.budget
        if self.calls >= budget.calls:
            self.exhausted = f"this item may call earlier functions at most {budget.calls:,} times"
        elif self.bytes >= budget.bytes:
            self.exhausted = f"this item's calls of earlier functions may move at most {budget.bytes // 2**20} MB"
        elif self.seconds >= budget.seconds:
            self.exhausted = f"this item's calls of earlier functions may take the grader at most " \
                             f"{budget.seconds:g} s"


def _size(value: Any) -> int:
    """Roughly how many bytes ``value`` takes on the channel (its arrays' data, 16 bytes a scalar)."""
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, (list, tuple)):
        return sum(_size(item) for item in value)
    if isinstance(value, dict):
        return sum(_size(item) for item in value.values())
    return 16
