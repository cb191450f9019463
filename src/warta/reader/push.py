"""Telling the world a story changed, without ever failing the publish: WebSub pings to the
configured hub, and instant alert mails to "as it happens" subscribers.

Both start from a ``post_save`` of a ``Post`` (published, revised, killed) or of the
``Translation`` of a published post (an editor's correction), run only once the saving
transaction commits (a rolled-back publish announces nothing), and do their work on a
background thread (``background.py``): the publishing request or stage returns at once,
and an unreachable hub or SMTP server is logged, never raised.

WebSub (https://www.w3.org/TR/websub/): a form-encoded POST ``hub.mode=publish`` and
``hub.url=<feed>`` for every feed that lists the story: the site's RSS, Atom and JSON
feeds, its category's and its tags'. A network error, 429 or 5xx is retried
``websub.retries`` times, waiting ``websub.retry_base`` seconds and doubling; any other
refusal is logged and dropped (the hub said no; asking again will not change it).

Instant alerts are ``send_newsletter("instant")``: the Issue/Send rows make them batched
(stories published within ``newsletter.alert_delay`` seconds share one mail),
rate-limited, resumable and never sent twice. A story scheduled for later is announced
when its time comes (a timer in this process; the cron run covers a restart).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save
from django.urls import reverse
from django.utils import timezone

from warta.newsroom.models import Post, Translation
from warta.reader import background
from warta.reader.models import Frequency, Subscriber

log = logging.getLogger("warta.reader")
FEED_URL_NAMES = ("feed", "feed-atom", "feed-json")
CATEGORY_FEED_URL_NAMES = ("category-feed", "category-feed-atom", "category-feed-json")
TAG_FEED_URL_NAMES = ("tag-feed", "tag-feed-atom", "tag-feed-json")

_pending: set[str] = set()
_pending_lock = threading.Lock()


def hub_url() -> str:
    return str(settings.WARTA["websub.hub"] or "")


def feed_urls(post: Post) -> list[str]:
    """The absolute URLs of every feed that lists ``post`` (the topics a hub knows)."""
    base = str(settings.WARTA["site.base_url"]).rstrip("/")
    urls = [base + reverse(name) for name in FEED_URL_NAMES]
    if post.category_id is not None:
        slug = post.category.slug if post.category else ""
        urls += [base + reverse(n, kwargs={"slug": slug}) for n in CATEGORY_FEED_URL_NAMES]
    for slug in post.tags.values_list("slug", flat=True):
        urls += [base + reverse(n, kwargs={"slug": slug}) for n in TAG_FEED_URL_NAMES]
    return urls


def ping_hub(hub: str, topic: str, *, sleep: Callable[[float], None] = time.sleep) -> bool:
    """Tell ``hub`` that ``topic`` changed. True once the hub answered 2xx; False after a
    refusal or the last retry (logged). Never raises."""
    w = settings.WARTA
    retries = max(0, int(w["websub.retries"]))
    wait = float(w["websub.retry_base"])
    problem = ""
    for attempt in range(retries + 1):
        if attempt:
            sleep(wait)
            wait *= 2
        try:
            response = httpx.post(hub, data={"hub.mode": "publish", "hub.url": topic},
                                  timeout=float(w["websub.timeout"]))
        except httpx.HTTPError as e:
            problem = f"{e.__class__.__name__}: {e}"
            continue
        if 200 <= response.status_code < 300:
            return True
        problem = f"HTTP {response.status_code} {response.text[:200]!r}"
        if response.status_code != 429 and response.status_code < 500:
            log.error("websub: hub %s refused the ping for %s: %s", hub, topic, problem)
            return False
    log.error("websub: hub %s unreachable for %s after %d attempt(s): %s", hub, topic,
              retries + 1, problem)
    return False


def _run_pings() -> None:
    hub = hub_url()
    with _pending_lock:
        topics = sorted(_pending)
        _pending.clear()
    for topic in topics:
        if hub:
            ping_hub(hub, topic)


def announce(post: Post) -> None:
    """Queue pings for the feeds listing ``post`` (when a hub is configured)."""
    if not hub_url():
        return
    urls = feed_urls(post)
    delay = (post.published_at - timezone.now()).total_seconds()
    if delay > 0:  # a scheduled story enters the feeds at its time: ping then
        background.pings.submit(f"websub-at-{post.pk}", lambda: _queue_pings(urls), delay)
        return
    with _pending_lock:
        _pending.update(urls)
    background.pings.submit("websub", _run_pings)


def _queue_pings(urls: list[str]) -> None:
    with _pending_lock:
        _pending.update(urls)
    _run_pings()


def _send_alerts() -> None:
    from warta.reader.newsletter import NewsletterError, send_newsletter

    try:
        report = send_newsletter(Frequency.INSTANT.value)
    except NewsletterError as e:
        log.warning("alerts: %s", e)
        return
    if report.issues:
        log.info("alerts: issues %s, %d sent", report.issues, report.sent)


def alert(post: Post) -> None:
    """Queue an instant-alert run for a newly visible story, if anyone wants alerts."""
    if post.status != Post.Status.PUBLISHED:
        return
    if not Subscriber.objects.filter(status=Subscriber.Status.ACTIVE,
                                     frequency=Frequency.INSTANT).exists():
        return
    batch = float(settings.WARTA["newsletter.alert_delay"])
    until_visible = (post.published_at - timezone.now()).total_seconds()
    if until_visible > batch:  # scheduled: its own timer, not the current batch's
        background.alerts.submit(f"alerts-at-{post.pk}", _send_alerts, until_visible)
    else:
        background.alerts.submit("alerts", _send_alerts, batch)


def _on_commit(post_id: int, created: bool) -> None:
    try:
        post = Post.objects.select_related("category").get(pk=post_id)
        announce(post)
        if created:
            alert(post)
    except Exception:  # announcing must never break the code that published
        log.exception("push: could not queue announcements for post %s", post_id)


def _post_saved(sender: type[Post], instance: Post, created: bool = False,
                raw: bool = False, **_: Any) -> None:
    if raw:
        return
    transaction.on_commit(lambda: _on_commit(instance.pk, created))


def _translation_saved(sender: type[Translation], instance: Translation, raw: bool = False,
                       **_: Any) -> None:
    if raw:
        return
    post_id = Post.objects.filter(translation=instance).values_list("pk", flat=True).first()
    if post_id is not None:
        transaction.on_commit(lambda: _on_commit(post_id, False))


def connect() -> None:
    post_save.connect(_post_saved, sender=Post, dispatch_uid="reader-push-post")
    post_save.connect(_translation_saved, sender=Translation,
                      dispatch_uid="reader-push-translation")
