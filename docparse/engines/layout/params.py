"""Every tuned threshold of the layout engine, by stage, with its unit and the reason for it.

Units: ``_PT`` points (1/72 inch, the page's own unit), ``_PX`` pixels of a render, ``_SHARE``
a fraction (of a page, region or line set, as said), ``_EM`` multiples of a font size or word
height, ``_DPI`` dots per inch, counts without a suffix. Values were tuned on the shared corpus
(benchmarks/QUALITY.md); a change here is a behaviour change and is checked with
``benchmarks/layout_golden.py``.

Two thresholds once had one name in two modules for different things; they have two names now:
``COLUMN_GUTTER_PT`` (4 pt, reading order) vs ``TABLE_GUTTER_PT`` (6 pt, tables side by side),
and ``FURNITURE_MARGIN_SHARE`` (7.5 % of the page height, running heads) vs
``TABLE_RULE_PAD_SHARE`` (3 % of the page, around a scanned table).
"""

from __future__ import annotations

# -- the page as a whole (engine) -----------------------------------------------------------------

#: characters; MuPDF's style collection (used by the layout model and by ``find_tables``) takes
#: time quadratic in a line's length (20,000 characters: 1.7 s, 40,000: 12 s, 200,000: minutes),
#: so a page with a longer line gets plain text regions. Real lines are far shorter (a wide table
#: row: a few hundred).
MAX_LINE_CHARS = 4000
#: square points: the layout model renders the page at 72 dpi, one pixel a point (a 14,400 pt
#: square page: 622 MB of pixels, 1.4 GB peak). Larger pages get heuristic regions; the same
#: cap as an image page's (``source.IMAGE_MAX_PIXELS``, 6,000 x 6,000).
MODEL_MAX_PAGE_AREA = 36_000_000
#: threads computing the layout model's image features in the background (``regions.runner``).
#: ``stream`` has two pages' features in flight (the current page's, the next one's): with one
#: thread the next page's wait behind the current one's. Two run them side by side (same
#: features), but measured on the 9 manuals with about one core free (benchmarks/SPEED.md,
#: 2026-12-03): 85.8 vs 83.3 s wall, 78.1 vs 74.5 CPU s, no gain; kept at one (the session's
#: own pool below is what uses the second core).
FEATURE_THREADS = 1
#: threads of the image-feature network's own session (ONNX Runtime's intra-op pool, spinning
#: off, at most the cores this process may use). Its run is the longest single thing per page
#: (~0.1 CPU s) and, on the first page and wherever the page before finishes early, nothing else
#: runs beside it; with spinning off an idle pool thread sleeps instead of taking the core the
#: page's text work needs. Outputs bit-identical to one thread (117 pages of the manuals and the
#: corpus). Measured on a quiet 2-core machine (R-intro 11-20, whole process, 5 interleaved
#: runs, benchmarks/SPEED.md 2026-12-03 afternoon): 1.95 -> 1.82 s wall, 2.51 -> 2.72 CPU s.
FEATURE_INTRA_OP_THREADS = 2
#: share of the page area: an image larger than this is the page itself, a background or (on a
#: scan) the scan, never a figure
PAGE_IMAGE_SHARE = 0.6

# -- text (text.py) -------------------------------------------------------------------------------

