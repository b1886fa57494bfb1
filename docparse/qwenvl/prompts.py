"""Prompts that ask Qwen2.5-VL for QwenVL HTML (sources: reference/qwen2_5_vl.md §1.1).

The cookbook's recorded 72B output was made with the user text "QwenVL HTML " (trailing space)
and, despite the cell defining a document-parser system prompt, the function default system
prompt "You are a helpful assistant" (no period). The blog uses "QwenVL HTML" and
"QwenVL HTML with image caption" (the latter adds ``div.image caption`` descriptions).
In the user turn the text comes before the image.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The user prompt of the blog (docparsing1/2/4).
QWENVL_HTML = "QwenVL HTML"
#: The user prompt exactly as the cookbook cell sends it (trailing space).
QWENVL_HTML_COOKBOOK = "QwenVL HTML "
#: Asks for a description inside each picture (``<div class="image caption">``), blog docparsing6.
QWENVL_HTML_WITH_IMAGE_CAPTION = "QwenVL HTML with image caption"

#: The system prompt defined in the cookbook's document-parsing cell.
SYSTEM_DOCUMENT_PARSER = (
    "You are an AI specialized in recognizing and extracting text from images. Your mission is to "
    "analyze the image document and generate the result in QwenVL Document Parser HTML format using "
    "specified tags while maintaining user privacy and data integrity."
)
#: The system prompt the cookbook's recorded output was actually made with (``inference`` default).
SYSTEM_COOKBOOK_DEFAULT = "You are a helpful assistant"
#: The chat template's own default, used when no system message is given.
SYSTEM_CHAT_TEMPLATE_DEFAULT = "You are a helpful assistant."


@dataclass(frozen=True)
class Prompt:
    """A system prompt and a user text; the page image follows the text in the user turn."""

    name: str
    system: str
    user: str
    description: str


PROMPTS: dict[str, Prompt] = {
    p.name: p
    for p in (
        Prompt("qwenvl-html", SYSTEM_COOKBOOK_DEFAULT, QWENVL_HTML_COOKBOOK,
               "cookbook: 'QwenVL HTML ' with the system prompt its recorded 72B output used"),
        Prompt("qwenvl-html-parser", SYSTEM_DOCUMENT_PARSER, QWENVL_HTML,
               "'QwenVL HTML' with the cookbook's document-parser system prompt"),
        Prompt("qwenvl-html-caption", SYSTEM_COOKBOOK_DEFAULT, QWENVL_HTML_WITH_IMAGE_CAPTION,
               "'QwenVL HTML with image caption': pictures get a description (div.image caption)"),
    )
}  # fmt: skip

DEFAULT_PROMPT = "qwenvl-html"


def get_prompt(name: str = DEFAULT_PROMPT) -> Prompt:
    """The prompt called ``name``; raises ``OptionsError`` naming the known ones otherwise."""
    try:
        return PROMPTS[name]
    except KeyError:
        from docparse.errors import OptionsError

        raise OptionsError(f"unknown prompt {name!r}; known: {', '.join(sorted(PROMPTS))}") from None


def messages(prompt: Prompt, image: object) -> list[dict]:
    """Chat messages in the cookbook's layout: system, then user = [text, image]."""
    return [
        {"role": "system", "content": prompt.system},
        {"role": "user", "content": [{"type": "text", "text": prompt.user}, {"type": "image", "image": image}]},
    ]
