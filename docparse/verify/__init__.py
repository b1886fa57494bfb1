"""Hybrid pages: the model's structure checked against the page's own words (text layer or OCR).

``align`` (shared with the profiles) finds the words a block's text holds; the rest of the
package verifies and repairs blocks, finds omissions and hallucinations, and drives the retry
ladder and best-of-N sampling.
"""
