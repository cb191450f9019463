"""Glue between the stored article and the configured translation engine."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from warta.core.document import Document
from warta.core.errors import ModelNotInstalledError
from warta.core.translate.base import Translator
from warta.core.translate.document import translate_document
from warta.core.translate.engines import get_translator
from warta.core.translate.models import ModelStore

log = logging.getLogger("warta.translate")


@dataclass
class TranslationResult:
    doc: Document
    engine: str
    model_id: str
    status: str  # "done" | "untranslated"


def engine_options(cfg: Any = None) -> dict[str, Any]:
    cfg = cfg or settings.WARTA
    return {
        "device": cfg["translate.device"],
        "compute_type": cfg["translate.compute_type"],
        "beam_size": cfg["translate.beam_size"],
        "inter_threads": cfg["translate.inter_threads"],
        "intra_threads": cfg["translate.intra_threads"],
    }


def model_store(cfg: Any = None) -> ModelStore:
    cfg = cfg or settings.WARTA
    return ModelStore(Path(cfg["translate.models_dir"]))


def configured_translator(source: str, target: str, engine: str | None = None,
                          cfg: Any = None) -> Translator:
    """The engine for this pair from config (or ``engine``). Raises ModelNotInstalledError."""
    cfg = cfg or settings.WARTA
    return get_translator(engine or cfg["translate.engine"], source, target,
                          store=model_store(cfg), options=engine_options(cfg))


def translate_article(doc: Document, source: str, target: str) -> TranslationResult:
    """Translate with the configured engine. With no model installed, either raise
    (policy ``wait``: the entry retries later) or, under the demo policy
    ``publish_untranslated``, return the source text marked as awaiting translation."""
    try:
        translator = configured_translator(source, target)
    except ModelNotInstalledError:
        if settings.WARTA["translate.missing_model"] != "publish_untranslated":
            raise
        return TranslationResult(doc, engine="none", model_id="", status="untranslated")
    translated = translate_document(doc, translator, source, target)
    return TranslationResult(translated, engine=translator.name,
                             model_id=translator.model_id, status="done")
