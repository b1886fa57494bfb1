"""Random documents through every pass: no pass raises, and the invariants hold."""

from hypothesis import given, settings
from hypothesis import strategies as st

from docparse.document import Block, Document, EngineInfo, Label, ListItem, Page, SourceInfo, block_id
from docparse.passes import run_passes

TEXTS = st.sampled_from([
    "", "1", "Page 2 of 9", "Annual Report 2024", "docu-", "ment and more.", "state-of-the-", "art",
    "• item", "- item", "1. First", "a) second", "¹ A note.", "* star", "Figure 1: A cat.",
    "Table 2. Numbers", "Table 3 lists things", "Example 2-1 code", "lowercase start", "Ends here.",
    "한국어 문장", "这是", "x\ny-\nz", "—", "(iv) roman", "[3] Ref.",
])
HTML = st.sampled_from([
    None, "<table><tr><td>a</td><td>b</td></tr></table>", "<table><tr><th>a</th><th>b</th></tr></table>",
    "<table><tr><td colspan='x'>a</td></tr>", "<p>not a table</p>", "<table></table>",
])


@st.composite
def blocks(draw, page: int, n: int) -> list[Block]:
    out = []
    for i in range(n):
        x0 = draw(st.floats(-20, 620, allow_nan=False))
        y0 = draw(st.floats(-20, 800, allow_nan=False))
        w = draw(st.floats(0, 600, allow_nan=False))
        h = draw(st.floats(0, 300, allow_nan=False))
        label = draw(st.sampled_from(list(Label)))
        items = [ListItem(t, None, draw(st.integers(0, 3)), None) for t in draw(st.lists(TEXTS, max_size=3))]
        out.append(Block(
            id=block_id(page, i), label=label, bbox=(x0, y0, x0 + w, y0 + h), text=draw(TEXTS), page=page,
            html=draw(HTML), items=items if label == Label.LIST else [],
            caption_for=draw(st.sampled_from([None, block_id(page, 0), "p9-b9"])),
            order=draw(st.sampled_from([None, i, 0])), meta=draw(st.sampled_from([{}, {"font_size": 8}, {"mono": True}])),
        ))
    return out


@st.composite
def documents(draw) -> Document:
    n_pages = draw(st.integers(0, 4))
    height = draw(st.sampled_from([792.0, 0.0, 100.0]))
    pages = [Page(index=p, width=612.0, height=height, blocks=draw(blocks(p, draw(st.integers(0, 8)))))
             for p in range(n_pages)]
    return Document(source=SourceInfo(), engine=EngineInfo("fuzz"), pages=pages)


@settings(max_examples=100, deadline=None)
@given(documents())
def test_passes_never_fail_and_keep_invariants(doc: Document) -> None:
    run_passes(doc)
    assert not any("failed" in w for w in doc.warnings), doc.warnings
    ids = [b.id for p in doc.pages for b in p.blocks]
    assert len(ids) == len(set(ids))
    for page in doc.pages:
        orders = sorted(b.order for b in page.blocks if b.order is not None)
        assert orders == list(range(len(orders)))
        for b in page.blocks:
            if b.is_furniture or b.is_continuation:
                assert b.order is None
            if b.label == Label.CAPTION and b.caption_for is not None:
                assert b.caption_for in ids
