"""The templates live in ``docparse/render/templates/`` and load from there: from a plain checkout
(no install), an editable install and the wheel (package data of ``docparse.render``)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from importlib import resources
from pathlib import Path

import jinja2
import pytest

from docparse.render.html import STYLESHEET, TEMPLATE, stylesheet, template_environment

REPO = Path(__file__).resolve().parents[1]
TEMPLATE_FILES = {"document.html", "blocks.html", "document.css"}


def test_templates_are_package_resources() -> None:
    files = resources.files("docparse.render").joinpath("templates")
    names = {entry.name for entry in files.iterdir()}
    assert TEMPLATE_FILES <= names
    assert "<!DOCTYPE html>" in files.joinpath(TEMPLATE).read_text(encoding="utf-8")
    assert files.joinpath(STYLESHEET).read_text(encoding="utf-8") == stylesheet()


def test_environment_loads_through_the_package_loader() -> None:
    env = template_environment()
    assert isinstance(env.loader, jinja2.PackageLoader)
    assert TEMPLATE_FILES <= set(env.list_templates())
    assert env.get_template(TEMPLATE).render is not None
    assert env.autoescape is True


def test_templates_reference_nothing_external() -> None:
    files = resources.files("docparse.render").joinpath("templates")
    for name in TEMPLATE_FILES:
        text = files.joinpath(name).read_text(encoding="utf-8").lower()
        for bad in ("http://", "https://", "<script", "@import", "url("):
            assert bad not in text, (name, bad)


def test_package_data_globs_cover_the_template_files() -> None:
    import tomllib

    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    data = config["tool"]["setuptools"]["package-data"]
    globs = data["docparse.render"]
    for name in TEMPLATE_FILES:
        assert any(Path("templates", name).match(g) for g in globs), name
    assert "*.schema.json" in data["docparse"]


@pytest.mark.slow
def test_wheel_contains_templates_and_schema(tmp_path: Path) -> None:
    """Build the wheel from a copy of the tree (the shared checkout stays untouched)."""
    pytest.importorskip("setuptools")
    src = tmp_path / "src"
    ignore = shutil.ignore_patterns(".venv", ".git", "*.egg-info", "build", "dist", "__pycache__", ".pytest_cache")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (REPO / name).exists():
            shutil.copy2(REPO / name, src / name) if src.exists() else (src.mkdir(), shutil.copy2(REPO / name, src / name))
    for folder in ("docparse", "model"):
        shutil.copytree(REPO / folder, src / folder, ignore=ignore)
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist"), str(src)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    wheel = next((tmp_path / "dist").glob("docparse-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in TEMPLATE_FILES:
        assert f"docparse/render/templates/{name}" in names
    assert "docparse/document.schema.json" in names
    assert "docparse/render/html.py" in names
    assert "docparse/output/writer.py" in names


def test_plain_checkout_finds_the_templates(tmp_path: Path) -> None:
    """A copy of the source tree, imported from its folder with no install on the path at all
    (the editable install's finder removed), renders HTML."""
    shutil.copytree(REPO / "docparse", tmp_path / "docparse",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    script = (
        "import sys\n"
        "sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in repr(f).lower()]\n"
        f"sys.path.insert(0, {str(tmp_path)!r})\n"
        "import docparse\n"
        f"assert docparse.__file__.startswith({str(tmp_path)!r}), docparse.__file__\n"
        "from docparse.document import Document, EngineInfo, SourceInfo\n"
        "html = Document(SourceInfo(), EngineInfo('t')).to_html()\n"
        "assert html.startswith('<!DOCTYPE html>'), html[:80]\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                            cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-2000:]
