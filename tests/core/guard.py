"""Which imports the core's tests may make: ``shared.core``, the builders, and anything outside
the project (the standard library, pytest, hypothesis)."""

from __future__ import annotations

import importlib.abc
from collections.abc import Sequence
from types import ModuleType

ALLOWED_ROOTS = ("shared.core", "tests.core", "tests.builders", "tests.conftest")
PARENTS = ("shared", "tests")  # the packages above those, imported on the way
PROJECT = ("shared", "tests", "graph_emulator", "local_runner", "bench", "tools", "function_app")


def allowed(name: str) -> bool:
    if name.split(".")[0] not in PROJECT:
        return True
    return name in PARENTS or any(
        name == root or name.startswith(f"{root}.") for root in ALLOWED_ROOTS
    )


class OnlyTheCore(importlib.abc.MetaPathFinder):
    """Refuses every other module of the project."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> None:
        if not allowed(fullname):
            raise ImportError(f"{fullname} is outside shared.core: the core's tests may not use it")
        return None
