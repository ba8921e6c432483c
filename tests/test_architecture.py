"""The structure docs/architecture.md promises: the packages of ``backoffice/`` import each other
without a loop, and the code stays in modules and functions a newcomer can read whole."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE = ("backoffice", "connectors", "bench")
MODULE_MAX_LINES = 400
FUNCTION_MAX_LINES = 60
# Longer on purpose, each with its reason.
LONG_FUNCTIONS: dict[str, str] = {}
LONG_MODULES: dict[str, str] = {}


def _code_files() -> list[Path]:
    files: list[Path] = []
    for top in CODE:
        files += [p for p in (ROOT / top).rglob("*.py") if "migrations" not in p.parts]
    return sorted(files)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _package(module: str) -> str:
    """``backoffice.operations.runner`` -> ``backoffice.operations``; a top-level module of
    ``backoffice`` is a package of its own."""
    return ".".join(module.split(".")[:2])


def package_imports() -> dict[str, set[str]]:
    """Which packages of backoffice each one imports, wherever in a module the import is."""
    graph: dict[str, set[str]] = defaultdict(set)
    for path in (ROOT / "backoffice").rglob("*.py"):
        if "migrations" in path.parts:
            continue
        source = _package(_module_name(path))
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                if name.startswith("backoffice.") and _package(name) != source:
                    graph[source].add(_package(name))
    return graph


def cycle_in(graph: dict[str, set[str]]) -> list[str] | None:
    """One loop of the graph as a path (first node repeated at the end), or None."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        for target in sorted(graph.get(node, ())):
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


def test_the_cycle_finder_finds_a_loop() -> None:
    assert cycle_in({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle_in({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_the_packages_of_backoffice_import_each_other_without_a_loop() -> None:
    graph = package_imports()
    assert graph["backoffice.actions"] >= {"backoffice.operations", "backoffice.mirror"}
    assert cycle_in(graph) is None, " -> ".join(cycle_in(graph) or [])


def test_the_pipeline_and_the_mirror_never_import_the_actions() -> None:
    graph = package_imports()
    for package in ("backoffice.operations", "backoffice.mirror", "backoffice.sync"):
        assert "backoffice.actions" not in graph[package], package
        assert "backoffice.admin" not in graph[package], package


def test_modules_and_functions_stay_short() -> None:
    long_modules, long_functions = [], []
    for path in _code_files():
        name = str(path.relative_to(ROOT))
        text = path.read_text()
        if text.count("\n") > MODULE_MAX_LINES and name not in LONG_MODULES:
            long_modules.append(f"{name}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                key = f"{name}:{node.name}"
                if lines > FUNCTION_MAX_LINES and key not in LONG_FUNCTIONS:
                    long_functions.append(f"{key}: {lines} lines")
    assert not long_modules, f"modules over {MODULE_MAX_LINES} lines: {long_modules}"
    assert not long_functions, f"functions over {FUNCTION_MAX_LINES} lines: {long_functions}"


def test_every_listed_exception_still_exists() -> None:
    """An exception whose function was shortened or removed is dropped from the list."""
    names = set()
    for path in _code_files():
        name = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                names.add(f"{name}:{node.name}")
    assert set(LONG_FUNCTIONS) <= names
