"""Infinity-Parser (infly/Infinity-Parser-7B): whole-page Markdown, no boxes.

Three prompts are published and they ask for different things; the default here is the README's
vLLM-server prompt because it asks for HTML tables (spans survive) and ``\\( \\)``/``\\[ \\]``
math; ``--prompt cli`` is the ``parser`` CLI's prompt (Markdown tables, ``$ $`` math, the one
olmOCR-bench ran), ``--prompt short`` the transformers example's one-liner.

Request: system ``You are a helpful assistant.``, the image *first*, then the prompt; greedy,
8192 tokens; PDFs at 200 dpi with 200,704 <= pixels <= 1,806,336 (the CLI's min/max_pixels).
The CLI keeps only the inside of a ```` ```markdown ```` fence; so does this reader.
"""

from __future__ import annotations

from docparse.geometry import PageSpace
from docparse.profiles.base import Generation, ImageRule, Profile, PromptChoice, Reading
from docparse.profiles.blocks import BlockBuilder
from docparse.profiles.markdown import read_markdown, unwrap_fence

PROMPT_CLI = (
    "Please convert the image document into Markdown format, strictly following the requirements below:\n"
    "\n"
    "1. **Text Processing**\n"
    "   - Ignore headers and footers, but accurately recognize and extract all other text content from the "
    "image document without guessing or inferring missing parts.\n"
    "   - Convert the recognized text into Markdown format.\n"
    "   - Preserve the original document structure, including titles, paragraphs, and lists.\n"
    "\n"
    "2. **Formula Processing**\n"
    "   - Convert all formulas into LaTeX format.\n"
    "   - Inline formulas should be enclosed in `$ $`.\n"
    "     Example: This is an inline formula $E = mc^{2}$.\n"
    "   - Display (block) formulas should be enclosed in `$$ $$`.\n"
    "     Example:\n"
    "     $$\\text{Distance} = \\text{Speed} \\times \\text{Time}$$\n"
    "\n"
    "3. **Table Processing**\n"
    "   - Convert all tables into Markdown table format.\n"
    "\n"
    "4. **Image Processing**\n"
    "   - Ignore all graphical content in the image document. Do not attempt to describe or convert the images.\n"
    "\n"
    "5. **Output Format**\n"
    "   - Ensure the output Markdown document has a clear and organized structure, with appropriate line "
    "breaks between elements.\n"
    "   - For complex layouts, preserve the original structure and formatting as much as possible.\n"
    "\n"
    "Please strictly adhere to these requirements to ensure accuracy and consistency in the conversion.\n"
)
PROMPT_SERVER = (
    "You are an AI assistant specialized in converting PDF images to Markdown format. Please follow these "
    "instructions for the conversion:\n"
    "\n"
    "        1. Text Processing:\n"
    "        - Accurately recognize all text content in the PDF image without guessing or inferring.\n"
    "        - Convert the recognized text into Markdown format.\n"
    "        - Maintain the original document structure, including headings, paragraphs, lists, etc.\n"
    "\n"
    "        2. Mathematical Formula Processing:\n"
    "        - Convert all mathematical formulas to LaTeX format.\n"
    "        - Enclose inline formulas with \\( \\). For example: This is an inline formula \\( E = mc^2 \\)\n"
    "        - Enclose block formulas with \\\\[ \\\\]. For example: \\[ \\frac{-b \\pm \\sqrt{b^2 - 4ac}}{2a} \\]\n"
    "\n"
    "        3. Table Processing:\n"
    "        - Convert tables to HTML format.\n"
    "        - Wrap the entire table with <table> and </table>.\n"
    "\n"
    "        4. Figure Handling:\n"
    "        - Ignore figures content in the PDF image. Do not attempt to describe or convert images.\n"
    "\n"
    "        5. Output Format:\n"
    "        - Ensure the output Markdown document has a clear structure with appropriate line breaks between "
    "elements.\n"
    "        - For complex layouts, try to maintain the original document's structure and format as closely "
    "as possible.\n"
    "\n"
    "        Please strictly follow these guidelines to ensure accuracy and consistency in the conversion. Your "
    "task is to accurately convert the content of the PDF image into Markdown format without adding any extra "
    "explanations or comments.\n"
    "        "
)
PROMPT_SHORT = "Please transform the document\u2019s contents into Markdown format."


def read_infinity_parser(raw: str, space: PageSpace, page_index: int = 0, source: str = "infinity-parser") -> Reading:
    builder = BlockBuilder(space, page_index, source)
    read_markdown(unwrap_fence(raw or ""), builder)
    return builder.reading()


PROFILE = Profile(
    name="infinity-parser",
    checkpoints=("infly/Infinity-Parser-7B",),
    good_at="whole-page Markdown with layout-aware structure: headings, lists, tables and formulas "
            "(olmOCR-bench 82.5); ignores headers, footers and pictures",
    prompts=(
        PromptChoice("server", PROMPT_SERVER, "README vLLM-server example: HTML tables keep merged cells"),
        PromptChoice("cli", PROMPT_CLI, "the parser CLI's PROMPT (Markdown tables; olmOCR-bench's run)"),
        PromptChoice("short", PROMPT_SHORT, "README transformers example"),
    ),
    order="image-first",
    system="You are a helpful assistant.",
    image=ImageRule(dpi=200, min_pixels=200_704, max_pixels=1_806_336,
                    note="200 dpi, 200,704..1,806,336 pixels (the CLI's min/max_pixels)"),
    generation=Generation(temperature=0.0, max_tokens=8192),
    reader=read_infinity_parser,
    has_boxes=False,
    detect=("infinity-parser", "infinity_parser"),
)
