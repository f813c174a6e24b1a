"""One error tree: every exception class in shared/ derives from AppError, and the tree drawn in
shared/core/errors.py's docstring is the tree of the classes, where each is defined."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import shared
from shared.core import errors
from shared.core.errors import AppError


def exception_classes() -> dict[str, type[BaseException]]:
    """Every exception class defined in a module of shared/, by name."""
    found: dict[str, type[BaseException]] = {}
    for module_info in pkgutil.walk_packages(shared.__path__, "shared."):
        if module_info.name == "shared.__main__":
            continue
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__ == module.__name__
            ):
                found[name] = value
    return found


def drawn_tree() -> dict[str, tuple[str | None, str]]:
    """The docstring's tree: name -> (parent, module it is defined in)."""
    lines = [line for line in (errors.__doc__ or "").splitlines() if re.search(r"\w", line)]
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("AppError"))
    tree: dict[str, tuple[str | None, str]] = {}
    stack: list[tuple[int, str]] = []
    for line in lines[start:]:
        match = re.match(r"^(\s*(?:[│ ]   )*)(?:[├└]── )?(\w+)(.*)$", line)
        if match is None or not line.startswith("    "):
            break
        depth, name, rest = len(match.group(1)), match.group(2), match.group(3)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        defined = re.search(r"\((shared\.[\w.]+)\)\s*$", rest)
        module = defined.group(1) if defined else "shared.core.errors"
        tree[name] = (stack[-1][1] if stack else None, module)
        stack.append((depth, name))
    return tree


def test_every_exception_class_in_shared_derives_from_the_root_error():
    classes = exception_classes()
    assert {"AppError", "RetryLater", "InvalidRequest", "GrantError"} <= set(classes)
    assert [name for name, cls in classes.items() if not issubclass(cls, AppError)] == []


def test_the_docstring_draws_every_class_under_its_parent_where_it_is_defined():
    classes, tree = exception_classes(), drawn_tree()

    assert set(tree) == set(classes)
    for name, (parent, module) in tree.items():
        cls = classes[name]
        assert cls.__module__ == module, name
        if parent is not None:
            assert classes[parent] in cls.__bases__, (name, parent)


def test_the_tree_reader_reads_depth_and_modules():
    tree = drawn_tree()
    assert tree["AppError"] == (None, "shared.core.errors")
    assert tree["PermissionDeniedError"][0] == "PermanentGraphError"
    assert tree["AdminRightsError"] == ("GrantError", "shared.cli.grant")
