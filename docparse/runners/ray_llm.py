"""Recipe: docparse on a GPU cluster with Ray Data's LLM API (``ray.data.llm``, a vLLM engine processor).

vLLM runs the model inside Ray Data; docparse renders the pages before and reads the answers after:

    import ray
    from ray.data.llm import build_processor, vLLMEngineProcessorConfig
    from docparse.runners import ray_llm

    documents, problems = ray_llm.list_documents(["/shared/in"], "/shared/out")
    pages = ray.data.from_items(documents).flat_map(ray_llm.document_pages)      # CPU: render
    config = vLLMEngineProcessorConfig(
        model_source="Qwen/Qwen2.5-VL-7B-Instruct",
        engine_kwargs={"max_model_len": 32768, "limit_mm_per_prompt": {"image": 1}},
        prepare_multimodal_stage={"enabled": True},   # vLLM reads the image from the message
        concurrency=4, batch_size=16)                 # 4 GPUs, one engine each
    processor = build_processor(config, preprocess=ray_llm.to_vllm_request,
                                postprocess=ray_llm.from_vllm_output)
    results = ray_llm.write_documents(processor(pages).iter_rows(), "/shared/out",
                                      model="Qwen/Qwen2.5-VL-7B-Instruct", problems=problems)

- ``document_pages``: one row per selected page: where it is, its size in points, the model input
  size and the page rendered straight at that size as a PNG (the same image the vlm and remote
  engines send); a document that cannot be opened is one row carrying its error.
- ``to_vllm_request``: the row as the remote engine's chat request (system prompt, then the text
  and the image as a PNG ``data:`` URL) with the vlm engine's generation settings.
- ``from_vllm_output``: the answer (QwenVL HTML) with what reading it needs; the image is dropped.
- ``write_documents`` (on the driver): pages grouped back into documents as they come, each read
  by docparse's QwenVL reader, then the local runner's ``convert_item`` (passes, outputs written
  atomically, stamp) and the run report, so a rerun of ``docparse convert`` skips them.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any, Callable, Iterable

from docparse.batch import BatchItem, BatchRun, BatchSettings, ItemResult, convert_item
from docparse.engines.base import PageInput, PageOutput, qwenvl_output
from docparse.errors import DocparseError
from docparse.options import ConvertOptions, parse_formats

ROW_FIELDS = ("source", "out_rel", "page", "pages", "width", "height", "image_width", "image_height", "error")
ENGINE_NAME = "vllm"  # the document's engine: the model ran in a ray.data.llm vLLM stage


def list_documents(inputs: Iterable[str | Path], out_dir: str | Path) -> tuple[list[dict[str, str]], list[ItemResult]]:
    """The files under ``inputs`` as rows ``{"source", "out_rel"}`` (named as the CLI names them),
    and the inputs that hold nothing to convert (for the report)."""
    from docparse.discovery import discover

    items, problems = discover([Path(i) for i in inputs], Path(out_dir))
    return [{"source": str(i.source), "out_rel": i.out_rel} for i in items], problems


def document_pages(row: dict[str, Any], options: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """A document row -> one row per selected page, with the page image (PNG bytes) at the model size."""
    from docparse.source import make_page_input, open_source, parse_page_range

    opts = ConvertOptions(**(options or {}))
    base = {"source": row["source"], "out_rel": row["out_rel"], "page": -1, "pages": 0, "width": 0.0,
            "height": 0.0, "image_width": 0, "image_height": 0, "error": "", "image": b""}
    try:
        opened = open_source(row["source"], password=opts.password)
    except DocparseError as exc:
        return [{**base, "error": str(exc)}]
    try:
        try:
            indices = parse_page_range(opts.pages, opened.doc.page_count)
        except DocparseError as exc:
            return [{**base, "error": str(exc)}]
        out = []
        for index in indices:
            page = make_page_input(opened.doc, index, opts.dpi, opts.min_pixels, opts.max_pixels, opened.is_image)
            out.append({**base, "page": index, "pages": len(indices), "width": page.width, "height": page.height,
                        "image_width": page.image_size[0], "image_height": page.image_size[1],
                        "image": _png(page)})
        return out
    finally:
        opened.close()


def _png(page: PageInput) -> bytes:
    import io

    buffer = io.BytesIO()
    page.render().save(buffer, format="PNG")
    return buffer.getvalue()


def to_vllm_request(row: dict[str, Any], max_tokens: int | None = None, temperature: float = 0.0,
                    repetition_penalty: float | None = None) -> dict[str, Any]:
    """A page row -> ``messages`` and ``sampling_params`` for the vLLM stage (defaults: the vlm
    engine's max_new_tokens and the checkpoints' repetition_penalty, greedy)."""
    from docparse.qwenvl.prompts import DEFAULT_PROMPT, get_prompt

    defaults = ConvertOptions()
    keep = {k: row[k] for k in ROW_FIELDS}
    if row["error"]:  # nothing to ask; the row still travels to the end to be reported
        return {**keep, "messages": [{"role": "user", "content": "-"}], "sampling_params": {"max_tokens": 1}}
    prompt = get_prompt(DEFAULT_PROMPT)
    url = "data:image/png;base64," + base64.b64encode(row["image"]).decode("ascii")
    penalty = defaults.repetition_penalty if repetition_penalty is None else repetition_penalty
    return {
        **keep,
        "messages": [
            {"role": "system", "content": prompt.system},
            {"role": "user", "content": [{"type": "text", "text": prompt.user},
                                         {"type": "image_url", "image_url": {"url": url}}]},
        ],
        "sampling_params": {"max_tokens": max_tokens or defaults.max_new_tokens, "temperature": temperature,
                            "repetition_penalty": penalty},
    }


def from_vllm_output(row: dict[str, Any]) -> dict[str, Any]:
    """The vLLM stage's row -> the page's answer (raw QwenVL HTML) and why generation stopped."""
    from docparse.engines.remote import repeats_at_end

    text = str(row.get("generated_text") or "")
    limit = int((row.get("sampling_params") or {}).get("max_tokens") or 0)
    generated = int(row.get("num_generated_tokens") or 0)
    stop = "eos"
    if limit and generated >= limit:
        stop = "loop" if repeats_at_end(text) else "length"
    error = row["error"] or str(row.get("__inference_error__") or "")
    return {**{k: row[k] for k in ROW_FIELDS}, "error": error, "raw": text, "stop_reason": stop}


def page_output(row: dict[str, Any]) -> PageOutput | str:
    """One answered page read by docparse's QwenVL reader (boxes to page points), or its error."""
    if row["error"]:
        return str(row["error"])
    size = (int(row["image_width"]), int(row["image_height"]))
    page = PageInput(doc=None, index=int(row["page"]), width=float(row["width"]), height=float(row["height"]),
                     image_size=size, render=_no_render)
    return qwenvl_output(page, row["raw"], row["stop_reason"], source=ENGINE_NAME)


