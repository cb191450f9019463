"""What every stage shares: the lease settings, storing a stage's result only while the
lease is ours, recording errors with back-off."""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from warta.core.document import Document
from warta.core.fetch import retry_delay
from warta.newsroom.models import Article, Entry

log = logging.getLogger("warta.pipeline")
S = Entry.Status
WORKABLE = [S.NEW, S.FETCHED, S.EXTRACTED, S.TRANSLATED]
LEASE_OWNER = f"{socket.gethostname()}:{os.getpid()}"


class LeaseLost(Exception):
    """Our lease expired and another worker took the row over: drop our result."""


def _cfg(key: str):  # type: ignore[no-untyped-def]
    return settings.WARTA[key]


def _lease_delta() -> timedelta:
    return timedelta(seconds=_cfg("pipeline.lease_seconds"))


def _backoff(error_count: int, retry_after: str | None = None) -> timedelta:
    return timedelta(seconds=retry_delay(
        error_count, base=_cfg("pipeline.retry_base"), cap=_cfg("pipeline.retry_cap"),
        retry_after=retry_after,
    ))


def _advance(entry: Entry, lease: datetime, status: str, **fields: object) -> str:
    """Store the stage result on the entry and release it, only while we hold the lease."""
    updated = Entry.objects.filter(pk=entry.pk, lease_until=lease).update(
        status=status, lease_until=None, error="", error_count=0,
        next_attempt_at=timezone.now(), **fields)
    if not updated:
        raise LeaseLost()
    return status


def _release(entry: Entry, lease: datetime) -> None:
    Entry.objects.filter(pk=entry.pk, lease_until=lease).update(lease_until=None)


def _record_entry_error(entry: Entry, lease: datetime, error: Exception,
                        *, permanent: bool = False) -> str:
    now = timezone.now()
    count = entry.error_count + 1
    message = str(error) or error.__class__.__name__
    max_attempts = _cfg("pipeline.max_attempts")
    status = entry.status
    if permanent or (max_attempts and count >= max_attempts):
        status = S.FAILED
    log.warning("entry %s (%s): %s", entry.pk, entry.url, message)
    Entry.objects.filter(pk=entry.pk, lease_until=lease).update(
        error=message, error_count=count, last_error_at=now, lease_until=None, status=status,
        next_attempt_at=now + _backoff(count, getattr(error, "retry_after", None)))
    return status


def article_document(article: Article) -> Document:
    return Document.from_dict({
        "url": article.url, "canonical_url": article.canonical_url, "title": article.title,
        "byline": article.byline, "language": article.language, "dateline": article.dateline,
        "image": article.image, "blocks": article.blocks,
        "syndication_note": article.syndication_note,
        "published": article.published.isoformat() if article.published else None,
    })