#: font size / height of an OCR row's character boxes (Latin and CJK print)
OCR_EM = 0.8
#: share of the page's median OCR size within which a row's size is snapped to it (sizes read
#: from character boxes wobble; the wobble would split paragraphs)
OCR_SIZE_SNAP_SHARE = 0.25
#: font sizes: an OCR row is cut where its characters leave a wider gap (Tesseract runs rows
#: across gutters)
OCR_ROW_GAP_EM = 1.2
#: font sizes (of the larger print, or of the smaller when it is under half the larger's): a gap
#: narrower than this between two pieces on one row is a word space, so they are one line
WORD_GAP_EM = 1.2
#: times: print less than this many times smaller than its neighbour decides the word gap
SMALL_PRINT_RATIO = 2
#: share of the lower piece's height two pieces must overlap by to sit on one row
SAME_ROW_SHARE = 0.6
#: rows back a piece may join (only recent rows can be at the same height)
RECENT_ROWS = 6
#: font sizes: a gap inside a row wider than this may be a column gutter ...
GUTTER_GAP_EM = 0.5
#: ... when rows within this many above or below have a gap at the same x, this many rows in all
GUTTER_REACH_ROWS = 6
GUTTER_MIN_ROWS = 3
#: font sizes: pieces of one line further apart than this get a space between their texts
SPACE_GAP_EM = 0.15
#: points a box is grown by when asking which lines lie in it
LINE_SLACK_PT = 2.0
#: points: the character width assumed for code without measurable characters
DEFAULT_CHAR_WIDTH_PT = 6.0
#: shares of a block's characters set bold / monospaced for the block to say so
BOLD_CHAR_SHARE = 0.6
MONO_CHAR_SHARE = 0.8
#: font names kept in a block's meta
MAX_FONTS = 8
#: (a garbled, unreadable text layer: docparse/garbled.py, the rule shared with the verifier)
#: share of a page's fonts with a CJK typeface name (SimSun, KaiTi ...) above which a garbled page
#: is OCRed in Chinese with English when the default language (eng) was asked for
CJK_FONT_SHARE = 0.5
#: characters: a line shorter than this is not judged garbled on its own (a symbol, a bullet)
GARBLED_LINE_MIN_CHARS = 8
#: 0..1: a garbled line whose OCR reads this alike (difflib ratio, spaces ignored) keeps its
#: layer text: the characters were real (accented text), only their statistics looked odd
GARBLED_LINE_AGREEMENT = 0.6
#: points: garbled lines closer than this are rendered and OCRed together (one Tesseract call)
GARBLED_LINE_GAP_PT = 12.0
#: points: margin around a garbled line's box in its OCR render (ascenders, descenders)
GARBLED_LINE_PAD_PT = 2.0

# -- scans (scan/) --------------------------------------------------------------------------------

#: dpi of the render Tesseract reads: ~97% word recall on clean scans; 300 dpi costs twice the
#: time for little more
OCR_DPI = 200
#: multi-column scans OCRed column by column (scan/columns.py). A gutter: an x range at least
#: ``OCR_GUTTER_MIN_EM`` text heights wide (a word space is a third of one) that no word of the
#: first reading crosses over ``OCR_COLUMN_BAND_SHARE`` of the text's height or more (a river of
#: justified prose never runs that long); every strip between gutters a column of prose:
#: ``OCR_COLUMN_MIN_ROWS`` rows or more, their median row running over ``OCR_COLUMN_ROW_FILL``
#: of the strip (table cells and number lists do not), ``OCR_COLUMN_MIN_WIDTH_EM`` text heights
#: wide at least (some 15 characters); ``OCR_COLUMN_BAND_MIN_ROWS`` rows in all the strips;
#: bands of columns looked for: ``OCR_COLUMN_MAX_BANDS`` levels (the longest, then above and
#: below it: columns above and below a full-width table)
OCR_GUTTER_MIN_EM = 0.6
#: text heights from a gutter within which rows of both columns end and start (ragged prose
#: ends a few characters short of it; a gap inside one column has no rows beside it)
OCR_GUTTER_FLANK_EM = 3.0
OCR_COLUMN_BAND_SHARE = 0.5
OCR_COLUMN_MIN_ROWS = 4
OCR_COLUMN_BAND_MIN_ROWS = 12
OCR_COLUMN_MAX_BANDS = 2
#: gutters a band needs (three columns): on a two-column scan (OmniDocBench's chroma page) the
#: strips' tighter OCR rows split numbered headings' numbers off as list markers and lose text;
#: two-column scans keep their whole-page reading until that is measured and fixed
OCR_COLUMN_MIN_GUTTERS = 2
OCR_COLUMN_ROW_FILL = 0.7
OCR_COLUMN_MIN_WIDTH_EM = 10.0
#: dpi for orientation detection: letter shapes at ~100 dpi are plenty; more only costs time
OSD_DPI = 100
#: pixels: a poster-sized page is shrunk to this for orientation detection (its time grows with
#: pixels)
OSD_MAX_SIDE_PX = 2000
#: Tesseract's orientation confidence below which the page is kept as it is
OSD_MIN_CONFIDENCE = 2.0
#: seconds: orientation detection that takes longer is given up (the page is kept as it is)
OSD_TIMEOUT_S = 30.0

# -- regions without the model (regions/heuristic.py) ---------------------------------------------

