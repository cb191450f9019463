"""Polling sources: feeds over HTTP and drop folders, storing entries not seen before."""

from __future__ import annotations

import html as html_lib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from warta.core.dropfolder import is_folder_url, read_folder
from warta.core.errors import FeedParseError, FetchError, WartaError
from warta.core.feeds import FeedEntry, parse_feed
from warta.core.fetch import FetchResult, fetch_url
from warta.core.schedule import PollDelay, next_poll_delay
from warta.newsroom.models import Entry, Post, Source
from warta.newsroom.stages._common import (
    LEASE_OWNER,
    S,
    _cfg,
    _lease_delta,
    log,
)


@dataclass
class PollResult:
    source_id: int
    new_entries: int = 0
    not_modified: bool = False
    error: str = ""


def claim_source(source_id: int, *, force: bool = False) -> datetime | None:
    """Take the lease on a source that is due (or any enabled one with ``force``)."""
    now = timezone.now()
    lease = now + _lease_delta()
    due = Q(pk=source_id, enabled=True) & (Q(lease_until__isnull=True) | Q(lease_until__lt=now))
    if not force:
        due &= Q(next_poll__lte=now)
    claimed = Source.objects.filter(due).update(lease_until=lease, lease_owner=LEASE_OWNER)
    return lease if claimed else None


def due_sources() -> list[int]:
    now = timezone.now()
    return list(Source.objects.filter(enabled=True, next_poll__lte=now)
                .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
                .values_list("pk", flat=True))


def poll_source(source_id: int, *, force: bool = False) -> PollResult:
    """Fetch a source's feed (or read its drop folder) and store entries not seen before.
    A 304 changes nothing stored. Errors are recorded on the source (``last_error``) and
    the next poll backs off; 410 Gone disables the source with ``disabled_reason``. When
    the next poll happens is decided by ``core.schedule.next_poll_delay``."""
    result = PollResult(source_id)
    lease = claim_source(source_id, force=force)
    if lease is None:
        return result
    source = Source.objects.get(pk=source_id)
    if is_folder_url(source.url):
        return _poll_folder(source, lease, result)
    try:
        fetched = fetch_url(source.url, etag=source.etag or None,
                            last_modified=source.last_modified or None,
                            timeout=_cfg("fetch.timeout"), max_bytes=_cfg("fetch.max_bytes"))
        parsed = None if fetched.not_modified else parse_feed(
            fetched.content, fetched.url, content_type=fetched.content_type,
            format=source.format)
    except (FetchError, FeedParseError) as e:
        result.error = str(e)
        _record_source_error(source, lease, e)
        return result
    with transaction.atomic():
        if parsed is not None:
            result.new_entries = sum(_store_entry(source, fe) for fe in parsed.entries)
        else:
            result.not_modified = True
        _record_source_success(source, lease, fetched, parsed.ttl if parsed else None)
    return result


def _poll_folder(source: Source, lease: datetime, result: PollResult) -> PollResult:
    """A drop folder: parse new files, store their entries; a bad file is an error on the
    source (``last_error``) while the other files' entries are stored."""
    try:
        read = read_folder(source.url, source.folder_seen or {}, now=time.time(),
                           format=source.format, max_bytes=_cfg("fetch.max_bytes"))
    except FetchError as e:
        result.error = str(e)
        _record_source_error(source, lease, e)
        return result
    now = timezone.now()
    decision = _decide(source, status=200, headers={}, ttl=None, error_count=0)
    if read.pending and decision.seconds > source.min_interval:
        decision = PollDelay(source.min_interval, "files still being written")
    updates: dict[str, object] = {
        "last_fetched": now, "last_http_status": None, "lease_until": None,
        "folder_seen": read.seen, "next_poll": now + timedelta(seconds=decision.seconds),
        "next_poll_reason": decision.reason[:300], "error_count": 0, "last_error": ""}
    if read.errors:
        shown = "; ".join(f"{name}: {message}" for name, message in read.errors[:5])
        more = f" (and {len(read.errors) - 5} more)" if len(read.errors) > 5 else ""
        result.error = f"{len(read.errors)} file(s) could not be read: {shown}{more}"
        log.warning("source %s (%s): %s", source.pk, source.name, result.error)
        updates.update(error_count=source.error_count + 1, last_error=result.error,
                       last_error_at=now)
    with transaction.atomic():
        result.new_entries = sum(_store_entry(source, fe)
                                 for _f, feed in read.feeds for fe in feed.entries)
        Source.objects.filter(pk=source.pk, lease_until=lease).update(**updates)
    return result


