"""Generate the sample PDFs and their ground truth from samples/sources/.

    .venv/bin/python samples/make_samples.py            # writes samples/*.pdf and *.truth.json
    .venv/bin/python samples/make_samples.py --out DIR  # somewhere else (the tests do this)

Deterministic: fixed metadata dates, no new file id, fonts subset by PyMuPDF, so a rerun with the
same PyMuPDF version gives byte-identical files (tests/test_samples.py checks it).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Callable

import pymupdf

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # sample_typeset.py and sample_flow.py sit next to this script

import sample_flow as fl  # noqa: E402
from sample_typeset import block_height, draw_lines, wrap  # noqa: E402

from docparse.document import Block, Document, EngineInfo, Label, ListItem, Page, SourceInfo, block_id  # noqa: E402

#: PyMuPDF version the committed files were made with (byte equality is only promised for it).
GENERATED_WITH = "2.0"
FIXED_DATE = "D:20250101000000Z"
LETTER = (612.0, 792.0)
MARGIN_X, TOP, BOTTOM = 54.0, 72.0, 748.0
COLUMN_GAP = 18.0


def load_source(name: str) -> dict[str, Any]:
    return json.loads((HERE / "sources" / f"{name}.json").read_text(encoding="utf-8"))


# -- page furniture ----------------------------------------------------------------------------
def furniture(flow: fl.Flow, header: str, footer: str | None) -> None:
    """Running header with a rule, optional footer line and a centred page number on every page."""
    w, h = LETTER
    st = fl.FURNITURE
    for n, page in enumerate(flow.pages):
        tw = flow.writers[n]
        lines = wrap(header, st, w)
        placed = draw_lines(tw, lines, st, MARGIN_X, 40, w - 2 * MARGIN_X, "left")
        page.draw_line((MARGIN_X, 54), (w - MARGIN_X, 54), color=(0.5, 0.5, 0.5), width=0.5)
        flow.record("header", placed.bbox, page=n, furniture=True, text=header)
        if footer:
            placed = draw_lines(tw, wrap(footer, st, w), st, MARGIN_X, h - 28, w - 2 * MARGIN_X, "left")
            flow.record("footer", placed.bbox, page=n, furniture=True, text=footer)
        num = str(n + 1)
        placed = draw_lines(tw, wrap(num, st, 40), st, w / 2 - 20, h - 42, 40, "center")
        flow.record("page_number", placed.bbox, page=n, furniture=True, text=num)


def columns(page: int, top: float, bottom: float = BOTTOM) -> list[fl.Frame]:
    w = LETTER[0]
    col = (w - 2 * MARGIN_X - COLUMN_GAP) / 2
    return [fl.Frame(page, MARGIN_X, top, MARGIN_X + col, bottom),
            fl.Frame(page, w - MARGIN_X - col, top, w - MARGIN_X, bottom)]


def place_body(flow: fl.Flow, blocks: list[dict[str, Any]]) -> None:
    for b in blocks:
        kind = b["type"]
        if kind == "heading":
            fl.heading(flow, b["text"], b["level"])
        elif kind == "paragraph":
            fl.paragraph(flow, b["text"])
        elif kind == "list":
            fl.item_list(flow, b["items"], b["ordered"], b.get("markers"))
        elif kind == "code":
            fl.code(flow, b["lines"])
        elif kind == "formula":
            fl.formula(flow, b["text"], b["latex"], b["number"])
        elif kind == "table":
            row_h = 13.0
            cap_h = fl.caption_height(b["caption"], flow.frame.width)
            flow.gap(2.0)
            flow.need(cap_h + 4 + row_h * len(b["rows"]))
            cap = fl.caption(flow, b["caption"], None)
            flow.y += 4
            tab = fl.table(flow, b["rows"], b["widths"], row_h)
            cap.caption_for = tab.key
            # the caption comes first on the page, so it is recorded first; that is its reading order
            flow.gap(fl.PARA_GAP + 3)
        elif kind == "figure":
            cap_h = fl.caption_height(b["caption"], flow.frame.width)
            flow.gap(2.0)
            flow.need(b["height"] + 4 + cap_h)
            fig = fl.bar_chart(flow, b["values"], b["height"])
            fl.caption(flow, b["caption"], fig)
            flow.gap(fl.PARA_GAP + 3)
        else:
            raise ValueError(f"unknown block type in source: {kind}")


# -- the documents -----------------------------------------------------------------------------
def build_article(doc: pymupdf.Document) -> list[fl.Entry]:
    src = load_source("article")
    w, h = LETTER
    for _ in range(2):
        doc.new_page(width=w, height=h)
    front = fl.Frame(0, MARGIN_X + 36, TOP, w - MARGIN_X - 36, BOTTOM)
    flow = fl.Flow(doc, [front])
    fl.heading(flow, src["title"], 1, label="title")
    fl.paragraph(flow, src["authors"], style=fl.AUTHORS, align="center", meta={"role": "authors"})
    flow.gap(4)
    fl.heading(flow, "Abstract", 1)
    fl.paragraph(flow, src["abstract"], meta={"role": "abstract"})
    flow.gap(6)
    top = flow.y
    # footnotes sit at the foot of page 1's left column, which therefore ends above them
    notes = src["footnotes"]
    note_lines = [wrap(f"{n['marker']} {n['text']}", fl.FOOTNOTE, columns(0, top)[0].width) for n in notes]
    notes_h = sum(block_height(len(x), fl.FOOTNOTE) for x in note_lines) + 2 * (len(notes) - 1)
    left, right = columns(0, top)
    left.y1 = BOTTOM - notes_h - 10
    flow.replace_following_frames([left, right, *columns(1, TOP)])
    flow.next_frame()
    place_body(flow, src["body"])
    y = BOTTOM - notes_h
    doc[0].draw_line((left.x0, y - 5), (left.x0 + 60, y - 5), color=(0, 0, 0), width=0.5)
    for note, lines in zip(notes, note_lines):
        placed = draw_lines(flow.writers[0], lines, fl.FOOTNOTE, left.x0, y, left.width, "justify")
        flow.record("footnote", placed.bbox, page=0, text=f"{note['marker']} {note['text']}",
                    meta={"marker": note["marker"]})
        y = placed.bbox[3] + 2
    furniture(flow, src["header"], src["footer"])
    flow.finish()
    return flow.entries


def build_scanned(doc: pymupdf.Document) -> list[fl.Entry]:
    """Typeset a text page, render it, and keep only the picture: a page with no text layer."""
    src = load_source("scanned")
    w, h = LETTER
    text_doc = pymupdf.open()
    text_doc.new_page(width=w, height=h)
    flow = fl.Flow(text_doc, [fl.Frame(0, 90, 90, w - 90, h - 90)])
    for b in src["blocks"]:
        if b["type"] == "heading":
            fl.heading(flow, b["text"], b["level"], style=fl.SCAN_HEADING)
        elif b["type"] == "paragraph":
            fl.paragraph(flow, b["text"], style=fl.SCAN_BODY)
        else:
            fl.item_list(flow, b["items"], b["ordered"], style=fl.SCAN_BODY)
    flow.finish()
    pix = text_doc[0].get_pixmap(dpi=src["dpi"], colorspace=pymupdf.csGRAY)
    page = doc.new_page(width=w, height=h)
    page.insert_image(page.rect, pixmap=pix)
    return flow.entries


def build_table(doc: pymupdf.Document, repeat_header: bool) -> list[fl.Entry]:
    """A heading, an intro paragraph and a long ruled table that continues on page 2."""
    src = load_source("table_two_pages")
    w, h = LETTER
    for _ in range(2):
        doc.new_page(width=w, height=h)
    x0, x1 = 72.0, w - 72.0
    flow = fl.Flow(doc, [fl.Frame(0, x0, TOP, x1, BOTTOM), fl.Frame(1, x0, TOP, x1, BOTTOM)])
    fl.heading(flow, src["heading"], 1)
    fl.paragraph(flow, src["intro"])
    header = [{"text": c, "header": True} for c in src["columns"]]
    rows = [[{"text": c} for c in r] for r in src["rows"]]
    row_h = 14.0
    fl.caption(flow, src["caption"], None)
    cap = flow.entries[-1]
    flow.y += 4
    previous: fl.Entry | None = None
    while rows:
        with_header = previous is None or repeat_header
        fit = int(flow.left() // row_h) - (1 if with_header else 0)
        part, rows = rows[:fit], rows[fit:]
        entry = fl.table(flow, ([header] if with_header else []) + part, src["widths"], row_h)
        entry.meta["header_row"] = with_header
        if previous is None:
            cap.caption_for = entry.key
        else:
            entry.meta["continues"] = previous.key
        previous = entry
        if rows:
            flow.next_frame()
    furniture(flow, src["header"], None)
    flow.finish()
    return flow.entries


BUILDERS: dict[str, Callable[[pymupdf.Document], list[fl.Entry]]] = {
    "article": build_article,
    "scanned": build_scanned,
    "table_two_pages": lambda doc: build_table(doc, repeat_header=True),
    "table_two_pages_norepeat": lambda doc: build_table(doc, repeat_header=False),
}
#: Which source each sample is made from (the variants share one).
SOURCES = {"table_two_pages_norepeat": "table_two_pages"}


# -- truth -------------------------------------------------------------------------------------
def truth_document(name: str, doc: pymupdf.Document, entries: list[fl.Entry], extra: dict[str, Any]) -> Document:
    """Entries -> docparse Document: per page, body in reading order, then furniture."""
    pages = []
    ids: dict[str, str] = {}
    per_page: list[list[fl.Entry]] = [[] for _ in range(doc.page_count)]
    for e in entries:
        per_page[e.page].append(e)
    for n, es in enumerate(per_page):
        body = sorted((e for e in es if e.seq is not None), key=lambda e: e.seq)  # type: ignore[arg-type]
        furn = [e for e in es if e.seq is None]
        for i, e in enumerate(body + furn):
            ids[e.key] = block_id(n, i)
        pages.append((n, body, furn))
    out_pages = []
    for n, body, furn in pages:
        blocks = []
        for i, e in enumerate(body + furn):
            meta = dict(e.meta)
            if "continues" in meta:
                meta["continues"] = ids[meta["continues"]]
            blocks.append(Block(
                id=ids[e.key], label=Label(e.label), bbox=e.bbox, text=e.text, page=n, html=e.html,
                latex=e.latex, level=e.level,
                items=[ListItem(text=it["text"], bbox=tuple(it["bbox"]), level=it["level"], marker=it["marker"])
                       for it in e.items],
                caption_for=ids.get(e.caption_for) if e.caption_for else None,
                order=i if e.seq is not None else None, source="truth", meta=meta))
        rect = doc[n].rect
        out_pages.append(Page(index=n, width=rect.width, height=rect.height, blocks=blocks))
    return Document(source=SourceInfo(path=f"samples/{name}.pdf", name=name, page_count=doc.page_count,
                                      metadata=extra),
                    engine=EngineInfo(name="truth", settings={"generator": "samples/make_samples.py"}),
                    pages=out_pages)


def finish(doc: pymupdf.Document, metadata: dict[str, str]) -> bytes:
    doc.subset_fonts()
    doc.set_metadata({**metadata, "creator": "docparse samples/make_samples.py", "producer": "PyMuPDF",
                      "creationDate": FIXED_DATE, "modDate": FIXED_DATE})
    return doc.tobytes(garbage=4, deflate=True, no_new_id=True)


def make(name: str) -> tuple[bytes, str]:
    """Build one sample: (pdf bytes, truth JSON text)."""
    doc = pymupdf.open()
    entries = BUILDERS[name](doc)
    meta = load_source(SOURCES.get(name, name)).get("metadata", {})
    pdf = finish(doc, meta)
    truth = truth_document(name, doc, entries, {"text_layer": name != "scanned"})
    return pdf, json.dumps(truth.to_dict(), indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=HERE, help="output folder (default: samples/)")
    ap.add_argument("names", nargs="*", help=f"samples to make (default: all of {sorted(BUILDERS)})")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.names or sorted(BUILDERS):
        pdf, truth = make(name)
        (args.out / f"{name}.pdf").write_bytes(pdf)
        (args.out / f"{name}.truth.json").write_text(truth, encoding="utf-8")
        print(f"{name}.pdf: {len(pdf) / 1024:.1f} KiB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
