"""Sitemaps for search engines, and robots.txt pointing to them.

- ``/sitemap.xml``: the sitemap index, listing every page of every section's sitemap.
- ``/sitemap-<section>.xml?p=N``: Django's sitemaps framework; sections ``berita`` (visible
  posts, newest first, ``lastmod`` = last revision), ``kategori`` (categories with visible
  posts, ``lastmod`` = their newest post) and ``halaman`` (the home page). At most
  :data:`SITEMAP_LIMIT` URLs a page (the protocol's 50,000).
- ``/sitemap-news.xml``: a Google News sitemap, posts published in the last
  :data:`NEWS_WINDOW` (at most 1,000), with publication name (``site.name``) and language
  (``site.language``).

URLs are absolute, from ``site.base_url``, whatever host the request came to. Everything is
queried on each request, so a killed story leaves every sitemap at once; for the same reason
no Last-Modified header is sent (a removal makes nothing newer, and a crawler's
If-Modified-Since would get a stale 304); the ETag from ConditionalGetMiddleware follows
the content.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import sitemap as django_sitemap
from django.db.models import Max, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from warta.newsroom.models import Category, Post
from warta.site.feeds import xml_text
from warta.site.seo import base_url, modified_field, post_modified

SITEMAP_LIMIT = 50_000
NEWS_WINDOW = timedelta(hours=48)
NEWS_LIMIT = 1000
_ROBOTS_TAG = "noindex, noarchive"


def _visible(now: datetime | None = None) -> Q:
    return Q(status=Post.Status.PUBLISHED, published_at__lte=now or timezone.now())


def _indexable() -> Q:
    """Posts whose URL we ask search engines to index: not of a ``noindex`` source, and
    not canonical to the original article (a sitemap lists canonical URLs only; Google
    reads a non-canonical URL in a sitemap as a conflicting signal). Such posts stay on
    the site, in lists, feeds and search — only the sitemaps leave them out."""
    return Q(entry__source__noindex=False) & ~Q(entry__source__canonical_policy="original")


class _BaseSitemap(Sitemap):
    """Locations under ``site.base_url`` (scheme, host and any path prefix)."""

    limit = SITEMAP_LIMIT

    def get_protocol(self, protocol: str | None = None) -> str:
        return urlsplit(base_url()).scheme or "https"

    def get_domain(self, site: Any = None) -> str:
        parts = urlsplit(base_url())
        return parts.netloc + parts.path


class PostSitemap(_BaseSitemap):
    def items(self) -> QuerySet[Post]:
        fields = ["id", "slug", "published_at"]
        if modified_field():
            fields.append(str(modified_field()))
        return (
            Post.objects.filter(_visible(), _indexable())
            .only(*fields)
            .order_by("-published_at", "-id")
        )

    def lastmod(self, item: Post) -> datetime:
        return post_modified(item)

    def get_latest_lastmod(self) -> datetime | None:
        # one aggregate, not a pass over every post
        name = modified_field()
        agg = Post.objects.filter(_visible(), _indexable()).aggregate(
            p=Max("published_at"), **({"m": Max(name)} if name else {})
        )
        values = [v for v in (agg.get("p"), agg.get("m")) if v is not None]
        return max(values) if values else None


class CategorySitemap(_BaseSitemap):
    def items(self) -> QuerySet[Category]:
        return (
            Category.objects.annotate(newest=Max("posts__published_at", filter=_visible_posts()))
            .filter(newest__isnull=False)
            .order_by("slug")
        )

    def lastmod(self, item: Category) -> datetime:
        return item.newest  # type: ignore[attr-defined, no-any-return]

    def get_latest_lastmod(self) -> datetime | None:
        return Post.objects.filter(_visible(), category__isnull=False).aggregate(
            m=Max("published_at")
        )["m"]


def _visible_posts() -> Q:
    return Q(posts__status=Post.Status.PUBLISHED, posts__published_at__lte=timezone.now())


class HomeSitemap(_BaseSitemap):
    changefreq = "always"

    def items(self) -> list[str]:
        return ["home"]

    def location(self, item: str) -> str:
        return reverse(item)

    def lastmod(self, item: str) -> datetime | None:
        return Post.objects.filter(_visible()).aggregate(m=Max("published_at"))["m"]

    def get_latest_lastmod(self) -> datetime | None:
        return self.lastmod("home")


SITEMAPS: dict[str, type[Sitemap]] = {
    "berita": PostSitemap,
    "kategori": CategorySitemap,
    "halaman": HomeSitemap,
}


def _no_last_modified(response: HttpResponse) -> HttpResponse:
    if "Last-Modified" in response.headers:
        del response.headers["Last-Modified"]
    response.headers["X-Robots-Tag"] = _ROBOTS_TAG
    return response


@dataclass
class IndexItem:
    location: str
    last_mod: datetime | None


def sitemap_index(request: HttpRequest) -> HttpResponse:
    """Every page of every section, with the section's newest ``lastmod``."""
    items: list[IndexItem] = []
    for section, cls in SITEMAPS.items():
        site = cls()
        url = base_url() + reverse("sitemap-section", kwargs={"section": section})
        lastmod = site.get_latest_lastmod()
        pages = site.paginator.num_pages
        if pages == 0:
            continue
        items.append(IndexItem(url, lastmod))
        items.extend(IndexItem(f"{url}?p={page}", lastmod) for page in range(2, pages + 1))
    response = TemplateResponse(
        request, "site/sitemap_index.xml", {"sitemaps": items}, content_type="application/xml"
    )
    return _no_last_modified(response.render())


def sitemap_section(request: HttpRequest, section: str) -> HttpResponse:
    """One page (``?p=N``) of one section; 404 for an unknown section or page."""
    if section not in SITEMAPS:
        raise Http404("No such sitemap")
    response = django_sitemap(
        request, {section: SITEMAPS[section]}, section=section, template_name="site/sitemap.xml"
    )
    return _no_last_modified(response.render())


@dataclass
class NewsItem:
    location: str
    title: str
    published: datetime


def news_sitemap(request: HttpRequest) -> HttpResponse:
    """Posts published in the last 48 hours, newest first, as a Google News sitemap."""
    now = timezone.now()
    posts = (
        Post.objects.filter(_visible(now), _indexable(), published_at__gte=now - NEWS_WINDOW)
        .select_related("translation")
        .only("id", "slug", "published_at", "translation__title")
        .order_by("-published_at", "-id")[:NEWS_LIMIT]
    )
    items = [
        NewsItem(base_url() + p.get_absolute_url(), xml_text(p.translation.title), p.published_at)
        for p in posts
    ]
    context = {
        "items": items,
        "publication_name": xml_text(str(settings.WARTA["site.name"])),
        "publication_language": str(settings.WARTA["site.language"]).lower(),
    }
    response = TemplateResponse(
        request, "site/sitemap_news.xml", context, content_type="application/xml"
    )
    return _no_last_modified(response.render())


def robots_txt(request: HttpRequest) -> HttpResponse:
    """Crawl everything public but search results and the back office; where the sitemaps
    are."""
    lines = [
        "User-agent: *",
        f"Disallow: {reverse('admin:index')}",
        f"Disallow: {reverse('search')}",
        "",
        f"Sitemap: {base_url()}{reverse('sitemap-index')}",
        f"Sitemap: {base_url()}{reverse('sitemap-news')}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