def _store_entry(source: Source, fe: FeedEntry) -> bool:
    """Insert a feed entry unless (source, guid) is known. Returns True when new.

    A wire item with a future ``embargo`` waits for it (``next_attempt_at``); one whose
    pub status is canceled/withheld kills the stored entry (and its post), or is stored
    already killed. A body-only item (wire, no web page) starts as fetched from its body."""
    guid = fe.guid[:1000]
    existing = Entry.objects.filter(source=source, guid=guid).first()
    killed = fe.pub_status in ("canceled", "withheld")
    reason = f"withdrawn by the source (pub status {fe.pub_status})"
    if existing is not None:
        if killed and existing.status != S.KILLED:
            _kill_entry(existing, reason)
        return False
    image = None
    if fe.images:
        src, caption, credit = fe.images[0]
        image = {"src": src, "caption": caption, "credit": credit}
    fields: dict[str, object] = {"embargo": fe.embargo}
    if fe.embargo is not None and fe.embargo > timezone.now():
        fields["next_attempt_at"] = fe.embargo
    if not fe.url and fe.content:
        fields.update(status=S.FETCHED, html=_wire_body_page(fe))
    elif not fe.url:
        fields.update(status=S.FAILED, error="the item has neither a body nor a link to fetch")
    if killed:
        fields.update(status=S.KILLED, error=reason)
    try:
        with transaction.atomic():
            Entry.objects.create(
                source=source, guid=guid, url=fe.url, title=fe.title[:1000],
                summary=fe.summary, content=fe.content, image=image,
                categories=list(fe.categories), published=fe.published, **fields,
            )
    except IntegrityError:  # a concurrent poll stored it first
        return False
    return True


def _kill_entry(entry: Entry, reason: str) -> None:
    """The source withdrew the story: the entry stops where it is and its post (if any)
    leaves the site. A worker holding the entry's lease loses it (its result is dropped)."""
    log.info("entry %s (%s): %s", entry.pk, entry.guid, reason)
    Entry.objects.filter(pk=entry.pk).update(status=S.KILLED, error=reason, lease_until=None)
    Post.objects.filter(entry=entry).update(status=Post.Status.KILLED)


def _wire_body_page(fe: FeedEntry) -> str:
    """A page for the extractor made of a wire item's own (sanitised) body."""
    return body_page(fe.title, fe.content, language=fe.language or "", authors=fe.authors)


def body_page(title: str, content_html: str, *, language: str = "",
              authors: Sequence[str] = ()) -> str:
    """Wrap a feed's or wire item's sanitised body in a page the extractor can read.
    ``title`` and ``authors`` are plain text and escaped here."""
    title = html_lib.escape(title)
    lang = html_lib.escape(language, quote=True)
    byline = (f'<p class="byline">By {html_lib.escape(", ".join(authors))}</p>'
              if authors else "")
    return (f'<html lang="{lang}"><head><title>{title}</title></head><body><article>'
            f"<h1>{title}</h1>{byline}{content_html}</article></body></html>")


def _decide(source: Source, *, status: int | None, headers: dict[str, str],
            ttl: int | None, error_count: int) -> PollDelay:
    return next_poll_delay(
        status=status, headers=headers, feed_ttl=ttl, error_count=error_count,
        min_interval=source.min_interval, max_interval=source.max_interval,
        default_interval=source.poll_interval, now=timezone.now())


def _record_source_success(source: Source, lease: datetime, fetched: FetchResult,
                           ttl: int | None) -> None:
    now = timezone.now()
    decision = _decide(source, status=fetched.status, headers=fetched.headers, ttl=ttl,
                       error_count=0)
    updates = {
        "last_fetched": now, "last_http_status": fetched.status, "error_count": 0,
        "last_error": "", "lease_until": None,
        "next_poll": now + timedelta(seconds=decision.seconds),
        "next_poll_reason": decision.reason[:300],
    }
    if not fetched.not_modified:
        updates["etag"] = fetched.etag or ""
        updates["last_modified"] = fetched.last_modified or ""
    if fetched.permanent_redirect_to:
        updates["url"] = fetched.permanent_redirect_to
    Source.objects.filter(pk=source.pk, lease_until=lease).update(**updates)


def _record_source_error(source: Source, lease: datetime, error: WartaError) -> None:
    now = timezone.now()
    count = source.error_count + 1
    status = getattr(error, "status", None)
    retry_after = getattr(error, "retry_after", None)
    decision = _decide(source, status=status, ttl=None, error_count=count,
                       headers={"retry-after": retry_after} if retry_after else {})
    log.warning("source %s (%s): %s", source.pk, source.name, error)
    updates: dict[str, object] = {
        "last_fetched": now, "last_http_status": status, "error_count": count,
        "last_error": str(error), "last_error_at": now, "lease_until": None,
        "next_poll": now + timedelta(seconds=decision.seconds),
        "next_poll_reason": decision.reason[:300],
    }
    if decision.disable:
        log.warning("source %s (%s) disabled: %s", source.pk, source.name, decision.disable)
        updates.update(enabled=False, disabled_reason=decision.disable)
    Source.objects.filter(pk=source.pk, lease_until=lease).update(**updates)
