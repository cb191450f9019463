"""Polling sources: feeds over HTTP and drop folders, storing entries not seen before."""

from __future__ import annotations

import functools
import hashlib
import html as html_lib
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from warta.core.download import Download, download_feed
from warta.core.dropfolder import is_folder_url, read_folder
from warta.core.errors import FetchError, WartaError
from warta.core.feeds import FeedEntry
from warta.core.fetch import FetchResult
from warta.core.schedule import PollDelay, next_poll_delay
from warta.core.urlnorm import url_key
from warta.newsroom.models import Entry, Post, Source
from warta.newsroom.stages._common import (
    S,
    _cfg,
    log,
)
from warta.newsroom.stages._sql import (
    _claim_and_load_many,
    _first_elsewhere,
    _insert_entries,
    _stored,
    _update_source,
)


@dataclass
class PollResult:
    source_id: int
    new_entries: int = 0
    not_modified: bool = False
    error: str = ""


def due_sources() -> list[int]:
    now = timezone.now()
    return list(Source.objects.filter(enabled=True, next_poll__lte=now)
                .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
                .values_list("pk", flat=True))


def poll_source(source_id: int, *, force: bool = False) -> PollResult:
    """Fetch a source's feed (or read its drop folder) and store entries not seen before.
    A 304 changes nothing stored. Errors are recorded on the source (``last_error``) and
    the next poll backs off; 410 Gone disables the source with ``disabled_reason``. When
    the next poll happens is decided by ``core.schedule.next_poll_delay``.

    Three steps, which a poll round may run apart (``runner.inline.fetch_sources``: the
    download in another process): :func:`start_poll` (claim; drop folders are read
    there), :func:`download_feed` (network and parsing, no database) and
    :func:`finish_poll` (store, schedule)."""
    started = start_poll(source_id, force=force)
    if isinstance(started, PollResult):
        return started
    lease, source = started
    return finish_poll(source, lease, download_feed(*download_args(source)))


def start_poll(source_id: int, *, force: bool = False
               ) -> PollResult | tuple[datetime, Source]:
    """Claim the source (its lease) and load it. A source not claimed (not due, leased by
    another worker, disabled) gives an empty result; a drop folder is read and stored here
    (local files, nothing to download) and gives its result; a feed gives the lease and
    the source, for :func:`download_feed` and :func:`finish_poll`."""
    return start_polls([source_id], force=force)[0]


def start_polls(source_ids: list[int], *, force: bool = False
                ) -> list[PollResult | tuple[datetime, Source]]:
    """:func:`start_poll` for several sources, claimed in one statement; one answer per id,
    in the order given."""
    claimed = _claim_and_load_many(source_ids, force=force)
    out: list[PollResult | tuple[datetime, Source]] = []
    for pk in source_ids:
        if pk not in claimed:
            out.append(PollResult(pk))
            continue
        lease, source = claimed[pk]
        out.append(_poll_folder(source, lease, PollResult(pk)) if is_folder_url(source.url)
                   else (lease, source))
    return out


def download_args(source: Source) -> tuple[str, str | None, str | None, str, dict[str, Any],
                                           str | None, list[str]]:
    """:func:`download_feed`'s arguments for a claimed source (plain, picklable data)."""
    return (source.url, source.etag or None, source.last_modified or None, source.format,
            fetch_settings(), source.content_digest or None, _item_digests(source))


def _item_digests(source: Source) -> list[str]:
    """The source's ``item_digests`` where they are a list of strings (the admin could
    have saved anything in the JSON field), else none."""
    value = source.item_digests
    if isinstance(value, list) and all(isinstance(d, str) for d in value):
        return value
    return []


_FETCH_KEYS = ("fetch.timeout", "fetch.max_bytes", "fetch.user_agent", "fetch.contact_url",
               "fetch.allow_private", "fetch.per_host")


