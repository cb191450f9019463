"""Fetching an entry's page and extracting the article from it; grouping near-duplicate
articles into stories."""

from __future__ import annotations

import hashlib
import threading
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from warta.core import cluster
from warta.core.document import Document
from warta.core.encoding import decode_html
from warta.core.errors import ExtractError, FetchError
from warta.core.extract import extract_article
from warta.core.fetch import FetchResult, RobotsCache, fetch_options, fetch_url
from warta.newsroom.models import Article, Entry, Post, Story, StoryBand, Translation
from warta.newsroom.stages._common import (
    S,
    _advance,
    _cfg,
    _record_entry_error,
    log,
)
from warta.newsroom.stages.sources import body_page

STORY_WINDOW = timedelta(days=3)  # near-duplicates are looked for among this recent text
_robots: RobotsCache | None = None
_robots_lock = threading.Lock()


def robots_cache() -> RobotsCache:
    """The process's robots.txt cache (``fetch.robots_ttl``)."""
    global _robots
    with _robots_lock:
        if _robots is None or _robots.ttl != _cfg("fetch.robots_ttl"):
            _robots = RobotsCache(ttl=_cfg("fetch.robots_ttl"))
        return _robots


def _fetch_page(entry: Entry, lease: datetime) -> str:
    options = fetch_options(settings.WARTA)
    try:
        if entry.source.respect_robots:
            _check_robots(entry.url, options)
        page = fetch_url(entry.url, **options)
    except FetchError as e:
        if entry.content and (e.status in (401, 402, 403, 404, 410, 451) or _forbids(e)):
            # the feed carries the full body: publish from it rather than not at all
            return _advance(entry, lease, S.FETCHED, html=body_page(entry.title, entry.content),
                            final_url=entry.url)
        if _forbids(e):
            return _record_entry_error(entry, lease, e, permanent=True)
        raise
    html = decode_html(page.content, page.encoding)
    return _advance(entry, lease, S.FETCHED, html=html, final_url=page.url)


class RobotsRefusal(FetchError):
    """robots.txt forbids the page (``retry`` False) or could not be read (True)."""

    def __init__(self, url: str, reason: str, retry: bool) -> None:
        self.retry = retry
        super().__init__(url, reason)


def _forbids(error: FetchError) -> bool:
    return isinstance(error, RobotsRefusal) and not error.retry


def _check_robots(url: str, options: dict[str, Any]) -> None:
    def get(robots_url: str) -> FetchResult:
        return fetch_url(robots_url, **{**options, "max_bytes": min(options["max_bytes"],
                                                                      512_000)})

    verdict = robots_cache().check(url, get)
    if not verdict.allowed:
        raise RobotsRefusal(url, verdict.reason, verdict.retry)


def _extract(entry: Entry, lease: datetime) -> str:
    """A source's bad ``extract_rules`` raise ConfigError: recorded and retried, since an
    operator fixing the rules makes the retry succeed. A revision of the entry updates its
    article in place (the post and translation hang on it)."""
    from warta.core.extract_rules import ExtractRules

    rules = ExtractRules.from_dict(entry.source.extract_rules)
    try:
        doc = extract_article(entry.html, entry.final_url or entry.url, rules=rules)
    except ExtractError as e:
        return _record_entry_error(entry, lease, e, permanent=True)
    doc = _fill_from_feed(doc, entry)
    text_hash = hashlib.sha256(doc.text.encode("utf-8")).hexdigest()
    fields = {
        "language": doc.language or entry.source.language, "url": doc.url,
        "canonical_url": doc.canonical_url, "title": doc.title[:1000],
        "byline": doc.byline[:500], "published": doc.published or entry.published,
        "dateline": doc.dateline[:200], "image": doc.image.to_dict() if doc.image else None,
        "blocks": [b.to_dict() for b in doc.blocks], "syndication_note": doc.syndication_note,
        "text_hash": text_hash,
        "minhash": cluster.signature(doc.text) if cluster.word_count(doc.text)
        >= cluster.MIN_WORDS else [],
    }
    with transaction.atomic():
        article, created = Article.objects.update_or_create(entry=entry, defaults=fields)
        status = S.EXTRACTED
        if not created:
            status = _revised_article(entry, article)
        result = _advance(entry, lease, status)
    try:
        assign_story(entry.pk)
    except Exception:  # clustering is an optimisation: never lose the extraction over it
        log.exception("entry %s: grouping into a story failed", entry.pk)
    return result


