"""Output names in a batch: non-UTF-8 names, names that collide once made safe, very long names
(issue 13 items 6, 7, 15). Real files, the real CLI in-process, the real layout engine."""

import json
import os
from pathlib import Path

from typer.testing import CliRunner

from docparse.cli import app
from docparse.names import MAX_STEM_BYTES, safe_name

from .conftest import make_pdf

runner = CliRunner()


def convert(*args):
    return runner.invoke(app, ["convert", *[str(a) for a in args], "--quiet", "-f", "md,json"], catch_exceptions=False)


def report_files(out: Path) -> dict[str, dict]:
    raw = (out / "docparse-report.json").read_bytes()
    raw.decode("utf-8")  # valid UTF-8, whatever the input names were
    return {Path(f["input"]).name: f for f in json.loads(raw)["files"]}


def copies(folder: Path, names: list[str]) -> list[Path]:
    """One small PDF under each name (bytes written directly: MuPDF cannot save to every name)."""
    folder.mkdir(parents=True, exist_ok=True)
    data = make_pdf(folder / ".template.pdf", ["Text of a document with an awkward name."]).read_bytes()
    (folder / ".template.pdf").unlink()
    paths = [folder / n for n in names]
    for p in paths:
        p.write_bytes(data)
    return paths


def test_non_utf8_name_converts_and_round_trips_in_the_report(tmp_path):
    bad = os.fsdecode(b"caf\xe9 \xff.pdf")  # Latin-1 bytes: not UTF-8; Python holds surrogate escapes
    copies(tmp_path / "in", [bad, "good.pdf"])
    out = tmp_path / "out"
    res = convert(tmp_path / "in", "-o", out)
    assert res.exit_code == 0, res.output
    files = report_files(out)
    assert files[bad]["status"] == "ok" and files["good.pdf"]["status"] == "ok"
    assert os.fsencode(files[bad]["input"]).endswith(b"caf\xe9 \xff.pdf")  # the original bytes back
    folder = out / files[bad]["output"]
    assert folder.name.startswith("caf_") and folder.name.encode("utf-8")  # safe, valid UTF-8
    assert (folder / f"{folder.name}.md").read_text(encoding="utf-8").strip()
    json.loads((folder / f"{folder.name}.json").read_text(encoding="utf-8"))


def test_names_that_collide_once_made_safe_stay_apart_and_stable(tmp_path):
    src = tmp_path / "in"
    copies(src, ["x?y.pdf", "x_y.pdf", "x*y.pdf"])
    label = {"x?y.pdf": "question", "x_y.pdf": "underscore", "x*y.pdf": "star"}
    for name in label:  # tell the copies apart by their text
        make_pdf(tmp_path / "t.pdf", [f"Contents of the {label[name]} file only."])
        (src / name).write_bytes((tmp_path / "t.pdf").read_bytes())
    out = tmp_path / "out"
    assert convert(src, "-o", out).exit_code == 0
    files = report_files(out)
    outputs = {n: f["output"] for n, f in files.items()}
    assert len(set(outputs.values())) == 3, outputs
    assert outputs["x_y.pdf"] == "x_y"  # a name that needed no change keeps it
    for name, rel in outputs.items():
        md = (out / rel / f"{Path(rel).name}.md").read_text()
        assert f"Contents of the {label[name]} file only." in md, (name, rel)

    # stable: converting one of them alone (another run, another set) writes to the same place
    alone = tmp_path / "out2"
    assert convert(src / "x?y.pdf", "-o", alone).exit_code == 0
    assert report_files(alone)["x?y.pdf"]["output"] == outputs["x?y.pdf"]


def test_same_stem_picture_and_pdf_both_kept(tmp_path):
    from PIL import Image

    make_pdf(tmp_path / "a.pdf", ["The PDF."])
    Image.new("RGB", (200, 100), "white").save(tmp_path / "a.png")
    out = tmp_path / "out"
    convert(tmp_path / "a.pdf", tmp_path / "a.png", "-o", out)
    files = report_files(out)
    assert files["a.pdf"]["output"] != files["a.png"]["output"]


def test_250_character_name_is_shortened_deterministically(tmp_path):
    long_a = "A" * 246 + ".pdf"  # 250 characters: outputs named after it would pass NAME_MAX
    long_b = "A" * 245 + "B.pdf"  # the same first 245 characters
    copies(tmp_path / "in", [long_a, long_b])
    out = tmp_path / "out"
    res = convert(tmp_path / "in", "-o", out)
    assert res.exit_code == 0, res.output
    files = report_files(out)
    rel_a, rel_b = files[long_a]["output"], files[long_b]["output"]
    assert rel_a != rel_b and len(rel_a.encode()) <= MAX_STEM_BYTES
    assert (out / rel_a / f"{rel_a}.md").is_file()
    assert safe_name("A" * 246) == rel_a  # a rerun gets the same name


def test_safe_name_rules():
    assert safe_name("report 2024") == "report 2024"
    assert safe_name("论文") == "论文"
    assert safe_name("a/b") != safe_name("a_b") and safe_name("a/b").startswith("a_b-")
    assert safe_name("..") .startswith("document-")
    long_cjk = safe_name("字" * 200)  # 600 bytes: cut on a character boundary
    assert len(long_cjk.encode()) <= MAX_STEM_BYTES and long_cjk.encode().decode() == long_cjk
    assert safe_name(os.fsdecode(b"\xff")) != safe_name(os.fsdecode(b"\xfe"))
