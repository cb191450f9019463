"""Translating articles: one at a time, or many entries in shared engine batches."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import IntegrityError, transaction

from warta.core.document import Document
from warta.core.errors import WartaError
from warta.core.translate.batch import translate_documents_checked
from warta.core.translate.document import DocumentTranslation
from warta.core.translate.quality import drop_block_flags, drop_flags, parse_codes
from warta.newsroom import translation as tr
from warta.newsroom.models import Entry, Translation
from warta.newsroom.stages._common import (
    LeaseLost,
    S,
    _advance,
    _cfg,
    article_document,
    log,
)
from warta.newsroom.stages.publishing import _find_duplicate


def _translate(entry: Entry, lease: datetime) -> str:
    article = entry.article
    duplicate = _find_duplicate(entry, article)
    if duplicate is not None:
        return _advance(entry, lease, S.DUPLICATE, duplicate_of=duplicate)
    target = _cfg("translate.target")
    if not Translation.objects.filter(article=article, language=target).exists():
        result = tr.translate_article(article_document(article), article.language, target,
                                      source_label=entry.source.name)
        try:
            with transaction.atomic():
                Translation.objects.create(article=article, language=target,
                                           **_translation_fields(result))
        except IntegrityError:  # a worker whose lease expired stored the same translation
            pass
    return _advance(entry, lease, S.TRANSLATED)


class _PeekMemory(tr.DatabaseSegmentMemory):
    """The shared memory, read without counting hits and never written (pass one, and the
    renders of a batch that may be thrown away)."""

    def get_many(self, keys: Sequence[str]) -> dict[str, str]:
        from warta.newsroom.models import TranslationMemory

        found: dict[str, str] = {}
        for start in range(0, len(keys), 500):
            found.update(TranslationMemory.objects.filter(key__in=list(keys[start:start + 500]))
                         .values_list("key", "target_text"))
        return found

    def put_many(self, items: object) -> None:
        return None


def _translate_documents(docs: list[Document], source: str, target: str,
                         labels: Sequence[str] = ()) -> list[tr.TranslationResult]:
    """Translate ``docs`` with shared engine calls (``core.translate.batch``): one for their
    distinct segments the segment memory lacks, one for all their retries; then each document
    is rendered from the outputs. Raises what the engine raises (``ModelNotInstalledError``,
    ``TranslateError``); the documents before the failure have then been counted and
    remembered, as one-at-a-time translation leaves them. What each document cost is added
    to ``translation.STATS`` under its label (its source's name), once per document: an
    engine call is counted for every document whose segments it carried."""
    translator = tr.configured_translator(source, target)
    results: list[tr.TranslationResult] = []

    def finished(i: int, checked: DocumentTranslation) -> None:
        counts = tr.counts_of(checked)
        label = labels[i] if i < len(labels) else ""
        tr.STATS.record(label, counts)
        log.info("translated %s (%s): %s", docs[i].url, label or "-", counts.describe())
        results.append(tr.TranslationResult(
            checked.doc, engine=translator.name[:50], model_id=translator.model_id[:200],
            status="done", flags=checked.flag_dicts(), checked=checked))

    translate_documents_checked(docs, translator, source, target,
                                glossary=tr.configured_glossary(source, target),
                                memory=tr.DatabaseSegmentMemory(), peek=_PeekMemory().get_many,
                                localise=bool(_cfg("translate.localise_numbers")),
                                finished=finished)
    log.info("translated %d documents (%s→%s) in shared engine calls", len(docs), source,
             target)
    return results


def _store_translation(entry: Entry, lease: datetime, target: str,
                       result: tr.TranslationResult) -> str:
    try:
        with transaction.atomic():
            Translation.objects.create(article=entry.article, language=target,
                                       **_translation_fields(result))
    except IntegrityError:  # a worker whose lease expired stored the same translation
        pass
    try:
        return _advance(entry, lease, S.TRANSLATED)
    except LeaseLost:
        log.info("entry %s: lease lost, another worker finishes it", entry.pk)
        return entry.status


def _translation_fields(result: tr.TranslationResult) -> dict[str, object]:
    """The columns to store; quality checks the site turned off (``translate.quality_ignore``)
    leave no flags."""
    doc = result.doc
    ignore = parse_codes(str(_cfg("translate.quality_ignore") or ""))
    return {"title": doc.title[:1000], "dateline": doc.dateline[:200],
            "image": doc.image.to_dict() if doc.image else None,
            "blocks": drop_block_flags(result.block_dicts(), ignore), "engine": result.engine,
            "model_id": result.model_id, "status": result.status,
            "flags": drop_flags(result.flags, ignore)}


def translate_untranslated(limit: int = 200) -> int:
    """Translate stories published untranslated (the demo policy) once a model is there.
    The post keeps its URL; only its translation changes. Returns how many were done.
    A translation an editor has edited is left alone: their text is never overwritten."""
    pending = (Translation.objects.filter(status=Translation.Status.UNTRANSLATED,
                                          edited_at__isnull=True)
               .select_related("article").order_by("id"))
    done = 0
    for row in pending[:limit]:
        try:
            result = tr.translate_article(article_document(row.article), row.article.language,
                                          row.language)
        except WartaError as e:
            log.warning("translation %s: %s", row.pk, e)
            break
        if result.status != Translation.Status.DONE:
            break  # still no model: nothing to do until one is installed
        done += Translation.objects.filter(pk=row.pk, status=row.status).update(
            **_translation_fields(result))
    return done