def _revised_article(entry: Entry, article: Article) -> str:
    """The article of an entry seen before was extracted again (a revision). A translation
    nobody published or edited is dropped, so the next stage translates the new text (the
    segment memory sends only changed segments to the engine). An edited translation of an
    unpublished entry goes to an editor. A published post is revised in the publish stage."""
    translation = Translation.objects.filter(article=article,
                                             language=_cfg("translate.target")).first()
    if translation is None or Post.objects.filter(entry=entry).exists():
        return S.EXTRACTED
    if is_edited(translation):
        return S.IN_REVIEW
    translation.delete()
    return S.EXTRACTED


def is_edited(translation: Translation) -> bool:
    """An editor changed this translation (any unit): never overwrite it silently."""
    return bool(translation.edited_at or translation.edited_fields
                or any(isinstance(b, dict) and b.get("edited") for b in translation.blocks))


def assign_story(entry_id: int) -> Story | None:
    """Put the entry into the story of its nearest near-duplicate among recent articles
    (estimated Jaccard ≥ ``core.cluster.THRESHOLD``), creating the story when the match
    has none, and rank the story's entries (``story_rank`` 0 is translated and published,
    the others become duplicates of it). Idempotent; returns the story or None."""
    article = Article.objects.select_related("entry").get(entry_id=entry_id)
    entry = article.entry
    keys = cluster.band_keys(article.minhash or [])
    with transaction.atomic():  # the entry's keys describe its current text only
        StoryBand.objects.filter(entry_id=entry_id).delete()
        StoryBand.objects.bulk_create(StoryBand(key=k, entry_id=entry_id, created=article.created)
                                      for k in keys)
    if not keys:
        return None
    # candidates: recent articles sharing a band key (one indexed look-up, however many
    # articles are stored), confirmed by their estimated similarity
    since = timezone.now() - STORY_WINDOW
    candidates = set(StoryBand.objects.filter(key__in=keys, created__gte=since)
                     .exclude(entry_id=entry_id).values_list("entry_id", flat=True))
    recent = (Article.objects.filter(entry_id__in=candidates, created__gte=since)
              .exclude(entry__status__in=[S.KILLED, S.REJECTED, S.FAILED])
              .values_list("entry_id", "minhash", "entry__story_id"))
    story_of: dict[int, int | None] = {}
    scored = []
    for other_id, sig, story_id in recent:
        score = cluster.similarity(article.minhash, sig or [])
        if score >= cluster.THRESHOLD:
            scored.append((score, -other_id))
            story_of[other_id] = story_id
    if not scored:
        return None
    best = -max(scored)[1]  # the most similar; the earliest entry on a tie
    with transaction.atomic():
        story_id = story_of[best] or entry.story_id
        story = (Story.objects.filter(pk=story_id).first() if story_id else None)
        if story is None:
            story = Story.objects.create(title=article.title[:1000])
        Entry.objects.filter(pk__in=[best, entry_id]).update(story=story)
        rank_story(story)
    return story


