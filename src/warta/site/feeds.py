"""The site's RSS 2.0 feed: the 50 newest published posts.

Links are absolute, built from ``site.base_url`` (the canonical address, also right in a
static export). An item's description is HTML (escaped text of the first paragraphs) ending
with the syndication note: source, automatic translation (or, for a story published
untranslated, that it is not translated yet), attribution. UI text is in the active language
(the site's).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import F
from django.urls import reverse
from django.utils.feedgenerator import Rss201rev2Feed
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from warta.newsroom.models import Post, Translation
from warta.site.render import plain_paragraphs, safe_url
from warta.site.views import base_url, language_name, published_posts

FEED_ITEMS = 50
FEED_PARAGRAPHS = 2


class LatestPostsFeed(Feed):
    feed_type = Rss201rev2Feed
    item_guid_is_permalink = True

    def title(self) -> str:
        return str(settings.WARTA["site.name"])

    def link(self) -> str:
        return base_url() + reverse("home")

    def feed_url(self) -> str:
        return base_url() + reverse("feed")

    def description(self) -> str:
        return str(settings.WARTA["site.tagline"])

    def items(self) -> list[Post]:
        return list(
            published_posts().annotate(source_language=F("translation__article__language"))[
                :FEED_ITEMS
            ]
        )

    def item_title(self, item: Post) -> str:
        return item.translation.title

    def item_link(self, item: Post) -> str:
        return base_url() + item.get_absolute_url()

    def item_guid(self, item: Post) -> str:
        return self.item_link(item)

    def item_pubdate(self, item: Post) -> datetime:
        return item.published_at

    def item_categories(self, item: Post) -> list[str]:
        return [item.category.name] if item.category else []

    def item_author_name(self, item: Post) -> str:
        return item.source_name

    def item_description(self, item: Post) -> str:
        tr = item.translation
        paragraphs = plain_paragraphs(tr.blocks or [], limit=FEED_PARAGRAPHS)
        if paragraphs and tr.dateline:
            paragraphs[0] = f"{tr.dateline.rstrip(':-–— ')}: {paragraphs[0]}"
        parts = [format_html_join("", "<p>{}</p>", ((p,) for p in paragraphs))]
        lang = language_name(getattr(item, "source_language", None) or "en")
        if tr.status == Translation.Status.UNTRANSLATED:
            parts.insert(0, format_html("<p><em>{}</em></p>", _("Awaiting translation.")))
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
        parts.append(format_html("<p>{}{}</p>", note, link))
        return "".join(parts)