#: share of the page height at its top and bottom where running headers and footers live
FURNITURE_MARGIN_SHARE = 0.075
#: lines and characters: a region at most this big in a margin band is a running head or foot
FURNITURE_MAX_LINES = 2
FURNITURE_MAX_CHARS = 120
#: line heights: a line joins the paragraph above when the gap between them is under this (and
#: the lines do not overlap by more than this either: superscripts, tight leading)
PARAGRAPH_LINE_GAP_EM = 0.5
#: share of the font size two lines' sizes may differ by and still be one paragraph's style
SAME_STYLE_SIZE_SHARE = 0.15
#: paragraphs still open that a new line may join (the most recent ones, bottom up)
OPEN_PARAGRAPHS = 8
#: font sizes: a first line set in by this much (and the next line back at the left edge, within
#: ``INDENT_BACK_EM``) starts a paragraph, as in CJK books without space between paragraphs
FIRST_LINE_INDENT_EM = 1.0
INDENT_BACK_EM = 0.5
#: points: the font size assumed when nothing measures one (a page without text, OCR rows
#: without characters)
DEFAULT_BODY_SIZE_PT = 10.0
#: times the body font size from which a short region is a heading ("larger than the body")
HEADING_SIZE_RATIO = 1.12
#: times the body font size from which a short region near the top is the page's title
TITLE_SIZE_RATIO = 1.6
#: share of the page height above which (heuristic regions) a title stands
TITLE_TOP_SHARE = 0.35
#: share of the page height above which a heading the model found may be promoted to the title
PROMOTED_TITLE_TOP_SHARE = 0.4
#: the other headings' size must stay under this share of the title's for it to be promoted
PROMOTED_TITLE_LEAD_SHARE = 0.9
#: lines and characters of a heading: at most 3 lines, under 150 characters (bold text under 90)
HEADING_MAX_LINES = 3
HEADING_MAX_CHARS = 150
BOLD_HEADING_MAX_CHARS = 90
#: characters: a one-line numbered, emphasised region under this is a section heading, not a list
NUMBERED_HEADING_MAX_CHARS = 80
#: numbering depth: a one-line bold or italic region numbered this deep ("2.4.") is a subsection
#: heading even in the body's size ("1." alone starts numbered list items too often)
SUBSECTION_MIN_DEPTH = 2
#: times the body font size under which a region low on the page is a footnote
FOOTNOTE_SIZE_RATIO = 0.85
#: share of the page height below which small text is a footnote
FOOTNOTE_TOP_SHARE = 0.75
#: points: embedded images smaller than this on a side are left out (bullets, rules, icons)
IMAGE_MIN_SIDE_PT = 12.0
#: points: a vector figure is at least this big on each side
VECTOR_FIGURE_MIN_SIDE_PT = 30.0
#: share of the page area: a vector cluster larger than this is a page background
VECTOR_BACKGROUND_SHARE = 0.8
#: share of a vector cluster other regions may cover before it is not a figure of its own
VECTOR_FIGURE_MAX_COVERED = 0.3

# -- tables found by the model (regions/model.py) -------------------------------------------------

#: grid slots from which a table whose words landed in few cells (under ``SPARSE_TABLE_FILL``
#: of them) still counts as a table: the structure says table
SPARSE_TABLE_SLOTS = 12
SPARSE_TABLE_FILL = 0.25
#: one-column "tables": rows at least, and the share of cells ending in a number (contents, index)
LIST_TABLE_MIN_ROWS = 3
LIST_TABLE_NUMBERED_SHARE = 0.6
#: words per filled cell on average above which a grid is prose, not a table
TABLE_MAX_WORDS_PER_CELL = 12
#: share of a model table box a ruled table must cover to replace the model's cells
RULED_TABLE_MIN_SHARE = 0.5
#: rows (of the box's median row height): a model text box whose lines stand further apart than
#: this is two (a box reaching past a table across the page to the heading below it)
REGION_GAP_EM = 3.0

# -- labels from text (labels.py) -----------------------------------------------------------------