def fetch_settings() -> dict[str, Any]:
    """The settings ``core.fetch.fetch_options`` reads, as a plain (picklable) dict."""
    return {key: settings.WARTA[key] for key in _FETCH_KEYS}


def finish_poll(source: Source, lease: datetime, download: Download) -> PollResult:
    """Record a download on the claimed source: the error (back-off), a 304 or the same
    body as last time (one statement, no transaction), or the new entries, the body's
    and the items' digests and the next poll, in one transaction. Items the download left
    unread (known by their digest) count as in the document, unread: their guids still
    tell which guids the document repeats (``unreliable_guids``)."""
    result = PollResult(source.pk)
    if download.error is not None:
        result.error = str(download.error)
        _record_source_error(source, lease, download.error)
        return result
    fetched, parsed = download.fetched, download.parsed
    assert fetched is not None
    if parsed is None:
        result.not_modified = True
        _record_source_success(source, lease, fetched, None)
        return result
    with transaction.atomic():
        result.new_entries = store_entries(source, parsed.entries,
                                           known_guids=parsed.known_guids)
        _record_source_success(source, lease, fetched, parsed.ttl, digest=download.digest,
                               item_digests=parsed.item_digests)
    return result


def finish_polls(polls: Sequence[tuple[Source, datetime, Download]]) -> list[PollResult]:
    """:func:`finish_poll` for several downloads in one transaction (a poll round stores
    its finished downloads in batches: one commit instead of one per source). Each source
    is stored in a savepoint of its own: an unexpected exception while storing one (a bug)
    rolls back only that one; the others are committed, then the exception is raised."""
    results: list[PollResult] = []
    if not polls:  # nothing to store: no transaction (SQLite's BEGIN IMMEDIATE locks)
        return results
    failure: Exception | None = None
    with transaction.atomic():
        for source, lease, download in polls:
            try:
                with transaction.atomic():
                    results.append(finish_poll(source, lease, download))
            except Exception as e:  # the first is raised below, once the others are stored
                if failure is None:
                    failure = e
                else:
                    log.exception("source %s (%s): storing its poll failed", source.pk,
                                  source.name)
    if failure is not None:
        raise failure
    return results


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
        result.new_entries = sum(store_entries(source, feed.entries) for _f, feed in read.feeds)
        _update_source(source, lease, updates)
    return result


def unreliable_guids(entries: Sequence[FeedEntry], known_guids: Sequence[str] = ()
                     ) -> set[str]:
    """The guids one feed document gives to more than one item (and the blank guid):
    they cannot tell its stories apart, so those items are known by their URL instead.
    ``known_guids``: those of the document's items left unread (stored already)."""
    seen = Counter(fe.guid for fe in entries)
    seen.update(known_guids)
    return {guid for guid, n in seen.items() if n > 1 or not guid.strip()}


def content_hash(fe: FeedEntry) -> str:
    """sha256 of what a revision can change: title, summary, body, image."""
    image = fe.images[0][0] if fe.images else ""
    text = "\x00".join((fe.title, fe.summary, fe.content, image))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _identity(source: Source, fe: FeedEntry, guid: str, key: str, digest: str,
              shaky: set[str]) -> Entry | None:
    """The stored entry this item is, if any: by guid when the feed's guids can be trusted,
    else (or when the guid is new: some feeds change it every poll) by normalised URL, and
    for an item without a URL by its content."""
    entries = Entry.objects.filter(source=source)
    if fe.guid not in shaky:
        found = entries.filter(guid=guid).first()
        if found is not None:
            return found
    if key:
        return entries.filter(url_key=key).order_by("id").first()
    return entries.filter(content_hash=digest).order_by("id").first()




@dataclass
class _Item:
    """One feed item with what identifies it (see :func:`_store_entry`)."""

    fe: FeedEntry
    guid: str  # as stored: the feed's guid, or url:/hash: for a shaky one
    key: str
    digest: str