def _no_render() -> Any:
    raise RuntimeError("the page was rendered before the vLLM stage")


def write_documents(
    rows: Iterable[dict[str, Any]],
    out_dir: str | Path,
    *,
    model: str | None = None,
    options: dict[str, Any] | None = None,
    formats: str | list[str] = "md,html,json,qwenvl",
    problems: list[ItemResult] | None = None,
    on_file: Callable[[ItemResult], None] | None = None,
) -> list[ItemResult]:
    """Group answered pages into documents and write each (outputs, stamp) and the run report."""
    from docparse.runners.replay import ReplayEngine

    out = Path(out_dir)
    opts = ConvertOptions(**(options or {}))
    settings = BatchSettings(formats=parse_formats(formats), overwrite=True)
    run = BatchRun(out, opts, settings)
    out.mkdir(parents=True, exist_ok=True)
    for problem in problems or []:
        run._record(problem, on_file)
    info = {"name": ENGINE_NAME, "model": model, "settings": {"runner": "ray.data.llm"}}
    waiting: dict[tuple[str, str], dict[int, PageOutput | str]] = {}
    for row in rows:
        key = (str(row["source"]), str(row["out_rel"]))
        item = BatchItem(Path(key[0]), key[1])
        if int(row["page"]) < 0:  # the document could not be opened
            run._record(ItemResult(key[0], key[1], "failed", error=str(row["error"])), on_file)
            continue
        got = waiting.setdefault(key, {})
        got[int(row["page"])] = page_output(row)
        if len(got) == int(row["pages"]):
            del waiting[key]
            run._record(convert_item(item, out, opts, settings, ReplayEngine(info, got)), on_file)
    for (source, out_rel), got in waiting.items():  # pages lost on the way (a worker died)
        run._record(ItemResult(source, out_rel, "failed", error=f"only {len(got)} page(s) came back"), on_file)
    run.finish()
    return run.results


def rows_schema() -> list[str]:
    """The columns of a page row (what ``document_pages`` makes; ``image`` is the PNG)."""
    return [*ROW_FIELDS, "image"]


__all__ = ["list_documents", "document_pages", "to_vllm_request", "from_vllm_output", "page_output",
           "write_documents", "rows_schema"]