#: lines: a delimited caption ("Figure 1: ...") may run this long, a bare one ("Fig. 1 ...") only
#: ``CAPTION_BARE_MAX_LINES``
CAPTION_MAX_LINES = 5
CAPTION_BARE_MAX_LINES = 2
#: lines: a model heading with an equation number "(12)" in one of its first rows is a formula
EQUATION_NUMBER_MAX_ROWS = 4
#: share of a short line's characters that may be letters for it to be a formula ("a2 + 8 = 12")
MATH_MAX_LETTER_SHARE = 0.5
#: lines of a formula found from its text (a paragraph or heading of symbols)
FORMULA_MAX_LINES = 2
#: CJK characters: a model "formula" with at least this many and no relation or operator sign
#: is CJK text ("第十五期(2016.06)": the model takes short CJK rows with digits for formulas)
MIN_CJK_WORD_CHARS = 2
#: share of a model "formula"'s non-space characters in CJK script above which it is text,
#: signs or not (a formula with a Chinese word or two stays one)
CJK_TEXT_SHARE = 0.5
#: rows of a few characters (``SCATTERED_ROW_CHARS`` at the median) stacked: a graphic's labels
SCATTERED_MIN_ROWS = 3
SCATTERED_ROW_CHARS = 4
#: characters: a row that may stand alone as a heading is 2 to this long
LEAD_HEADING_MAX_CHARS = 40
#: points: list items whose left edges are this close are at one nesting level
LIST_INDENT_STEP_PT = 9.0

# -- pictures and charts the model missed (regions/figures.py) ------------------------------------

#: points: smaller images are bullets, icons and rules
FIGURE_MIN_SIDE_PT = 24.0
#: curves and slanted strokes before drawings can be a chart
CHART_MIN_SLANTED = 12
#: share of all strokes: a table has a diagonal header cell at most
CHART_SLANTED_SHARE = 0.15
#: points: a data point's marker is smaller than this
CHART_MARKER_PT = 10.0
#: drawings on a page beyond which none is weighed as a chart's (a map or a vector-art page: too
#: many shapes to weigh one by one)
MAX_DRAWINGS = 20000
#: points: images that overlap or abut are pieces of one figure
FIGURE_TOUCH_GAP_PT = 1.0
#: points around a plot where its tick values and axis titles stand
CHART_LABEL_REACH_PT = 20.0
#: characters: a chart's text blocks are short (tick values, axis titles, legend entries)
CHART_LABEL_CHARS = 24
#: points a shape may stick out of a box and still be inside it
FIGURE_SLACK_PT = 2.0

# -- reading order and columns (order.py, columns.py) ---------------------------------------------

#: points: narrower gaps between boxes are word or cell spacing, not a column gutter
COLUMN_GUTTER_PT = 4.0
#: a prose column has this many lines at least, most of them over ``PROSE_FILL_SHARE`` of the
#: column's width and ``PROSE_LINE_ASPECT`` times as wide as high (some 20 characters)
PROSE_COLUMN_MIN_LINES = 3
PROSE_FILL_SHARE = 0.6
PROSE_LINE_ASPECT = 10.0
#: lines a region needs before it can be one box over several columns of prose (two or more)
MULTI_COLUMN_MIN_LINES = 6
MIN_PROSE_COLUMNS = 2
#: font sizes: a gap inside a line far wider than a word gap or a tab after a heading number
WIDE_GUTTER_EM = 4.0
#: share of the region's width: a wide gutter is at least this wide (or ``WIDE_GUTTER_EM``, the larger)
WIDE_GUTTER_SHARE = 0.25
#: row heights above and below a gap where lines are looked at to tell a column gutter from a
#: word gap (``columns.is_gutter``): some six rows of each column, not the page
GUTTER_EVIDENCE_REACH_EM = 6.0
#: prose lines standing clear of a gutter on each of its sides, at least, for it to be one (a
#: key/value pair, a table row or a stretched heading has none, or lines across it)
GUTTER_EVIDENCE_MIN_LINES = 2

# -- blocks (blocks.py) ---------------------------------------------------------------------------

#: a model text box on a scan needs this many lines before its first row may be split off as
#: its heading (``LEAD_*``) or the box cut into paragraphs (``SCAN_PARAGRAPH_*``: one more)
LEAD_MIN_LINES = 3
SCAN_PARAGRAPH_MIN_LINES = 4
#: share of the first row's height the second row may start above its bottom: more, and
#: another line shares the first row
LEAD_SHARED_ROW_SHARE = 0.3
#: a lead row is under this share of the prose rows' width, and most prose rows are over
#: ``PROSE_ROW_WIDTH_SHARE`` of it
LEAD_MAX_WIDTH_SHARE = 0.5
PROSE_ROW_WIDTH_SHARE = 0.7
#: row heights: a lead row further above the prose is a banner or running head, not its heading
LEAD_MAX_GAP_EM = 1.5
#: row heights (of the box's median row): a paragraph ends where a row stops this short of the
#: right edge and the next starts set in by ``PARAGRAPH_INDENT_MIN_EM``..``_MAX_EM``, the row
#: after it back within ``PARAGRAPH_BACK_EM`` of the left edge, rows not overlapping by more
#: than ``ROW_OVERLAP_EM``
PARAGRAPH_SHORT_END_EM = 1.5
PARAGRAPH_INDENT_MIN_EM = 0.8
PARAGRAPH_INDENT_MAX_EM = 5
PARAGRAPH_BACK_EM = 0.5
ROW_OVERLAP_EM = 0.5
#: regions whose centres a picture holds to be a background behind them (left out of column cuts)
BACKGROUND_MIN_HELD = 2
#: line heights: a "picture" no taller than this is a band of text and may be cut side by side
TEXT_BAND_MAX_LINES = 3
#: points: a caption is linked to the nearest figure or table overlapping it in x within this
CAPTION_LINK_MAX_GAP_PT = 60

