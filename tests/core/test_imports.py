"""The core's imports, read from its source: no cycle (counting imports under TYPE_CHECKING and
inside functions), and the vocabulary (the model, the plan, the errors) imports no decision."""

from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "shared" / "core"
VOCABULARY = {
    "shared.core.model",
    "shared.core.model.observed",
    "shared.core.model.wanted",
    "shared.core.plan",
    "shared.core.errors",
}


def module_name(path: Path) -> str:
    parts = path.relative_to(CORE.parents[1]).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def core_imports() -> dict[str, set[str]]:
    """Each core module -> the core modules it imports, wherever the import statement stands."""
    graph: dict[str, set[str]] = {}
    for path in CORE.rglob("*.py"):
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            found |= {name for name in names if name.startswith("shared.core")}
        graph[module_name(path)] = found
    modules = set(graph)
    return {
        name: {i for i in imported if i in modules} - {name} for name, imported in graph.items()
    }


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the path around it, or None."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        for target in sorted(graph[node]):
            found = visit(target, [*path, node])
            if found:
                return found
        done.add(node)
        return None

    for start in sorted(graph):
        found = visit(start, [])
        if found:
            return found
    return None


def test_the_core_has_no_import_cycle_counting_type_checking_imports():
    graph = core_imports()
    assert graph.get("shared.core.planner")
    assert cycle(graph) is None


def test_the_cycle_finder_finds_one():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None


def test_the_vocabulary_imports_no_decision_module():
    graph = core_imports()
    for name in VOCABULARY:
        assert graph[name] <= VOCABULARY, (name, graph[name] - VOCABULARY)


def test_the_guard_allows_the_core_and_refuses_the_rest_of_the_project():
    from tests.core.guard import allowed

    assert allowed("shared.core.planner") and allowed("tests.builders") and allowed("json")
    assert allowed("hypothesis.strategies") and allowed("shared")
    assert not allowed("shared.config.settings") and not allowed("graph_emulator")
    assert not allowed("shared.graph") and not allowed("tests.assign_tenant")