def _item(fe: FeedEntry, shaky: set[str]) -> _Item:
    key, digest = url_key(fe.url), content_hash(fe)
    guid = fe.guid[:1000]
    if fe.guid in shaky:
        guid = f"url:{key}" if key else f"hash:{digest}"
    return _Item(fe, guid, key, digest)




def store_entries(source: Source, entries: Sequence[FeedEntry],
                  known_guids: Sequence[str] = ()) -> int:
    """Store one parsed feed document's items; returns how many were new. ``known_guids``:
    the guids of the document's other items, left unread because their bytes are those
    of items stored already (``ParsedFeed.known_guids``).

    The same decisions as :func:`_store_entry` item by item, made in bulk: the stored
    entries the items may be are read in a few queries (by guid, normalised URL and content
    hash, in chunks under SQLite's parameter limit), known items are revised or killed one
    by one (only those that changed cost a query), and the new ones are inserted with one
    multi-row INSERT in a savepoint (:func:`_insert_entries`: what ``bulk_create`` would
    store, without its per-field preparation). Two situations take the item-by-item path
    instead, because only it reproduces them exactly: items of the same document that are the same
    story (the later one would be a revision of the earlier), and an insert that violates
    the (source, guid) constraint — a concurrent poll stored an item first; item by item,
    that one is recognised and not stored twice. Runs inside the caller's transaction."""
    shaky = unreliable_guids(entries, known_guids)
    items = [_item(fe, shaky) for fe in entries]
    if not items:
        return 0
    # identity of one item never depends on another's: a document whose items share one
    # is done item by item, in order, exactly as before
    keys = [it.key for it in items if it.key]
    digests = Counter(it.digest for it in items)
    if (len({it.guid for it in items}) != len(items) or len(set(keys)) != len(keys)
            or any(digests[it.digest] > 1 for it in items if not it.key)):
        return sum(_store_entry(source, fe, shaky) for fe in entries)
    by_guid: dict[str, Entry] = {}
    by_key: dict[str, Entry] = {}
    by_hash: dict[str, Entry] = {}
    guids = {it.guid for it in items if it.fe.guid not in shaky}
    by_guid.update((e.guid, e) for e in _stored(source.pk, "guid", guids))
    for e in _stored(source.pk, "url_key", {it.key for it in items if it.key}):
        by_key.setdefault(e.url_key, e)  # the first stored, as _identity takes
    for e in _stored(source.pk, "content_hash", {it.digest for it in items if not it.key}):
        by_hash.setdefault(e.content_hash, e)
    fresh: list[_Item] = []
    known: list[tuple[Entry, _Item]] = []
    for it in items:
        existing = by_guid.get(it.guid) if it.fe.guid not in shaky else None
        if existing is None:
            existing = by_key.get(it.key) if it.key else by_hash.get(it.digest)
        if existing is None:
            fresh.append(it)
        else:
            known.append((existing, it))
    if len({e.pk for e, _it in known}) != len(known):  # two items revise one entry
        return sum(_store_entry(source, fe, shaky) for fe in entries)
    for existing, it in known:
        _seen_again(existing, it.fe, it.digest)
    if not fresh:
        return 0
    others = _first_elsewhere(source.pk, {it.key for it in fresh if it.key and it.fe.url})
    rows = [_new_row(source, it.fe, it.guid, it.key, it.digest,
                     others.get(it.key) if it.key else None) for it in fresh]
    try:
        with transaction.atomic():
            _insert_entries(rows)
    except IntegrityError:  # a concurrent poll stored some first: item by item decides
        log.info("source %s: concurrent insert, storing %d items one by one", source.pk,
                 len(fresh))
        return sum(_store_entry(source, it.fe, shaky) for it in fresh)
    return len(rows)


def _seen_again(existing: Entry, fe: FeedEntry, digest: str) -> None:
    """A stored item in the feed again: withdrawn (killed), revised, or unchanged."""
    if fe.pub_status in ("canceled", "withheld"):
        if existing.status != S.KILLED:
            _kill_entry(existing, f"withdrawn by the source (pub status {fe.pub_status})")
    else:
        _revise_entry(existing, fe, digest)


