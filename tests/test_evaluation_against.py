"""``docparse eval``: one document against a ground-truth file in any format the benchmark reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from docparse.cli import app
from docparse.document import Document
from docparse.evaluation.against import TruthError, detect_format, evaluate, load_truth
from docparse.evaluation.predictions import from_document

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
runner = CliRunner()


def omnidocbench_entry(image_name: str) -> dict:
    """One OmniDocBench page: a title and a paragraph, boxes in image pixels (200 x 100)."""
    return {
        "page_info": {"image_path": image_name, "width": 100, "height": 200},  # swapped, as in v1.0
        "layout_dets": [
            {"anno_id": 0, "category_type": "title", "poly": [10, 10, 190, 10, 190, 30, 10, 30],
             "text": "A Title", "order": 0},
            {"anno_id": 1, "category_type": "text_block", "poly": [10, 40, 190, 40, 190, 90, 10, 90],
             "text": "Some body text.", "order": 1},
        ],
        "extra": {"relation": []},
    }


def test_detect_format(tmp_path: Path) -> None:
    assert detect_format(SAMPLES / "article.truth.json") == "docparse"
    (tmp_path / "o.json").write_text(json.dumps([omnidocbench_entry("x.png")]))
    assert detect_format(tmp_path / "o.json") == "omnidocbench"
    (tmp_path / "d.json").write_text(json.dumps({"schema_name": "DoclingDocument", "body": {}, "texts": []}))
    assert detect_format(tmp_path / "d.json") == "docling"
    assert detect_format(tmp_path / "t.md") == "markdown"
    assert detect_format(tmp_path / "a.xml") == "cvat"
    (tmp_path / "other.json").write_text('{"hello": 1}')
    with pytest.raises(TruthError, match="not docparse, OmniDocBench or DoclingDocument"):
        detect_format(tmp_path / "other.json")
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(TruthError, match="cannot read broken.json as JSON"):
        detect_format(tmp_path / "broken.json")
    with pytest.raises(TruthError, match="cannot tell"):
        detect_format(tmp_path / "truth.csv")


def test_omnidocbench_entry_is_found_by_stem_and_scaled(tmp_path: Path) -> None:
    image = tmp_path / "page_7.png"
    Image.new("RGB", (200, 100), "white").save(image)
    truth = tmp_path / "bench.json"
    truth.write_text(json.dumps([omnidocbench_entry("other.jpg"), omnidocbench_entry("page_7.jpg")]))
    gt = load_truth(truth, image)
    page = gt.pages[0]
    assert (page.width, page.height) == (200, 100)
    assert [it.text for it in page.items] == ["A Title", "Some body text."]
    assert page.items[1].bbox == (10, 40, 190, 90)  # page_info's swapped size was turned back
    with pytest.raises(TruthError, match="no page whose image_path is named missing"):
        load_truth(truth, tmp_path / "missing.png")


def test_truth_errors(tmp_path: Path) -> None:
    with pytest.raises(TruthError, match="ground truth not found"):
        load_truth(tmp_path / "nope.json", SAMPLES / "article.pdf")
    with pytest.raises(TruthError, match="truth format must be one of"):
        load_truth(SAMPLES / "article.truth.json", SAMPLES / "article.pdf", "xlsx")
    (tmp_path / "bad.json").write_text(json.dumps([{"layout_dets": [{}], "page_info": {"image_path": "article.png"}}]))
    with pytest.raises(TruthError, match="cannot read bad.json as omnidocbench"):
        load_truth(tmp_path / "bad.json", SAMPLES / "article.pdf", "omnidocbench")


def test_truth_against_itself_scores_perfectly() -> None:
    truth = SAMPLES / "article.truth.json"
    doc = Document.from_dict(json.loads(truth.read_text(encoding="utf-8")))
    total, pages = evaluate(SAMPLES / "article.pdf", truth, prediction=doc)
    assert total.text_edit() == 0.0 and total.order_edit() == 0.0 and total.teds() == 1.0
    assert total.layout_total().precision == 1.0 and total.layout_total().recall == 1.0
    assert [p for p, _ in pages] == [0, 1]


def test_a_wrong_prediction_scores_worse() -> None:
    truth = SAMPLES / "article.truth.json"
    doc = Document.from_dict(json.loads(truth.read_text(encoding="utf-8")))
    body = [b for b in doc.pages[0].blocks if b.label.value == "paragraph"]
    body[0].text = "completely different words here"
    body[0].order, body[-1].order = body[-1].order, body[0].order  # and out of order
    total, _ = evaluate(SAMPLES / "article.pdf", truth, prediction=doc)
    assert total.text_edit() > 0.01
    assert total.order_edit() > 0.0
    assert len(from_document(doc)) == 2


def test_cli_eval_converts_and_prints_json(tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", str(SAMPLES / "article.pdf"), "--truth", str(SAMPLES / "article.truth.json"), "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)
    assert scores["engine"] == "layout"
    assert scores["text_edit"] < 0.01 and scores["teds"] == 1.0
    assert [p["page"] for p in scores["per_page"]] == [0, 1]


def test_cli_eval_of_a_saved_prediction_and_bad_usage(tmp_path: Path) -> None:
    pred = tmp_path / "pred.json"
    pred.write_text((SAMPLES / "article.truth.json").read_text(encoding="utf-8"), encoding="utf-8")
    result = runner.invoke(app, ["eval", str(SAMPLES / "article.pdf"), "--truth", str(SAMPLES / "article.truth.json"),
                                 "--prediction", str(pred)])
    assert result.exit_code == 0, result.output
    assert "text" in result.stdout and "1.000" in result.stdout
    result = runner.invoke(app, ["eval", str(SAMPLES / "article.pdf"), "--truth", str(tmp_path / "none.json")])
    assert result.exit_code == 2 and "ground truth not found" in result.output
    result = runner.invoke(app, ["eval", str(SAMPLES / "article.pdf"), "--truth", str(pred), "--truth-format", "xlsx"])
    assert result.exit_code == 2
