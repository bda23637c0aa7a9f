"""The package's shape: every module imports, no import cycle, no module over ~500 lines.

The import graph is built with ``ast`` from the module-level imports of every
``cos_web`` module (imports inside functions are the deliberate lazy ones and do
not run at import time, so they cannot form a cycle at import).
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "cos_web"
MAX_LINES = 500
LONG_ALLOWED = {"cos_web.operations"}  # the operations table is one table


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _top_level_imports(name: str, path: Path) -> set[str]:
    """cos_web modules imported when ``name`` is imported (module level, incl. try/if blocks)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - (node.level - 1)]
                    mod = ".".join(base + ([node.module] if node.module else []))
                else:
                    mod = node.module or ""
                found.add(mod)
                for alias in node.names:  # from . import x: x may be a module
                    found.add(f"{mod}.{alias.name}")
            elif isinstance(node, (ast.If, ast.Try)):
                visit(node.body)
                visit(getattr(node, "orelse", []))
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)
                visit(getattr(node, "finalbody", []))

    visit(tree.body)
    graph: set[str] = set()
    for mod in found:
        if mod in MODULES and mod != name and not name.startswith(mod + "."):
            graph.add(mod)  # (an ancestor package is already being imported: not an edge)
        # importing a.b.c imports the packages a and a.b first
        parts = mod.split(".")
        for i in range(1, len(parts)):
            parent = ".".join(parts[:i])
            if parent in MODULES and parent != name and not name.startswith(parent + "."):
                graph.add(parent)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                walk(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            walk(node)
    return cycles


def test_graph_sees_imports():
    graph = {name: _top_level_imports(name, path) for name, path in MODULES.items()}
    assert "cos_web.pipeline" in graph["cos_web.client"]
    assert "cos_web.credentials" in graph["cos_web.pipeline"]
    assert "cos_web.uploads.queue" in graph["cos_web.uploads"]


def test_no_import_cycle_in_the_client():
    graph = {n: _top_level_imports(n, p) for n, p in MODULES.items() if not n.startswith("cos_web.server")}
    assert _cycles(graph) == []


def test_no_import_cycle_anywhere():
    graph = {name: _top_level_imports(name, path) for name, path in MODULES.items()}
    assert _cycles(graph) == []


def test_a_cycle_is_found():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]


@pytest.mark.parametrize("name", sorted(n for n in MODULES if not n.startswith("cos_web.server")))
def test_every_client_module_imports(name):
    importlib.import_module(name)


def test_modules_are_small():
    long = {
        name: n
        for name, path in MODULES.items()
        if name not in LONG_ALLOWED
        and (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_every_package_ships_in_the_wheel():
    import tomllib

    listed = set(tomllib.loads((ROOT.parent / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    packages = {_module_name(p.parent / "__init__.py") for p in ROOT.rglob("__init__.py")}
    assert packages <= listed
