"""The code reads one way: no module or package imports one that imports it back, and the tools
(transports, calendars, research sources) depend on nothing of the agent's: they state what they
need as small interfaces of their own."""

from __future__ import annotations

import grimp
import pytest

PACKAGES = ("agent", "tools", "evals")


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES)


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Groups of nodes that reach each other (Tarjan's strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while (member := stack.pop()) != node:
                group.append(member)
            if group:
                found.append(sorted([node, *group]))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def _edges(graph: grimp.ImportGraph, depth: int | None) -> dict[str, set[str]]:
    def name(module: str) -> str:
        return module if depth is None else ".".join(module.split(".")[:depth])

    edges: dict[str, set[str]] = {}
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if name(module) != name(imported):
                edges.setdefault(name(module), set()).add(name(imported))
    return edges


def test_no_module_imports_one_that_imports_it_back(graph: grimp.ImportGraph) -> None:
    assert _cycles(_edges(graph, None)) == []


def test_no_package_imports_one_that_imports_it_back(graph: grimp.ImportGraph) -> None:
    """agent.replies may use agent.meetings, never the other way round as well (and so on)."""
    assert _cycles(_edges(graph, 2)) == []


def test_the_tools_depend_on_nothing_of_the_agent(graph: grimp.ImportGraph) -> None:
    upward = [
        f"{module} -> {imported}"
        for module in graph.modules
        if module.startswith("tools")
        for imported in graph.find_modules_directly_imported_by(module)
        if imported.startswith(("agent", "evals"))
    ]
    assert upward == []


def test_the_check_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
