"""List pages beside home and category: tag, source ("Dari NDTV"), author (the article's
byline) and the date archive (``/YYYY/``, ``/YYYY/MM/``, ``/YYYY/MM/DD/``, days of the
site's time zone). All paginated like every list (``?page=N``; a page past the end, a
page that is not a number and an impossible date are 404, never an error). A tag, source or
author with no visible post is a 404 too: nothing to show, and nothing for crawlers.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.text import slugify
from django.utils.translation import gettext as _

from warta.newsroom.models import Article, Source, Tag
from warta.site.render import babel_locale, clean_text, site_zone
from warta.site.views import _context, _memo_var, _page, make_card, published_posts

_BYLINE_PREFIX = re.compile(r"^\s*(by|oleh|von|par|por)\s+", re.IGNORECASE)
AUTHOR_CANDIDATES = 5000


def _list_page(request: HttpRequest, title: str, qs: Any, **extra: Any) -> HttpResponse:
    page = _page(request, qs)
    if not page.object_list:
        raise Http404(_("Page not found"))
    cards = [make_card(p) for p in page.object_list]
    return render(request, "site/list.html", _context(title=title, page=page, cards=cards, **extra))


def tag(request: HttpRequest, slug: str) -> HttpResponse:
    obj = get_object_or_404(Tag, slug=slug)
    return _list_page(request, obj.name, published_posts().filter(tags=obj), tag=obj,
                      kicker=_("Tag"))


def source(request: HttpRequest, pk: int) -> HttpResponse:
    obj = get_object_or_404(Source, pk=pk)
    title = _("From %(source)s") % {"source": obj.name}
    return _list_page(request, title, published_posts().filter(entry__source=obj), source=obj)


def clean_byline(byline: str) -> str:
    """``"By Jane Doe"`` → ``"Jane Doe"``: the name a reader would search for."""
    return " ".join(_BYLINE_PREFIX.sub("", clean_text(byline or "")).split())


def author_slug(byline: str) -> str:
    return str(slugify(clean_byline(byline)))[:100].strip("-")


def _bylines_for(slug: str) -> list[str]:
    """The stored bylines (of visible posts) whose slug is ``slug``: looked up by the
    slug's longest word first (cheap), then among all bylines when that finds none (a
    byline with accents slugifies to plain letters the database would not match).
    Within :func:`~warta.site.views.remember_lists` (a build), once per author."""
    memo = _memo_var.get()
    if memo is not None:
        key = f"#bylines:{slug}"
        if key not in memo:
            memo[key] = _find_bylines(slug)
        return list(memo[key])
    return _find_bylines(slug)


def _find_bylines(slug: str) -> list[str]:
    words = sorted(slug.split("-"), key=len, reverse=True)
    base = Article.objects.filter(entry__post__in=published_posts()).exclude(byline="")
    for qs in (base.filter(byline__icontains=words[0]), base):
        names = set(qs.values_list("byline", flat=True).distinct()[:AUTHOR_CANDIDATES])
        found = [n for n in names if author_slug(n) == slug]
        if found:
            return found
    return []


def author(request: HttpRequest, slug: str) -> HttpResponse:
    bylines = _bylines_for(slug)
    if not bylines:
        raise Http404(_("Page not found"))
    name = clean_byline(bylines[0])
    qs = published_posts().filter(translation__article__byline__in=bylines)
    return _list_page(request, name, qs, kicker=_("Author"))


def _day_range(start: date, end: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(site_zone())
    return (datetime.combine(start, time(), zone), datetime.combine(end, time(), zone))


def archive(request: HttpRequest, year: str, month: str | None = None,
            day: str | None = None) -> HttpResponse:
    """Posts published on a day, in a month or in a year (the site's time zone)."""
    try:
        y = int(year)
        if day is not None and month is not None:
            start = date(y, int(month), int(day))
            end = start + timedelta(days=1)
            fmt = "EEEE, d MMMM y"
        elif month is not None:
            start = date(y, int(month), 1)
            end = date(y + (start.month == 12), start.month % 12 + 1, 1)
            fmt = "MMMM y"
        else:
            start, end = date(y, 1, 1), date(y + 1, 1, 1)
            fmt = "y"
    except (ValueError, OverflowError) as e:  # 2023/02/30, year 0, year 9999 + 1
        raise Http404(_("Page not found")) from e
    since, until = _day_range(start, end)
    from babel.dates import format_date

    label = format_date(start, fmt, locale=babel_locale())
    qs = published_posts().filter(published_at__gte=since, published_at__lt=until)
    return _list_page(request, _("Archive: %(date)s") % {"date": label}, qs)
