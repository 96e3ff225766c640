"""The packages are layered (docs/extending.md, "Layout of the code"): every import, at the top of
a module or inside a function, points down or stays within its package, and no modules import
each other in a circle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Top-level packages from the bottom up: each may import only those before it (and itself).
PACKAGES = ("geo_ntm", "boundaries", "maps", "api", "cli")
#: The ground floor of geo_ntm: domain types and the store, which import nothing above them.
GROUND = (
    "geo_ntm.domain",
    "geo_ntm.errors",
    "geo_ntm.filters",
    "geo_ntm.text",
    "geo_ntm.geometry",
    "geo_ntm.settings",
    "geo_ntm.data_files",
    "geo_ntm.frameworks",
    "geo_ntm.store",
)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}


def imports(path: Path, known: dict[str, Path]) -> set[str]:
    """The project's modules ``path`` imports (the longest known name of each import)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # "from package import module" imports the module; "from module import name", the module
            names = [
                f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in known else node.module for a in node.names
            ]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


def in_ground(name: str) -> bool:
    return any(name == g or name.startswith(g + ".") for g in GROUND)


GRAPH = {name: imports(path, modules()) - {name} for name, path in modules().items()}


@pytest.mark.parametrize("name", sorted(GRAPH))
def test_imports_point_down(name):
    rank = PACKAGES.index(name.split(".")[0])
    upward = [i for i in GRAPH[name] if PACKAGES.index(i.split(".")[0]) > rank]
    assert not upward, f"{name} imports {upward}, which sit above it"
    if in_ground(name):
        above = [i for i in GRAPH[name] if not in_ground(i)]
        assert not above, f"{name} (domain and store) imports {above}"


def test_no_modules_import_each_other_in_a_circle():
    index, low, stack, on_stack, circles = {}, {}, [], set(), []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in GRAPH.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in sorted(GRAPH):
        if node not in index:
            visit(node)
    assert not circles, f"modules importing each other in a circle: {circles}"
