"""The docparse-internal import graph: every module imports, no module-level cycle, and the
layout engine's stages read no other module's private names.

Only module-level imports count (``if TYPE_CHECKING:`` blocks excluded): a function-local
import is the deliberate way to reach back (``Document.to_html`` -> ``render``) without a cycle.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "docparse"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _top_level_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Imports executed when the module is imported: its body, and try/if blocks in it."""
    found: list[ast.Import | ast.ImportFrom] = []
    todo: list[ast.stmt] = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        elif isinstance(node, ast.If) and not _is_type_checking(node):
            todo.extend(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            todo.extend(node.body + node.orelse + node.finalbody + [s for h in node.handlers for s in h.body])
    return found


def _edges(name: str, path: Path) -> set[str]:
    """docparse modules ``name`` imports at module level."""
    out: set[str] = set()
    is_package = path.name == "__init__.py"
    for node in _top_level_imports(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name in MODULES)
            continue
        base = node.module or ""
        if node.level:  # relative: resolve against this module's package
            anchor = name.split(".") if is_package else name.split(".")[:-1]
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join(anchor + ([base] if base else []))
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            if sub in MODULES:
                out.add(sub)
            elif base in MODULES:
                out.add(base)
    out.discard(name)
    return out


GRAPH = {name: _edges(name, path) for name, path in MODULES.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component that has one (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_graph_sees_the_layout_package():
    """Guards the parser: the engine module's known imports are found."""
    assert "docparse.engines.layout.blocks" in GRAPH["docparse.engines.layout.engine"]
    assert "docparse.engines.layout.context" in GRAPH["docparse.engines.layout.regions.model"]


def test_engine_and_passes_share_the_text_patterns():
    """Caption, list-marker and page-number patterns live in one module (docparse.patterns)."""
    for user in ("docparse.engines.layout.labels", "docparse.passes.captions", "docparse.passes.lists",
                 "docparse.passes.furniture", "docparse.profiles.blocks"):
        assert "docparse.patterns" in GRAPH[user], user


def test_one_bbox():
    """``BBox`` is defined once, in docparse.geometry."""
    defined = [n for n, p in MODULES.items() if "\nBBox = " in "\n" + p.read_text(encoding="utf-8")]
    assert defined == ["docparse.geometry"]


def test_no_import_cycle():
    assert _cycles(GRAPH) == []


def test_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_module_imports(name):
    if name.startswith("docparse.engines.vlm"):
        pytest.importorskip("torch")
    importlib.import_module(name)


def test_layout_stages_read_no_private_names():
    """No ``from docparse.engines.layout.x import _private`` between the layout engine's modules."""
    private = []
    for name, path in MODULES.items():
        if not name.startswith("docparse.engines.layout"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("docparse."):
                private += [f"{name}: {node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
    assert private == []
