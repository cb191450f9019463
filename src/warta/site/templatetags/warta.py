"""Template filters: ``{% load warta %}`` then ``{{ post.published_at|format_datetime_id }}``.

Loading ``warta`` also replaces ``{% url %}`` with the memoised one of
:mod:`warta.site.urlmemo` (same syntax and output)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.template import Context
from django.utils.safestring import SafeString

from warta.site.chrome import chrome_html
from warta.site.render import card_image_html
from warta.site.render import format_datetime_id as _format_datetime_id
from warta.site.urlmemo import url_tag

register = template.Library()
register.tag("url", url_tag)


@register.filter
def format_datetime_id(value: datetime | None) -> str:
    """``"Sabtu, 9 September 2023 14:05 WIB"`` in the site's time zone; ``""`` for None."""
    if not isinstance(value, datetime):
        return ""
    return _format_datetime_id(value)


@register.filter
def isoformat(value: datetime | None) -> str:
    """ISO 8601 for ``<time datetime>`` (UTC, as stored)."""
    return value.isoformat() if isinstance(value, datetime) else ""


@register.simple_tag
def card_image(card: Any, lead: bool = False) -> SafeString:
    """The card's thumbnail: ``{% card_image card lead %}`` (the lead story's loads at once)."""
    return card_image_html(card.image, card.url, lazy=not lead)


@register.simple_tag(takes_context=True)
def site_chrome(context: Context, name: str) -> SafeString:
    """``{% site_chrome "site/_masthead.html" %}``: a fragment every page shares, rendered
    once per process for what it shows (see ``warta.site.chrome``)."""
    return chrome_html(context, name)


@register.simple_tag
def card_html(card: Any, lead: bool = False) -> SafeString:
    """A list card, ``{% card_html card lead %}``: ``site/_card.html`` for it (rendered once
    per post within a build, see ``views.card_html``)."""
    from warta.site.views import card_html as render_card

    return render_card(card, lead)
