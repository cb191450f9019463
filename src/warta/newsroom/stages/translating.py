"""Translating articles: one at a time, or many entries in shared engine batches."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import IntegrityError, transaction

from warta.core.document import Document
from warta.core.errors import WartaError
from warta.core.translate.base import Translator
from warta.core.translate.document import translate_document_checked
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
        result = tr.translate_article(article_document(article), article.language, target)
        try:
            with transaction.atomic():
                Translation.objects.create(article=article, language=target,
                                           **_translation_fields(result))
        except IntegrityError:  # a worker whose lease expired stored the same translation
            pass
    return _advance(entry, lease, S.TRANSLATED)


class _Recorder:
    """Pass one of a shared batch: learns the engine inputs, translates nothing."""

    def __init__(self, inner: Translator) -> None:
        self.inner, self.seen = inner, dict[str, None]()

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    def translate_batch(self, texts: list[str], source: str, target: str) -> list[str]:
        self.seen.update(dict.fromkeys(texts))
        return list(texts)


class _Prepared(_Recorder):
    """Pass two: answers from the shared batch; anything else (a retry) goes to the engine."""

    def __init__(self, inner: Translator, done: dict[str, str]) -> None:
        super().__init__(inner)
        self.done = done

    def translate_batch(self, texts: list[str], source: str, target: str) -> list[str]:
        missing = list(dict.fromkeys(t for t in texts if t not in self.done))
        if missing:
            self.done.update(zip(missing, self.inner.translate_batch(missing, source, target),
                                 strict=True))
        return [self.done[t] for t in texts]


class _PeekMemory(tr.DatabaseSegmentMemory):
    """The shared memory, read without counting hits and never written (pass one)."""

    def get_many(self, keys: Sequence[str]) -> dict[str, str]:
        from warta.newsroom.models import TranslationMemory

        found: dict[str, str] = {}
        for start in range(0, len(keys), 500):
            found.update(TranslationMemory.objects.filter(key__in=list(keys[start:start + 500]))
                         .values_list("key", "target_text"))
        return found

    def put_many(self, items: object) -> None:
        return None


def _translate_documents(docs: list[Document], source: str,
                         target: str) -> list[tr.TranslationResult]:
    """Translate ``docs`` with one engine pass over their distinct segments (those the
    segment memory lacks), then render each document from it. Raises what the engine
    raises (``ModelNotInstalledError``, ``TranslateError``)."""
    translator = tr.configured_translator(source, target)
    glossary = tr.configured_glossary(source, target)
    localise = bool(_cfg("translate.localise_numbers"))
    recorder = _Recorder(translator)
    for doc in docs:
        translate_document_checked(doc, recorder, source, target, glossary=glossary,
                                   memory=_PeekMemory(), localise=localise)
    todo = list(recorder.seen)
    done = dict(zip(todo, translator.translate_batch(todo, source, target) if todo else [],
                    strict=True))
    prepared = _Prepared(translator, done)
    results = []
    for doc in docs:
        checked = translate_document_checked(doc, prepared, source, target, glossary=glossary,
                                             memory=tr.DatabaseSegmentMemory(),
                                             localise=localise)
        results.append(tr.TranslationResult(
            checked.doc, engine=translator.name[:50], model_id=translator.model_id[:200],
            status="done", flags=checked.flag_dicts(), checked=checked))
    log.info("translated %d documents (%s→%s) with %d segments in one engine pass",
             len(docs), source, target, len(todo))
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
    doc = result.doc
    return {"title": doc.title[:1000], "dateline": doc.dateline[:200],
            "image": doc.image.to_dict() if doc.image else None,
            "blocks": result.block_dicts(), "engine": result.engine,
            "model_id": result.model_id, "status": result.status, "flags": result.flags}


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
