"""What happens to a subscriber: subscribe (double opt-in), confirm, change preferences,
unsubscribe, export, delete. Views and the CLI call these; no HTTP here.

``request_subscription`` answers nothing about the address: the caller shows the same
"check your inbox" page whatever happened. What the owner of the address gets:
a new or pending address gets a confirmation link, an active one a note that it is already
subscribed (with its preference and unsubscribe links), and no more than
``newsletter.subscribe_limit`` such mails an hour, however many people ask.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from warta.newsroom.models import Category
from warta.reader.mail import already_subscribed_mail, confirmation_mail
from warta.reader.models import Send, Subscriber

log = logging.getLogger("warta.reader")
RATE_WINDOW = 3600  # seconds


def allow(bucket: str, ident: str, limit: int | None = None) -> bool:
    """Count one more request for ``ident`` in ``bucket``; False once it has made more than
    ``limit`` (default ``newsletter.subscribe_limit``) in the current hour. Uses Django's
    cache: per process with the default local-memory cache, shared with Redis/Memcached."""
    limit = int(settings.WARTA["newsletter.subscribe_limit"]) if limit is None else limit
    key = "warta:reader:rate:" + bucket + ":" + hashlib.sha256(ident.encode()).hexdigest()
    if cache.add(key, 1, RATE_WINDOW):
        return limit >= 1
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, RATE_WINDOW)
        count = 1
    return count <= limit


def _set_preferences(subscriber: Subscriber, name: str, frequency: str,
                     categories: Iterable[Category]) -> None:
    subscriber.name = name
    subscriber.frequency = frequency
    subscriber.save()
    subscriber.categories.set(list(categories))


def request_subscription(email: str, name: str = "", frequency: str = "daily",
                         categories: Iterable[Category] = ()) -> None:
    """Record a subscription request for a validated, lower-cased ``email`` and mail its
    owner. An active subscriber's choices are never changed from here (anyone may type
    anyone's address): they change them through the signed preferences link."""
    with transaction.atomic():
        subscriber, _created = Subscriber.objects.get_or_create(email=email)
        active = subscriber.status == Subscriber.Status.ACTIVE
        if not active:
            if subscriber.status == Subscriber.Status.UNSUBSCRIBED:
                subscriber.status = Subscriber.Status.PENDING
                subscriber.unsubscribed_at = None
            _set_preferences(subscriber, name, frequency, categories)
    if not allow("mail", email):
        log.info("subscribe: mail limit reached for subscriber %s", subscriber.pk)
        return
    mail = already_subscribed_mail(subscriber) if active else confirmation_mail(subscriber)
    try:
        mail.send()
    except (smtplib.SMTPException, OSError) as e:
        # the page still says "check your inbox": asking again later sends a new link
        log.warning("subscribe: could not mail subscriber %s: %s", subscriber.pk, e)


def confirm(subscriber: Subscriber) -> None:
    """Idempotent: confirming twice keeps the first ``confirmed_at``."""
    if subscriber.status != Subscriber.Status.ACTIVE:
        subscriber.status = Subscriber.Status.ACTIVE
        subscriber.confirmed_at = subscriber.confirmed_at or timezone.now()
        subscriber.save(update_fields=["status", "confirmed_at"])


def update_preferences(subscriber: Subscriber, name: str, frequency: str,
                       categories: Iterable[Category]) -> None:
    with transaction.atomic():
        _set_preferences(subscriber, name, frequency, categories)


def unsubscribe(subscriber: Subscriber) -> None:
    """Idempotent. Mails of issues not yet sent to them are cancelled."""
    with transaction.atomic():
        if subscriber.status != Subscriber.Status.UNSUBSCRIBED:
            subscriber.status = Subscriber.Status.UNSUBSCRIBED
            subscriber.unsubscribed_at = timezone.now()
            subscriber.save(update_fields=["status", "unsubscribed_at"])
        subscriber.sends.filter(status=Send.Status.PENDING).update(
            status=Send.Status.CANCELLED)


def export_subscriber(subscriber: Subscriber) -> dict[str, Any]:
    """Everything warta holds about one subscriber (``warta subscribers export``)."""

    def iso(value: Any) -> str | None:
        return value.isoformat() if value else None

    return {
        "email": subscriber.email,
        "name": subscriber.name,
        "status": subscriber.status,
        "frequency": subscriber.frequency,
        "categories": sorted(subscriber.categories.values_list("slug", flat=True)),
        "created": iso(subscriber.created),
        "confirmed_at": iso(subscriber.confirmed_at),
        "unsubscribed_at": iso(subscriber.unsubscribed_at),
        "sends": [
            {"issue": s.issue_id, "frequency": s.issue.frequency, "status": s.status,
             "sent_at": iso(s.sent_at)}
            for s in subscriber.sends.select_related("issue").order_by("id")
        ],
    }


def delete_subscriber(email: str) -> bool:
    """Remove the subscriber and their send history; False when there is none."""
    deleted, _ = Subscriber.objects.filter(email=email.strip().lower()).delete()
    return deleted > 0