def rank_story(story: Story) -> None:
    """Store ``story_rank`` for every entry of the story (``core.cluster.rank_members``).
    An entry an editor chose (``Story.chosen``) stays first while it is not killed or
    rejected: a better source joining later must not undo an editor's decision."""
    chosen = (S.TRANSLATED, S.IN_REVIEW, S.PUBLISHED)
    members = []
    editors = (Entry.objects.filter(pk=story.chosen_id, story=story)
               .exclude(status__in=[S.KILLED, S.REJECTED]).values_list("pk", flat=True)
               .first() if story.chosen_id else None)
    for e in Entry.objects.filter(story=story).select_related("source", "article"):
        article = getattr(e, "article", None)
        words = sum(cluster.word_count(b.get("text", "")) for b in article.blocks) if article else 0
        members.append(cluster.Member(
            key=e.pk, priority=e.source.priority, words=words,
            has_image=bool(article and article.image), has_dateline=bool(article and
                                                                      article.dateline),
            published=(article.published if article else None) or e.published,
            chosen=e.status in chosen or Post.objects.filter(entry=e).exists()))
    ranked = cluster.rank_members(members)
    if editors is not None:
        ranked = [editors, *(pk for pk in ranked if pk != editors)]
    for rank, pk in enumerate(ranked):
        Entry.objects.filter(pk=pk).exclude(story_rank=rank).update(story_rank=rank)


class StoryChoiceError(Exception):
    """An editor's choice of a story's entry that cannot be made (the message says why)."""


def choose_story_entry(entry_id: int, user: Any, *, withdraw_previous: bool = True) -> Entry:
    """An editor chooses this entry to be its story's published one ("use this source
    instead"). It becomes rank 0 for good (``Story.chosen``) and is sent back to the
    translate stage, from where it is published (or goes to review, as its source's
    policy says). The story's previous choice stops being chosen: its post, if any, is
    killed with the reason "replaced by <source>" (its URL answers 410) unless
    ``withdraw_previous`` is False, which keeps it published beside the new one.
    Audit-logged as ``story.choose``. Raises StoryChoiceError for an entry without a
    story, one already chosen, or one killed, rejected or without an article."""
    from warta.newsroom import audit
    from warta.newsroom.review import kill_post

    with transaction.atomic():
        entry = (Entry.objects.select_for_update().select_related("source")
                 .get(pk=entry_id))
        if entry.story_id is None:
            raise StoryChoiceError("the entry belongs to no story")
        if entry.status in (S.KILLED, S.REJECTED, S.FAILED):
            raise StoryChoiceError(f"the entry is {entry.status}: it cannot be published")
        if not Article.objects.filter(entry=entry).exists():
            raise StoryChoiceError("the entry has no extracted article yet")
        story = Story.objects.select_for_update().get(pk=entry.story_id)
        if story.chosen_id == entry.pk or (story.chosen_id is None and entry.story_rank == 0):
            raise StoryChoiceError("the entry is already the story's chosen one")
        previous = list(Entry.objects.filter(story=story, story_rank=0)
                        .exclude(pk=entry.pk).select_related("source"))
        before = {"chosen": [e.pk for e in previous], "entry_status": entry.status}
        story.chosen = entry
        story.save(update_fields=["chosen", "updated"])
        if entry.status == S.DUPLICATE:  # back to the translate stage, as the chosen one
            Entry.objects.filter(pk=entry.pk).update(
                status=S.EXTRACTED, duplicate_of=None, error="", error_count=0,
                lease_until=None, next_attempt_at=timezone.now())
        rank_story(story)
        reason = f"replaced by {entry.source.name}"
        killed = []
        if withdraw_previous:
            for old in previous:
                for post in Post.objects.filter(entry=old):
                    if kill_post(post, user, reason):
                        killed.append(post.pk)
        audit.record(user, "story.choose", story, before=before,
                     after={"chosen": entry.pk, "killed_posts": killed,
                            "withdraw_previous": withdraw_previous},
                     note=f"entry {entry.pk} ({entry.source.name}) chosen" + (
                         f"; {reason}: posts {killed}" if killed else ""))
    entry.refresh_from_db()
    return entry


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
