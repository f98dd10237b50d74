"""The package's import graph: no cycles, and no module reaches into another's private names."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "site_builder"


def imports(source: str, module: str) -> list[tuple[str, str | None]]:
    """Return (module imported, name taken from it or None) for every import of the package, at any depth."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level == 1:  # from .x import y  /  from . import x
            for alias in node.names:
                if node.module:
                    found.append((node.module.split(".")[0], alias.name))
                else:
                    found.append((alias.name, None))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("site_builder"):
            parts = node.module.split(".")
            for alias in node.names:
                found.append((parts[1], alias.name) if len(parts) > 1 else (alias.name, None))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "site_builder" and len(parts) > 1:
                    found.append((parts[1], None))
    return [(target, name) for target, name in found if target != module]


def graph(files: dict[str, str]) -> dict[str, list[tuple[str, str | None]]]:
    return {module: imports(source, module) for module, source in files.items()}


def package_files() -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(PACKAGE.glob("*.py")) if p.stem != "__main__"}


def cycles(edges: dict[str, list[tuple[str, str | None]]]) -> list[list[str]]:
    """Return one cycle through each strongly connected group of modules (Tarjan's algorithm)."""
    targets = {m: sorted({t for t, _ in found if t in edges}) for m, found in edges.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in targets[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(targets):
        if node not in index:
            visit(node)
    return groups


def private_imports(edges: dict[str, list[tuple[str, str | None]]]) -> list[str]:
    return [f"{module} imports {name} from {target}" for module, found in edges.items()
            for target, name in found if name and name.startswith("_") and name not in _PUBLIC_UNDERSCORED]


_PUBLIC_UNDERSCORED = {"_", "__version__"}  # gettext's conventional message function, and the version


def test_the_package_has_no_import_cycle():
    assert cycles(graph(package_files())) == []


def test_no_module_imports_another_modules_private_names():
    assert private_imports(graph(package_files())) == []


def test_the_checks_see_a_cycle_and_a_private_import():
    # The controls: a two-module cycle made of imports inside functions, and a private name taken across modules.
    files = {
        "a": "def f():\n    from .b import g\n",
        "b": "from site_builder import a\nfrom .c import _hidden\n",
        "c": "_hidden = 1\n",
    }
    edges = graph(files)
    assert cycles(edges) == [["a", "b"]]
    assert private_imports(edges) == ["b imports _hidden from c"]
