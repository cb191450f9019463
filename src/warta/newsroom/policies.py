"""Periodic newsroom work: scheduled stories going out, licence expiry coming in.

Both runners call :func:`run_periodic` on every scheduler pass (``warta run``'s scheduler
thread, ``warta beat``'s sweeper), so nothing needs a cron job. Each step is idempotent
and safe to run from several processes at once: publishing goes through
:func:`review.approve` (one Post per entry, ever) and expiry through :func:`review.kill_post`
(a killed post is not killed again).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from warta.core.errors import WartaError
from warta.newsroom import review
from warta.newsroom.models import Entry, Post, Source, Translation

log = logging.getLogger("warta.newsroom")

EXPIRY_REASON = "licence expiry"


@dataclass
class PeriodicResult:
    published: int = 0
    expired: int = 0


def publish_due(now: datetime | None = None) -> int:
    """Publish every scheduled story whose time has come (still in review, ``publish_at``
    reached). The post's publication time is the scheduled time. Returns how many went out;
    a story that cannot be published is logged and left in the queue."""
    now = now or timezone.now()
    due = (Translation.objects.filter(publish_at__lte=now,
                                      article__entry__status=Entry.Status.IN_REVIEW)
           .select_related("scheduled_by").order_by("publish_at", "id"))
    published = 0
    for t in due:
        when = t.publish_at
        try:
            post = review.approve(t, t.scheduled_by, note=f"scheduled for {when.isoformat()}"
                                  if when else "scheduled")
        except WartaError as e:
            log.warning("scheduled translation %s not published: %s", t.pk, e)
            continue
        if when is not None and post.published_at != when:
            Post.objects.filter(pk=post.pk).update(published_at=when)
        published += 1
    return published


def expired_posts(now: datetime | None = None) -> list[Post]:
    """Published posts older than their source's ``expire_after_days`` (by publication
    time)."""
    now = now or timezone.now()
    condition = Q()
    for pk, days in (Source.objects.filter(expire_after_days__isnull=False)
                     .values_list("pk", "expire_after_days")):
        condition |= Q(entry__source_id=pk, published_at__lt=now - timedelta(days=days))
    if not condition:
        return []
    return list(Post.objects.filter(condition, status=Post.Status.PUBLISHED).order_by("id"))


def expire_posts(now: datetime | None = None) -> int:
    """Kill (410 Gone, out of feeds, sitemaps and search) every post whose licence has
    expired, with the reason "licence expiry" in the audit log (actor: system). Returns how
    many."""
    return sum(review.kill_post(post, None, EXPIRY_REASON) for post in expired_posts(now))


def run_periodic(now: datetime | None = None) -> PeriodicResult:
    """One pass of both steps; the runners call this and log a failure, never die of it."""
    result = PeriodicResult(published=publish_due(now), expired=expire_posts(now))
    if result.published or result.expired:
        log.info("newsroom: %d scheduled stor(y/ies) published, %d expired",
                 result.published, result.expired)
    return result
