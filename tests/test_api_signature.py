"""The API's keyword parameters are ConvertOptions' fields, with the same defaults and types.

``convert`` and ``convert_many`` spell their options out (so editors, type checkers and
``help()`` show them); this keeps them equal to ``ConvertOptions``, the one place they are defined.
"""

import inspect
import pydoc
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

import docparse
from docparse.options import ConvertOptions

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("function", [docparse.convert, docparse.convert_many])
def test_keywords_are_the_option_fields_with_their_defaults(function):
    params = inspect.signature(function).parameters
    fixed = ["engine", "on_page"]
    keywords = [p for p in params.values() if p.kind is inspect.Parameter.KEYWORD_ONLY]
    assert [p.name for p in keywords] == fixed + [f.name for f in fields(ConvertOptions) if f.name != "engine"]
    assert not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()), "no **options: names hidden"
    for f in fields(ConvertOptions):
        if f.name == "engine":
            continue
        p = params[f.name]
        assert p.default == f.default and type(p.default) is type(f.default), f.name
        assert p.annotation == f.type, f.name  # both are strings under `from __future__ import annotations`


@pytest.mark.parametrize("function", [docparse.convert, docparse.convert_many])
def test_help_describes_every_option(function):
    text = pydoc.render_doc(function, renderer=pydoc.plaintext)
    for f in fields(ConvertOptions):
        if f.name != "engine":
            assert f"{f.name} (default {f.default!r}): {f.metadata['help']}" in text


def test_unknown_keyword_is_a_type_error(simple_pdf):
    with pytest.raises(TypeError, match="dpix"):
        docparse.convert(simple_pdf, dpix=3)


@pytest.mark.slow
def test_wheel_ships_py_typed_and_license_without_warnings(tmp_path):
    """The built wheel holds the ``py.typed`` marker and the licence file, and building it gives no
    deprecation warning about ``project.license`` (the SPDX string form, setuptools >= 77)."""
    import shutil
    import zipfile

    # a copy: setuptools writes build/ and *.egg-info next to the sources
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".git", ".venv*", "build", "dist", "out", "*.egg-info",
                                                             "__pycache__", "tests", "benchmarks", ".ci*"))
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(src)],
        capture_output=True, text=True, timeout=300,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    assert "project.license" not in build.stdout + build.stderr, "setuptools warns about the licence form"
    (wheel,) = tmp_path.glob("docparse-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "docparse/py.typed" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "License-Expression: AGPL-3.0-or-later" in metadata
