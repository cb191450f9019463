""""Most read": a daily view counter per post (``PostView``) and the home page's list.

An article view costs one ``UPDATE … SET views = views + 1`` of today's row (the site's
time zone); only the first view of a post on a day inserts the row. The write runs in its
own savepoint and any database error (a locked SQLite file, a read-only replica) is logged
and ignored: a counter must never cost a reader the page. Counts are approximate by design
(views served from the page cache are added in batches by warta/site/cache.py).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F, QuerySet, Sum
from django.utils import timezone

from warta.newsroom.models import Post, PostView
from warta.site.render import site_zone

log = logging.getLogger(__name__)
MOST_READ_DAYS = 7
MOST_READ_COUNT = 5


def site_today(now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(ZoneInfo(site_zone())).date()


def count_view(post_id: int, now: datetime | None = None) -> None:
    """Add one view of ``post_id`` today. Never raises a database error."""
    day = site_today(now)
    try:
        with transaction.atomic():
            updated = PostView.objects.filter(post_id=post_id, day=day).update(
                views=F("views") + 1
            )
            if updated:
                return
        try:
            with transaction.atomic():
                PostView.objects.create(post_id=post_id, day=day, views=1)
        except IntegrityError:  # a concurrent first view inserted the row first
            with transaction.atomic():
                PostView.objects.filter(post_id=post_id, day=day).update(views=F("views") + 1)
    except DatabaseError:
        log.warning("could not count a view of post %s", post_id, exc_info=True)


def most_read(visible: QuerySet[Post], days: int = MOST_READ_DAYS,
              limit: int = MOST_READ_COUNT, now: datetime | None = None) -> list[Post]:
    """The ``limit`` visible posts with the most views over the last ``days`` days
    (today included), most first; ties go to the newer post."""
    since = site_today(now) - timedelta(days=days - 1)
    # ids first, grouped by id alone: grouping the full rows (translations included) made
    # SQLite sort every visible post's body on each home page render
    ranked = list(
        visible.filter(daily_views__day__gte=since)
        .values("id")
        .annotate(recent_views=Sum("daily_views__views"))
        .filter(recent_views__gt=0)
        .order_by("-recent_views", "-published_at", "-id")
        .values_list("id", flat=True)[:limit]
    )
    posts = visible.in_bulk(ranked)
    return [posts[pk] for pk in ranked if pk in posts]
