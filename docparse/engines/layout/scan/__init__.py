"""Scanned pages: Tesseract OCR through PyMuPDF (``ocr``), turning a sideways scan upright
(``orientation``), reading three columns one by one (``columns``), the next page OCRed in a child
process (``ocr_ahead``) and garbled lines read again (``garbled_lines``)."""
