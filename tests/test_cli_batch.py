"""The CLI and the batch runner end to end, with the real layout engine and renderers."""

import json
import shutil

import pymupdf
import pytest
from typer.testing import CliRunner

from docparse.cli import app

from .conftest import make_pdf

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def tree(tmp_path):
    """in/a.pdf, in/sub/b.pdf, in/sub/broken.pdf, in/notes.txt (ignored), in/sub/locked.pdf (encrypted)."""
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    make_pdf(src / "a.pdf", ["Alpha document first page.", "Alpha second page."])
    make_pdf(src / "sub" / "b.pdf", ["Beta document."])
    (src / "sub" / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj garbage")
    (src / "notes.txt").write_text("not a document")
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "locked")
    doc.save(src / "sub" / "locked.pdf", encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="o", user_pw="u")
    return src


def report(out):
    return json.loads((out / "docparse-report.json").read_text())


def test_folder_batch_mirrors_tree_reports_failures_and_resumes(tree, tmp_path):
    out = tmp_path / "out"
    res = run("convert", tree, "-o", out, "--quiet")
    assert res.exit_code == 1  # broken.pdf and locked.pdf failed
    rep = report(out)
    by_name = {f["input"].split("/")[-1]: f for f in rep["files"]}
    assert set(by_name) == {"a.pdf", "b.pdf", "broken.pdf", "locked.pdf"}
    assert by_name["a.pdf"]["status"] == "ok" and by_name["a.pdf"]["pages"] == 2
    assert "encrypted PDF" in by_name["locked.pdf"]["error"]
    assert by_name["broken.pdf"]["status"] == "failed" and by_name["broken.pdf"]["error"]
    for rel in ["a/a.md", "a/a.html", "a/a.json", "a/qwenvl/page-0001.html", "sub/b/b.md"]:
        assert (out / rel).is_file(), rel
    assert "Alpha document first page." in (out / "a" / "a.md").read_text()
    assert not list(out.rglob("*.tmp")), "no temporary files may be left behind"

    # rerun: finished documents are skipped, failed ones are tried again
    res = run("convert", tree, "-o", out, "--quiet")
    statuses = {f["input"].split("/")[-1]: f["status"] for f in report(out)["files"]}
    assert statuses == {"a.pdf": "skipped", "b.pdf": "skipped", "broken.pdf": "failed", "locked.pdf": "failed"}

    # changed content or changed options convert again
    make_pdf(tree / "a.pdf", ["Alpha changed."])
    res = run("convert", tree / "a.pdf", tree / "sub" / "b.pdf", "-o", out, "--quiet", "--dpi", "150")
    assert res.exit_code == 0
    # the report is merged per input: this run's two entries updated, the earlier run's others kept
    statuses = {f["input"].split("/")[-1]: f["status"] for f in report(out)["files"]}
    assert statuses == {"a.pdf": "ok", "b.pdf": "ok", "broken.pdf": "failed", "locked.pdf": "failed"}
    assert "Alpha changed." in (out / "a" / "a.md").read_text()


def test_interrupted_document_is_redone(tmp_path):
    pdf = make_pdf(tmp_path / "doc.pdf", ["Some text."])
    out = tmp_path / "out"
    assert run("convert", pdf, "-o", out, "--quiet", "-f", "md").exit_code == 0
    (out / "doc" / ".docparse-done.json").unlink()  # as if killed before the stamp
    (out / "doc" / "doc.md").write_text("half")
    assert run("convert", pdf, "-o", out, "--quiet", "-f", "md").exit_code == 0
    assert report(out)["files"][0]["status"] == "ok"
    assert "Some text." in (out / "doc" / "doc.md").read_text()


def test_missing_input_and_bad_usage(tmp_path):
    res = run("convert", tmp_path / "nope.pdf", "-o", tmp_path / "out", "--quiet")
    assert res.exit_code == 1
    assert "no such file" in report(tmp_path / "out")["files"][0]["error"]
    assert run("convert", tmp_path / "x.pdf", "--format", "docx").exit_code == 2
    assert run("convert", tmp_path / "x.pdf", "--engine", "magic").exit_code == 2


def test_bad_page_range_fails_that_file(tmp_path):
    pdf = make_pdf(tmp_path / "doc.pdf", ["One page."])
    res = run("convert", pdf, "-o", tmp_path / "out", "--quiet", "--pages", "5")
    assert res.exit_code == 1
    assert "out of range" in report(tmp_path / "out")["files"][0]["error"]


def test_workers_and_progress(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for i in range(3):
        make_pdf(src / f"d{i}.pdf", [f"Document number {i}."])
    out = tmp_path / "out"
    res = run("convert", src, "-o", out, "-w", "2", "-f", "json")
    assert res.exit_code == 0, res.output
    rep = report(out)
    assert sorted(f["status"] for f in rep["files"]) == ["ok"] * 3
    doc = json.loads((out / "d1" / "d1.json").read_text())
    assert doc["schema_version"] and "Document number 1." in json.dumps(doc)


def test_version_and_schema():
    res = run("--version")
    assert res.exit_code == 0 and res.output.startswith("docparse ")
    res = run("schema")
    schema = json.loads(res.output)
    assert res.exit_code == 0 and "properties" in schema


def test_save_page_images_and_overlay(tmp_path):
    pdf = make_pdf(tmp_path / "doc.pdf", ["Some text on a page."])
    out = tmp_path / "out"
    res = run("convert", pdf, "-o", out, "--quiet", "--save-page-images", "--overlay")
    assert res.exit_code == 0
    from PIL import Image

    page_png = out / "doc" / "pages" / "page-0001.png"
    qwen = (out / "doc" / "qwenvl" / "page-0001.html").read_text()
    assert Image.open(page_png).size == (1092, 1428)  # Letter at 200 dpi, fitted to the pixel budget
    assert "data-bbox" in qwen
    assert (out / "doc" / "overlay" / "page-0001.png").is_file()


def test_output_names_cannot_escape(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    make_pdf(src / "..hidden name;rm -rf.pdf", ["x"])
    out = tmp_path / "out"
    run("convert", src / "..hidden name;rm -rf.pdf", "-o", out, "--quiet", "-f", "md")
    written = [p for p in tmp_path.rglob("*.md")]
    assert written and all(out in p.parents for p in written)
    shutil.rmtree(out)
