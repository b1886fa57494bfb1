"""Engines turn pages into blocks. ``create_engine`` picks one from the options.

Engines are imported lazily: the layout engine pulls in pymupdf's layout models, the vlm engine
pulls in torch, the remote engine httpx (never torch); none is loaded by ``import docparse``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from docparse.errors import EngineError

if TYPE_CHECKING:  # pragma: no cover
    from docparse.engines.base import Engine
    from docparse.options import ConvertOptions


def create_engine(options: "ConvertOptions") -> "Engine":
    name = options.resolved_engine
    if name == "layout":
        from docparse.engines.layout import LayoutEngine

        return LayoutEngine(ocr=options.ocr, ocr_language=options.ocr_language)
    if name == "vlm":
        model = options.resolved_model
        if not model:
            raise EngineError("the vlm engine needs a model: pass --model DIR_OR_ID or set DOCPARSE_MODEL")
        try:
            from docparse.engines.vlm import VLMEngine
        except ImportError as exc:  # torch or the model package missing
            raise EngineError(
                f"the vlm engine needs torch, safetensors and tokenizers ({exc}): pip install 'docparse[vlm]'"
            ) from exc
        from docparse.verify.engine import with_verification

        return with_verification(VLMEngine.from_options(options), options)
    if name == "remote":
        from docparse.engines.remote import RemoteEngine
        from docparse.verify.engine import with_verification

        return with_verification(RemoteEngine.from_options(options), options)
    raise EngineError(f"unknown engine {name!r}")
