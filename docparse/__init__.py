"""docparse: PDFs and page images to structured HTML, Markdown, JSON and QwenVL HTML."""

from docparse.document import Block, Document, Label, ListItem, Page, PageStatus

__version__ = "0.1.0"

__all__ = ["Block", "Document", "Label", "ListItem", "Page", "PageStatus", "__version__"]
