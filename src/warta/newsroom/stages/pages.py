"""Fetching an entry's page and extracting the article from it."""

from __future__ import annotations

import hashlib
from datetime import datetime

from django.db import transaction

from warta.core.document import Document
from warta.core.encoding import decode_html
from warta.core.errors import ExtractError, FetchError
from warta.core.extract import extract_article
from warta.core.fetch import fetch_url
from warta.newsroom.models import Article, Entry
from warta.newsroom.stages._common import (
    S,
    _advance,
    _cfg,
    _record_entry_error,
)
from warta.newsroom.stages.sources import body_page


def _fetch_page(entry: Entry, lease: datetime) -> str:
    try:
        page = fetch_url(entry.url, timeout=_cfg("fetch.timeout"),
                         max_bytes=_cfg("fetch.max_bytes"))
    except FetchError as e:
        if entry.content and (e.status in (401, 402, 403, 404, 410, 451)):
            # the feed carries the full body: publish from it rather than not at all
            return _advance(entry, lease, S.FETCHED, html=body_page(entry.title, entry.content),
                            final_url=entry.url)
        raise
    html = decode_html(page.content, page.encoding)
    return _advance(entry, lease, S.FETCHED, html=html, final_url=page.url)


def _extract(entry: Entry, lease: datetime) -> str:
    """A source's bad ``extract_rules`` raise ConfigError: recorded and retried, since an
    operator fixing the rules makes the retry succeed."""
    from warta.core.extract_rules import ExtractRules

    rules = ExtractRules.from_dict(entry.source.extract_rules)
    try:
        doc = extract_article(entry.html, entry.final_url or entry.url, rules=rules)
    except ExtractError as e:
        return _record_entry_error(entry, lease, e, permanent=True)
    doc = _fill_from_feed(doc, entry)
    text_hash = hashlib.sha256(doc.text.encode("utf-8")).hexdigest()
    with transaction.atomic():
        Article.objects.filter(entry=entry).delete()  # a re-run replaces, never duplicates
        Article.objects.create(
            entry=entry, language=doc.language or entry.source.language, url=doc.url,
            canonical_url=doc.canonical_url, title=doc.title[:1000], byline=doc.byline[:500],
            published=doc.published or entry.published, dateline=doc.dateline[:200],
            image=doc.image.to_dict() if doc.image else None,
            blocks=[b.to_dict() for b in doc.blocks], syndication_note=doc.syndication_note,
            text_hash=text_hash,
        )
        return _advance(entry, lease, S.EXTRACTED)


def _fill_from_feed(doc: Document, entry: Entry) -> Document:
    """The feed's own title/image/date win where the page gave none."""
    from warta.core.document import Image

    if not doc.title:
        doc.title = entry.title
    if doc.image is None and entry.image:
        doc.image = Image.from_dict(entry.image)
    if doc.published is None:
        doc.published = entry.published
    return doc
