"""The site's feeds: RSS 2.0, Atom 1.0 and JSON Feed 1.1, site-wide and per category, each
the 50 newest visible posts (queried on every request: a killed story leaves at once).

Links are absolute, built from ``site.base_url`` (the canonical address, also right in a
static export). An item's summary is HTML (escaped text of the first paragraphs) ending
with the syndication note: source, automatic translation (or, for a story published
untranslated, that it is not translated yet), attribution. With ``site.feed_full_content``
true, items also carry the whole article: RSS as ``content:encoded``, Atom as ``<content>``,
JSON Feed as ``content_html`` (which otherwise holds the summary). UI text is in the active
language (the site's). Text is stripped of the control characters XML 1.0 cannot carry.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed, SyndicationFeed
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from warta.newsroom.models import Category, Post, Tag, Translation
from warta.site.render import figure_html, plain_paragraphs, render_blocks, safe_url
from warta.site.seo import post_modified
from warta.site.views import base_url, language_name, published_posts

FEED_ITEMS = 50
FEED_PARAGRAPHS = 2
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
_XML_INVALID = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\u202a-\u202e\u2066-\u2069]")


def xml_text(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids (a hostile title must not break
    the feed) and without bidi overrides (a U+202E would reverse a reader's line)."""
    return _XML_INVALID.sub("", text)


def websub_hub() -> str:
    """The WebSub hub the feeds announce (``websub.hub``; empty: none)."""
    return str(settings.WARTA.get("websub.hub", "") or "")


def full_content_enabled() -> bool:
    return bool(settings.WARTA.get("site.feed_full_content", False))


class RssFeed(Rss201rev2Feed):
    """RSS 2.0 with the full article in ``content:encoded`` when an item has one."""

    def rss_attributes(self) -> dict[str, str]:
        attrs = super().rss_attributes()
        attrs["xmlns:content"] = CONTENT_NS
        return attrs

    def add_root_elements(self, handler: Any) -> None:
        super().add_root_elements(handler)  # includes <atom:link rel="self">
        if self.feed.get("hub"):
            handler.addQuickElement("atom:link", None, {"rel": "hub", "href": self.feed["hub"]})

    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        if item.get("full_html"):
            handler.addQuickElement("content:encoded", item["full_html"])


class AtomFeed(Atom1Feed):
    """Atom 1.0 with the full article as ``<content type="html">`` when an item has one."""

    def add_root_elements(self, handler: Any) -> None:
        super().add_root_elements(handler)  # includes <link rel="self">
        if self.feed.get("hub"):
            handler.addQuickElement("link", "", {"rel": "hub", "href": self.feed["hub"]})

    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        if item.get("full_html"):
            handler.addQuickElement("content", item["full_html"], {"type": "html"})


class JsonFeed(SyndicationFeed):
    """JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/)."""

    content_type = "application/feed+json; charset=utf-8"

    def feed_dict(self) -> dict[str, Any]:
        f = self.feed
        data: dict[str, Any] = {
            "version": JSON_FEED_VERSION,
            "title": f["title"],
            "home_page_url": f["link"],
            "feed_url": f["feed_url"],
            "description": f["description"],
            "language": f["language"],
            "authors": [{"name": f["author_name"]}] if f.get("author_name") else [],
        }
        if f.get("hub"):
            data["hubs"] = [{"type": "WebSub", "url": f["hub"]}]
        data["items"] = [self.item_dict(item) for item in self.items]
        return {k: v for k, v in data.items() if v not in (None, "", [])} | {"items": data["items"]}

    @staticmethod
    def item_dict(item: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": item["unique_id"] or item["link"],
            "url": item["link"],
            "title": item["title"],
            "content_html": item.get("full_html") or item["description"],
            "summary": item.get("summary_text") or None,
            "image": item.get("image") or None,
            "date_published": item["pubdate"].isoformat() if item.get("pubdate") else None,
            "date_modified": item["updateddate"].isoformat() if item.get("updateddate") else None,
            "authors": [{"name": item["author_name"]}] if item.get("author_name") else None,
            "tags": item.get("categories") or None,
            "language": item.get("item_language") or None,
            "external_url": item.get("external_url") or None,
        }
        return {k: v for k, v in out.items() if v is not None}

    def write(self, outfile: Any, encoding: str) -> None:
        outfile.write(json.dumps(self.feed_dict(), ensure_ascii=False, indent=1))


Topic = Category | Tag


