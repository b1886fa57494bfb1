"""Checkpoint profiles: what each Qwen2.5-VL document family expects and how to read its answer.

``PROFILES`` is the registry (one module per family, see ``base.py`` for what a profile holds);
``get_profile`` resolves ``--profile``; ``detect_profile`` picks one from the checkpoint
(config.json ``_name_or_path``, the model card, generation_config.json, the folder name) or, for
the remote engine, the served model name, and says in one line what it chose and how to
override it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from docparse.errors import OptionsError
from docparse.profiles.base import Profile

DEFAULT_PROFILE = "qwenvl-html"


def _load() -> dict[str, Profile]:
    from docparse.profiles import (
        dolphin,
        dotsocr,
        infinity_parser,
        monkeyocr,
        nanonets,
        olmocr,
        qwen_spotting,
        qwenvl_html,
        rolmocr,
    )

    modules = (qwenvl_html, olmocr, nanonets, rolmocr, infinity_parser, dolphin, monkeyocr, dotsocr, qwen_spotting)
    return {m.PROFILE.name: m.PROFILE for m in modules}


PROFILES: dict[str, Profile] = _load()

#: Families checked before the base models (a fine-tune's card names its base model too);
#: RolmOCR before olmOCR, whose name it contains.
_DETECT_ORDER = ("rolmocr", "olmocr", "nanonets", "infinity-parser", "dolphin", "monkeyocr", "dotsocr", "qwenvl-html")


def get_profile(name: str) -> Profile:
    """The profile called ``name``; ``OptionsError`` naming the known ones otherwise."""
    try:
        return PROFILES[name.strip().lower()]
    except KeyError:
        raise OptionsError(f"unknown profile {name!r}; known: {', '.join(PROFILES)} (see `docparse profiles`)") from None


def match_name(text: str) -> Profile | None:
    """The family whose id appears in ``text`` (a model id, a path, a served model name)."""
    low = (text or "").lower()
    for name in _DETECT_ORDER:
        if any(key in low for key in PROFILES[name].detect):
            return PROFILES[name]
    return None


def _card_family(card: str) -> Profile | None:
    """The fine-tune family a model card is about: its front matter / title first, then the
    family it names most often (base-model mentions do not count)."""
    head = card[:2000]
    front = re.findall(r"^(?:model_name|base_model|name|pipeline_tag)\s*:\s*(.+)$|^#\s+(.+)$", head, re.M)
    for a, b in front:
        hit = match_name(a or b)
        if hit is not None and hit.name != DEFAULT_PROFILE:
            return hit
    low = card.lower()
    counts = {n: sum(low.count(k) for k in PROFILES[n].detect) for n in _DETECT_ORDER if n != DEFAULT_PROFILE}
    best = max(counts, key=lambda n: counts[n])
    return PROFILES[best] if counts[best] else None


def detect_profile(model: str | None) -> tuple[Profile, str]:
    """(profile, one-line note) for a checkpoint folder, model id or served model name."""
    override = "override with --profile NAME"
    if not model:
        return PROFILES[DEFAULT_PROFILE], f"profile {DEFAULT_PROFILE} (no model named); {override}"
    root = Path(model).expanduser()
    evidence: list[tuple[str, str]] = []
    if root.is_dir():
        for name, key in (("config.json", "_name_or_path"), ("generation_config.json", "_name_or_path")):
            value = _json_field(root / name, key)
            if value:
                evidence.append((f"{name} {key} {value!r}", value))
        card = _read_text(root / "README.md")
        if card:
            fam = _card_family(card)
            if fam is not None:
                evidence.append(("the model card (README.md)", fam.detect[0] if fam.detect else fam.name))
        evidence.append((f"the folder name {root.name!r}", root.name))
    else:
        evidence.append((f"the model name {model!r}", model))
    for why, text in evidence:
        found = match_name(text)
        if found is not None:
            return found, f"profile {found.name} (from {why}); {override}"
    return PROFILES[DEFAULT_PROFILE], (f"profile {DEFAULT_PROFILE} (no known fine-tune in the checkpoint's "
                                       f"config, card or name); {override}")


def resolve_profile(name: str | None, model: str | None) -> tuple[Profile, str]:
    """``--profile`` when given (``auto`` or None: detect from the model)."""
    if name and name.strip().lower() != "auto":
        profile = get_profile(name)
        return profile, f"profile {profile.name} (--profile)"
    return detect_profile(model)


def _json_field(path: Path, key: str) -> str | None:
    try:
        if path.stat().st_size > 1_000_000:
            return None
        value = json.loads(path.read_text(encoding="utf-8")).get(key)
    except (OSError, ValueError, AttributeError, RecursionError):  # a hostile config is no evidence
        return None
    return value if isinstance(value, str) and value.strip() else None


def _read_text(path: Path, limit: int = 200_000) -> str:
    try:
        with path.open("r", encoding="utf-8", errors="replace") as fh:
            return fh.read(limit)
    except OSError:
        return ""


__all__ = ["DEFAULT_PROFILE", "PROFILES", "Profile", "detect_profile", "get_profile", "match_name", "resolve_profile"]