def _link(fe: FeedEntry) -> str:
    """The item's link as stored and fetched: none where it is longer than the column
    (``Entry.url``: PostgreSQL refuses the row; a cut link leads nowhere). The item is
    still known by it (``url_key``)."""
    return fe.url if len(fe.url) <= _max_length(Entry, "url") else ""


def _new_row(source: Source, fe: FeedEntry, guid: str, key: str, digest: str,
             other: tuple[int, str] | None) -> dict[str, object]:
    """The row (Entry attname → value) for an item not stored before; ``other`` is the id
    and source name of an entry of another source with the same normalised URL (this one
    is then stored as its duplicate). Columns it does not name take their defaults."""
    fields: dict[str, object] = {"embargo": fe.embargo}
    if fe.embargo is not None and fe.embargo > timezone.now():
        fields["next_attempt_at"] = fe.embargo
    link = _link(fe)
    if not link and fe.content:
        fields.update(status=S.FETCHED, html=_wire_body_page(fe))
    elif not link and fe.url:
        longest = _max_length(Entry, "url")
        fields.update(status=S.FAILED, error=f"the item's link is longer than {longest} "
                                             "characters, and it has no body")
    elif not link:
        fields.update(status=S.FAILED, error="the item has neither a body nor a link to fetch")
    elif other is not None:
        fields.update(status=S.DUPLICATE, duplicate_of_id=other[0],
                      error=f"same URL as entry {other[0]} ({other[1]})")
    if fe.pub_status in ("canceled", "withheld"):
        fields.update(status=S.KILLED,
                      error=f"withdrawn by the source (pub status {fe.pub_status})")
    return {"source_id": source.pk, "guid": guid, "url": link, "title": fe.title[:1000],
            "summary": fe.summary, "content": fe.content, "image": _image(fe),
            "categories": list(fe.categories), "published": fe.published, "url_key": key,
            "content_hash": digest, "version": max(1, fe.version or 1), **fields}


def _store_entry(source: Source, fe: FeedEntry, shaky: set[str] | None = None) -> bool:
    """Insert a feed entry unless it is stored already. Returns True when new.

    The same item is recognised by guid, by normalised URL (``core.urlnorm``: tracking
    parameters, AMP variants ... removed) and, without a URL, by content hash, so a feed
    whose guids are blank, repeated (``shaky``) or new every poll still yields each story
    once. A known item whose content changed (or whose wire ``version`` is higher) becomes
    a new revision of the same entry (:func:`_revise_entry`). An item whose URL another
    source already brought is stored as a duplicate of that entry, without a fetch.

    A wire item with a future ``embargo`` waits for it (``next_attempt_at``); one whose
    pub status is canceled/withheld kills the stored entry (and its post), or is stored
    already killed. A body-only item (wire, no web page) starts as fetched from its body."""
    shaky = shaky if shaky is not None else set()
    it = _item(fe, shaky)
    existing = _identity(source, fe, it.guid, it.key, it.digest, shaky)
    if existing is not None:
        _seen_again(existing, fe, it.digest)
        return False
    other = None
    if it.key and fe.url:
        other = (Entry.objects.filter(url_key=it.key).exclude(source=source)
                 .exclude(status=S.DUPLICATE).order_by("id")
                 .values_list("id", "source__name").first())
    row = Entry(**_new_row(source, fe, it.guid, it.key, it.digest, other))
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:  # a concurrent poll stored it first
        return False
    return True


def _image(fe: FeedEntry) -> dict[str, str] | None:
    if not fe.images:
        return None
    src, caption, credit = fe.images[0]
    return {"src": src, "caption": caption, "credit": credit}


_FINAL = (S.KILLED, S.REJECTED)


