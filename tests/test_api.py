from pathlib import Path

import pytest

import docparse
from docparse.api import convert, convert_many
from docparse.document import PageStatus
from docparse.errors import InputError, OptionsError
from docparse.options import ConvertOptions, parse_formats

from .fakes import FakeEngine


def test_convert_with_engine(simple_pdf):
    doc = convert(simple_pdf, engine=FakeEngine(), passes=False)
    assert [p.index for p in doc.pages] == [0, 1, 2]
    assert [b.text for b in doc.blocks] == ["Hello first page.", "Second page text.", "Third page here."]
    assert doc.source.page_count == 3 and doc.source.name == "simple"
    assert doc.status == "ok"


def test_page_selection(simple_pdf):
    doc = convert(simple_pdf, engine=FakeEngine(), pages="3,1", passes=False)
    assert [p.index for p in doc.pages] == [2, 0]


def test_failing_page_does_not_fail_document(simple_pdf):
    seen = []
    doc = convert(simple_pdf, engine=FakeEngine(fail_on={1}), passes=False, on_page=lambda p: seen.append(p.index))
    assert [p.status for p in doc.pages] == [PageStatus.OK, PageStatus.FAILED, PageStatus.OK]
    assert "boom on page 1" in doc.pages[1].error
    assert doc.status == "partial"
    assert seen == [0, 1, 2]


def test_failing_batch_is_retried_page_by_page(simple_pdf):
    eng = FakeEngine(fail_on={1}, batch_size=3)
    doc = convert(simple_pdf, engine=eng, passes=False)
    assert eng.calls[0] == [0, 1, 2]  # the batch, then one by one
    assert eng.calls[1:] == [[0], [1], [2]]
    assert [p.status.value for p in doc.pages] == ["ok", "failed", "ok"]


def test_convert_many_reports_bad_files_and_goes_on(simple_pdf, tmp_path):
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"not a pdf at all")
    results = list(convert_many([bad, simple_pdf, tmp_path / "missing.pdf"], engine=FakeEngine(), passes=False))
    assert [r.ok for r in results] == [False, True, False]
    assert isinstance(results[0].error, InputError) and "not a PDF" in str(results[0].error)
    assert "no such file" in str(results[2].error)


def test_unknown_option_is_specific():
    with pytest.raises(OptionsError, match="unknown option"):
        ConvertOptions.from_kwargs(dpix=3)
    with pytest.raises(OptionsError, match="unknown engine"):
        ConvertOptions(engine="magic")


def test_formats():
    assert parse_formats("md,html") == ["md", "html"]
    assert parse_formats("all") == ["md", "html", "json", "qwenvl"]
    with pytest.raises(OptionsError):
        parse_formats("docx")


def test_auto_engine_follows_model(monkeypatch):
    monkeypatch.delenv("DOCPARSE_MODEL", raising=False)
    assert ConvertOptions().resolved_engine == "layout"
    monkeypatch.setenv("DOCPARSE_MODEL", "/models/qwen")
    assert ConvertOptions().resolved_engine == "vlm"
    assert ConvertOptions(engine="layout").resolved_engine == "layout"


def test_options_key_changes_with_output_relevant_options():
    assert ConvertOptions().key() == ConvertOptions(password="x").key()
    assert ConvertOptions().key() != ConvertOptions(dpi=100).key()


def test_import_docparse_does_not_load_torch():
    import subprocess
    import sys

    code = "import sys, docparse, docparse.api, docparse.cli; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
    assert docparse.__version__


def test_a_layout_conversion_does_not_load_torch():
    """The layout engine's whole run (model, passes, all three renderers) needs no torch: a
    process that imported it would pay seconds of start-up for nothing (benchmarks/SPEED.md)."""
    import subprocess
    import sys

    code = (
        "import sys, docparse; d = docparse.convert(sys.argv[1], engine='layout'); "
        "d.to_markdown(embed_images=False); d.to_html(embed_images=False); d.to_json(); "
        "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))"
    )
    article = str(Path(__file__).resolve().parents[1] / "samples" / "article.pdf")
    out = subprocess.run([sys.executable, "-c", code, article], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def png_bomb(path, side=30000):
    """A valid PNG header declaring side x side pixels (900 M) over a few bytes of data."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))
    return path


def test_every_per_file_failure_is_a_docparse_error_and_convert_many_goes_on(simple_pdf, tmp_path):
    from docparse.errors import DocparseError

    bomb = png_bomb(tmp_path / "bomb.png")
    with pytest.raises(DocparseError, match="bomb.png"):
        convert(bomb, engine=FakeEngine(), passes=False)
    results = list(convert_many([bomb, simple_pdf, bomb, simple_pdf], engine=FakeEngine(), passes=False))
    assert [r.ok for r in results] == [False, True, False, True]
    assert all(isinstance(r.error, DocparseError) and "bomb.png" in str(r.error) for r in results if not r.ok)


def test_an_unforeseen_library_error_becomes_a_conversion_error(simple_pdf):
    from docparse.errors import ConversionError

    class Exploding(FakeEngine):
        def info(self):  # outside the per-page guard: a library failure for the whole document
            raise RuntimeError("engine state is broken")

    with pytest.raises(ConversionError, match=r"cannot convert .*simple.pdf: RuntimeError: engine state is broken"):
        convert(simple_pdf, engine=Exploding(), passes=False)
