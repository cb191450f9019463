"""The pipeline stages: load a row → call ``core`` → store the result → advance the status.

Every stage is idempotent and crash-safe:
- work is *claimed* with a lease (``lease_until``) by a compare-and-set UPDATE that works on
  SQLite and PostgreSQL alike; a process killed mid-stage leaves an expired lease that the
  next run reclaims;
- slow work (HTTP, translation) runs outside any transaction; its result is stored and the
  status advanced in one short transaction, and only while the lease is still ours;
- a failure records a readable error on the row and schedules a retry with back-off
  (``core.fetch.retry_delay``); nothing is ever dropped;
- ``Post.entry`` is unique: an entry is published at most once, whatever races.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from warta.core.errors import WartaError
from warta.newsroom.models import Entry, Translation
from warta.newsroom.stages._common import (
    LEASE_OWNER,
    WORKABLE,
    LeaseLost,
    S,
    _cfg,
    _record_entry_error,
    _release,
    article_document,
    log,
)
from warta.newsroom.stages._sql import claim_source
from warta.newsroom.stages.leases import (
    LOST_LEASE_LIMIT,
    claim_entries,
    claim_entry,
    pending_entries,
    reclaim_dead_leases,
    release_entry,
)
from warta.newsroom.stages.pages import _extract, _fetch_page
from warta.newsroom.stages.publishing import _find_duplicate, _publish, publish_translation
from warta.newsroom.stages.sources import (
    PollResult,
    body_page,
    due_sources,
    poll_source,
)
from warta.newsroom.stages.translating import (
    _store_translation,
    _translate,
    _translate_documents,
    _translation_fields,
    translate_untranslated,
)

__all__ = [
    "LEASE_OWNER",
    "LOST_LEASE_LIMIT",
    "WORKABLE",
    "LeaseLost",
    "PollResult",
    "_translation_fields",
    "advance_entry",
    "article_document",
    "body_page",
    "claim_entries",
    "claim_entry",
    "claim_source",
    "due_sources",
    "pending_entries",
    "poll_source",
    "publish_translation",
    "reclaim_dead_leases",
    "release_entry",
    "translate_entries",
    "translate_untranslated",
]


def advance_entry(entry_id: int, lease: datetime) -> str:
    """Run the one stage the entry's status calls for. Returns the new status."""
    entry = Entry.objects.select_related("source").get(pk=entry_id)
    step = {S.NEW: _fetch_page, S.FETCHED: _extract, S.EXTRACTED: _translate,
            S.TRANSLATED: _publish}.get(S(entry.status))
    if step is None:
        _release(entry, lease)
        return entry.status
    try:
        return step(entry, lease)
    except LeaseLost:
        log.info("entry %s: lease lost, another worker finishes it", entry_id)
        return entry.status
    except WartaError as e:
        return _record_entry_error(entry, lease, e)
    except Exception as e:  # a bug: keep the traceback, record it, go on with the rest
        log.exception("entry %s: unexpected error in stage %s", entry_id, entry.status)
        return _record_entry_error(entry, lease, e)


def translate_entries(claims: Sequence[tuple[int, datetime]]) -> dict[int, str]:
    """Translate several claimed ``extracted`` entries with shared engine batches: the
    distinct segments of all their documents go to the engine together (a GPU is fed full
    batches, not one article at a time), then each entry's translation is stored and the
    entry advanced on its own lease, exactly as :func:`advance_entry` would. An entry that is
    in another status, a duplicate or already translated goes through :func:`advance_entry`;
    if the shared batch fails, each entry does, recording its own error. Idempotent like
    every stage. Returns ``{entry_id: new status}``."""
    out: dict[int, str] = {}
    target = _cfg("translate.target")
    batch: list[tuple[Entry, datetime]] = []
    for pk, lease in claims:
        entry = Entry.objects.select_related("source", "article").filter(pk=pk).first()
        if (entry is None or entry.status != S.EXTRACTED
                or _find_duplicate(entry, entry.article) is not None
                or Translation.objects.filter(article=entry.article, language=target).exists()):
            out[pk] = advance_entry(pk, lease)
        else:
            batch.append((entry, lease))
    by_language: dict[str, list[tuple[Entry, datetime]]] = {}
    for entry, lease in batch:
        by_language.setdefault(entry.article.language, []).append((entry, lease))
    for language, group in by_language.items():
        docs = [article_document(entry.article) for entry, _ in group]
        try:
            results = _translate_documents(docs, language, target,
                                           [entry.source.name for entry, _ in group])
        except Exception as e:  # each entry retries alone and records its own error
            log.warning("batch of %d entries (%s→%s): %s; translating one by one",
                        len(group), language, target, e)
            out.update((entry.pk, advance_entry(entry.pk, lease)) for entry, lease in group)
            continue
        for (entry, lease), result in zip(group, results, strict=True):
            out[entry.pk] = _store_translation(entry, lease, target, result)
    return out