def _revise_entry(entry: Entry, fe: FeedEntry, digest: str) -> bool:
    """A stored item seen again: when its content changed, or the wire says it is a higher
    version, it becomes the next revision of the same entry — content replaced, ``version``
    raised, and the entry sent through fetch → extract → translate → publish again (its
    article, translation and post are updated in place, never duplicated). A killed or
    rejected entry stays as it is; an unchanged one is left alone. Returns True if revised."""
    higher = fe.version is not None and fe.version > entry.version
    if not entry.content_hash:  # stored before revisions were tracked: remember, no revision
        Entry.objects.filter(pk=entry.pk, content_hash="").update(content_hash=digest)
        return False
    if entry.status in _FINAL or (digest == entry.content_hash and not higher):
        return False
    version = max(entry.version + 1, fe.version or 0)
    fields: dict[str, object] = {
        "title": fe.title[:1000], "summary": fe.summary, "content": fe.content,
        "image": _image(fe), "categories": list(fe.categories), "content_hash": digest,
        "version": version, "error": "", "error_count": 0, "lease_until": None,
        "next_attempt_at": max(timezone.now(), fe.embargo or timezone.now()),
        "status": S.NEW, "duplicate_of": None}
    if not _link(fe) and fe.content:
        fields.update(status=S.FETCHED, html=_wire_body_page(fe))
    elif not _link(fe):
        return False
    log.info("entry %s (%s): revision %d from the source", entry.pk, entry.guid, version)
    # an entry another worker holds loses its lease: its result for the old text is dropped
    return bool(Entry.objects.filter(pk=entry.pk, version=entry.version).update(**fields))


def _kill_entry(entry: Entry, reason: str) -> None:
    """The source withdrew the story: the entry stops where it is and its post (if any)
    leaves the site. A worker holding the entry's lease loses it (its result is dropped)."""
    from warta.newsroom.review import kill_post

    log.info("entry %s (%s): %s", entry.pk, entry.guid, reason)
    Entry.objects.filter(pk=entry.pk).update(status=S.KILLED, error=reason, lease_until=None)
    for post in Post.objects.filter(entry=entry):
        # the editors' kill path: 410 with the reason, out of search, feeds and sitemaps,
        # caches and WebSub told (signals), an audit event with the system as actor
        kill_post(post, None, reason)


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
                           ttl: int | None, *, digest: str = "",
                           item_digests: list[str] | None = None) -> None:
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
        # a validator longer than its column is not kept (a cut one would never match): the
        # next poll is a plain GET
        for name, value in (("etag", fetched.etag), ("last_modified", fetched.last_modified)):
            updates[name] = value if value and len(value) <= _max_length(Source, name) else ""
    moved = fetched.permanent_redirect_to
    if moved and _may_move(source, moved):
        updates["url"] = moved
    if digest:  # the document just stored: the same bytes next time need no parsing,
        updates["content_digest"] = digest  # the same items in other bytes no reading
        updates["item_digests"] = item_digests or []
    _update_source(source, lease, updates)


@functools.cache
def _max_length(model: type[Entry | Source], name: str) -> int:
    """The length a CharField column of ``model`` takes."""
    return model._meta.get_field(name).max_length or 0


def _may_move(source: Source, url: str) -> bool:
    """Whether the source may take ``url``, where its feed moved for good (301/308): not
    where the URL is longer than the column, nor where another source has it already
    (source URLs are unique; the feed is then polled from its old URL, which redirects)."""
    if len(url) > _max_length(Source, "url"):
        log.warning("source %s (%s): moved to a URL longer than %d characters; kept the old "
                    "one", source.pk, source.name, _max_length(Source, "url"))
        return False
    if Source.objects.filter(url=url).exclude(pk=source.pk).exists():
        log.warning("source %s (%s): moved to %s, the URL of another source; kept the old "
                    "one", source.pk, source.name, url)
        return False
    return True


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
    _update_source(source, lease, updates)
