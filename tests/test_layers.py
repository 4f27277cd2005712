"""Imports in training/ only go down: every module sits on a floor, imports only modules on its own floor
or below, and the import graph has no cycle. Imports inside functions and under TYPE_CHECKING count too:
a module never imports one that imports it."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "training"

# Lowest first. A new module is placed here on purpose; the test fails for a module on no floor.
FLOORS: dict[str, list[str]] = {
    "foundation": ["__init__", "errors", "files", "display", "choices", "labels", "render", "shipped", "version"],
    "text": [
        "text",
        "inputs",
        "annotations",
        "tags",
        "vocab",
        "windows",
        "gazetteer",
        "divisions",
        "knowledge",
        "places",
        "partners",
        "values",
        "viterbi",
        "scores",
        "categories",
        "config",
        "lexicon",
        "baseline",
    ],
    "data": ["dataset", "records", "rows", "writers", "formats", "corpus", "importer", "augment"],
    "model": ["tagged", "onnx_runtime", "modeling", "onnx_export", "infer", "taggers"],
    "jobs": [
        "worker",
        "stream",
        "tagging",
        "ray_engine",
        "train",
        "evaluate",
        "report",
        "crossval",
        "pretrain",
        "labelstudio",
        "insight_report",
        "insight",
    ],
    "presentation": ["terminal"],  # what the commands print, built from the jobs' results
    "interface": ["cli", "__main__"],
}
# Libraries a floor may not import (directly or through a module it imports): tagging needs no `datasets`.
NOT_BELOW_JOBS = ("datasets", "pandas")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" and len(parts) > 1 else parts)


def floor_of(name: str) -> int:
    top = name.split(".")[0]
    for number, modules in enumerate(FLOORS.values()):
        if name in modules or top in modules:
            return number
    raise AssertionError(f"training/{name}: on no floor; place it in FLOORS in tests/test_layers.py")


def imports(path: Path) -> tuple[set[str], set[str]]:
    """(modules of `training` imported, top-level outside libraries imported), anywhere in the file."""
    inside, outside = set(), set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
            if node.module == "training":
                names = [f"training.{alias.name}" for alias in node.names]
        for name in names:
            if name == "training" or name.startswith("training."):
                inside.add(name.removeprefix("training.").removeprefix("training"))
            else:
                outside.add(name.split(".")[0])
    inside.discard("")
    return inside, outside


def graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    edges, libraries = {}, {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        inside, outside = imports(path)
        known = {module_name(found) for found in PACKAGE.rglob("*.py")}
        edges[name] = {target if target in known else target.rsplit(".", 1)[0] for target in inside} - {name}
        libraries[name] = outside
    return edges, libraries


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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

    for node in edges:
        if node not in index:
            visit(node)
    return found


def test_training_imports_have_no_cycle():
    edges, _ = graph()
    assert cycles(edges) == []


def test_training_imports_only_go_down_the_floors():
    edges, _ = graph()
    upward = [
        f"{source} ({floor_of(source)}) -> {target} ({floor_of(target)})"
        for source, targets in edges.items()
        for target in targets
        if floor_of(target) > floor_of(source)
    ]
    assert upward == []


def test_tagging_needs_neither_datasets_nor_pandas():
    edges, libraries = graph()
    seen, todo = set(), ["infer", "modeling", "tagging", "stream"]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(edges[name])
    heavy = {
        name: sorted(libraries[name] & set(NOT_BELOW_JOBS)) for name in seen if libraries[name] & set(NOT_BELOW_JOBS)
    }
    assert heavy == {}
