"""Block repair, omissions and hallucinations (docparse/verify/blocks.py, page.py, tables.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from docparse.document import Block, Label, ListItem
from docparse.verify.page import verify_blocks
from docparse.verify.words import text_layer_words

HEADING = "Results of the study"
PARA1 = ("The measurements were taken over three weeks in the northern valley and cover all "
         "seasons of growth for the local plants.")
PARA2 = ("Each sample was weighed twice and the mean of both readings is reported in the table "
         "below together with its standard deviation.")
CELLS = [["Site", "Mass", "Error"], ["North", "12.5", "0.3"], ["South", "9.75", "0.4"]]


@pytest.fixture(scope="module")
def page_pdf(tmp_path_factory) -> Path:
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    page.insert_textbox(pymupdf.Rect(72, 72, 540, 100), HEADING, fontsize=16)
    page.insert_textbox(pymupdf.Rect(72, 110, 540, 160), PARA1, fontsize=11)
    page.insert_textbox(pymupdf.Rect(72, 170, 540, 220), PARA2, fontsize=11)
    for r, row in enumerate(CELLS):
        for c, cell in enumerate(row):
            page.insert_text((80 + 120 * c, 260 + 20 * r), cell, fontsize=11)
    page.insert_text((300, 760), "7", fontsize=10)
    path = tmp_path_factory.mktemp("verify") / "page.pdf"
    doc.save(path)
    return path


@pytest.fixture
def words(page_pdf: Path):
    import pymupdf

    doc = pymupdf.open(page_pdf)
    yield text_layer_words(doc[0])
    doc.close()


def box_of(words, text: str) -> tuple[float, float, float, float]:
    from docparse.verify.align import align_block

    return align_block(text, None, words).bbox


def blk(n: int, label: Label, bbox, text: str, **kw) -> Block:
    return Block(id=f"p0-b{n}", label=label, bbox=bbox, text=text, order=n, source="vlm", **kw)


def first(blocks: list[Block], label: Label) -> Block:
    return next(b for b in blocks if b.label == label)


def table_html(cells) -> str:
    return "<table>" + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in cells) + "</table>"


def test_right_blocks_are_verified_and_left_alone(words) -> None:
    blocks = [blk(0, Label.HEADING, box_of(words, HEADING), HEADING, level=1),
              blk(1, Label.PARAGRAPH, box_of(words, PARA1), PARA1)]
    check = verify_blocks(blocks, words, 0)
    assert [b.meta["verify"]["status"] for b in check.blocks[:2]] == ["verified", "verified"]
    assert check.blocks[0].text == HEADING and check.blocks[0].level == 1
    assert check.repaired == 0 and check.hallucinations == 0


def test_misread_text_is_repaired_keeping_label_and_level(words) -> None:
    wrong = PARA1.replace("measurements", "rneasurements").replace("three", "tree").replace("growth", "grovvth")
    blocks = [blk(0, Label.HEADING, box_of(words, HEADING), "Resu1ts of the studv", level=2),
              blk(1, Label.PARAGRAPH, box_of(words, PARA1), wrong)]
    check = verify_blocks(blocks, words, 0)
    head, para = check.blocks[0], check.blocks[1]
    assert head.text == HEADING and head.label == Label.HEADING and head.level == 2
    assert para.text == PARA1
    assert para.meta["verify"]["status"] == "repaired" and para.meta["model_text"] == wrong
    assert 0.5 < para.meta["verify"]["score"] < 0.99


def test_shifted_box_is_snapped_to_its_words(words) -> None:
    true = box_of(words, HEADING)
    shifted = (true[0] + 20, true[1] + 25, true[2] + 20, true[3] + 25)
    check = verify_blocks([blk(0, Label.HEADING, shifted, HEADING)], words, 0)
    head = check.blocks[0]
    assert head.bbox == pytest.approx(true)
    assert head.meta["verify"]["box"] == "snapped" and head.meta["model_bbox"] == [round(v, 2) for v in shifted]


def test_dropped_paragraph_becomes_an_omission_in_reading_order(words) -> None:
    blocks = [blk(0, Label.HEADING, box_of(words, HEADING), HEADING),
              blk(1, Label.PARAGRAPH, box_of(words, PARA2), PARA2)]
    check = verify_blocks(blocks, words, 0)
    body = sorted((b for b in check.blocks if b.order is not None), key=lambda b: b.order)
    assert body[1].text == PARA1 and body[1].meta["verify"]["status"] == "omission"
    assert body[1].label == Label.PARAGRAPH and body[2].text == PARA2
    assert check.omissions >= 1
    assert check.agreement < 1.0
    assert [b.id for b in check.blocks] == [f"p0-b{k}" for k in range(len(check.blocks))]


def test_hallucinated_sentence_is_dropped_and_counted(words) -> None:
    made_up = "Quarterly revenue in Europe grew by twelve percent compared with last year."
    blocks = [blk(0, Label.PARAGRAPH, box_of(words, PARA1), PARA1),
              blk(1, Label.PARAGRAPH, box_of(words, PARA2), made_up)]  # over real words
    check = verify_blocks(blocks, words, 0)
    assert check.hallucinations == 1 and check.dropped == 1
    assert made_up not in [b.text for b in check.blocks]
    assert PARA2 in [b.text for b in check.blocks]  # its words come back as an omission


def test_text_on_a_picture_without_words_is_kept_unverified(words) -> None:
    blocks = [blk(0, Label.PARAGRAPH, box_of(words, PARA1), PARA1),
              blk(1, Label.PARAGRAPH, (300, 500, 500, 600), "Label printed inside a photo")]
    check = verify_blocks(blocks, words, 0)
    photo = [b for b in check.blocks if b.text == "Label printed inside a photo"][0]
    assert photo.meta["verify"]["status"] == "unverified" and check.hallucinations == 0


def test_table_cells_refilled_keeping_structure(words) -> None:
    wrong = [["Site", "Mass", "Error"], ["North", "12.8", "0.3"], ["Soutn", "9.75", "0.4"]]
    html = table_html(wrong)
    text = "\n".join("\t".join(r) for r in wrong)
    box = box_of(words, "\n".join("\t".join(r) for r in CELLS))
    check = verify_blocks([blk(0, Label.TABLE, box, text, html=html)], words, 0)
    table = first(check.blocks, Label.TABLE)
    assert table.meta["verify"]["status"] == "repaired"
    assert table.html == table_html(CELLS)
    assert table.text == "\n".join("\t".join(r) for r in CELLS)


def test_formula_keeps_latex_and_takes_text_layer_text(words) -> None:
    box = box_of(words, PARA2)
    check = verify_blocks([blk(0, Label.FORMULA, box, r"\frac{a}{b}", latex=r"\frac{a}{b}")], words, 0)
    f = first(check.blocks, Label.FORMULA)
    assert f.latex == r"\frac{a}{b}" and f.text == PARA2
    assert f.meta["verify"]["status"] == "repaired"


def test_list_items_repaired_one_by_one(words) -> None:
    items = [ListItem(PARA1.replace("valley", "vallev")), ListItem(PARA2)]
    box = box_of(words, PARA1 + " " + PARA2)
    lst = blk(0, Label.LIST, box, "\n".join(i.text for i in items), items=items)
    check = verify_blocks([lst], words, 0)
    out = first(check.blocks, Label.LIST)
    assert [i.text for i in out.items] == [PARA1, PARA2]
    assert out.text == PARA1 + "\n" + PARA2 and out.meta["verify"]["status"] == "repaired"


def test_captions_follow_renumbered_ids(words) -> None:
    pic = blk(0, Label.IMAGE, (72, 400, 300, 500), "")
    cap = blk(1, Label.CAPTION, box_of(words, PARA2), PARA2, caption_for="p0-b0")
    check = verify_blocks([pic, cap], words, 0)
    by_text = {b.text: b for b in check.blocks}
    assert by_text[PARA2].caption_for == [b.id for b in check.blocks if b.label == Label.IMAGE][0]


def test_a_loops_echo_keeps_only_its_own_words(words) -> None:
    echo = " ".join([PARA1, PARA2] * 3)  # the model looped over both paragraphs
    blocks = [blk(0, Label.PARAGRAPH, box_of(words, PARA1), PARA1),
              blk(1, Label.PARAGRAPH, box_of(words, PARA1 + " " + PARA2), echo)]
    check = verify_blocks(blocks, words, 0)
    body = [b.text for b in check.blocks if b.order is not None]
    assert body.count(PARA1) == 1 and body.count(PARA2) == 1  # the echo kept PARA2's words only


def test_garbled_font_text_is_no_omission() -> None:
    from docparse.verify.page import _garbled

    assert _garbled("]üìÜüéê •ìê °ê£ë†£ûÜüéê †ë ∞†¶£ èÜ•ÜáÜ§ê")
    assert not _garbled("Les élèves étudient à l'école française depuis déjà longtemps.")
    assert not _garbled("표 1. 정책 보고서")


def test_multi_line_cells_are_refilled_by_geometry(tmp_path) -> None:
    """Page order reads a two-line cell's lines across the whole row; the inferred cell boxes
    still give each cell its own words."""
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    rows = [["Method", "Score", "Time"], ["OTSL\nHTML", "0.965\n0.969", "2.73\n5.39"], ["Tree", "0.812", "1.22"]]
    y = 100
    for row in rows:
        for c, cell in enumerate(row):
            for k, line in enumerate(cell.split("\n")):
                page.insert_text((80 + 140 * c, y + 14 * k), line, fontsize=11)
        y += 40
    doc.save(tmp_path / "t.pdf")
    page = pymupdf.open(tmp_path / "t.pdf")[0]
    words = text_layer_words(page)
    truth = [[c.replace("\n", " ") for c in r] for r in rows]
    wrong = [r[:] for r in truth]
    wrong[1][1] = "0.965 0.989"
    wrong[2][0] = "Trcc"
    box = words.box_of(range(len(words.words)))
    table = blk(0, Label.TABLE, box, "\n".join("\t".join(r) for r in wrong), html=table_html(wrong))
    out = first(verify_blocks([table], words, 0).blocks, Label.TABLE)
    assert out.html == table_html(truth) and out.meta["verify"]["status"] == "repaired"


def test_a_wrong_case_is_repaired_too(words) -> None:
    check = verify_blocks([blk(0, Label.HEADING, box_of(words, HEADING), "results of the Study")], words, 0)
    head = first(check.blocks, Label.HEADING)
    assert head.text == HEADING and head.meta["verify"]["status"] == "repaired"


def test_ocr_words_count_omissions_but_insert_none(words) -> None:
    # Tesseract's words are a weaker check: a run the model left out lowers the agreement
    # (so the better sample wins) but is not inserted as text of its own
    from docparse.verify.words import PageWords

    ocr = PageWords(words.words, words.width, words.height, "ocr")
    blocks = [blk(0, Label.HEADING, box_of(words, HEADING), HEADING),
              blk(1, Label.PARAGRAPH, box_of(words, PARA2), PARA2)]
    check = verify_blocks(blocks, ocr, 0)
    assert check.omissions >= 1 and check.agreement < 1.0
    assert [b.text for b in check.blocks if b.order is not None] == [HEADING, PARA2]
    assert not any(b.meta["verify"]["status"] == "omission" for b in check.blocks)
    assert "not added" in check.summary()


def _one_page(tmp_path: Path, texts: list[tuple[tuple[float, float, float, float], str]]):
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    for rect, text in texts:
        page.insert_textbox(pymupdf.Rect(*rect), text, fontsize=11)
    doc.save(tmp_path / "p.pdf")
    doc.close()
    doc = pymupdf.open(tmp_path / "p.pdf")
    words = text_layer_words(doc[0])
    doc.close()
    return words


def test_a_repaired_code_line_keeps_its_braces_and_operators(tmp_path) -> None:
    # "{", "+", "}" carry no letters or digits: no token matches them, yet they are the code
    code = "function add(a, b) { return a + b; } console.log(add(3, 5));"
    words = _one_page(tmp_path, [((72, 100, 540, 130), code)])
    block = blk(0, Label.CODE, box_of(words, code), code.replace("function", "cunction"))
    check = verify_blocks([block], words, 0)
    assert check.blocks[0].text.split() == code.split()


def test_repetitive_neighbours_keep_their_own_lines(tmp_path) -> None:
    # Lorem-ipsum pages: the first paragraph's text also matches the second one's tail, and its
    # drifted box reaches the second's first line; the second must not be dropped as a duplicate
    first_text = ("Lorem ipsum dolor sit amet, consetetur sadipscing elitr, sed diam nonumy eirmod tempor "
                  "invidunt ut labore et dolore magna aliquyam erat. Lorem ipsum dolor sit amet.")
    second_text = ("Duis autem vel eum iriure dolor in hendrerit in vulputate velit esse molestie consequat, "
                   "vel illum dolore eu feugiat nulla facilisis. Lorem ipsum dolor sit amet.")
    words = _one_page(tmp_path, [((72, 100, 540, 150), first_text), ((72, 152, 540, 202), second_text)])
    a, b = box_of(words, first_text), box_of(words, second_text)
    drifted = (a[0], a[1] + 14, a[2], a[3] + 14)  # down over the second paragraph's first line
    misread = first_text.replace("dolore", "dolorc")
    blocks = [blk(0, Label.PARAGRAPH, drifted, misread), blk(1, Label.PARAGRAPH, b, second_text)]
    check = verify_blocks(blocks, words, 0)
    texts = [x.text for x in sorted(check.blocks, key=lambda x: x.order)]
    assert texts == [first_text, second_text]
    assert check.dropped == 0 and check.omissions == 0


def test_a_paragraph_beside_a_drifted_table_is_an_omission_its_cells_are_not(words) -> None:
    cells_box = box_of(words, " ".join(c for row in CELLS for c in row))
    up = (cells_box[0], cells_box[1] - 40, cells_box[2], cells_box[3] - 40)  # drifted towards PARA2
    # read column by column: the cells' order disagrees with the page's, so the table stays
    # unverified and keeps its drifted box
    by_columns = [list(col) for col in zip(*CELLS)]
    table = blk(2, Label.TABLE, up, "\n".join("\t".join(r) for r in by_columns), html=table_html(by_columns))
    blocks = [blk(0, Label.HEADING, box_of(words, HEADING), HEADING),
              blk(1, Label.PARAGRAPH, box_of(words, PARA1), PARA1), table]  # PARA2 left out
    check = verify_blocks(blocks, words, 0)
    omitted = [b.text for b in check.blocks if b.meta["verify"]["status"] == "omission"]
    assert first(check.blocks, Label.TABLE).bbox == up
    assert omitted == [PARA2]


# -- a block's own text that the page does not have (repeats, inventions), short misread blocks ----
def test_a_line_the_model_wrote_twice_is_repaired_to_one_copy(words) -> None:
    wrong = PARA1.replace("measurements", "rneasurements").replace("three", "tree").replace("growth", "grovvth")
    twice = wrong + " " + wrong.replace("valley", "vallev")  # a one-line block written twice
    blocks = [blk(0, Label.HEADING, box_of(words, HEADING), HEADING),
              blk(1, Label.PARAGRAPH, box_of(words, PARA1), twice)]
    check = verify_blocks(blocks, words, 0)
    body = [b.text for b in sorted(check.blocks, key=lambda b: b.order) if b.label == Label.PARAGRAPH]
    assert body[0] == PARA1 and body.count(PARA1) == 1  # once, and no omission repeating it
    para = next(b for b in check.blocks if b.meta.get("model_text") == twice)
    assert para.meta["verify"]["status"] == "repaired" and para.meta["verify"]["trimmed"] == "repeated"
    assert para.meta["verify"]["score"] < 0.5  # the model's text as written scores low ...
    assert check.hallucinations >= 1 and check.dropped == 0  # ... and is flagged


def test_an_invented_sentence_after_a_short_block_is_left_out_keeping_the_block(words) -> None:
    made_up = HEADING + ". Quarterly revenue in Europe grew by twelve percent compared with last year."
    blocks = [blk(0, Label.HEADING, box_of(words, HEADING), made_up, level=1),
              blk(1, Label.PARAGRAPH, box_of(words, PARA1), PARA1)]
    check = verify_blocks(blocks, words, 0)
    head = first(check.blocks, Label.HEADING)
    assert head.text == HEADING and head.level == 1
    assert head.meta["verify"]["trimmed"] == "not on the page" and head.meta["verify"]["status"] == "repaired"
    assert HEADING not in [b.text for b in check.blocks if b.meta["verify"]["status"] == "omission"]


def test_a_text_the_page_has_elsewhere_is_not_trimmed_as_invented(words) -> None:
    # the heading's box, the heading and PARA2 (which the page has, below): no trim, no drop
    blocks = [blk(0, Label.HEADING, box_of(words, HEADING), HEADING + " " + PARA2)]
    check = verify_blocks(blocks, words, 0)
    assert "trimmed" not in check.blocks[0].meta["verify"]


def test_a_short_block_with_every_word_misread_is_repaired(words) -> None:
    south = box_of(words, "South")
    check = verify_blocks([blk(0, Label.HEADING, south, "Soutn")], words, 0)
    head = first(check.blocks, Label.HEADING)
    assert head.text == "South" and head.meta["verify"]["status"] == "repaired"
    assert check.dropped == 0


def test_an_invented_block_drawn_just_off_the_words_is_dropped(words) -> None:
    true = box_of(words, PARA1)
    above = (true[0], true[1] - 14, true[2], true[1] - 2)  # drifted: no word centre inside
    made_up = "Quarterly revenue in Europe grew by twelve percent compared with last year."
    blocks = [blk(0, Label.PARAGRAPH, true, PARA1), blk(1, Label.PARAGRAPH, above, made_up)]
    check = verify_blocks(blocks, words, 0)
    assert made_up not in [b.text for b in check.blocks]
    assert check.hallucinations == 1 and check.dropped == 1


def test_a_dropped_invented_block_no_longer_lowers_the_agreement(words) -> None:
    made_up = "Quarterly revenue in Europe grew by twelve percent compared with last year."
    cells = "\n".join("\t".join(r) for r in CELLS)
    blocks = [blk(0, Label.HEADING, box_of(words, HEADING), HEADING),
              blk(1, Label.PARAGRAPH, box_of(words, PARA1), PARA1),
              blk(2, Label.PARAGRAPH, box_of(words, PARA2), PARA2),
              blk(3, Label.PARAGRAPH, box_of(words, PARA2), made_up),
              blk(4, Label.TABLE, box_of(words, cells), cells, html=table_html(CELLS)),
              blk(5, Label.PAGE_NUMBER, box_of(words, "7"), "7")]
    blocks[5].order = None
    check = verify_blocks(blocks, words, 0)
    assert check.dropped == 1 and check.hallucinations == 1  # still a flag: ranks samples
    assert check.agreement == 1.0  # what the page keeps agrees with it


def test_a_paragraph_under_a_table_with_the_same_words_is_an_omission(tmp_path) -> None:
    import pymupdf

    cells = [["Register", "Value"], ["USER", "the user of the session"], ["SYSTEM", "the name of the system"]]
    para = "The user of the system and the name of the session"  # every key is in the table
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    for r, row in enumerate(cells):
        for c, cell in enumerate(row):
            page.insert_text((80 + 150 * c, 100 + 16 * r), cell, fontsize=11)
    page.insert_text((80, 160), para, fontsize=11)
    doc.save(tmp_path / "t.pdf")
    doc.close()
    with pymupdf.open(tmp_path / "t.pdf") as doc:
        words = text_layer_words(doc[0])
        text = "\n".join("\t".join(r) for r in cells)
        box = box_of(words, " ".join(c for row in cells for c in row))
        down = (box[0], box[1] + 20, box[2], box[3] + 20)  # drifted towards the paragraph
        check = verify_blocks([blk(0, Label.TABLE, down, text, html=table_html(cells))], words, 0)
    omitted = [b.text for b in check.blocks if b.meta["verify"]["status"] == "omission"]
    assert omitted == [para]


def test_a_misread_section_number_is_repaired_not_lost(tmp_path) -> None:
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    page.insert_text((72, 100), "1", fontsize=14)
    page.insert_text((92, 100), "Introduction", fontsize=14)
    page.insert_textbox(pymupdf.Rect(72, 120, 540, 170), PARA1, fontsize=11)
    doc.save(tmp_path / "h.pdf")
    doc.close()
    with pymupdf.open(tmp_path / "h.pdf") as doc:
        words = text_layer_words(doc[0])
        head = blk(0, Label.HEADING, box_of(words, "1 Introduction"), "l Introduction")  # "1" read as "l"
        check = verify_blocks([head, blk(1, Label.PARAGRAPH, box_of(words, PARA1), PARA1)], words, 0)
    assert first(check.blocks, Label.HEADING).text == "1 Introduction"


def test_a_running_head_the_model_left_out_is_furniture_not_body_text(tmp_path) -> None:
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    page.insert_text((72, 40), "Journal of Examples 12 (2007) 119-123", fontsize=9)  # in the top 7.5 %
    page.insert_textbox(pymupdf.Rect(72, 120, 540, 170), PARA1, fontsize=11)
    page.insert_text((72, 770), "To read this journal online: www.example.org", fontsize=9)
    doc.save(tmp_path / "f.pdf")
    doc.close()
    with pymupdf.open(tmp_path / "f.pdf") as doc:
        words = text_layer_words(doc[0])
        check = verify_blocks([blk(0, Label.PARAGRAPH, box_of(words, PARA1), PARA1)], words, 0)
    by_text = {b.text: b for b in check.blocks}
    head, foot = by_text["Journal of Examples 12 (2007) 119-123"], by_text["To read this journal online: www.example.org"]
    assert head.label == Label.HEADER and foot.label == Label.FOOTER
    assert head.order is None and foot.order is None and head.meta["verify"]["status"] == "omission"
    assert [b.text for b in check.blocks if b.order is not None] == [PARA1]
    assert check.omissions == 2
