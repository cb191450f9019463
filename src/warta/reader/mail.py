"""The mails warta sends readers, built as Django ``EmailMessage`` objects (sending is
``newsletter.py``'s and ``subscriptions.py``'s job).

Every mail is in the site's language, plain text first with an HTML alternative where it
has pictures. Nothing in them tracks the reader: no pixels, no redirecting links; images are
the stories' own. Digests carry RFC 8058 one-click unsubscribe headers (an https link that
accepts ``POST List-Unsubscribe=One-Click``, and a mailto) and the same link in the body.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from babel.dates import format_date
from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from warta.newsroom.models import Post
from warta.reader.models import Frequency, Issue, Subscriber
from warta.reader.tokens import make_token
from warta.site.render import babel_locale, plain_paragraphs, safe_url, site_zone
from warta.site.views import base_url


def site_name() -> str:
    return str(settings.WARTA["site.name"])


def from_address() -> str:
    return str(settings.DEFAULT_FROM_EMAIL)


def mail_domain() -> str:
    address = parseaddr(from_address())[1]
    return address.rpartition("@")[2] or "localhost"


def link(purpose: str, subscriber: Subscriber) -> str:
    """The absolute signed link for ``purpose`` (confirm, preferences, unsubscribe)."""
    path = reverse(f"reader:{purpose}", kwargs={"token": make_token(subscriber, purpose)})
    return base_url() + path


def unsubscribe_headers(subscriber: Subscriber) -> dict[str, str]:
    """RFC 2369 ``List-Unsubscribe`` (https first, then mailto) and RFC 8058's
    ``List-Unsubscribe-Post``: a mail client unsubscribes with one POST, no page to visit."""
    token = make_token(subscriber, "unsubscribe")
    mailto = f"mailto:{parseaddr(from_address())[1]}?subject={quote('unsubscribe ' + token)}"
    return {
        "List-Unsubscribe": f"<{link('unsubscribe', subscriber)}>, <{mailto}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": f"{site_name()} <newsletter.{mail_domain()}>",
    }


def _render(template: str, context: dict[str, Any]) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string(template, context)


def confirmation_mail(subscriber: Subscriber) -> EmailMessage:
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Confirm your subscription to %(site)s") % {"site": site_name()}
        hours = int(settings.WARTA["newsletter.confirm_hours"])
        body = _render("reader/email/confirm.txt", {
            "site_name": site_name(), "confirm_url": link("confirm", subscriber),
            "hours": hours, "subscriber": subscriber})
    return EmailMessage(subject, body, from_address(), [subscriber.email])


def already_subscribed_mail(subscriber: Subscriber) -> EmailMessage:
    """Sent instead of a confirmation when the address is already subscribed: the person
    who asked learns nothing on the page, the owner of the address gets their links."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("You are already subscribed to %(site)s") % {"site": site_name()}
        body = _render("reader/email/already.txt", {
            "site_name": site_name(), "preferences_url": link("preferences", subscriber),
            "unsubscribe_url": link("unsubscribe", subscriber)})
    return EmailMessage(subject, body, from_address(), [subscriber.email])


@dataclass
class Story:
    title: str
    url: str
    excerpt: str
    image_src: str
    image_alt: str
    category: str


def make_story(post: Post) -> Story:
    tr = post.translation
    image = tr.image if isinstance(tr.image, dict) else {}
    paragraphs = plain_paragraphs(tr.blocks or [], limit=1)
    excerpt = paragraphs[0] if paragraphs else ""
    if len(excerpt) > 300:
        excerpt = excerpt[:300].rsplit(" ", 1)[0] + "…"
    return Story(
        title=tr.title,
        url=base_url() + post.get_absolute_url(),
        excerpt=excerpt,
        image_src=safe_url(image.get("src")),
        image_alt=str(image.get("caption") or tr.title),
        category=post.category.name if post.category else "",
    )


def issue_subject(issue: Issue, stories: list[Story]) -> str:
    day = format_date(issue.period_end.astimezone(ZoneInfo(site_zone())), "d MMMM y",
                      locale=babel_locale())
    values = {"site": site_name(), "date": day}
    if issue.frequency == Frequency.INSTANT and len(stories) == 1:
        return f"{site_name()}: {stories[0].title}"  # an alert is titled by its story
    if issue.frequency == Frequency.WEEKLY:
        return _("%(site)s weekly digest, %(date)s") % values
    if issue.frequency == Frequency.INSTANT:
        return _("%(site)s latest news, %(date)s") % values
    return _("%(site)s daily digest, %(date)s") % values


def message_id(issue: Issue, subscriber: Subscriber) -> str:
    """The same for every attempt at this mail, so a server that already took it (a crash
    after its 250, before warta recorded it) can recognise a second copy."""
    return f"<warta.issue{issue.pk}.reader{subscriber.pk}@{mail_domain()}>"


def digest_mail(issue: Issue, subscriber: Subscriber, posts: list[Post],
                now: datetime | None = None) -> EmailMultiAlternatives:
    """The issue as ``subscriber`` gets it: ``posts`` already filtered to their categories."""
    stories = [make_story(p) for p in posts]
    with translation.override(settings.LANGUAGE_CODE):
        subject = issue_subject(issue, stories)
        context = {
            "site_name": site_name(), "site_url": base_url() + "/", "stories": stories,
            "subject": subject, "subscriber": subscriber,
            "preferences_url": link("preferences", subscriber),
            "unsubscribe_url": link("unsubscribe", subscriber),
            "lang": settings.LANGUAGE_CODE,
        }
        text = _render("reader/email/digest.txt", context)
        html = _render("reader/email/digest.html", context)
    headers = {**unsubscribe_headers(subscriber), "Message-ID": message_id(issue, subscriber)}
    mail = EmailMultiAlternatives(subject, text, from_address(), [subscriber.email],
                                  headers=headers)
    mail.attach_alternative(html, "text/html")
    return mail
