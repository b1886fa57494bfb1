"""``docparse/render/`` is pure (Document -> str): it never imports the file-writing package, the
PDF library or the file system, and ``output/`` imports ``render/`` only at module level (no
function-local imports hiding a cycle)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "docparse"
#: What a pure renderer must not import: files, processes, the PDF library, our file writers.
IMPURE_MODULES = ("docparse.output", "docparse.source", "pymupdf", "fitz", "os", "shutil", "tempfile",
                  "subprocess", "io")  # fmt: skip (pathlib is fine: json.py turns PurePath values into text)
IMPURE_CALLS = {"open", "write_text", "write_bytes", "read_text", "read_bytes", "mkdir", "unlink", "rename"}


def imports(tree: ast.AST) -> list[tuple[str, bool]]:
    """(module, at module level) for every import in ``tree``."""
    top = {id(node) for node in getattr(tree, "body", [])}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in top) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, id(node) in top))
    return found


def test_render_imports_nothing_that_touches_files() -> None:
    for path in sorted((PACKAGE / "render").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for module, _ in imports(tree):
            assert not any(module == bad or module.startswith(bad + ".") for bad in IMPURE_MODULES), (path.name, module)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
                assert name not in IMPURE_CALLS, (path.name, name, node.lineno)


def test_output_imports_render_at_module_level_only() -> None:
    for path in sorted((PACKAGE / "output").glob("*.py")):
        for module, top_level in imports(ast.parse(path.read_text(encoding="utf-8"))):
            if module.startswith("docparse.render") or module.startswith("docparse.output"):
                assert top_level, (path.name, module)
