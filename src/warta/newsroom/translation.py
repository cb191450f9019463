"""Glue between the stored article and the configured translation engine."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import F

from warta.core.document import Document
from warta.core.errors import ModelNotInstalledError
from warta.core.translate.base import Translator
from warta.core.translate.document import DocumentTranslation, translate_document_checked
from warta.core.translate.glossary import Glossary, glossary_for
from warta.core.translate.memory import MemoryItem
from warta.core.translate.models import ModelStore
from warta.core.translate.routing import translator_for_pair

log = logging.getLogger("warta.translate")


@dataclass
class TranslationResult:
    doc: Document
    engine: str
    model_id: str
    status: str  # "done" | "untranslated"
    flags: list[dict[str, str]] = field(default_factory=list)  # Flag.to_dict(), see document.py
    checked: DocumentTranslation | None = None  # per-block flags and costs, when translated

    def block_dicts(self) -> list[dict[str, Any]]:
        """The blocks to store: ``Block.to_dict()``, with ``"flags"`` where a block has any."""
        if self.checked is not None:
            return self.checked.block_dicts()
        return [b.to_dict() for b in self.doc.blocks]


def model_store(cfg: Any = None) -> ModelStore:
    cfg = cfg or settings.WARTA
    return ModelStore(Path(cfg["translate.models_dir"]))


def configured_translator(source: str, target: str, engine: str | None = None,
                          cfg: Any = None) -> Translator:
    """The translator for this pair: its engines from config in fallback order (only
    ``engine`` when given), pivoting through ``translate.pivot`` when no engine can do the
    pair directly (see ``core.translate.routing``). Make one per document: its ``name`` and
    ``model_id`` tell afterwards which engine produced the text. Raises
    ModelNotInstalledError when nothing can translate the pair."""
    cfg = cfg or settings.WARTA
    return translator_for_pair(source, target, getattr(cfg, "values", cfg),
                               store=model_store(cfg), engine=engine)


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
    checked = translate_document_checked(doc, translator, source, target,
                                         glossary=configured_glossary(source, target),
                                         memory=DatabaseSegmentMemory(),
                                         localise=bool(settings.WARTA.get(
                                             "translate.localise_numbers", False)))
    log.info("translated %s: %d segments, %d from memory, %d sent in %d engine calls%s",
             doc.url, checked.segments, checked.memory_hits, checked.engine_inputs,
             checked.engine_calls, f", flags: {checked.flag_dicts()}" if checked.flags else "")
    # provenance of the engine(s) that produced the text; sized for the stored columns
    return TranslationResult(checked.doc, engine=translator.name[:50],
                             model_id=translator.model_id[:200], status="done",
                             flags=checked.flag_dicts(), checked=checked)


def configured_glossary(source: str, target: str, cfg: Any = None) -> Glossary:
    """The glossary ``translate.glossary`` names for the pair (read once per process per
    file version). Raises ConfigError for a missing or malformed file."""
    cfg = cfg or settings.WARTA
    setting = str(cfg.get("translate.glossary", "") or "")
    path = Path(setting.replace("{pair}", f"{source}-{target}")).expanduser()
    try:
        stamp = path.stat().st_mtime_ns if path.is_file() else 0
    except OSError:
        stamp = -1
    return _glossary(setting, source, target, stamp)


@lru_cache(maxsize=32)
def _glossary(setting: str, source: str, target: str, stamp: int) -> Glossary:
    return glossary_for(setting, source, target)


class DatabaseSegmentMemory:
    """``SegmentMemory`` in the ``TranslationMemory`` table, shared by every worker.
    A lookup counts a hit on each entry found; storing a key already there changes nothing."""

    def get_many(self, keys: Sequence[str]) -> dict[str, str]:
        from warta.newsroom.models import TranslationMemory

        found: dict[str, str] = {}
        for start in range(0, len(keys), 500):  # stay under SQLite's parameter limit
            chunk = list(keys[start : start + 500])
            found.update(TranslationMemory.objects.filter(key__in=chunk)
                         .values_list("key", "target_text"))
        hit = list(found)
        for start in range(0, len(hit), 500):
            TranslationMemory.objects.filter(key__in=hit[start : start + 500]).update(
                hits=F("hits") + 1)
        return found

    def put_many(self, items: Iterable[MemoryItem]) -> None:
        from warta.newsroom.models import TranslationMemory

        rows = [TranslationMemory(key=i.key, source_text=i.source_text,
                                  target_text=i.target_text, engine=i.engine[:50],
                                  model_id=i.model_id[:200], source_language=i.source[:16],
                                  target_language=i.target[:16]) for i in items]
        TranslationMemory.objects.bulk_create(rows, ignore_conflicts=True, batch_size=200)
