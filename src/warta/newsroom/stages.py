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

import hashlib
import html as html_lib
import logging
import os
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from warta.core.categories import localise_category
from warta.core.document import Document
from warta.core.dropfolder import is_folder_url, read_folder
from warta.core.encoding import decode_html
from warta.core.errors import ExtractError, FeedParseError, FetchError, WartaError
from warta.core.extract import extract_article
from warta.core.feeds import FeedEntry, parse_feed
from warta.core.fetch import FetchResult, fetch_url, retry_delay
from warta.core.schedule import PollDelay, next_poll_delay
from warta.core.translate.base import Translator
from warta.core.translate.document import translate_document_checked
from warta.newsroom import translation as tr
from warta.newsroom.models import Article, Category, Entry, Post, Source, Translation

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


# ---------------------------------------------------------------- sources

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


# ---------------------------------------------------------------- entries

def claim_entry(entry_id: int | None = None) -> tuple[int, datetime] | None:
    """Lease one entry with work due now (oldest first), or the given one."""
    now = timezone.now()
    due = (Q(status__in=WORKABLE, next_attempt_at__lte=now)
           & (Q(lease_until__isnull=True) | Q(lease_until__lt=now)))
    if entry_id is not None:
        candidates = [entry_id]
    else:
        candidates = list(Entry.objects.filter(due).order_by("next_attempt_at", "id")
                          .values_list("pk", flat=True)[:20])
    for pk in candidates:
        lease = timezone.now() + _lease_delta()
        if Entry.objects.filter(due, pk=pk).update(lease_until=lease, lease_owner=LEASE_OWNER):
            return pk, lease
    return None


def reclaim_dead_leases() -> int:
    """Release leases held by processes of this host that no longer exist (a killed
    ``warta run``), so a restart resumes at once instead of waiting for lease expiry."""
    host = socket.gethostname()
    released = 0
    for model in (Entry, Source):
        owners = (model.objects.filter(lease_until__isnull=False)
                  .exclude(lease_owner="").values_list("lease_owner", flat=True).distinct())
        for owner in set(owners):
            owner_host, _, pid = owner.rpartition(":")
            if owner_host == host and pid.isdigit() and not _pid_alive(int(pid)):
                released += model.objects.filter(lease_owner=owner).update(
                    lease_until=None, lease_owner="")
    return released


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def claim_entries(limit: int = 1, *, ids: Sequence[int] | None = None,
                  statuses: Sequence[str] | None = None) -> list[tuple[int, datetime]]:
    """Lease up to ``limit`` entries with work due now, oldest first: only among ``ids``
    and only in ``statuses`` (default: every workable status) when given. On PostgreSQL the
    candidates are locked with ``SELECT ... FOR UPDATE SKIP LOCKED``, so concurrent claimers
    neither wait for nor take the same rows; elsewhere (SQLite, one writer at a time) each
    row is taken by the compare-and-set of :func:`claim_entry`. Either way a row is leased
    to at most one worker at a time. Returns ``[(entry_id, lease), ...]``."""
    now = timezone.now()
    wanted = [s for s in (statuses or WORKABLE) if s in WORKABLE]
    due = (Q(status__in=wanted, next_attempt_at__lte=now)
           & (Q(lease_until__isnull=True) | Q(lease_until__lt=now)))
    if ids is not None:
        due &= Q(pk__in=list(ids))
    candidates = Entry.objects.filter(due).order_by("next_attempt_at", "id")
    if limit < 1:
        return []
    if connection.vendor == "postgresql":
        lease = now + _lease_delta()
        with transaction.atomic():
            rows = list(candidates.select_for_update(skip_locked=True)
                        .values_list("pk", "lease_until", "error_count")[:limit])
            pks = [pk for pk, old, count in rows if old is None or not _lost_lease(pk, old, count)]
            Entry.objects.filter(pk__in=pks).update(lease_until=lease, lease_owner=LEASE_OWNER)
        return [(pk, lease) for pk in pks]
    claimed: list[tuple[int, datetime]] = []
    rows = candidates.values_list("pk", "lease_until", "error_count")[: limit + 20]
    for pk, old, count in rows:
        if old is not None and _lost_lease(pk, old, count):
            continue
        lease = timezone.now() + _lease_delta()
        if Entry.objects.filter(due, pk=pk).update(lease_until=lease, lease_owner=LEASE_OWNER):
            claimed.append((pk, lease))
            if len(claimed) >= limit:
                break
    return claimed


LOST_LEASE_LIMIT = 5


