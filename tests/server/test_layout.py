"""The server package's shape: no import cycle among its modules (counting every
import, also those under TYPE_CHECKING or inside functions), no module over ~500
lines, and handlers that share helpers through one module rather than each other.
"""

from __future__ import annotations

import ast
import pathlib

SERVER = pathlib.Path(__file__).resolve().parents[2] / "cos_web" / "server"
MAX_LINES = 500


def _imports(path: pathlib.Path) -> set[str]:
    """The cos_web.server modules ``path`` imports (by module name, without the package)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module:
                names.add(node.module.split(".")[0])
            elif node.level == 1:
                names.update(alias.name for alias in node.names)
            elif node.level == 0 and (node.module or "").startswith("cos_web.server."):
                names.add(node.module.split(".")[2])
        elif isinstance(node, ast.Import):
            names.update(a.name.split(".")[2] for a in node.names if a.name.startswith("cos_web.server."))
    return names


def _graph() -> dict[str, set[str]]:
    modules = {p.stem: p for p in SERVER.glob("*.py")}
    return {name: _imports(path) & set(modules) - {name} for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle_in_the_server():
    assert _cycle(_graph()) is None


def test_the_cycle_finder_finds_cycles():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_the_import_reader_sees_every_form(tmp_path):
    sample = tmp_path / "m.py"
    sample.write_text(
        "from typing import TYPE_CHECKING\nfrom . import acl as acls\nfrom .storage import Storage\n"
        "import cos_web.server.blobs\nif TYPE_CHECKING:\n    from .app import x\n"
        "def f():\n    from cos_web.server.routes import y\n"
    )
    assert _imports(sample) == {"acl", "storage", "blobs", "app", "routes"}


def test_no_server_module_over_500_lines():
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in SERVER.glob("*.py")}
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}


def test_blob_store_knows_nothing_of_the_metadata():
    graph = _graph()
    assert graph["blobs"] <= {"crc64"}
    assert graph["segments"] <= {"blobs"}


def test_handlers_share_helpers_through_one_module():
    graph = _graph()
    handlers = {name for name in graph if name.startswith("handlers_") and name != "handlers_common"}
    assert handlers == {"handlers_bucket", "handlers_object", "handlers_multipart", "handlers_config",
                        "handlers_append", "handlers_restore",
                        "handlers_lifecycle", "handlers_select", "handlers_versions"}
    for name in handlers:
        assert graph[name] & handlers == set(), name