# -- formulas (formula.py) ------------------------------------------------------------------------

#: share of the row's base size: a smaller span may be a script (TeX sets scripts at 70 %, 50 %
#: for second-level ones)
SCRIPT_MAX_SIZE_SHARE = 0.85
#: share of the base size a script's centre sits above (or below) the base's centre; less is the
#: same baseline (small caps, a smaller font in the same row)
SCRIPT_MIN_SHIFT_SHARE = 0.15
#: font sizes: a smaller span whose baseline is at least this much above its line's is a
#: superscript in running text (TeX raises one by ~0.35 em; a smaller font on the same baseline,
#: small caps, is not raised at all)
SUPERSCRIPT_MIN_RISE_EM = 0.2
#: font sizes: ... and at least this much below it, a subscript (TeX lowers one by ~0.15 em)
SUBSCRIPT_MIN_DROP_EM = 0.1
#: font sizes: a numerator or denominator's centre stands within the fraction rule's width, give or
#: take this much (a short part is centred on a longer bar; glyph boxes are wider than the ink)
FRACTION_CENTRE_SLACK_EM = 0.3
#: font sizes: a part of a fraction may overlap its rule by this much (glyph boxes include the
#: font's ascent and descent, which reach past the ink towards the bar)
FRACTION_RULE_OVERLAP_EM = 0.25
#: font sizes: a part's centre is at most this far from its rule (one row of text; a second row
#: further away belongs to the row above or below, not to the fraction)
FRACTION_REACH_EM = 1.2
#: font sizes: pieces whose centres differ by at most this much stand in one row of a formula
#: once its fractions are built (a subscript sits ~0.25 em lower than its base)
FRACTION_ROW_EM = 0.5
#: font sizes: an equation number printed in the formula's last row stands at least this far
#: from the formula's text ("x = f(1)" holds an argument, not a number)
EQUATION_NUMBER_GAP_EM = 1.0
#: row heights: a block that is only an equation number belongs to a formula it shares a row
#: with, or one ending at most this far above it
EQUATION_NUMBER_MAX_GAP_EM = 1.0

# -- the first page's title (title.py) ------------------------------------------------------------

#: share of the page height: the first page's title starts in this top part (below a masthead)
FIRST_PAGE_TITLE_TOP_SHARE = 0.45
#: a title runs over at most this many lines (a longer large block is a lead or a quote) and
#: has at least this many words (a kicker has one to three: ``KICKER_MAX_WORDS``)
TITLE_MAX_LINES = 5
TITLE_MIN_WORDS = 3
KICKER_MAX_WORDS = 3
#: an author line lists at least this many names, and this share of its words look like names
AUTHOR_MIN_NAMES = 3
AUTHOR_NAME_SHARE = 0.8

# -- tables (tables/) -----------------------------------------------------------------------------

