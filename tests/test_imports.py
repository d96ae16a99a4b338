"""The package's imports, read from the source: no import cycles, no private names imported
across modules. Imports under `if TYPE_CHECKING:` are for type hints only and not counted;
imports inside functions are."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "stancekit"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def runtime_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """The import statements of a module, leaving out `if TYPE_CHECKING:` blocks."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def absolute(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    is_package = MODULES[module].name == "__init__.py"
    base = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
    return ".".join(base + ([node.module] if node.module else []))


def edges_and_private_names() -> tuple[dict[str, set[str]], list[str]]:
    """Each package module's package imports (module names), and imports of private names."""
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    private: list[str] = []
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in runtime_imports(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                source = absolute(name, node)
                targets = []
                for alias in node.names:
                    submodule = f"{source}.{alias.name}"
                    if submodule in MODULES:
                        targets.append(submodule)
                        continue
                    targets.append(source)
                    if alias.name.startswith("_") and not alias.name.startswith("__") \
                            and source in MODULES:
                        private.append(f"{name} imports {alias.name} from {source}")
            for target in targets:
                if target in MODULES and target != name:
                    graph[name].add(target)
                    if any(part.startswith("_") and not part.startswith("__")
                           for part in target.split(".")):
                        private.append(f"{name} imports private module {target}")
    return graph, private


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def test_the_walk_sees_the_package():
    graph, _ = edges_and_private_names()
    assert {"stancekit.scoring", "stancekit.pipeline", "stancekit.engines.local"} <= set(graph)
    assert "stancekit.pipeline" in graph["stancekit.engines.local"]


def test_the_walk_finds_a_cycle_and_a_private_import():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    tree = ast.parse("from x import y\nif TYPE_CHECKING:\n    from z import w\n")
    assert [n.module for n in runtime_imports(tree)] == ["x"]


def test_no_import_cycles():
    graph, _ = edges_and_private_names()
    assert cycles(graph) == []


def test_no_private_names_imported_across_modules():
    _, private = edges_and_private_names()
    assert private == []