class PostsFeed(Feed):
    """The newest posts: site-wide, or of the category or tag (``kind="tag"``) in the URL
    (``slug``)."""

    feed_type: type[SyndicationFeed] = RssFeed
    url_name = "feed"
    category_url_name = "category-feed"
    tag_url_name = "tag-feed"
    item_guid_is_permalink = True

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # No Last-Modified: a killed story leaves the feed without making anything newer,
        # so a reader's If-Modified-Since would get a 304 and keep it. The ETag that
        # ConditionalGetMiddleware derives from the content changes with any change.
        response = super().__call__(request, *args, **kwargs)
        del response.headers["Last-Modified"]
        hub = websub_hub()
        if hub:  # WebSub discovery by HTTP header too (the topic is the canonical URL)
            response["Link"] = f'<{hub}>; rel="hub", <{base_url()}{request.path}>; rel="self"'
        return response

    def feed_extra_kwargs(self, obj: Topic | None) -> dict[str, Any]:
        return {"hub": websub_hub()}

    def get_object(
        self, request: HttpRequest, slug: str | None = None, kind: str = "category"
    ) -> Topic | None:
        if slug is None:
            return None
        return get_object_or_404(Tag if kind == "tag" else Category, slug=slug)

    def title(self, obj: Topic | None) -> str:
        name = xml_text(str(settings.WARTA["site.name"]))
        return f"{xml_text(obj.name)} — {name}" if obj else name

    def link(self, obj: Topic | None) -> str:
        return base_url() + (obj.get_absolute_url() if obj else reverse("home"))

    def feed_url(self, obj: Topic | None) -> str:
        if obj is None:
            return base_url() + reverse(self.url_name)
        name = self.tag_url_name if isinstance(obj, Tag) else self.category_url_name
        return base_url() + reverse(name, kwargs={"slug": obj.slug})

    def description(self, obj: Topic | None) -> str:
        return xml_text(str(settings.WARTA["site.tagline"]))

    def author_name(self, obj: Topic | None) -> str:
        return xml_text(str(settings.WARTA["site.name"]))

    def items(self, obj: Topic | None) -> list[Post]:
        qs: QuerySet[Post] = published_posts().annotate(
            source_language=F("translation__article__language")
        )
        if isinstance(obj, Tag):
            qs = qs.filter(tags=obj)
        elif obj is not None:
            qs = qs.filter(category=obj)
        return list(qs.prefetch_related("tags")[:FEED_ITEMS])

    def item_title(self, item: Post) -> str:
        return xml_text(item.translation.title)

    def item_link(self, item: Post) -> str:
        return base_url() + item.get_absolute_url()

    def item_guid(self, item: Post) -> str:
        return self.item_link(item)

    def item_pubdate(self, item: Post) -> datetime:
        return item.published_at

    def item_updateddate(self, item: Post) -> datetime:
        return post_modified(item)

    def item_categories(self, item: Post) -> list[str]:
        names = [item.category.name] if item.category else []
        names += [t.name for t in item.tags.all() if t.name not in names]
        return [xml_text(n) for n in names]

    def item_author_name(self, item: Post) -> str:
        return xml_text(item.source_name)

    def _note_html(self, item: Post) -> str:
        tr = item.translation
        lang = language_name(getattr(item, "source_language", None) or "en")
        if tr.status == Translation.Status.UNTRANSLATED:
            translated = _("This article has not been translated from %(lang)s yet.")
        else:
            translated = _("This article was machine-translated from %(lang)s.")
        note = " ".join(
            (_("Source: %(source)s.") % {"source": item.source_name}, translated % {"lang": lang})
        )
        if item.attribution:
            note = f"{note} {item.attribution}"
        original = safe_url(item.original_url)
        read_original = _("Read the original article")
        link = (
            format_html(' <a href="{}" rel="nofollow noopener">{}</a>', original, read_original)
            if original
            else ""
        )
        return format_html("<p>{}{}</p>", note, link)

    def _awaiting_html(self, item: Post) -> str:
        if item.translation.status == Translation.Status.UNTRANSLATED:
            return format_html("<p><em>{}</em></p>", _("Awaiting translation."))
        return ""

    def item_description(self, item: Post) -> str:
        tr = item.translation
        paragraphs = plain_paragraphs(tr.blocks or [], limit=FEED_PARAGRAPHS)
        if paragraphs and tr.dateline:
            paragraphs[0] = f"{tr.dateline.rstrip(':-–— ')}: {paragraphs[0]}"
        body = format_html_join("", "<p>{}</p>", ((p,) for p in paragraphs))
        return xml_text(self._awaiting_html(item) + body + self._note_html(item))

    def full_html(self, item: Post) -> str:
        """The whole article as HTML: lead photo, body (dateline, quotes, lists, inline
        links; no "Baca juga" box) and the syndication note."""
        tr = item.translation
        image = tr.image if isinstance(tr.image, dict) else None
        lead = figure_html(image)
        body = render_blocks(
            tr.blocks or [],
            dateline=tr.dateline,
            skip_image_src=str(image.get("src") or "") if lead and image else "",
        )
        return xml_text(self._awaiting_html(item) + lead + body + self._note_html(item))

    def item_extra_kwargs(self, item: Post) -> dict[str, Any]:
        tr = item.translation
        paragraphs = plain_paragraphs(tr.blocks or [], limit=1)
        image = tr.image if isinstance(tr.image, dict) else {}
        untranslated = tr.status == Translation.Status.UNTRANSLATED
        return {
            "full_html": self.full_html(item) if full_content_enabled() else "",
            "summary_text": xml_text(paragraphs[0]) if paragraphs else "",
            "image": safe_url(image.get("src")),
            "item_language": (getattr(item, "source_language", None) or "en")
            if untranslated
            else "",
            "external_url": safe_url(item.original_url),
        }


class AtomPostsFeed(PostsFeed):
    feed_type = AtomFeed
    url_name = "feed-atom"
    category_url_name = "category-feed-atom"
    tag_url_name = "tag-feed-atom"

    def subtitle(self, obj: Topic | None) -> str:
        return self.description(obj)


class JsonPostsFeed(PostsFeed):
    feed_type = JsonFeed
    url_name = "feed-json"
    category_url_name = "category-feed-json"
    tag_url_name = "tag-feed-json"


# kept for code that names the original RSS feed class
LatestPostsFeed = PostsFeed