def _lost_lease(entry_id: int, old_lease: datetime, error_count: int) -> bool:
    """The entry's lease expired: the worker on it died (killed, or crashed by the entry
    itself). Count that as a failed attempt, and after ``LOST_LEASE_LIMIT`` in a row park
    the entry as failed with the reason, so a poisoned entry cannot crash workers forever.
    Only the claimer that sees ``old_lease`` counts it. Returns True when parked."""
    count = error_count + 1
    parked = count >= LOST_LEASE_LIMIT
    message = (f"a worker stopped while working on this entry ({count} time(s) in a row)"
               + ("; parked: look at the entry before retrying it" if parked else ""))
    updated = Entry.objects.filter(pk=entry_id, lease_until=old_lease).update(
        lease_until=None, error=message, error_count=count, last_error_at=timezone.now(),
        **({"status": S.FAILED} if parked else {}))
    if updated:
        log.warning("entry %s: %s", entry_id, message)
    return parked and bool(updated)


def release_entry(entry_id: int, lease: datetime) -> None:
    """Give a claimed entry back untouched (still due now), if the lease is still ours."""
    Entry.objects.filter(pk=entry_id, lease_until=lease).update(lease_until=None)


def pending_entries() -> int:
    """How many entries have work due now (used by ``--until-idle``)."""
    return Entry.objects.filter(status__in=WORKABLE, next_attempt_at__lte=timezone.now()).count()


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


def article_document(article: Article) -> Document:
    return Document.from_dict({
        "url": article.url, "canonical_url": article.canonical_url, "title": article.title,
        "byline": article.byline, "language": article.language, "dateline": article.dateline,
        "image": article.image, "blocks": article.blocks,
        "syndication_note": article.syndication_note,
        "published": article.published.isoformat() if article.published else None,
    })


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
            results = _translate_documents(docs, language, target)
        except Exception as e:  # each entry retries alone and records its own error
            log.warning("batch of %d entries (%s→%s): %s; translating one by one",
                        len(group), language, target, e)
            out.update((entry.pk, advance_entry(entry.pk, lease)) for entry, lease in group)
            continue
        for (entry, lease), result in zip(group, results, strict=True):
            out[entry.pk] = _store_translation(entry, lease, target, result)
    return out


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


def _find_duplicate(entry: Entry, article: Article) -> Entry | None:
    """Exactly the same story already stored from another entry: same canonical URL or the
    same text. (Near-duplicates from other sources are clustered later, not dropped.)"""
    same = Article.objects.exclude(entry=entry).filter(entry__pk__lt=entry.pk)
    match = same.filter(text_hash=article.text_hash).first()
    if match is None and article.canonical_url:
        match = same.filter(canonical_url=article.canonical_url).first()
    return match.entry if match else None


def _publish(entry: Entry, lease: datetime) -> str:
    if not entry.source.auto_publish:
        return _advance(entry, lease, S.IN_REVIEW)
    translation = Translation.objects.get(article=entry.article,
                                          language=_cfg("translate.target"))
    if translation.flags:  # a lost placeholder or changed number: an editor decides
        return _advance(entry, lease, S.IN_REVIEW)
    with transaction.atomic():
        if not Post.objects.filter(entry=entry).exists():
            publish_translation(entry, translation)
        return _advance(entry, lease, S.PUBLISHED)


def publish_translation(entry: Entry, translation: Translation) -> Post:
    """Create the entry's one Post. Raises IntegrityError if it already has one."""
    source = entry.source
    category = _category_for(entry)
    base = slugify(translation.title)[:150] or f"berita-{entry.pk}"
    slug = base if not Post.objects.filter(slug=base).exists() else f"{base}-{entry.pk}"
    article = translation.article
    now = timezone.now()
    return Post.objects.create(
        entry=entry, translation=translation, slug=slug, category=category,
        # never in the future: a source's clock or time zone error must not hide a story
        published_at=min(article.published or entry.published or now, now),
        source_name=source.name, original_url=article.canonical_url or article.url,
        attribution=source.attribution,
    )


def _category_for(entry: Entry) -> Category | None:
    """The source's category as the publisher wrote it; else the feed's first category,
    in the site's language where the name is known ("Business" → "Bisnis")."""
    name = entry.source.category
    if not name and entry.categories:
        name = localise_category(entry.categories[0], _cfg("site.language"))
    if not name:
        return None
    slug = slugify(name)[:100] or "umum"
    category, _ = Category.objects.get_or_create(slug=slug, defaults={"name": name[:100]})
    return category
