"""docparse: PDFs and page images to structured HTML, Markdown, JSON and QwenVL HTML.

    import docparse
    doc = docparse.convert("paper.pdf")
    doc.blocks, doc.to_markdown(), doc.to_html(), doc.to_json(), doc.to_qwenvl()
    doc.save("out/paper"); doc.block_image(doc.blocks[0])
"""

__version__ = "0.1.0"

from docparse.api import ConversionResult, convert, convert_many  # noqa: E402
from docparse.document import Block, Continuation, Document, Label, ListItem, Page, PageStatus  # noqa: E402
from docparse.errors import DocparseError, InputError, OptionsError, PasswordError  # noqa: E402

__all__ = [
    "Block", "Continuation", "ConversionResult", "DocparseError", "Document", "InputError", "Label", "ListItem",
    "OptionsError", "Page", "PageStatus", "PasswordError", "__version__", "convert", "convert_many",
]
