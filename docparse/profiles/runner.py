"""What an engine needs to run a profile: page jobs for its pages, driven with its own ``ask``.

The vlm engine's ``ask`` is one generation batch per group of alike requests; the remote
engine's is many HTTP requests in flight. MonkeyOCR's regions come from the layout engine,
created here on first use.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from docparse.profiles.base import Generation, PageContext, Profile
from docparse.profiles.jobs import Ask, drive, single_job

if TYPE_CHECKING:  # pragma: no cover
    from docparse.engines.base import PageInput, PageOutput
    from docparse.options import ConvertOptions


class ProfileRunner:
    """A profile with the options that shape its requests (token limit, pixel limits, OCR)."""

    def __init__(self, profile: Profile, prompt: str | None = None, *, source: str, max_tokens: int | None = None,
                 min_pixels: int = 3136, max_pixels: int = 1_605_632, dpi: float = 200.0, ocr: str = "auto",
                 ocr_language: str = "eng", align: bool = True) -> None:
        self.profile = profile
        self.prompt = profile.prompt(prompt).name  # validates --prompt
        if max_tokens is not None and max_tokens != profile.generation.max_tokens:
            self.profile = replace(profile, generation=replace(profile.generation, max_tokens=max_tokens))
        self.source = source
        self.min_pixels, self.max_pixels, self.dpi = min_pixels, max_pixels, dpi
        self.ocr, self.ocr_language, self.align = ocr, ocr_language, align
        self._layout: Any = None

    @classmethod
    def from_options(cls, profile: Profile, options: "ConvertOptions", source: str) -> "ProfileRunner":
        return cls(profile, options.prompt, source=source, max_tokens=options.tokens_for(profile.generation.max_tokens),
                   min_pixels=options.min_pixels, max_pixels=options.max_pixels, dpi=options.dpi, ocr=options.ocr,
                   ocr_language=options.ocr_language)

    @property
    def generation(self) -> Generation:
        return self.profile.generation

    def settings(self) -> dict[str, Any]:
        g = self.profile.generation
        return {"profile": self.profile.name, "prompt": self.prompt, "max_new_tokens": g.max_tokens,
                "temperature": g.temperature, "temperature_ladder": list(g.ladder)}

    def layout_page(self, page: "PageInput") -> "PageOutput":
        if self._layout is None:
            from docparse.engines.layout import LayoutEngine

            self._layout = LayoutEngine(ocr=self.ocr, ocr_language=self.ocr_language)
        return self._layout.process([page])[0]

    def context(self, page: "PageInput") -> PageContext:
        page.options.setdefault("ocr", self.ocr)
        page.options.setdefault("ocr_language", self.ocr_language)
        return PageContext(page=page, source=self.source, min_pixels=self.min_pixels, max_pixels=self.max_pixels,
                           dpi=self.dpi, layout=self.layout_page, align=self.align)

    def job(self, page: "PageInput"):  # noqa: ANN201 - PageJob
        make = self.profile.job or single_job
        return make(self.profile, self.context(page), self.prompt)

    def process(self, pages: list["PageInput"], ask: Ask) -> list["PageOutput"]:
        """One output per page, in order; every round's requests of all pages go to ``ask`` together."""
        return drive([self.job(p) for p in pages], ask, [p.index for p in pages])

    def close(self) -> None:
        if self._layout is not None:
            self._layout.close()
            self._layout = None
