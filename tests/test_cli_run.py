"""A run as a user meets it: reruns into one folder, the summary, -v, and stdin/stdout ('-')."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from docparse.cli import app
from docparse.cli_progress import summary_line
from docparse.batch import ItemResult
from docparse.document import Label
from docparse.passes.captions import captions
from docparse.passes.footnotes import footnotes
from docparse.passes.furniture import furniture
from docparse.passes.order import order

from .conftest import make_pdf
from .test_passes_fixtures import FULL, doc_of

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False, env={"COLUMNS": "200"})


def report(out):
    return json.loads((out / "docparse-report.json").read_text())


def blank_pdf(path: Path) -> Path:
    """A PDF whose one page has no text: with --ocr never it converts with a warning."""
    import pymupdf

    doc = pymupdf.open()
    doc.new_page()
    doc.save(path)
    return path


def test_report_keeps_every_input_of_runs_into_one_folder(tmp_path):
    out = tmp_path / "out"
    names = [f"f{i}.pdf" for i in range(3)]
    for name in names:
        pdf = make_pdf(tmp_path / name, [f"Document {name}."])
        assert run("convert", pdf, "-o", out, "-q", "-f", "md").exit_code == 0
    assert sorted(Path(f["input"]).name for f in report(out)["files"]) == names
    assert report(out)["counts"] == {"ok": 3}


def test_rerun_keeps_warnings_of_skipped_files_and_says_nothing_converted(tmp_path):
    out = tmp_path / "out"
    pdf = blank_pdf(tmp_path / "blank.pdf")
    first = run("convert", pdf, "-o", out, "-f", "md", "--ocr", "never")
    assert first.exit_code == 0, first.output
    warnings = report(out)["files"][0]["warnings"]
    assert warnings and warnings[0].startswith("page 1: no text layer")
    assert "1 converted (1 ok)" in first.output

    again = run("convert", pdf, "-o", out, "-f", "md", "--ocr", "never")
    entry = report(out)["files"][0]
    assert entry["status"] == "skipped" and entry["warnings"] == warnings
    assert "0 converted, 1 skipped; 0 pages in" in again.output
    assert "(1 skipped)" in again.output  # the bar counts skipped files apart, not as pages done
    row = next(line for line in again.output.splitlines() if "blank.pdf" in line)
    assert row.split()[-2] == "1"  # the table's warnings column: the skipped file's 1 warning


def test_summary_pages_per_second_divides_by_wall_time():
    results = [ItemResult("a.pdf", "a", "ok", pages=10, seconds=10.0),
               ItemResult("b.pdf", "b", "ok", pages=10, seconds=10.0),
               ItemResult("c.pdf", "c", "skipped", pages=50)]
    # two workers: 20 s of per-file time in 10 s of wall time
    assert summary_line(results, 10.0) == "2 converted (2 ok), 1 skipped; 20 pages in 10.0 s, 2.00 pages/s"


def test_pass_warnings_name_pages_1_based():
    doc = footnotes(doc_of([[(Label.PARAGRAPH, FULL, (72, 600), "Body."),
                             (Label.FOOTNOTE, FULL, (700, 712), "* One."),
                             (Label.FOOTNOTE, FULL, (714, 726), "* Two.")]]))
    assert any("footnotes: page 1 has two footnotes" in w for w in doc.warnings)
    doc = furniture(doc_of([[(Label.PARAGRAPH, (300, 306), (770, 780), n)] for n in ["5", "4"]]))
    assert any("(page 1: 5, page 2: 4)" in w for w in doc.warnings)
    doc = captions(doc_of([[(Label.PARAGRAPH, FULL, (72, 600), "Body.")],
                           [(Label.CAPTION, FULL, (506, 520), "Figure 9: Nothing here.")]]))
    assert any("on page 2 has no figure" in w for w in doc.warnings)
    doc = doc_of([[(Label.PARAGRAPH, FULL, (72, 100), "A."), (Label.PARAGRAPH, FULL, (110, 140), "B.")]])
    for b in doc.pages[0].blocks:
        b.order = 0
    assert any("order: page 1 had duplicate" in w for w in order(doc).warnings)


def test_verbose_says_each_file_and_its_warnings(tmp_path):
    pdf = blank_pdf(tmp_path / "blank.pdf")
    res = run("convert", pdf, "-o", tmp_path / "out", "-f", "md", "--ocr", "never", "-q", "-v")
    assert res.exit_code == 0
    assert "ok" in res.output and "blank.pdf: 1 page(s)" in res.output
    assert "blank.pdf: page 1: no text layer" in res.output
    quiet = run("convert", pdf, "-o", tmp_path / "out2", "-f", "md", "--ocr", "never", "-q")
    assert quiet.output.strip() == ""


def cli(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "docparse.cli", *map(str, args)], input=stdin,
                          capture_output=True, timeout=300, cwd=ROOT)


def test_stdin_to_stdout_markdown():
    pdf = (ROOT / "samples" / "article.pdf").read_bytes()
    res = cli("convert", "-", "--format", "md", stdin=pdf)
    assert res.returncode == 0, res.stderr.decode()[-2000:]
    md = res.stdout.decode()
    assert md.lstrip().startswith("#") and "Introduction" in md
    assert "](data:image/png;base64," in md  # the figure, cut from the bytes read from stdin
    assert b"converting" not in res.stderr  # no progress bar: stdout is the document


def test_file_to_stdout_json_and_no_files_written(tmp_path):
    res = subprocess.run([sys.executable, "-m", "docparse.cli", "convert", str(ROOT / "samples" / "article.pdf"),
                          "-o", "-", "-f", "json", "-p", "1"], capture_output=True, timeout=300, cwd=tmp_path)
    assert res.returncode == 0, res.stderr.decode()[-2000:]
    assert json.loads(res.stdout)["pages"][0]["index"] == 0
    assert list(tmp_path.iterdir()) == []


def test_stdout_takes_one_format_and_stdin_must_hold_a_document():
    res = cli("convert", "-", "-f", "md,html", stdin=b"")
    assert res.returncode == 2 and b"one input and one --format" in res.stderr
    res = cli("convert", "-", stdin=b"")
    assert res.returncode == 1 and b"nothing on stdin" in res.stderr
    res = cli("convert", "-", "-o", "somewhere", stdin=b"%PDF")
    assert res.returncode == 2 and b"input '-' (stdin) is written to stdout" in res.stderr
    res = cli("convert", "-", stdin=b"not a pdf")
    assert res.returncode == 1 and b"Traceback" not in res.stderr and b"error:" in res.stderr


def test_vlm_engine_without_torch_is_one_line(tmp_path, monkeypatch):
    """A layout-only install (no torch) asking for --engine vlm: exit 1 with one line, no traceback."""
    monkeypatch.setitem(sys.modules, "torch", None)  # find_spec and import both see no torch
    res = run("convert", ROOT / "samples" / "article.pdf", "-o", tmp_path / "out", "--engine", "vlm",
              "--model", tmp_path, "-q")
    assert res.exit_code == 1
    assert "the vlm engine needs torch, not installed here" in res.output
    assert "Traceback" not in res.output
