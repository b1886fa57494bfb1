"""Scanned pages: Tesseract OCR through PyMuPDF (``ocr``) and turning a sideways scan upright (``orientation``)."""
