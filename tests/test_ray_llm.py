"""The ray.data.llm recipe's docparse steps (no Ray or vLLM needed: they are plain functions).

Pages are rendered as the engines render them, the request is the remote engine's, and answers
written as QwenVL HTML come back as the same document the layout engine made (the writer and the
reader are inverse), written with the local runner's outputs, stamp and report.
"""

from __future__ import annotations

import base64
import io
import json

from PIL import Image

import docparse
from docparse.engines.remote import RemoteEngine
from docparse.runners import ray_llm
from docparse.source import make_page_input, open_source

from .serve_support import CORRUPT_PDF, text_pdf


def rows_for(folder, out):
    documents, problems = ray_llm.list_documents([folder], out)
    return [page for doc in documents for page in ray_llm.document_pages(doc)], problems


def answer_like_a_model(request: dict, qwenvl_pages: dict) -> dict:
    """What the vLLM stage adds to a row: the generated text (here docparse's own QwenVL HTML)."""
    text = qwenvl_pages.get((request["source"], request["page"]), "")
    return {**request, "generated_text": text, "num_generated_tokens": max(1, len(text) // 4)}


def test_pages_are_rendered_at_the_model_size_and_asked_as_the_remote_engine_asks(tmp_path):
    pdf = text_pdf(tmp_path / "in" / "a.pdf", ["Alpha page one.", "Alpha page two."])
    rows, problems = rows_for(tmp_path / "in", tmp_path / "out")
    assert not problems and [r["page"] for r in rows] == [0, 1] and {r["pages"] for r in rows} == {2}
    opened = open_source(pdf)
    expected = make_page_input(opened.doc, 1, 200, 3136, 1605632)
    assert (rows[1]["image_width"], rows[1]["image_height"]) == expected.image_size
    assert Image.open(io.BytesIO(rows[1]["image"])).size == expected.image_size
    assert (rows[1]["width"], rows[1]["height"]) == (expected.width, expected.height)

    request = ray_llm.to_vllm_request(rows[1])
    assert "image" not in request  # the PNG rides in the message only
    url = request["messages"][1]["content"][1]["image_url"]["url"]
    assert base64.b64decode(url.split(",", 1)[1]) == rows[1]["image"]
    remote = RemoteEngine("http://127.0.0.1:9/v1", model="m").request_body(url, 0.0)
    assert request["messages"] == remote["messages"]
    assert request["sampling_params"] == {"max_tokens": remote["max_tokens"], "temperature": 0.0,
                                          "repetition_penalty": remote["repetition_penalty"]}
    opened.close()


def test_answers_become_the_documents_with_outputs_stamps_and_report(tmp_path):
    src = tmp_path / "in"
    text_pdf(src / "a.pdf", ["Alpha page one of the recipe.", "Alpha page two of the recipe."])
    text_pdf(src / "sub" / "b.pdf", ["Beta, a single page."])
    (src / "sub" / "broken.pdf").write_bytes(CORRUPT_PDF)
    out = tmp_path / "out"
    rows, problems = rows_for(src, out)

    # the "model" answers each page with the QwenVL HTML of the layout engine's reading
    layout = {p: docparse.convert(p, passes=False) for p in (src / "a.pdf", src / "sub" / "b.pdf")}
    qwenvl = {(str(p), page.index): html for p, doc in layout.items() for page, html in zip(doc.pages, doc.to_qwenvl())}
    answered = [ray_llm.from_vllm_output(answer_like_a_model(ray_llm.to_vllm_request(r), qwenvl)) for r in rows]
    assert all("image" not in r and "messages" not in r for r in answered)
    results = ray_llm.write_documents(reversed(answered), out, model="Qwen/Qwen2.5-VL-7B-Instruct", problems=problems)

    statuses = {r.input.rsplit("/", 1)[-1]: r.status for r in results}
    assert statuses == {"a.pdf": "ok", "b.pdf": "ok", "broken.pdf": "failed"}
    broken = next(r for r in results if r.input.endswith("broken.pdf"))
    assert broken.error == str(_error_of(src / "sub" / "broken.pdf"))
    for pdf, md in ((src / "a.pdf", out / "a" / "a.md"), (src / "sub" / "b.pdf", out / "sub" / "b" / "b.md")):
        # the same Markdown (QwenVL HTML carries no line breaks inside a paragraph)
        assert md.read_text().split() == docparse.convert(pdf).to_markdown().split()
    doc = json.loads((out / "a" / "a.json").read_text())
    assert doc["engine"]["name"] == "vllm" and doc["engine"]["model"] == "Qwen/Qwen2.5-VL-7B-Instruct"
    assert [p["raw"] is not None for p in doc["pages"]] == [True, True]
    assert (out / "a" / ".docparse-done.json").is_file() and (out / "a" / "qwenvl" / "page-0002.html").is_file()
    report = json.loads((out / "docparse-report.json").read_text())
    assert len(report["files"]) == 3


def test_a_page_cut_at_the_token_limit_is_partial(tmp_path):
    text_pdf(tmp_path / "in" / "a.pdf", ["Only page."])
    (row,), _ = rows_for(tmp_path / "in", tmp_path / "out")
    request = ray_llm.to_vllm_request(row, max_tokens=50)
    answer = ray_llm.from_vllm_output({**request, "generated_text": "<p data-bbox=\"10 10 200 40\">Only pa",
                                       "num_generated_tokens": 50})
    assert answer["stop_reason"] == "length"
    output = ray_llm.page_output(answer)
    assert output.status.value == "partial" and any("max_new_tokens" in w for w in output.warnings)
    looped = ray_llm.from_vllm_output({**request, "generated_text": "<p>ab</p>" + "ab" * 400, "num_generated_tokens": 50})
    assert looped["stop_reason"] == "loop"
    failed = ray_llm.from_vllm_output({**request, "generated_text": "", "__inference_error__": "CUDA out of memory"})
    assert ray_llm.page_output(failed) == "CUDA out of memory"


def _error_of(path):
    from docparse.errors import InputError

    try:
        open_source(path)
    except InputError as exc:
        return exc
    raise AssertionError("expected an error")