#: points: narrowest gap between tables set side by side
TABLE_GUTTER_PT = 6.0
#: text rows each piece of a split table box keeps at least
SPLIT_MIN_ROWS = 3
#: characters: a text line at least this long, with no cell gap, over half the width, is prose
PROSE_CHARS = 15
#: rows with cells in a run, at least, for the run to be kept as a table
MIN_TABLE_ROWS = 3
#: word heights: a gap between words this wide separates cells
CELL_GAP_EM = 1.0
#: share of the page's longer side added around a scanned region: its table's rules may stick out
TABLE_RULE_PAD_SHARE = 0.03
#: row heights: a header band is two full-width rules this far apart (``_MIN_EM`` to ``_MAX_EM``);
#: a rule within ``HEADER_BAND_MAX_EM`` below another one does not start a new table
HEADER_BAND_MIN_EM = 0.6
HEADER_BAND_MAX_EM = 2.5
#: share of a piece's width a one-cell row must span to be a prose line
PROSE_LINE_WIDTH_SHARE = 0.5
#: words a model table box needs before it is looked at for prose around a table
TRIM_MIN_WORDS = 4
#: prose lines in a piece that make it text beside a table, not part of one
TRIM_MIN_PROSE_LINES = 2
#: word heights: rows of one table run are at most this far apart (OCR may drop rows)
RUN_MAX_GAP_EM = 5.0
#: short one-cell rows (under ``SHORT_ROW_WIDTH_SHARE`` of the width) a table run may hold
#: between rows of cells, as an empty value does
RUN_MAX_SHORT_ROWS = 2
SHORT_ROW_WIDTH_SHARE = 0.4
#: points added around a table found in a run of rows
RUN_PAD_PT = 2
#: word heights: words of one text row have centres within this of the row's
ROW_CENTRE_EM = 0.3
#: points: the word height assumed when no word measures one
DEFAULT_WORD_HEIGHT_PT = 10.0
#: share of the smaller cell box's height two boxes of one grid slot may overlap by and still
#: be stacked, one above the other (rows the model ran together, ``tables/stacked.py``)
STACKED_MAX_OVERLAP_SHARE = 0.25
#: slots of one grid row holding stacked boxes at the same heights, at least, for the row to be
#: rows the model ran together (a single slot with two boxes is a cell with a wrapped line)
STACKED_MIN_SLOTS = 2
#: alphanumeric characters an OCR word needs to count as text (OCR reads rules as "|")
OCR_WORD_MIN_ALNUM = 2
#: a scanned rule is at least this long: ``RULE_MIN_LEN_PT`` and ``RULE_MIN_LEN_EM`` word heights
RULE_MIN_LEN_PT = 8.0
RULE_MIN_LEN_EM = 1.2
#: how far apart two rules may be and still be one grid line: this many points, or
#: ``GRID_TOL_EM`` word heights when larger
GRID_TOL_PT = 3.0
GRID_TOL_EM = 0.3
#: share of the region a ruled grid must cover (a smaller ruled box is inside the region), and
#: a grid from rules across only with columns from the word gaps
RULED_GRID_MIN_COVER = 0.5
GUTTER_GRID_MIN_COVER = 0.7
#: cells with text a scanned table needs
MIN_FILLED_CELLS = 2
#: lines each way a clean grid found anywhere on a scan has at least (3 x 3)
PAGE_GRID_MIN_LINES = 3

# -- ruling lines in a scan's pixels (tables/pixel_rules.py) --------------------------------------

#: pixels: the neighbourhood a pixel's darkness is compared with
INK_WINDOW_PX = 31
#: pixels: shortest piece of a line in one pixel row
RULE_MIN_RUN_PX = 12
#: pixels: gap bridged between pieces of one line
RULE_MAX_GAP_PX = 6
#: pixels: rows a line may step between pieces (skew)
RULE_MAX_STEP_PX = 2
#: pixels: thickest line (filled bands and text are thicker)
RULE_MAX_THICK_PX = 6.0
#: share of a line's length its pieces must cover
RULE_MIN_COVER = 0.8
#: pixels: the page is rendered with its longest side at about this many pixels
RULE_TARGET_PX = 2200
#: pixels per point at most for that render (a small page is not blown up further)
RULE_MAX_ZOOM = 3.0
#: grey levels (0-255) a pixel must be darker than its neighbourhood's mean by, at least, and
#: as a share of that mean when larger: light grid lines on a tint count, a flat fill does not
INK_MIN_CONTRAST = 20.0
INK_CONTRAST_SHARE = 0.1
#: pixels: holes this long along a row are filled (a faint line breaks into dashes)
RULE_CLOSE_GAP_PX = 2
#: points (at least ``ERASE_MIN_PAD_PX`` pixels) painted white on each side of a rule before a
#: table is OCRed again
ERASE_PAD_PT = 1.5
ERASE_MIN_PAD_PX = 2
#: a clean grid (a table without the model's word for it): cells with text, at least; rows with
#: text, as a share of its rows; columns with text; cells as a share of its slots (not one big
#: merged box)
CLEAN_GRID_MIN_FILLED = 2
CLEAN_GRID_ROW_SHARE = 0.6
CLEAN_GRID_MIN_COLS = 2
CLEAN_GRID_CELL_SHARE = 0.5
